//! Reading request bodies the JSON API takes as bytes (so that it decides
//! when to read them, and how to answer bad ones): JSON, and the `token`
//! parameter of RFC 7009 / RFC 7662 requests; and the middleware that
//! refuses a body PostgreSQL could not store. A leaf.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, HttpRequest, ResponseError as _, web};
use futures_util::StreamExt as _;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ApiError, AppError};

/// Refuses a JSON or form body holding a NUL character (which no
/// PostgreSQL text can store) with a 422 naming the field, before any
/// handler reads it. Other bodies, and the streamed ones (lead files, a
/// JSON file being a file; imports, checked row by row), pass untouched.
pub async fn refuse_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let json = content_type.starts_with("application/json");
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let streamed = req.path().ends_with("/files") || req.path().ends_with("/import/leads");
    if !(json || form) || streamed {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            let e = ApiError(AppError::bad_request("the request body could not be read"));
            return Ok(req.into_response(e.error_response()).map_into_right_body());
        };
        if body.len() + chunk.len() > super::JSON_LIMIT {
            let e = ApiError(AppError::PayloadTooLarge { limit: Some(super::JSON_LIMIT) });
            return Ok(req.into_response(e.error_response()).map_into_right_body());
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let field = if json {
        // Escaped NULs only: a raw one is not JSON, and the handler says so.
        body.windows(6)
            .any(|w| w == b"\\u0000")
            .then(|| serde_json::from_slice::<Value>(&body).ok().and_then(|v| crate::domain::nul_path(&v, "")))
            .flatten()
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, v)| k.contains('\0') || v.contains('\0')).map(|(k, _)| k))
    };
    if let Some(field) = field {
        let e = ApiError(AppError::invalid(&field, "must not contain a NUL character (\\u0000)"));
        return Ok(req.into_response(e.error_response()).map_into_right_body());
    }
    req.set_payload(Payload::from(body));
    Ok(next.call(req).await?.map_into_left_body())
}

/// `Idempotent-Replayed: true` marks an answer given again for a retried
/// Idempotency-Key.
pub const REPLAYED: actix_web::http::header::HeaderName =
    actix_web::http::header::HeaderName::from_static("idempotent-replayed");

/// The `Idempotency-Key` header, if the request has one.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    match req.headers().get("idempotency-key") {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.to_owned()))
            .map_err(|_| AppError::invalid("Idempotency-Key", "must be 1 to 255 printable ASCII characters")),
    }
}

/// An answer with its status, marked when it is a replay.
pub fn answer(status: u16, body: &Value, replayed: bool) -> actix_web::HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    let mut res = actix_web::HttpResponse::build(status);
    if replayed {
        res.insert_header((REPLAYED, "true"));
    }
    res.json(body)
}

pub fn json(body: &[u8]) -> Result<Value, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::bad_request(format!("the body is not valid JSON: {e}")))
}

#[derive(Deserialize)]
struct TokenParam {
    token: Option<String>,
}

/// The `token` parameter of an RFC 7009 / 7662 request, sent as a form (as
/// the RFCs say) or as JSON.
pub fn token_param(req: &HttpRequest, body: &[u8]) -> Result<SecretString, AppError> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let param: TokenParam = if content_type.starts_with("application/json") {
        serde_json::from_slice(body).map_err(|e| AppError::bad_request(format!("the body is not valid JSON: {e}")))?
    } else {
        serde_urlencoded::from_bytes(body)
            .map_err(|e| AppError::bad_request(format!("the body is not a valid form: {e}")))?
    };
    param
        .token
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .map(SecretString::from)
        .ok_or_else(|| AppError::bad_request("the `token` parameter is required (RFC 7009)"))
}
