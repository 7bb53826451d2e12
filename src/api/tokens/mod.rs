//! `/api/v1/tokens`: tokens of every kind by key, for their managers and
//! support: the list (metadata only), one token and its lifecycle
//! (`lifecycle`), revoke, switch off or on, show a retrievable value, and
//! "which token is this?" for a pasted one. Tokens made at a level, for a
//! campaign, for the account or by a reporter have their modules;
//! `revocation` is RFC 7009's revocation by the token alone.

pub mod account;
pub mod api_tokens;
pub mod leaks;
pub mod levels;
pub mod lifecycle;
pub mod policy;
pub mod revocation;
pub mod views;

use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{List, Secret, no_content, ok};
use crate::domain::TokenStatus;
use crate::error::{ApiError, AppError};
use crate::services::credentials::support::{self, Checked};
use crate::services::credentials::token_manage;
use crate::services::{Services, TokenSearch};
use views::{CheckedView, TokenView};

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

/// `GET /api/v1/tokens?kind=&campaign=&owner=&status=&key=`: metadata
/// only, newest first, `{items, next_cursor}`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    params: web::Query<TokenParams>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let paging = crate::api::view::Paging { cursor: params.cursor.clone(), limit: params.limit };
    let (limit, before) = (paging.limit()?, paging.cursor()?);
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
    let rows = support::search(&svc, &actor, search).await?;
    let now = svc.now();
    Ok(ok(&List::from_probe(rows, limit, |r| r.token.id, |r| TokenView::new(&r, now))))
}

/// `{reason}`: why a token is revoked or switched off; its owner is told.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[serde(default)]
    pub reason: String,
}

/// The token by key, as its listing, after an action.
async fn view(svc: &Services, bearer: &Bearer, id: i64) -> Result<TokenView, AppError> {
    let row = support::find(svc, &bearer.acting()?, id).await?;
    Ok(TokenView::new(&row, svc.now()))
}

/// `POST /api/v1/tokens/{key}/revoke` `{reason}`: support or a manager
/// revokes any token; its owner is told why.
pub async fn revoke(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
    body: Json<Reason>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let token = support::by_key(&svc, &actor, key.into_inner()).await?;
    let token = support::revoke(&svc, actor, token.id, &body.reason).await?;
    Ok(ok(&view(&svc, &bearer, token.id).await?))
}

/// `DELETE /api/v1/tokens/{key}`: its manager revokes it (204).
pub async fn delete(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    token_manage::revoke(&svc, bearer.acting()?, &key).await?;
    Ok(no_content())
}

/// `POST /api/v1/tokens/{key}/show`: a retrievable token's value (level,
/// campaign API and account public tokens), audited.
pub async fn show(svc: web::Data<Services>, bearer: Bearer, key: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (key, secret) = token_manage::reveal(&svc, bearer.acting()?, &key).await?;
    Ok(ok(&Secret::new(key, &secret)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    active: bool,
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/tokens/{key}/active` `{active, reason}`: support switches
/// any token off (with a reason its owner is told) or back on.
pub async fn set_active(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
    body: Json<Switch>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let token = support::by_key(&svc, &actor, key.into_inner()).await?;
    let t = if body.active {
        support::reactivate(&svc, actor, token.id).await?
    } else {
        support::deactivate(&svc, actor, token.id, &body.reason).await?
    };
    Ok(ok(&view(&svc, &bearer, t.id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    token: String,
}

/// `POST /api/v1/tokens/check` `{token}`: which token a pasted (possibly
/// leaked) value is. The value is not stored.
pub async fn check(svc: web::Data<Services>, bearer: Bearer, body: Json<CheckBody>) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let pasted = SecretString::from(body.into_inner().token);
    let now = svc.now();
    let unknown = CheckedView {
        known: false,
        well_formed: false,
        kind: None,
        key: None,
        owner: None,
        campaign: None,
        source: None,
        status: None,
    };
    let answer = match support::check(&svc, &actor, pasted).await? {
        Checked::Malformed => unknown,
        Checked::Unknown { kind, key } => {
            CheckedView { well_formed: true, kind: Some(kind), key: Some(format!("{}{key}", kind.prefix())), ..unknown }
        }
        Checked::Known(row) => CheckedView {
            known: true,
            well_formed: true,
            kind: Some(row.token.kind),
            key: Some(row.token.display_key()),
            owner: row.owner_email.clone(),
            campaign: row.campaign_slug.clone(),
            source: row.source_slug.clone(),
            status: Some(row.token.status(now).as_str()),
        },
    };
    Ok(ok(&answer))
}
