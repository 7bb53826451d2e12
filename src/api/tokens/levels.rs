//! Level tokens through the management API: the global token,
//! a campaign's token and a source's form, ping and post tokens; each
//! switched on or off (`PUT … {enabled}` → `{enabled, token, key}`) and
//! regenerated (→ `{key, token}`; the old one is refused at once).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{Secret, ok};
use crate::domain::{Actor, IntakeMethod, Level};
use crate::error::{ApiError, AppError};
use crate::services::credentials::levels::{self, LevelState};
use crate::services::{Services, campaigns};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enabled {
    enabled: bool,
}

/// A level's switch and its token: the value only while the level is on
/// (and then its reveal is audit-logged like Show).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LevelView {
    pub enabled: bool,
    pub token: Option<String>,
    pub key: Option<String>,
}

async fn level_view(svc: &Services, actor: Actor, state: LevelState) -> Result<LevelView, AppError> {
    let key = state.token.as_ref().map(|t| t.display_key());
    let token = if state.enabled && state.token.is_some() {
        Some(secrecy::ExposeSecret::expose_secret(&levels::show(svc, actor, state.level).await?.1).to_owned())
    } else {
        None
    };
    Ok(LevelView { enabled: state.enabled, token, key })
}

async fn set(svc: &Services, bearer: &Bearer, level: Level, enabled: bool) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let state = levels::set_enabled(svc, actor.clone(), level, enabled).await?;
    Ok(ok(&level_view(svc, actor, state).await?))
}

async fn regenerate(svc: &Services, bearer: &Bearer, level: Level) -> Result<HttpResponse, ApiError> {
    let (_, new, _) = levels::regenerate(svc, bearer.acting()?, level, time::Duration::ZERO).await?;
    Ok(ok(&Secret::new(new.token.display_key(), &new.secret)))
}

async fn campaign_level(svc: &Services, bearer: &Bearer, c: &str) -> Result<Level, AppError> {
    let c = campaigns::resolve(svc, &bearer.acting()?, c).await?;
    Ok(Level::Campaign(c.id))
}

async fn source_level(svc: &Services, bearer: &Bearer, (c, s, m): (String, String, String)) -> Result<Level, AppError> {
    let actor = bearer.acting()?;
    let method: IntakeMethod =
        m.parse().map_err(|_| AppError::NoSuch(format!("`{m}` is not a method: use form, ping or post")))?;
    levels::source_level(svc, &actor, &c, &s, method).await
}

/// `PUT /api/v1/settings/global-token` `{enabled}`.
pub async fn put_global(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<Enabled>,
) -> Result<HttpResponse, ApiError> {
    set(&svc, &bearer, Level::Global, body.enabled).await
}

/// `POST /api/v1/settings/global-token/regenerate`.
pub async fn regenerate_global(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    regenerate(&svc, &bearer, Level::Global).await
}

/// `PUT /api/v1/campaigns/{c}/token` `{enabled}`.
pub async fn put_campaign(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<Enabled>,
) -> Result<HttpResponse, ApiError> {
    let level = campaign_level(&svc, &bearer, &c).await?;
    set(&svc, &bearer, level, body.enabled).await
}

/// `POST /api/v1/campaigns/{c}/token/regenerate`.
pub async fn regenerate_campaign(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let level = campaign_level(&svc, &bearer, &c).await?;
    regenerate(&svc, &bearer, level).await
}

/// `PUT /api/v1/campaigns/{c}/sources/{s}/tokens/{form|ping|post}` `{enabled}`.
pub async fn put_source(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String, String)>,
    body: Json<Enabled>,
) -> Result<HttpResponse, ApiError> {
    let level = source_level(&svc, &bearer, path.into_inner()).await?;
    set(&svc, &bearer, level, body.enabled).await
}

/// `POST /api/v1/campaigns/{c}/sources/{s}/tokens/{form|ping|post}/regenerate`.
pub async fn regenerate_source(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let level = source_level(&svc, &bearer, path.into_inner()).await?;
    regenerate(&svc, &bearer, level).await
}
