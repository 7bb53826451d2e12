//! Reading request bodies, strictly: the [`Json`] extractor every JSON
//! route takes (415 for another content type, 400 for a body that is not
//! JSON, 422 naming the field for one of the wrong shape, never "no
//! body"), [`OptionalJson`] for the few routes whose body may be empty,
//! the `token` parameter of RFC 7009 / RFC 7662 requests, and the
//! middleware that refuses a body PostgreSQL could not store. A leaf.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, ResponseError as _, web};
use futures_util::StreamExt as _;
use futures_util::future::LocalBoxFuture;
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;
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

/// The body of a request that must be JSON, as a value (the leads API,
/// which checks a lead's fields against its campaign itself).
pub fn json(req: &HttpRequest, body: &[u8]) -> Result<Value, AppError> {
    require_json(req)?;
    parse(body)
}

/// A JSON body of type `T`, read strictly: `Content-Type:
/// application/json` (415 otherwise), valid JSON (400), the shape of `T`
/// (422 naming the field: a missing one, one of the wrong type, or an
/// unknown one where `T` refuses them).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = require_json(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            is_json?;
            let body = body.await.map_err(unreadable)?;
            Ok(Json(parse(&body)?))
        })
    }
}

/// A JSON body that may be absent: an empty body is `None`; anything
/// else is read as strictly as [`Json`] (a body that cannot be read is
/// never taken for no body).
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = require_json(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(unreadable)?;
            if body.is_empty() {
                return Ok(OptionalJson(None));
            }
            is_json?;
            Ok(OptionalJson(Some(parse(&body)?)))
        })
    }
}

fn unreadable(e: actix_web::Error) -> ApiError {
    if e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError(AppError::PayloadTooLarge { limit: Some(super::JSON_LIMIT) })
    } else {
        ApiError(AppError::bad_request("the request body could not be read"))
    }
}

/// 415 unless the request says its body is JSON.
pub fn require_json(req: &HttpRequest) -> Result<(), AppError> {
    let content_type = req.content_type().to_ascii_lowercase();
    if content_type == "application/json" || content_type.ends_with("+json") {
        return Ok(());
    }
    let sent = if content_type.is_empty() { "no content type".to_owned() } else { format!("`{content_type}`") };
    Err(AppError::UnsupportedMediaType(format!(
        "this route reads JSON, and the request has {sent}: send `Content-Type: application/json`"
    )))
}

/// `T` from JSON bytes; the error names the field where it can.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request("the body is empty: send a JSON value"));
    }
    // Syntax first: a body that is not JSON is a bad request whatever
    // its shape would have been.
    serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(|e| {
        if e.is_eof() {
            AppError::bad_request("the body ends before its JSON does")
        } else {
            AppError::bad_request(format!(
                "the body is not valid JSON: {} (line {}, column {})",
                without_position(&e),
                e.line(),
                e.column()
            ))
        }
    })?;
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let e = e.into_inner();
        let message = without_position(&e);
        if e.is_data() {
            // At the top (`.`), the field is the one the message names:
            // "missing field `enabled`", "unknown field `grace`, expected …".
            let field = match path.as_str() {
                "." | "" => first_quoted(&message).unwrap_or("body").to_owned(),
                _ => path,
            };
            AppError::invalid(&field, message)
        } else if e.is_eof() {
            AppError::bad_request("the body ends before its JSON does")
        } else {
            AppError::bad_request(format!(
                "the body is not valid JSON: {message} (line {}, column {})",
                e.line(),
                e.column()
            ))
        }
    })?;
    de.end().map_err(|e| {
        AppError::bad_request(format!(
            "the body has more after its JSON value (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    Ok(value)
}

/// serde_json's message without its " at line 1 column 9".
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// The first name in backquotes of a message.
fn first_quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len]).filter(|s| !s.is_empty())
}

/// The parameters of an RFC 7009 revocation or RFC 7662 introspection.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenParam {
    /// The token value.
    #[schema(min_length = 1)]
    pub token: Option<String>,
    /// Ignored: the token says what it is.
    pub token_type_hint: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Grace {
        grace_seconds: i64,
    }

    fn field_of(e: AppError) -> String {
        match e {
            AppError::Validation(fields) => fields.keys().cloned().collect::<Vec<_>>().join(","),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_body_of_the_wrong_shape_names_its_field() {
        assert_eq!(field_of(parse::<Grace>(br#"{"grace": 86400}"#).unwrap_err()), "grace");
        assert_eq!(field_of(parse::<Grace>(br#"{"grace_seconds": "3600"}"#).unwrap_err()), "grace_seconds");
        assert_eq!(field_of(parse::<Grace>(br#"{"grace_seconds": 604800.5}"#).unwrap_err()), "grace_seconds");
        assert_eq!(field_of(parse::<Grace>(b"{}").unwrap_err()), "grace_seconds");
    }

    #[test]
    fn a_body_that_is_not_json_is_a_bad_request() {
        for body in [&b"grace_seconds=60"[..], b"{\"grace_seconds\": 6", b"", b"  ", b"{\"grace_seconds\": 6} x"] {
            assert!(matches!(parse::<Grace>(body), Err(AppError::BadRequest(_))), "{body:?}");
        }
        assert_eq!(parse::<Grace>(br#" {"grace_seconds": 60} "#).unwrap().grace_seconds, 60);
    }
}
