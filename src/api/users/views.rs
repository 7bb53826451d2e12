//! Users as the API answers them: a person or an API user, the same keys
//! for create, get, list item and change.

use serde::Serialize;

use crate::api::view::{At, at};
use crate::domain::{Role, UserId, UserKind};
use crate::services::accounts::UserInfo;
use crate::services::users::api_users::ApiUserInfo;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// person or api.
    pub kind: UserKind,
    /// active, invited (no password yet) or deactivated.
    pub status: &'static str,
    pub active: bool,
    /// Invited, no password set yet.
    pub pending: bool,
    /// Whether the user may hold a profile API token.
    pub api_token_allowed: bool,
    pub created_at: At,
    pub last_sign_in_at: Option<At>,
}

impl From<&UserInfo> for UserView {
    fn from(u: &UserInfo) -> Self {
        Self {
            id: UserId(u.id),
            email: u.email.clone(),
            name: u.display_name.clone(),
            role: u.role,
            kind: u.kind,
            status: u.status(),
            active: u.active,
            pending: u.pending,
            api_token_allowed: u.api_token_allowed,
            created_at: At(u.created_at),
            last_sign_in_at: at(u.last_sign_in_at),
        }
    }
}

/// An API user: a user that only tokens act as.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiUserView {
    /// A user id: `PATCH /api/v1/users/{id}` changes or deactivates it.
    pub id: UserId,
    pub name: String,
    pub handle: String,
    pub role: Role,
    pub active: bool,
    /// The email of the super admin who answers for it.
    pub owner: String,
    pub created_at: At,
    /// Its tokens not revoked.
    pub live_tokens: i64,
    pub last_used_at: Option<At>,
}

impl From<&ApiUserInfo> for ApiUserView {
    fn from(u: &ApiUserInfo) -> Self {
        Self {
            id: UserId(u.id),
            name: u.name.clone(),
            handle: u.handle.clone(),
            role: u.role,
            active: u.active,
            owner: u.owner.clone(),
            created_at: At(u.created_at),
            live_tokens: u.live_tokens,
            last_used_at: at(u.last_used_at),
        }
    }
}
