//! What the audit log records. Every action is a variant here, and its text
//! (`group.verb`, as stored and filtered on) is written here only.

use crate::text_enum;

text_enum! {
    /// Every audited action.
    pub enum AuditAction {
        SetupCompleted => "setup.completed",
        SignedIn => "session.signed_in",
        SignedOut => "session.signed_out",
        SignInFailed => "session.sign_in_failed",

        UserCreated => "user.created",
        UserInvited => "user.invited",
        InvitationResent => "user.invitation_resent",
        InvitationAccepted => "user.invitation_accepted",
        PasswordResetRequested => "user.password_reset_requested",
        PasswordReset => "user.password_reset",
        PasswordChanged => "user.password_changed",
        ProfileUpdated => "user.profile_updated",
        RoleChanged => "user.role_changed",
        UserDeactivated => "user.deactivated",
        UserReactivated => "user.reactivated",
        ApiTokenAllowedChanged => "user.api_token_allowed_changed",
        UserTokensRevoked => "user.tokens_revoked",
        ApiUserCreated => "user.api_user_created",

        TokenCreated => "token.created",
        TokenRegenerated => "token.regenerated",
        TokenReset => "token.reset",
        TokenShown => "token.shown",
        TokenRevoked => "token.revoked",
        TokenDeactivated => "token.deactivated",
        TokenActivated => "token.activated",
        TokenDeleted => "token.deleted",
        TokenExpired => "token.expired",
        ExpiryWarningSent => "token.expiry_warning_sent",
        TokenAccessChanged => "token.access_changed",
        TokenChecked => "token.checked",
        TokenLimitsChanged => "token.limits_changed",
        GraceEnded => "token.grace_ended",
        IpRefused => "token.ip_refused",
        TokenLeaked => "token.leaked",
        LeakReported => "token.leak_reported",
        TokenUsed => "token.used",
        LevelEnabled => "token.level_enabled",
        LevelDisabled => "token.level_disabled",
        TokenPolicyChanged => "settings.token_policy_changed",
        LeakActionChanged => "settings.leak_action_changed",

        CampaignCreated => "campaign.created",
        CampaignUpdated => "campaign.updated",
        CampaignArchived => "campaign.archived",
        CampaignRestored => "campaign.restored",
        SourceCreated => "source.created",
        SourceUpdated => "source.updated",
        FieldCreated => "field.created",
        FieldUpdated => "field.updated",
        FieldDeleted => "field.deleted",
        SelectCreated => "select.created",
        SelectDeleted => "select.deleted",
        OptionAdded => "select.option_added",
        OptionDeleted => "select.option_deleted",
        StatusCreated => "status.created",
        DefaultStatusChanged => "status.default_changed",
        StatusDeleted => "status.deleted",
        RelationCreated => "relation.created",
        DestinationCreated => "destination.created",
        DestinationPaused => "destination.paused",
        DestinationResumed => "destination.resumed",
        DestinationTested => "destination.tested",
        DeliveryRedelivered => "destination.redelivered",
        DestinationRulesChanged => "destination.rules_changed",
        RelationDeleted => "relation.deleted",
        FilterCreated => "filter.created",
        FilterUpdated => "filter.updated",
        FilterDeleted => "filter.deleted",
    }
}

impl AuditAction {
    /// The group an action belongs to (`token` of `token.created`), which
    /// the audit page filters on.
    pub fn group(self) -> &'static str {
        self.as_str().split_once('.').map_or("", |(g, _)| g)
    }

    /// Switching something on or off, as one of two actions.
    pub fn switched(on: bool, when_on: Self, when_off: Self) -> Self {
        if on { when_on } else { when_off }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_group_dot_verb_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            let (group, verb) = a.as_str().split_once('.').expect("group.verb");
            assert!(!group.is_empty() && !verb.is_empty());
            assert_eq!(a.group(), group);
            assert!(seen.insert(a.as_str()), "{a} twice");
        }
    }
}
