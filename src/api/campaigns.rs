//! The management API of campaigns: the JSON twins of the console's
//! campaign actions (structure, filters, intake levels, campaign API
//! tokens), for personal or profile tokens whose user's role allows them.
//! Same service functions, same rules, same audit entries as the console.

use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Bearer;
use crate::domain::{Actor, IntakeMethod, Level};
use crate::error::{ApiError, AppError};
use crate::services::catalog::Campaign;
use crate::services::levels::{self, LevelState};
use crate::services::{Services, api_tokens, campaigns, filters, relations, structure};

/// The campaign `{c}` names, once the caller is known to manage campaigns.
async fn campaign(svc: &Services, bearer: &Bearer, reference: String) -> Result<Campaign, AppError> {
    campaigns::resolve(svc, &bearer.acting()?, &reference).await
}

pub async fn create_campaign(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<campaigns::NewCampaign>,
) -> Result<HttpResponse, ApiError> {
    let c = campaigns::create_campaign(&svc, bearer.acting()?, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({"id": c.id, "slug": c.slug, "public_id": c.public_id, "name": c.name})))
}

pub async fn create_source(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<campaigns::NewSource>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let c = campaign(&svc, &bearer, path.into_inner()).await?;
    let s = campaigns::create_source(&svc, actor, c.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({"id": s.id, "slug": s.slug, "kind": s.kind, "name": s.name})))
}

pub async fn create_field(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<structure::NewField>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let c = campaign(&svc, &bearer, path.into_inner()).await?;
    let f = structure::create_field(&svc, actor, c.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": f.id, "slug": f.slug, "label": f.label, "type": f.field_type, "required": f.required
    })))
}

pub async fn create_select(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<structure::NewSelect>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let c = campaign(&svc, &bearer, path.into_inner()).await?;
    let input = body.into_inner();
    let options: Vec<Value> =
        input.options.iter().map(|o| json!({"slug": o.slug.trim(), "label": o.label.trim()})).collect();
    let s = structure::create_select(&svc, actor, c.id, input).await?;
    Ok(HttpResponse::Created().json(json!({"id": s.id, "slug": s.slug, "label": s.label, "options": options})))
}

pub async fn create_status(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<structure::NewStatus>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let c = campaign(&svc, &bearer, path.into_inner()).await?;
    let s = structure::create_status(&svc, actor, c.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({"id": s.id, "slug": s.slug, "label": s.label, "default": s.is_default})))
}

#[derive(Deserialize)]
pub struct Enabled {
    enabled: bool,
}

/// `{enabled, token, key}`: the token only while the level is on (and
/// then its reveal is audit-logged like Show).
async fn level_answer(svc: &Services, actor: Actor, level_state: LevelState) -> Result<HttpResponse, AppError> {
    let key = level_state.token.as_ref().map(|t| t.display_key());
    let token = if level_state.enabled && level_state.token.is_some() {
        Some(levels::show(svc, actor, level_state.level).await?.1)
    } else {
        None
    };
    let token = token.as_ref().map(|s| s.expose_secret());
    Ok(HttpResponse::Ok().json(json!({"enabled": level_state.enabled, "token": token, "key": key})))
}

async fn set_level(svc: &Services, bearer: &Bearer, level: Level, enabled: bool) -> Result<HttpResponse, AppError> {
    let actor = bearer.acting()?;
    let level_state = levels::set_enabled(svc, actor.clone(), level, enabled).await?;
    level_answer(svc, actor, level_state).await
}

async fn regenerate_level(svc: &Services, bearer: &Bearer, level: Level) -> Result<HttpResponse, AppError> {
    let (_, new, _) = levels::regenerate(svc, bearer.acting()?, level, time::Duration::ZERO).await?;
    Ok(HttpResponse::Ok().json(json!({"token": new.secret.expose_secret(), "key": new.token.display_key()})))
}

pub async fn put_global(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<Enabled>,
) -> Result<HttpResponse, ApiError> {
    Ok(set_level(&svc, &bearer, Level::Global, body.enabled).await?)
}

pub async fn regenerate_global(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    Ok(regenerate_level(&svc, &bearer, Level::Global).await?)
}

pub async fn put_campaign_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<Enabled>,
) -> Result<HttpResponse, ApiError> {
    bearer.acting()?;
    let c = campaign(&svc, &bearer, path.into_inner()).await?;
    Ok(set_level(&svc, &bearer, Level::Campaign(c.id), body.enabled).await?)
}

pub async fn regenerate_campaign_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    bearer.acting()?;
    let c = campaign(&svc, &bearer, path.into_inner()).await?;
    Ok(regenerate_level(&svc, &bearer, Level::Campaign(c.id)).await?)
}

async fn source_level(
    svc: &Services,
    bearer: &Bearer,
    c: String,
    s: String,
    method: String,
) -> Result<Level, AppError> {
    let actor = bearer.acting()?;
    let method: IntakeMethod =
        method.parse().map_err(|_| AppError::NoSuch(format!("`{method}` is not a method: use form, ping or post")))?;
    levels::source_level(svc, &actor, &c, &s, method).await
}

pub async fn put_source_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String, String)>,
    body: web::Json<Enabled>,
) -> Result<HttpResponse, ApiError> {
    let (c, s, m) = path.into_inner();
    let level = source_level(&svc, &bearer, c, s, m).await?;
    Ok(set_level(&svc, &bearer, level, body.enabled).await?)
}

pub async fn regenerate_source_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, s, m) = path.into_inner();
    let level = source_level(&svc, &bearer, c, s, m).await?;
    Ok(regenerate_level(&svc, &bearer, level).await?)
}

pub async fn create_relation(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<relations::NewRelation>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let c = campaign(&svc, &bearer, path.into_inner()).await?;
    let r = relations::create(&svc, actor, c.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": r.relation.id,
        "slug": r.relation.slug,
        "label": r.relation.label,
        "target_campaign": r.target_slug,
        "many": r.relation.many,
        "required": r.relation.required,
        "on_delete": r.relation.on_delete,
    })))
}

pub async fn create_filter(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<filters::FilterInput>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let c = campaign(&svc, &bearer, path.into_inner()).await?;
    let filter = filters::create(&svc, actor, c.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({"id": filter.id, "name": filter.name})))
}

pub async fn create_api_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<api_tokens::NewApiToken>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let c = campaign(&svc, &bearer, path.into_inner()).await?;
    let new = api_tokens::create(&svc, actor, c.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": new.token.id,
        "key": new.token.display_key(),
        "token": new.secret.expose_secret(),
        "read": new.token.can_read,
        "write": new.token.can_write,
        "filter_id": new.token.filter_id,
    })))
}

/// `PUT /api/v1/campaigns/{c}/api-tokens/{id}`: `{read, write, filter_id?}`
/// replaces what the token may do (the token itself stays the same).
pub async fn update_api_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, i64)>,
    body: web::Json<api_tokens::ApiTokenAccess>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let (c, token_id) = path.into_inner();
    let c = campaign(&svc, &bearer, c).await?;
    let token = api_tokens::update_access(&svc, actor, c.id, token_id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({
        "id": token.id,
        "key": token.display_key(),
        "read": token.can_read,
        "write": token.can_write,
        "filter_id": token.filter_id,
    })))
}
