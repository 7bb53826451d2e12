//! The management API of users, account tokens and the support console:
//! the JSON twins of `/users`, `/settings/account-tokens` and
//! `/support/tokens`, on the same service functions.

use actix_web::{HttpResponse, web};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Bearer;
use crate::domain::Role;
use crate::error::{ApiError, AppError};
use crate::models::{Campaign, TokenRow, TokenSearch, TokenStatus, User};
use crate::services::support::{self, Checked};
use crate::services::{Actor, account_tokens, accounts};
use crate::state::AppState;

fn actor(bearer: &Bearer) -> Result<Actor, AppError> {
    bearer.user()?;
    Ok(bearer.actor())
}

fn user_json(u: &User) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "role": u.role,
        "active": u.active,
        "api_token_allowed": u.api_token_allowed,
        "pending": u.pending(),
    })
}

/// Token metadata: never a secret.
pub fn token_json(row: &TokenRow, now: time::OffsetDateTime) -> Value {
    let t = &row.token;
    json!({
        "id": t.id,
        "key": t.display_key(),
        "kind": t.kind,
        "name": t.name,
        "owner": row.owner_email,
        "campaign": row.campaign_slug,
        "source": row.source_slug,
        "status": t.status(now).as_str(),
        "read": t.can_read,
        "write": t.can_write,
        "filter_id": t.filter_id,
        "created_at": crate::clock::rfc3339(t.created_at),
        "expires_at": t.expires_at.map(crate::clock::rfc3339),
        "last_used_at": t.last_used_at.map(crate::clock::rfc3339),
        "last_used_ip": t.last_used_ip,
        "use_count": t.use_count,
        "revoked_at": t.revoked_at.map(crate::clock::rfc3339),
        "revoked_reason": t.revoked_reason,
        "deactivated_reason": t.deactivated_reason,
    })
}

// ----------------------------------------------------------------- users

#[derive(Deserialize)]
pub struct NewUser {
    #[serde(default)]
    email: String,
    role: Option<String>,
}

fn parse_role(role: &str) -> Result<Role, AppError> {
    role.parse().map_err(|_| AppError::invalid("role", "Choose one of: super_admin, admin, support, member."))
}

pub async fn create_user(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let actor = actor(&bearer)?;
    let role = parse_role(body.role.as_deref().unwrap_or("member"))?;
    let user = accounts::invite(&state, actor, &body.email, role).await?;
    Ok(HttpResponse::Created().json(json!({"id": user.id, "email": user.email, "role": user.role})))
}

#[derive(Deserialize)]
pub struct UserChanges {
    role: Option<String>,
    active: Option<bool>,
    api_token_allowed: Option<bool>,
}

pub async fn update_user(
    state: web::Data<AppState>,
    bearer: Bearer,
    id: web::Path<i64>,
    body: web::Json<UserChanges>,
) -> Result<HttpResponse, ApiError> {
    let actor = actor(&bearer)?;
    let id = id.into_inner();
    let role = body.role.as_deref().map(parse_role).transpose()?;
    actor.require(crate::domain::Permission::ManageUsers)?;
    let mut user = state.db(move |conn| Ok(User::find(conn, id)?)).await?;
    if let Some(role) = role {
        user = accounts::change_role(&state, actor.clone(), id, role).await?;
    }
    if let Some(active) = body.active {
        user = accounts::set_active(&state, actor.clone(), id, active).await?;
    }
    if let Some(allowed) = body.api_token_allowed {
        user = accounts::set_api_token_allowed(&state, actor, id, allowed).await?;
    }
    Ok(HttpResponse::Ok().json(user_json(&user)))
}

#[derive(Deserialize)]
pub struct Reason {
    #[serde(default)]
    reason: String,
}

pub async fn revoke_user_tokens(
    state: web::Data<AppState>,
    bearer: Bearer,
    id: web::Path<i64>,
    body: web::Json<Reason>,
) -> Result<HttpResponse, ApiError> {
    let revoked = support::revoke_all_of_user(&state, actor(&bearer)?, id.into_inner(), &body.reason).await?;
    Ok(HttpResponse::Ok().json(json!({"revoked": revoked.len()})))
}

// ---------------------------------------------------------------- tokens

