//! Reading request bodies the JSON API takes as bytes (so that it decides
//! when to read them, and how to answer bad ones): JSON, and the `token`
//! parameter of RFC 7009 / RFC 7662 requests. A leaf.

use actix_web::HttpRequest;
use actix_web::http::header::CONTENT_TYPE;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use crate::error::AppError;

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
