//! The one error type. Services return `AppError`; console handlers let it
//! render as an HTML page, API handlers wrap it in [`ApiError`] to render the
//! JSON body.
//!
//! - [`AppError::code`] is the one table of error codes; an error actix
//!   produces by itself is first mapped to an `AppError`
//!   ([`AppError::from_status`]) so that it goes through the same table.
//! - A 5xx keeps its cause ([`Cause`]) to the edge, where the whole chain is
//!   logged inside the request's span (so with its request id); the answer
//!   shows a fixed sentence and the request id, never driver or PostgreSQL
//!   text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde::Serialize;

/// Per-field validation messages, in field order.
pub type FieldErrors = BTreeMap<String, String>;

/// Why a presented token was not accepted. Every variant but
/// `IpNotAllowed` (403) is a 401; the code tells a client what to do, and
/// says nothing to someone without the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("a token is required: send it as `Authorization: Bearer <token>`")]
    Missing,
    #[error("the token is malformed or its checksum does not match")]
    Malformed,
    #[error("the token is not valid")]
    Unknown,
    #[error("the token has been revoked")]
    Revoked,
    #[error("the token has been deactivated")]
    Deactivated,
    #[error("the token has expired")]
    Expired,
    /// The token is valid but may not be used from the caller's address.
    #[error("this token may not be used from your IP address")]
    IpNotAllowed,
}

impl TokenError {
    pub fn code(self) -> &'static str {
        match self {
            Self::Missing | Self::Malformed | Self::Unknown => "invalid_token",
            Self::Revoked => "token_revoked",
            Self::Deactivated => "token_deactivated",
            Self::Expired => "token_expired",
            Self::IpNotAllowed => "ip_not_allowed",
        }
    }

    /// A short label for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Unknown => "unknown",
            Self::Revoked => "revoked",
            Self::Deactivated => "deactivated",
            Self::Expired => "expired",
            Self::IpNotAllowed => "ip_not_allowed",
        }
    }
}

/// What went wrong underneath a 5xx: kept for the log, never shown. Shared,
/// so that one failed load can answer every request that waited for it.
#[derive(Clone)]
pub struct Cause(Arc<anyhow::Error>);

impl Cause {
    pub fn new(e: impl Into<anyhow::Error>) -> Self {
        Self(Arc::new(e.into()))
    }

