//! The management API: the JSON twins of the console actions, for personal
//! or profile tokens whose user's role allows them. Same service functions,
//! same rules, same audit entries as the console.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Bearer;
use crate::error::{ApiError, AppError};
use crate::models::{Campaign, Source};
use crate::services::levels::{self, Level, LevelState};
use crate::services::{Actor, campaigns};
use crate::state::AppState;
use crate::tokens::TokenKind;

/// The acting user of a personal or profile token.
fn actor(bearer: &Bearer) -> Result<Actor, AppError> {
    bearer.user()?;
    Ok(bearer.actor())
}

async fn campaign(state: &AppState, reference: String) -> Result<Campaign, AppError> {
    state
        .db(move |conn| {
            Campaign::by_ref(conn, &reference)?.ok_or(AppError::NoSuch(format!("there is no campaign `{reference}`")))
        })
        .await
}

async fn source(state: &AppState, campaign: &Campaign, reference: String) -> Result<Source, AppError> {
    let (id, slug) = (campaign.id, campaign.slug.clone());
    state
        .db(move |conn| {
            Source::by_ref(conn, id, &reference)?
                .ok_or(AppError::NoSuch(format!("campaign `{slug}` has no source `{reference}`")))
        })
        .await
}

pub async fn create_campaign(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: web::Json<campaigns::NewCampaign>,
) -> Result<HttpResponse, ApiError> {
    let c = campaigns::create_campaign(&state, actor(&bearer)?, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({"id": c.id, "slug": c.slug, "public_id": c.public_id, "name": c.name})))
}

pub async fn create_source(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<campaigns::NewSource>,
) -> Result<HttpResponse, ApiError> {
    let actor = actor(&bearer)?;
    let c = campaign(&state, path.into_inner()).await?;
    let s = campaigns::create_source(&state, actor, c.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({"id": s.id, "slug": s.slug, "kind": s.kind, "name": s.name})))
}

pub async fn create_field(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<campaigns::NewField>,
) -> Result<HttpResponse, ApiError> {
    let actor = actor(&bearer)?;
    let c = campaign(&state, path.into_inner()).await?;
    let f = campaigns::create_field(&state, actor, c.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": f.id, "slug": f.slug, "label": f.label, "type": f.field_type, "required": f.required
    })))
}

pub async fn create_select(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<campaigns::NewSelect>,
) -> Result<HttpResponse, ApiError> {
    let actor = actor(&bearer)?;
    let c = campaign(&state, path.into_inner()).await?;
    let input = body.into_inner();
    let options: Vec<Value> =
        input.options.iter().map(|o| json!({"slug": o.slug.trim(), "label": o.label.trim()})).collect();
    let s = campaigns::create_select(&state, actor, c.id, input).await?;
    Ok(HttpResponse::Created().json(json!({"id": s.id, "slug": s.slug, "label": s.label, "options": options})))
}

pub async fn create_status(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<campaigns::NewStatus>,
) -> Result<HttpResponse, ApiError> {
    let actor = actor(&bearer)?;
    let c = campaign(&state, path.into_inner()).await?;
    let s = campaigns::create_status(&state, actor, c.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({"id": s.id, "slug": s.slug, "label": s.label, "default": s.is_default})))
}

#[derive(Deserialize)]
pub struct Enabled {
    enabled: bool,
}

/// `{enabled, token, key}`: the token only while the level is on (and
/// then its reveal is audit-logged like Show).
async fn level_answer(state: &AppState, actor: Actor, level_state: LevelState) -> Result<HttpResponse, AppError> {
    let key = level_state.token.as_ref().map(|t| t.display_key());
    let token = if level_state.enabled && level_state.token.is_some() {
        let (_, secret) = levels::show(state, actor, level_state.level).await?;
        Some(secrecy::ExposeSecret::expose_secret(&secret).to_owned())
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(json!({"enabled": level_state.enabled, "token": token, "key": key})))
}

async fn set_level(state: &AppState, bearer: &Bearer, level: Level, enabled: bool) -> Result<HttpResponse, AppError> {
    let actor = actor(bearer)?;
    let level_state = levels::set_enabled(state, actor.clone(), level, enabled).await?;
    level_answer(state, actor, level_state).await
}

async fn regenerate_level(state: &AppState, bearer: &Bearer, level: Level) -> Result<HttpResponse, AppError> {
    let (_, issued) = levels::regenerate(state, actor(bearer)?, level).await?;
    Ok(HttpResponse::Ok().json(json!({
        "token": secrecy::ExposeSecret::expose_secret(&issued.secret),
        "key": issued.token.display_key(),
    })))
}

pub async fn put_global(
    state: web::Data<AppState>,
    bearer: Bearer,
    body: web::Json<Enabled>,
) -> Result<HttpResponse, ApiError> {
    Ok(set_level(&state, &bearer, Level::Global, body.enabled).await?)
}

pub async fn regenerate_global(state: web::Data<AppState>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    Ok(regenerate_level(&state, &bearer, Level::Global).await?)
}

pub async fn put_campaign_token(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<Enabled>,
) -> Result<HttpResponse, ApiError> {
    actor(&bearer)?;
    let c = campaign(&state, path.into_inner()).await?;
    Ok(set_level(&state, &bearer, Level::Campaign(c.id), body.enabled).await?)
}

pub async fn regenerate_campaign_token(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    actor(&bearer)?;
    let c = campaign(&state, path.into_inner()).await?;
    Ok(regenerate_level(&state, &bearer, Level::Campaign(c.id)).await?)
}

async fn source_level(
    state: &AppState,
    bearer: &Bearer,
    c: String,
    s: String,
    method: String,
) -> Result<Level, AppError> {
    actor(bearer)?;
    let kind = match method.as_str() {
        "form" => TokenKind::SourceForm,
        "ping" => TokenKind::SourcePing,
        "post" => TokenKind::SourcePost,
        other => return Err(AppError::NoSuch(format!("`{other}` is not a method: use form, ping or post"))),
    };
    let c = campaign(state, c).await?;
    let s = source(state, &c, s).await?;
    Ok(Level::Source { campaign_id: c.id, source_id: s.id, kind })
}

pub async fn put_source_token(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(String, String, String)>,
    body: web::Json<Enabled>,
) -> Result<HttpResponse, ApiError> {
    let (c, s, m) = path.into_inner();
    let level = source_level(&state, &bearer, c, s, m).await?;
    Ok(set_level(&state, &bearer, level, body.enabled).await?)
}

pub async fn regenerate_source_token(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, s, m) = path.into_inner();
    let level = source_level(&state, &bearer, c, s, m).await?;
    Ok(regenerate_level(&state, &bearer, level).await?)
}
