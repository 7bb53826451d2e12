//! Lead intake: `POST /api/v1/campaigns/{c}/sources/{s}/form|ping|post`.
//! The first enabled level (source token for this method, campaign token,
//! global token) decides which token the request must carry, and the
//! `Keyward-Auth-Level` header says which one did.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, web};

use crate::api::auth::bearer_token;
use crate::api::body;
use crate::domain::IntakeMethod;
use crate::error::{ApiError, AppError};
use crate::http::client_ip;
use crate::services::Services;
use crate::services::leads::intake::{self, Decision, Submitted};

pub const AUTH_LEVEL: HeaderName = HeaderName::from_static("keyward-auth-level");

pub async fn form(
    req: HttpRequest,
    svc: web::Data<Services>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    submit(req, svc, path.into_inner(), IntakeMethod::Form, body).await
}

pub async fn ping(
    req: HttpRequest,
    svc: web::Data<Services>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    submit(req, svc, path.into_inner(), IntakeMethod::Ping, body).await
}

pub async fn post(
    req: HttpRequest,
    svc: web::Data<Services>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    submit(req, svc, path.into_inner(), IntakeMethod::Post, body).await
}

async fn submit(
    req: HttpRequest,
    svc: web::Data<Services>,
    (campaign, source): (String, String),
    method: IntakeMethod,
    body: web::Bytes,
) -> HttpResponse {
    let decision = match intake::decide(&svc, &campaign, &source, method).await {
        Ok(d) => d,
        Err(e) => return ApiError(e).error_response(),
    };
    let level = decision.level_name();
    let mut res = match handle(&req, &svc, decision, &body).await {
        Ok(res) => res,
        Err(e) => ApiError(e).error_response(),
    };
    res.headers_mut().insert(AUTH_LEVEL, HeaderValue::from_static(level));
    res
}

async fn handle(req: &HttpRequest, svc: &Services, decision: Decision, body: &[u8]) -> Result<HttpResponse, AppError> {
    decision.open()?;
    let mut token_id = None;
    if decision.level.is_some() {
        let token = bearer_token(req)?;
        let principal = svc.tokens.verify(&token, &client_ip(req)).await?;
        decision.authorize(&principal)?;
        token_id = Some(principal.token_id);
    }
    let key = body::idempotency_key(req)?;
    let body = body::json(req, body)?;
    let Submitted { status, body, replayed } = intake::submit(svc, decision, token_id, key, body).await?;
    Ok(body::answer(status, &body, replayed))
}
