use crate::text_enum;

text_enum! {
    /// What a console user may do.
    pub enum Role {
        SuperAdmin => "super_admin",
        Admin => "admin",
        Support => "support",
        Member => "member",
    }
}

text_enum! {
    /// A person, who signs in to the console, or an API user,
    /// who only ever holds tokens: no password, no sign-in, no email.
    pub enum UserKind {
        Person => "person",
        Api => "api",
    }
}

/// The handle an API user has in place of an email address.
pub const API_USER_HANDLE_PREFIX: &str = "api:";

/// The guarded areas. A role either has one or it does not; own profile and
/// personal tokens need no permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Users, roles, the "API token allowed" switch, the dev outbox.
    ManageUsers,
    /// The global token, account public/private tokens, token policy.
    ManageOrgTokens,
    /// Campaigns, sources, structure, filters, campaign and source tokens.
    ManageCampaigns,
    /// See every token's metadata, search, revoke or deactivate any token.
    SupportTokens,
    /// Read the audit log.
    ViewAudit,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "Super admin",
            Role::Admin => "Admin",
            Role::Support => "Support",
            Role::Member => "Member",
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::SuperAdmin => true,
            Role::Admin => matches!(permission, ManageCampaigns),
            Role::Support => matches!(permission, SupportTokens | ViewAudit),
            Role::Member => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_super_admin_manages_users_and_org_tokens() {
        for role in Role::ALL {
            assert_eq!(role.allows(Permission::ManageUsers), *role == Role::SuperAdmin);
            assert_eq!(role.allows(Permission::ManageOrgTokens), *role == Role::SuperAdmin);
        }
        assert!(Role::Admin.allows(Permission::ManageCampaigns));
        assert!(!Role::Support.allows(Permission::ManageCampaigns));
        assert!(Role::Support.allows(Permission::SupportTokens));
        assert!(!Role::Member.allows(Permission::ViewAudit));
    }
}
