//! API users: what a script that needs the REST API acts as. A super admin creates one with a name, a
//! role and an owner (the person answerable for it); it has no password,
//! never signs in and is never mailed; it holds personal tokens, which a
//! super admin issues (shown once) and revokes. It acts with its role, and
//! the audit log names it. Deactivating it (as any user) refuses its
//! tokens at once on every instance.

use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::domain::{API_USER_HANDLE_PREFIX, Actor, AuditAction, Permission, Role, Slug, UserKind};
use crate::error::{AppError, FieldErrors};
use crate::models::{NewUser, Token, User};
use crate::services::audit::record;
use crate::services::context::{Services, Tx};
use crate::services::credentials::lifecycle::{self, RevokedBy};
use crate::services::credentials::personal_tokens;
use crate::services::credentials::token_info::{NewToken, TokenInfo};

const NAME_MAX: usize = 80;

/// What creating an API user takes (the console form and the API body).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiUser {
    #[serde(default)]
    pub name: String,
    pub role: Option<Role>,
    /// The owner's email; the creator when absent.
    #[serde(default)]
    pub owner: Option<String>,
}

/// An API user as the Users screen and the API show one.
#[derive(Debug, Clone)]
pub struct ApiUserInfo {
    pub id: i64,
    pub name: String,
    pub handle: String,
    pub role: Role,
    pub active: bool,
    pub owner: String,
    pub created_at: OffsetDateTime,
    /// Tokens not revoked.
    pub live_tokens: i64,
    /// When any of its tokens was last used.
    pub last_used_at: Option<OffsetDateTime>,
}

/// An API user, or 404 for anyone else (a person's id included).
fn api_user(tx: &mut diesel::PgConnection, id: i64) -> Result<User, AppError> {
    match User::find(tx, id) {
        Ok(user) if user.kind == UserKind::Api => Ok(user),
        Ok(_) | Err(diesel::result::Error::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

fn info(conn: &mut diesel::PgConnection, user: User) -> Result<ApiUserInfo, AppError> {
    let owner = match user.owner_id {
        Some(id) => User::find(conn, id)?.email,
        None => String::new(),
    };
    let (live_tokens, last_used_at) = Token::use_of_user(conn, user.id)?;
    Ok(ApiUserInfo {
        id: user.id,
        name: user.display_name,
        handle: user.email,
        role: user.role,
        active: user.active,
        owner,
        created_at: user.created_at,
        live_tokens,
        last_used_at,
    })
}

/// Creates an API user. Its handle (`api:<slug of the name>`) is unique.
pub async fn create(svc: &Services, actor: Actor, input: NewApiUser) -> Result<ApiUserInfo, AppError> {
    actor.require(Permission::ManageUsers)?;
    let name = input.name.trim().to_owned();
    let mut errors = FieldErrors::new();
    let slug = if name.is_empty() {
        errors.insert("name".into(), "Name the API user, e.g. \"CRM sync\".".into());
        None
    } else if name.chars().count() > NAME_MAX {
        errors.insert("name".into(), format!("Use at most {NAME_MAX} characters."));
        None
    } else {
        match Slug::from_name(&name) {
            Some(slug) => Some(slug),
            None => {
                errors.insert("name".into(), "Use at least one letter or digit.".into());
                None
            }
        }
    };
    let role = input.role.unwrap_or(Role::Member);
    let owner_email = input.owner.map(|o| o.trim().to_lowercase()).filter(|o| !o.is_empty());
    let now = svc.now();
    svc.tx(move |tx| {
        let owner = match (&owner_email, actor.user_id) {
            (Some(email), _) => match User::by_email(tx, email)? {
                Some(u) if u.kind == UserKind::Person && u.active => Some(u),
                _ => {
                    errors.insert("owner".into(), format!("{email} is not an active person's account."));
                    None
                }
            },
            (None, Some(id)) => Some(User::find(tx, id)?),
            (None, None) => {
                errors.insert("owner".into(), "Name the person who owns this API user.".into());
                None
            }
        };
        let handle = slug.map(|s| format!("{API_USER_HANDLE_PREFIX}{s}"));
        if let Some(h) = &handle
            && User::by_email(tx, h)?.is_some()
        {
            errors.insert("name".into(), format!("An API user named “{name}” exists already."));
        }
        let (Some(owner), Some(handle)) = (owner, handle) else {
            return Err(AppError::Validation(errors));
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let user = User::insert(
            tx,
            &NewUser {
                email: &handle,
                display_name: &name,
                password_hash: None,
                role,
                created_at: now,
                updated_at: now,
                kind: UserKind::Api,
                owner_id: Some(owner.id),
            },
        )?;
        record(
            tx,
            now,
            &actor,
            AuditAction::ApiUserCreated,
            &user.label(),
            json!({"role": role, "owner": owner.email, "handle": handle}),
        )?;
        info(tx, user)
    })
    .await
}

/// Every API user, by name.
pub async fn list(svc: &Services, actor: &Actor) -> Result<Vec<ApiUserInfo>, AppError> {
    actor.require(Permission::ManageUsers)?;
    svc.run(|conn| User::api_users(conn)?.into_iter().map(|u| info(conn, u)).collect()).await
}

/// One API user and its tokens (revoked ones included), newest first.
pub async fn get(svc: &Services, actor: &Actor, id: i64) -> Result<(ApiUserInfo, Vec<TokenInfo>), AppError> {
    actor.require(Permission::ManageUsers)?;
    svc.run(move |conn| {
        let user = api_user(conn, id)?;
        let tokens = Token::personal_of(conn, user.id)?.into_iter().map(TokenInfo::from).collect();
        Ok((info(conn, user)?, tokens))
    })
    .await
}

/// A new personal token for API user `id`, shown once.
pub async fn issue_token(
    svc: &Services,
    actor: Actor,
    id: i64,
    description: &str,
    expires_in_days: Option<i64>,
) -> Result<NewToken, AppError> {
    actor.require(Permission::ManageUsers)?;
    svc.run(move |conn| api_user(conn, id).map(drop)).await?;
    personal_tokens::create(svc, actor, id, description, expires_in_days).await
}

/// Revokes one of API user `id`'s tokens.
pub async fn revoke_token(svc: &Services, actor: Actor, id: i64, token_id: i64) -> Result<TokenInfo, AppError> {
    actor.require(Permission::ManageUsers)?;
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |tx: &mut Tx<'_>| {
        api_user(tx, id)?;
        let token = Token::find_for_update(tx, token_id)?;
        if token.user_id != Some(id) {
            return Err(AppError::NotFound);
        }
        if token.revoked_at.is_some() {
            return Err(AppError::conflict("This token is revoked already."));
        }
        lifecycle::revoke_with_notice(tx, &settings, now, &actor, &token, RevokedBy::Manager)?;
        Ok(Token::find(tx, token.id)?.into())
    })
    .await
}