    pub fn msg(message: &'static str) -> Self {
        Self(Arc::new(anyhow::Error::msg(message)))
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

/// One row of the errors table: a code of the JSON error body, its
/// status, what it means and what the caller should do.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode {
    pub code: &'static str,
    pub status: u16,
    pub meaning: &'static str,
    pub what_to_do: &'static str,
}

const fn row(code: &'static str, status: u16, meaning: &'static str, what_to_do: &'static str) -> ErrorCode {
    ErrorCode { code, status, meaning, what_to_do }
}

/// Every code an API error can carry (a test checks `AppError::code` and
/// `TokenError::code` give no other); `/docs/api` and the OpenAPI
/// document show this table.
pub const ERROR_CODES: &[ErrorCode] = &[
    row(
        "bad_request",
        400,
        "The request could not be read: malformed JSON, a bad query parameter or cursor.",
        "Fix the request as the message says; it changed nothing.",
    ),
    row(
        "unsupported_token_type",
        400,
        "RFC 7009: this kind of token is shared (an intake or public token), so no one holder may revoke it.",
        "Ask an admin to regenerate it or turn it off in the console.",
    ),
    row(
        "invalid_token",
        401,
        "No token, or one that is not a Keyward token or that Keyward does not know.",
        "Send `Authorization: Bearer kw_…` with a token as it was shown (check for a missing or extra character).",
    ),
    row("token_revoked", 401, "The token was revoked.", "Ask for a new token; a revoked token never works again."),
    row("token_deactivated", 401, "The token is switched off.", "Ask whoever manages it to switch it back on."),
    row("token_expired", 401, "The token is past its expiry date.", "Create or ask for a new token."),
    row(
        "ip_not_allowed",
        403,
        "The token has an IP allowlist and this address is not on it.",
        "Call from an allowed address, or change the token's allowlist.",
    ),
    row(
        "forbidden",
        403,
        "Your role or token may not do this.",
        "Use a token whose user has the role the endpoint names.",
    ),
    row(
        "insufficient_scope",
        403,
        "The token is of a kind, or lacks a permission (read, write), that this needs.",
        "Use a token of the kind the endpoint names.",
    ),
    row(
        "csrf_failed",
        403,
        "A console form came from elsewhere or expired (console only).",
        "Reload the page and try again.",
    ),
    row("not_found", 404, "Nothing here, or nothing this token may see.", "Check the path's ids and slugs."),
    row("method_not_allowed", 405, "The path exists, not with this method.", "Use a method the `Allow` header names."),
    row(
        "conflict",
        409,
        "It clashes with what exists (a slug taken, a status still in use).",
        "Change the request as the message says.",
    ),
    row("gone", 410, "It existed and is gone (an expired link or upload).", "Start again."),
    row("payload_too_large", 413, "The body is over the limit.", "Send less (the message gives the limit)."),
    row(
        "unsupported_media_type",
        415,
        "The body's content type is not one this endpoint reads.",
        "Send JSON with `Content-Type: application/json` (or the type the endpoint names).",
    ),
    row(
        "range_not_satisfiable",
        416,
        "A `Range` outside the file.",
        "Ask for a range within the size `Content-Range` gives.",
    ),
    row(
        "validation_failed",
        422,
        "The body was read but some fields are wrong; `fields` names each.",
        "Fix the fields named; nothing was changed.",
    ),
    row(
        "rate_limited",
        429,
        "Too many requests (the token's own limit or the sign-in throttle).",
        "Wait the seconds `Retry-After` gives, then retry.",
    ),
    row(
        "internal_error",
        500,
        "Something failed on Keyward's side; `error_id` finds it in the log.",
        "Retry later; report the `error_id` if it lasts.",
    ),
    row("unavailable", 503, "The database cannot be reached for a moment.", "Retry after a short wait."),
];

/// The schema of the error every failing operation answers (both
/// OpenAPI documents name it `Error`).
pub fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let codes: Vec<&str> = ERROR_CODES.iter().map(|e| e.code).collect();
    let detail = ObjectBuilder::new()
        .property("code", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(codes)))
        .required("code")
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .required("message")
        .property(
            "fields",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String)))
                .description(Some("validation_failed: a message per field")),
        )
        .property("error_id", ObjectBuilder::new().schema_type(Type::String));
    ObjectBuilder::new()
        .property("error", detail)
        .required("error")
        .description(Some("Every error: a code from the errors table, and a sentence to show."))
        .into()
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Not found, saying what was looked for.
    #[error("{0}")]
    NoSuch(String),
    #[error("{0}")]
    Gone(String),
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The console needs a signed-in user; `next` is where to return after.
    #[error("sign in required")]
    SignInRequired { next: String },
    #[error("{0}")]
    Forbidden(String),
    /// A token that may not do this (403 `insufficient_scope`).
    #[error("{0}")]
    InsufficientScope(String),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{}", summary(.0))]
    Validation(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    #[error("{}", match .limit { Some(l) => format!("the request body is larger than {l} bytes"), None => "the request body is too large".to_owned() })]
    PayloadTooLarge { limit: Option<usize> },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// RFC 7009: a token of a kind its holder may not revoke.
    #[error("{0}")]
    UnsupportedTokenType(String),
    /// A `Range` outside the file (the answer's `Content-Range` gives its size).
    #[error("the requested range is outside the file")]
    RangeNotSatisfiable,
    #[error("too many requests: try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    /// A token over its own rate limit: the `RateLimit-Policy` and
    /// `RateLimit` header values go with the answer.
    #[error("this token is over its rate limit ({policy}): try again in {retry_after} seconds")]
    TokenRateLimited { retry_after: u64, policy: String, state: String },
    #[error("the form has expired or did not come from Keyward (CSRF check failed): reload the page and try again")]
    Csrf,
    /// The database (or another dependency) cannot be reached: worth a retry.
    #[error("the service is temporarily unavailable: please retry in a moment")]
    Unavailable(Cause),
    #[error("internal error")]
    Internal(Cause),
}

