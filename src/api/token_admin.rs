//! The management API of tokens of every kind, for support and super
//! admins: the list (metadata only, cursor-paginated), revoke by key, and
//! "which token is this?" for a pasted (possibly leaked) token. The JSON
//! twins of the support console.

use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Bearer;
use crate::domain::TokenStatus;
use crate::error::{ApiError, AppError};
use crate::services::support::{self, Checked};
use crate::services::{Services, TokenListing, TokenSearch};

/// Token metadata: never a secret.
pub fn token_json(row: &TokenListing, now: time::OffsetDateTime) -> Value {
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
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    params: web::Query<TokenParams>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
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
    let campaign_id = match params.campaign.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(support::campaign(&svc, &actor, c).await?.id),
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
    let mut rows = support::search(&svc, &actor, search).await?;
    let next = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.token.id.to_string()).unwrap_or_default()
    });
    let now = svc.now();
    Ok(HttpResponse::Ok().json(json!({
        "data": rows.iter().map(|r| token_json(r, now)).collect::<Vec<_>>(),
        "next_cursor": next,
    })))
}

pub async fn revoke(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
    body: web::Json<super::users::Reason>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let token = support::by_key(&svc, &actor, key.into_inner()).await?;
    let token = support::revoke(&svc, actor, token.id, &body.reason).await?;
    Ok(HttpResponse::Ok().json(json!({"key": token.display_key(), "status": "revoked"})))
}

#[derive(Deserialize)]
pub struct CheckBody {
    #[serde(default)]
    token: String,
}

/// A pasted (possibly leaked) token: which it is. The value is not stored.
pub async fn check(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<CheckBody>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let pasted = SecretString::from(body.into_inner().token);
    let now = svc.now();
    let answer = match support::check(&svc, &actor, pasted).await? {
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
