//! Token endpoints: revocation by whoever holds a token (RFC 7009).

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::error::{ApiError, AppError};
use crate::services::tokens as token_service;
use crate::state::AppState;
use crate::web::session::client_ip;

#[derive(Deserialize)]
pub struct TokenParam {
    token: Option<String>,
    #[allow(dead_code)]
    token_type_hint: Option<String>,
}

/// The `token` parameter of an RFC 7009 / 7662 request, sent as a form (as
/// the RFCs say) or as JSON.
pub fn token_param(req: &HttpRequest, body: &[u8]) -> Result<String, AppError> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let param: TokenParam = if content_type.starts_with("application/json") {
        serde_json::from_slice(body).map_err(|e| AppError::bad_request(format!("the body is not valid JSON: {e}")))?
    } else {
        serde_urlencoded::from_bytes(body)
            .map_err(|e| AppError::bad_request(format!("the body is not a valid form: {e}")))?
    };
    param
        .token
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| AppError::bad_request("the `token` parameter is required (RFC 7009)"))
}

/// `POST /api/v1/tokens/revoke`: 200 whether or not the token was valid,
/// as RFC 7009 says, so the answer tells nothing about the token.
pub async fn revoke(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let token = token_param(&req, &body)?;
    token_service::revoke_by_holder(&state, token, client_ip(&req)).await?;
    Ok(HttpResponse::Ok().finish())
}
