//! The business rules, one module per area. Console handlers and API
//! handlers both call these; neither holds rules of its own.

pub mod account_tokens;
pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod campaigns;
pub mod catalog;
pub mod docs;
pub mod filters;
pub mod leads;
pub mod levels;
pub mod passwords;
pub mod support;

pub mod tokens;

use crate::domain::Role;

/// Who is acting, for permission checks and the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// As the audit log shows it: an email, "system", or a token key.
    pub label: String,
    pub role: Option<Role>,
    pub ip: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self { user_id: None, label: "system".to_owned(), role: None, ip: None }
    }

    /// Someone not signed in (a sign-in attempt, a password reset).
    pub fn anonymous(label: impl Into<String>, ip: Option<String>) -> Self {
        Self { user_id: None, label: label.into(), role: None, ip }
    }

    pub fn user(id: i64, email: &str, role: Role, ip: Option<String>) -> Self {
        Self { user_id: Some(id), label: email.to_owned(), role: Some(role), ip }
    }

    pub fn allows(&self, permission: crate::domain::Permission) -> bool {
        self.role.is_some_and(|r| r.allows(permission))
    }

    /// `Forbidden` unless the actor's role allows `permission`.
    pub fn require(&self, permission: crate::domain::Permission) -> Result<(), crate::error::AppError> {
        if self.allows(permission) {
            Ok(())
        } else {
            Err(crate::error::AppError::forbidden("Your role does not allow this. Ask a super admin if you need it."))
        }
    }
}
