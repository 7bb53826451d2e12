//! Who is acting: for permission checks and the audit log.

use super::role::{Permission, Role};
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// As the audit log and mail name who acted: an email, "system", or
    /// (for a token that acts as no user) the token's key.
    pub label: String,
    pub role: Option<Role>,
    pub ip: Option<String>,
    /// The key of the API token a user acted through, for the audit
    /// entry's details; never shown as the actor, never mailed.
    pub via_token: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self { user_id: None, label: "system".to_owned(), role: None, ip: None, via_token: None }
    }

    /// An operator at the command line.
    pub fn command_line() -> Self {
        Self { user_id: None, label: "command line".to_owned(), role: None, ip: None, via_token: None }
    }

    /// Whether this is the operator at the command line (who may manage
    /// any token, as a break-glass).
    pub fn is_command_line(&self) -> bool {
        *self == Self::command_line()
    }

    /// Someone not signed in (a sign-in attempt, a password reset).
    pub fn anonymous(label: impl Into<String>, ip: Option<String>) -> Self {
        Self { user_id: None, label: label.into(), role: None, ip, via_token: None }
    }

    pub fn user(id: i64, email: &str, role: Role, ip: Option<String>) -> Self {
        Self { user_id: Some(id), label: email.to_owned(), role: Some(role), ip, via_token: None }
    }

    /// Whether the actor's role allows `permission`. The operator at the
    /// command line may do anything (it holds the database already).
    pub fn allows(&self, permission: Permission) -> bool {
        self.role.is_some_and(|r| r.allows(permission)) || self.is_command_line()
    }

    /// `Forbidden` unless the actor's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.allows(permission) {
            Ok(())
        } else {
            Err(AppError::forbidden("Your role does not allow this. Ask a super admin if you need it."))
        }
    }

    /// The signed-in user behind this actor, for actions on one's own
    /// tokens and profile.
    pub fn own_user_id(&self) -> Result<i64, AppError> {
        self.user_id.ok_or_else(|| AppError::forbidden("Only a signed-in user can do this."))
    }
}
