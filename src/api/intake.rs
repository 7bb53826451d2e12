//! Lead intake: `POST /api/v1/campaigns/{c}/sources/{s}/form|ping|post`.
//! The first enabled level (source token for this method, campaign token,
//! global token) decides which token the request must carry, and the
//! `Keyward-Auth-Level` header says which one did.

use std::sync::Arc;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, web};
use serde_json::{Value, json};

use super::auth::bearer_token;
use crate::error::{ApiError, AppError};
use crate::models::Source;
use crate::services::catalog::CampaignSnapshot;
use crate::services::leads::{self, AuthLevel, Method, Mode};
use crate::state::AppState;
use crate::web::session::client_ip;

pub const AUTH_LEVEL: HeaderName = HeaderName::from_static("keyward-auth-level");

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    intake(req, state, path.into_inner(), Method::Form, body).await
}

pub async fn ping(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    intake(req, state, path.into_inner(), Method::Ping, body).await
}

pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    intake(req, state, path.into_inner(), Method::Post, body).await
}

async fn intake(
    req: HttpRequest,
    state: web::Data<AppState>,
    (campaign_ref, source_ref): (String, String),
    method: Method,
    body: web::Bytes,
) -> HttpResponse {
    let resolved = async {
        let snap = state.caches.catalog.snapshot(&state, &campaign_ref).await?;
        let source = snap.source_ref(&source_ref).cloned().ok_or_else(|| {
            AppError::NoSuch(format!("campaign `{}` has no source `{source_ref}`", snap.campaign.slug))
        })?;
        let global = state.caches.catalog.global_enabled(&state).await?;
        Ok::<_, AppError>((snap, source, global))
    }
    .await;
    let (snap, source, global) = match resolved {
        Ok(r) => r,
        Err(e) => return ApiError(e).error_response(),
    };
    let level = leads::decide(global, &snap.campaign, &source, method);
    let mut res = match handle(&req, &state, snap, source, method, level, &body).await {
        Ok(res) => res,
        Err(e) => ApiError(e).error_response(),
    };
    res.headers_mut().insert(AUTH_LEVEL, HeaderValue::from_static(level.as_str()));
    res
}

async fn handle(
    req: &HttpRequest,
    state: &AppState,
    snap: Arc<CampaignSnapshot>,
    source: Source,
    method: Method,
    level: AuthLevel,
    body: &[u8],
) -> Result<HttpResponse, AppError> {
    if snap.campaign.archived_at.is_some() {
        return Err(AppError::Gone(format!("campaign `{}` is archived and accepts no leads", snap.campaign.slug)));
    }
    if level != AuthLevel::None {
        let token = bearer_token(req)?;
        let principal = state.tokens.verify(&token, &client_ip(req)).await?;
        leads::authorize(level, &principal, &snap.campaign, &source, method)?;
    }
    let body: Value =
        serde_json::from_slice(body).map_err(|e| AppError::bad_request(format!("the body is not valid JSON: {e}")))?;
    let now = state.now();
    match method {
        Method::Form => {
            let data = leads::validate(&snap, &body, Mode::Full, &[]).map_err(AppError::Validation)?;
            let lead = state
                .db(move |conn| {
                    let lead = leads::insert_lead(conn, &snap, Some(source.id), data, now)?;
                    Ok(leads::lead_json(&lead, &snap))
                })
                .await?;
            Ok(HttpResponse::Created().json(lead))
        }
        Method::Ping => {
            let data = leads::validate(&snap, &body, Mode::Partial, &[]).map_err(AppError::Validation)?;
            let ttl = time::Duration::try_from(state.settings.ping_ttl).unwrap_or(time::Duration::minutes(10));
            let ping = state.db(move |conn| leads::record_ping(conn, &snap, &source, &data, now, ttl)).await?;
            Ok(HttpResponse::Ok().json(json!({
                "ping_id": ping.public_id,
                "accepted": true,
                "expires_at": crate::clock::rfc3339(ping.expires_at),
            })))
        }
        Method::Post => {
            let ping_id = match body.get("ping_id") {
                Some(Value::String(id)) if !id.is_empty() => id.clone(),
                _ => return Err(AppError::invalid("ping_id", "is required: the ping_id the ping answered")),
            };
            let data = leads::validate(&snap, &body, Mode::Full, &["ping_id"]).map_err(AppError::Validation)?;
            let lead = state
                .db(move |conn| {
                    let lead = leads::post(conn, &snap, &source, &ping_id, data, now)?;
                    let mut json = leads::lead_json(&lead, &snap);
                    json["ping_id"] = Value::String(ping_id);
                    Ok(json)
                })
                .await?;
            Ok(HttpResponse::Created().json(lead))
        }
    }
}
