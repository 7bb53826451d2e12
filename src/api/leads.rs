//! The leads API of a campaign, for campaign API tokens (scoped by their
//! permissions and filter) and for admins' own tokens.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::auth::Bearer;
use crate::error::{ApiError, AppError};
use crate::models::lead::LeadQuery;
use crate::services::catalog::CampaignSnapshot;
use crate::services::leads::{self, LeadAccess, PAGE_MAX};
use crate::services::{api_tokens, docs, filters};
use crate::state::AppState;

async fn snapshot(state: &AppState, reference: String) -> Result<Arc<CampaignSnapshot>, AppError> {
    state.caches.catalog.snapshot(state, &reference).await
}

/// The campaign and what this token may do in it.
async fn scope(
    state: &AppState,
    bearer: &Bearer,
    reference: String,
) -> Result<(Arc<CampaignSnapshot>, LeadAccess), AppError> {
    let snap = snapshot(state, reference).await?;
    let access = LeadAccess::of(&bearer.principal, &snap)?;
    Ok((snap, access))
}

fn json_body(body: &[u8]) -> Result<Value, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::bad_request(format!("the body is not valid JSON: {e}")))
}

#[derive(Deserialize)]
pub struct ListParams {
    cursor: Option<String>,
    limit: Option<i64>,
    status: Option<String>,
    updated_since: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let (snap, access) = scope(&state, &bearer, path.into_inner()).await?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(AppError::bad_request(format!("limit must be from 1 to {PAGE_MAX}")).into());
    }
    let after = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(c.parse::<i64>().map_err(|_| AppError::bad_request("cursor is not one this API gave"))?),
        None => None,
    };
    let updated_since = match params.updated_since.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|_| {
            AppError::bad_request("updated_since must be an RFC 3339 date-time, e.g. 2026-11-24T00:00:00Z")
        })?),
        None => None,
    };
    let query = LeadQuery { status: params.status.clone(), updated_since, after, limit, ..LeadQuery::default() };
    let (data, next) = state.db(move |conn| leads::page(conn, &snap, &access, query)).await?;
    Ok(HttpResponse::Ok().json(json!({"data": data, "next_cursor": next})))
}

pub async fn get(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (c, id) = path.into_inner();
    let (snap, access) = scope(&state, &bearer, c).await?;
    let lead = state.db(move |conn| leads::get(conn, &snap, &access, id)).await?;
    Ok(HttpResponse::Ok().json(lead))
}

pub async fn create(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (snap, access) = scope(&state, &bearer, path.into_inner()).await?;
    access.require_write()?;
    let body = json_body(&body)?;
    let now = state.now();
    let lead = state.db(move |conn| leads::create(conn, &snap, &access, &body, now)).await?;
    Ok(HttpResponse::Created().json(lead))
}

pub async fn update(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (c, id) = path.into_inner();
    let (snap, access) = scope(&state, &bearer, c).await?;
    access.require_write()?;
    let body = json_body(&body)?;
    let now = state.now();
    let lead = state.db(move |conn| leads::update(conn, &snap, &access, id, &body, now)).await?;
    Ok(HttpResponse::Ok().json(lead))
}

/// Fields, allowed values, schemas, statuses, selects, and this token's
/// permissions and filter. Any token of the campaign may read it.
pub async fn schema(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (snap, access) = scope(&state, &bearer, path.into_inner()).await?;
    let key = bearer.principal.display_key();
    let doc = docs::schema_document(&snap, Some((&key, access.read, access.write, access.filter.as_ref())));
    Ok(HttpResponse::Ok().json(doc))
}

pub async fn create_filter(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<filters::FilterInput>,
) -> Result<HttpResponse, ApiError> {
    bearer.user()?;
    let snap = snapshot(&state, path.into_inner()).await?;
    let filter = filters::create(&state, bearer.actor(), snap.campaign.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({"id": filter.id, "name": filter.name})))
}

/// `PUT /api/v1/campaigns/{c}/api-tokens/{id}`: `{read, write, filter_id?}`
/// replaces what the token may do (the token itself stays the same).
pub async fn update_api_token(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(String, i64)>,
    body: web::Json<api_tokens::ApiTokenAccess>,
) -> Result<HttpResponse, ApiError> {
    bearer.user()?;
    let (campaign, token_id) = path.into_inner();
    let snap = snapshot(&state, campaign).await?;
    let token =
        api_tokens::update_access(&state, bearer.actor(), snap.campaign.id, token_id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({
        "id": token.id,
        "key": token.display_key(),
        "read": token.can_read,
        "write": token.can_write,
        "filter_id": token.filter_id,
    })))
}

pub async fn create_api_token(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<api_tokens::NewApiToken>,
) -> Result<HttpResponse, ApiError> {
    bearer.user()?;
    let snap = snapshot(&state, path.into_inner()).await?;
    let issued = api_tokens::create(&state, bearer.actor(), snap.campaign.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": issued.token.id,
        "key": issued.token.display_key(),
        "token": secrecy::ExposeSecret::expose_secret(&issued.secret),
        "read": issued.token.can_read,
        "write": issued.token.can_write,
        "filter_id": issued.token.filter_id,
    })))
}