#[derive(Deserialize)]
pub struct TokenParams {
    kind: Option<String>,
    campaign: Option<String>,
    owner: Option<String>,
    status: Option<String>,
    key: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

/// `GET /api/v1/tokens`: metadata only, newest first, cursor-paginated.
pub async fn list_tokens(
    state: web::Data<AppState>,
    bearer: Bearer,
    params: web::Query<TokenParams>,
) -> Result<HttpResponse, ApiError> {
    let actor = actor(&bearer)?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::bad_request("limit must be from 1 to 500").into());
    }
    let kind = match params.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(k.parse().map_err(|_| AppError::bad_request(format!("`{k}` is not a token kind")))?),
        None => None,
    };
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            TokenStatus::parse(s)
                .ok_or_else(|| AppError::bad_request("status is one of active, deactivated, expired, revoked"))?,
        ),
        None => None,
    };
    let campaign_id = match params.campaign.clone().filter(|c| !c.is_empty()) {
        Some(c) => Some(
            state
                .db(move |conn| {
                    Campaign::by_ref(conn, &c)?.ok_or(AppError::NoSuch(format!("there is no campaign `{c}`")))
                })
                .await?
                .id,
        ),
        None => None,
    };
    let before = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(c.parse::<i64>().map_err(|_| AppError::bad_request("cursor is not one this API gave"))?),
        None => None,
    };
    let search = TokenSearch {
        kind,
        campaign_id,
        status,
        key_prefix: params.key.clone().filter(|k| !k.is_empty()),
        owner: params.owner.clone().filter(|o| !o.is_empty()),
        before,
        limit: limit + 1,
        ..TokenSearch::default()
    };
    let mut rows = support::search(&state, &actor, search).await?;
    let next = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.token.id.to_string()).unwrap_or_default()
    });
    let now = state.now();
    Ok(HttpResponse::Ok().json(json!({
        "data": rows.iter().map(|r| token_json(r, now)).collect::<Vec<_>>(),
        "next_cursor": next,
    })))
}

pub async fn revoke_token(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: web::Path<String>,
    body: web::Json<Reason>,
) -> Result<HttpResponse, ApiError> {
    let actor = actor(&bearer)?;
    let token = support::by_key(&state, &actor, key.into_inner()).await?;
    let token = support::revoke(&state, actor, token.id, &body.reason).await?;
    Ok(HttpResponse::Ok().json(json!({"key": token.display_key(), "status": "revoked"})))
}

#[derive(Deserialize)]
pub struct CheckBody {
    #[serde(default)]
    token: String,
}

/// A pasted (possibly leaked) token: which it is. The value is not stored.
pub async fn check_token(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: web::Json<CheckBody>,
) -> Result<HttpResponse, ApiError> {
    let actor = actor(&bearer)?;
    let pasted = SecretString::from(body.into_inner().token);
    let now = state.now();
    let answer = match support::check(&state, &actor, pasted).await? {
        Checked::Malformed => json!({"known": false, "well_formed": false}),
        Checked::Unknown { kind, key } => {
            json!({"known": false, "well_formed": true, "kind": kind, "key": format!("{}{key}", kind.prefix())})
        }
        Checked::Known(row) => json!({
            "known": true,
            "kind": row.token.kind,
            "key": row.token.display_key(),
            "owner": row.owner_email,
            "campaign": row.campaign_slug,
            "source": row.source_slug,
            "status": row.token.status(now).as_str(),
        }),
    };
    Ok(HttpResponse::Ok().json(answer))
}

// -------------------------------------------------------- account tokens

pub async fn generate_public(state: web::Data<AppState>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let issued = account_tokens::generate_public(&state, actor(&bearer)?).await?;
    Ok(HttpResponse::Ok().json(json!({"token": issued.secret.expose_secret(), "key": issued.token.display_key()})))
}

pub async fn delete_public(state: web::Data<AppState>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    account_tokens::delete_public(&state, actor(&bearer)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct NewPrivate {
    #[serde(default)]
    user: String,
    #[serde(default)]
    description: String,
}

pub async fn create_private(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: web::Json<NewPrivate>,
) -> Result<HttpResponse, ApiError> {
    let issued = account_tokens::create_private(&state, actor(&bearer)?, &body.user, &body.description).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": issued.token.id,
        "key": issued.token.display_key(),
        "token": issued.secret.expose_secret(),
    })))
}

pub async fn reset_private(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let issued = account_tokens::reset_private(&state, actor(&bearer)?, key.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"token": issued.secret.expose_secret(), "key": issued.token.display_key()})))
}

pub async fn delete_private(
    state: web::Data<AppState>,
    bearer: Bearer,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    account_tokens::delete_private(&state, actor(&bearer)?, key.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