fn summary(fields: &FieldErrors) -> String {
    let mut s = String::from("validation failed");
    for (i, (field, message)) in fields.iter().enumerate() {
        let _ = write!(s, "{} {field}: {message}", if i == 0 { ":" } else { ";" });
    }
    s
}

impl AppError {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(Cause::new(e))
    }

    pub fn unavailable(e: impl Into<anyhow::Error>) -> Self {
        Self::Unavailable(Cause::new(e))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    /// One field's validation message.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::from([(field.to_owned(), message.into())]))
    }

    /// The error an answer with this status stands for, when actix (not
    /// Keyward) produced it: a body limit, an unmatched method.
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            413 => Self::PayloadTooLarge { limit: None },
            415 => Self::UnsupportedMediaType("this content type is not accepted here".to_owned()),
            416 => Self::RangeNotSatisfiable,
            429 => Self::RateLimited { retry_after: 1 },
            503 => Self::Unavailable(Cause::msg("unavailable (answered by the HTTP layer)")),
            s if s >= 500 => Self::Internal(Cause::msg("failed in the HTTP layer")),
            _ => Self::BadRequest("the request could not be read".to_owned()),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound | Self::NoSuch(_) => StatusCode::NOT_FOUND,
            Self::Gone(_) => StatusCode::GONE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Token(TokenError::IpNotAllowed) => StatusCode::FORBIDDEN,
            Self::SignInRequired { .. } | Self::Token(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::InsufficientScope(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UnsupportedTokenType(_) => StatusCode::BAD_REQUEST,
            Self::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::RateLimited { .. } | Self::TokenRateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code of the JSON error body: the one table.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound | Self::NoSuch(_) => "not_found",
            Self::Gone(_) => "gone",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::SignInRequired { .. } => "invalid_token",
            Self::Token(t) => t.code(),
            Self::Forbidden(_) => "forbidden",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::Csrf => "csrf_failed",
            Self::BadRequest(_) => "bad_request",
            Self::Validation(_) => "validation_failed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::UnsupportedTokenType(_) => "unsupported_token_type",
            Self::RangeNotSatisfiable => "range_not_satisfiable",
            Self::RateLimited { .. } | Self::TokenRateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// What a client may be told. Causes stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "Something went wrong on our side. It has been logged.".to_owned(),
            other => other.to_string(),
        }
    }

    /// Logs a 5xx with its cause chain and the request id; returns the
    /// request id to show.
    fn log(&self) -> Option<String> {
        let request_id = crate::telemetry::request_id();
        match self {
            Self::Internal(cause) => {
                let request_id = request_id.unwrap_or_default();
                tracing::error!(request_id = %request_id, error = %cause, "request failed");
                Some(request_id)
            }
            Self::Unavailable(cause) => {
                tracing::warn!(request_id = request_id.as_deref().unwrap_or(""), error = %cause, "request failed: unavailable");
                request_id
            }
            _ => None,
        }
    }

    fn headers(&self, builder: &mut actix_web::HttpResponseBuilder) {
        if let Self::RateLimited { retry_after } = self {
            builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if let Self::TokenRateLimited { retry_after, policy, state } = self {
            builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            builder.insert_header(("RateLimit-Policy", policy.as_str()));
            builder.insert_header(("RateLimit", state.as_str()));
        }
        if let Self::Unavailable(_) = self {
            builder.insert_header((header::RETRY_AFTER, "1"));
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound,
            // The connection died under us (a restart, a failover): worth a
            // retry, and the pool replaces the connection.
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
                Self::unavailable(e)
            }
            other => Self::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(Cause::new(anyhow::Error::new(e).context("no database connection available")))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::internal(anyhow::Error::new(e).context("template rendering failed"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    error_id: Option<&'a str>,
    sign_in: bool,
}

/// The console rendering: a plain HTML page (or a redirect to sign in).
impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::SignInRequired { next } = self {
            let location = format!("/login?next={}", crate::http::urlencode(next));
            return HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish();
        }
        let error_id = self.log();
        let status = self.status();
        let message = self.public_message();
        let page = ErrorPage {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message: &message,
            error_id: error_id.as_deref().filter(|id| !id.is_empty()),
            sign_in: matches!(self, Self::Token(_)),
        };
        let mut builder = HttpResponse::build(status);
        self.headers(&mut builder);
        match page.render() {
            Ok(body) => builder
                .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")))
                .body(body),
            Err(_) => builder.body(message),
        }
    }
}

/// The API rendering of an [`AppError`]: `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a FieldErrors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_id: Option<String>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        let error_id = self.0.log().filter(|id| !id.is_empty());
        let mut builder = HttpResponse::build(self.0.status());
        self.0.headers(&mut builder);
        let unauthenticated = match &self.0 {
            AppError::Token(t) => *t != TokenError::IpNotAllowed,
            AppError::SignInRequired { .. } => true,
            _ => false,
        };
        if unauthenticated {
            builder.insert_header((
                header::WWW_AUTHENTICATE,
                format!("Bearer realm=\"keyward\", error=\"invalid_token\", error_description=\"{}\"", self.0),
            ));
        }
        if let AppError::InsufficientScope(_) = &self.0 {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"keyward\", error=\"insufficient_scope\""));
        }
        builder.json(ErrorBody {
            error: ErrorDetail {
                code: self.0.code(),
                message: self.0.public_message(),
                fields: match &self.0 {
                    AppError::Validation(fields) => Some(fields),
                    _ => None,
                },
                error_id,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_text_stays_out_of_the_message() {
        let e = AppError::from(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly at /var/run/postgresql/.s.PGSQL.5432".to_owned()),
        ));
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!e.public_message().contains("postgresql"), "{}", e.public_message());
        assert!(format!("{:?}", e).contains("server closed"), "the cause is kept for the log");
        let e = AppError::internal(anyhow::anyhow!("relation \"leads\" does not exist"));
        assert!(!e.public_message().contains("leads"));
    }

    #[test]
    fn statuses_actix_answers_go_through_the_one_code_table() {
        for (status, code) in
            [(404, "not_found"), (405, "method_not_allowed"), (413, "payload_too_large"), (500, "internal_error")]
        {
            let e = AppError::from_status(StatusCode::from_u16(status).unwrap());
            assert_eq!((e.status().as_u16(), e.code()), (status, code));
        }
    }

    #[test]
    fn every_code_is_in_the_errors_table_with_its_status() {
        let token = [
            TokenError::Missing,
            TokenError::Malformed,
            TokenError::Unknown,
            TokenError::Revoked,
            TokenError::Deactivated,
            TokenError::Expired,
            TokenError::IpNotAllowed,
        ];
        let mut errors: Vec<AppError> = token.into_iter().map(AppError::Token).collect();
        errors.extend([
            AppError::NotFound,
            AppError::NoSuch("x".into()),
            AppError::Gone("x".into()),
            AppError::MethodNotAllowed,
            AppError::SignInRequired { next: "/".into() },
            AppError::forbidden("x"),
            AppError::InsufficientScope("x".into()),
            AppError::Csrf,
            AppError::bad_request("x"),
            AppError::invalid("f", "x"),
            AppError::conflict("x"),
            AppError::PayloadTooLarge { limit: None },
            AppError::UnsupportedMediaType("x".into()),
            AppError::UnsupportedTokenType("x".into()),
            AppError::RangeNotSatisfiable,
            AppError::RateLimited { retry_after: 1 },
            AppError::TokenRateLimited { retry_after: 1, policy: String::new(), state: String::new() },
            AppError::unavailable(anyhow::anyhow!("x")),
            AppError::internal(anyhow::anyhow!("x")),
        ]);
        for e in &errors {
            let row = ERROR_CODES.iter().find(|r| r.code == e.code());
            assert_eq!(row.map(|r| r.status), Some(e.status().as_u16()), "{} in the errors table", e.code());
        }
        let used: std::collections::BTreeSet<&str> = errors.iter().map(|e| e.code()).collect();
        for r in ERROR_CODES {
            assert!(used.contains(r.code), "{} is in the table but no error has it", r.code);
        }
    }
}
