//! The one error type. Services return `AppError`; console handlers let it
//! render as an HTML page, API handlers wrap it in [`ApiError`] to render the
//! JSON body of SPEC section 5. A 500 logs the whole cause chain under an
//! error id and shows only that id.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde::Serialize;

/// Per-field validation messages, in field order.
pub type FieldErrors = BTreeMap<String, String>;

/// Why a presented token was not accepted. Every variant is a 401; the code
/// tells a client what to do, and says nothing to someone without the token.
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
}

impl TokenError {
    pub fn code(self) -> &'static str {
        match self {
            Self::Missing | Self::Malformed | Self::Unknown => "invalid_token",
            Self::Revoked => "token_revoked",
            Self::Deactivated => "token_deactivated",
            Self::Expired => "token_expired",
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
        }
    }
}

#[derive(Debug, thiserror::Error)]
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
    /// A token that may not do this (SPEC: 403 `insufficient_scope`).
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
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("too many requests: try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    #[error("the form has expired or did not come from Keyward (CSRF check failed): reload the page and try again")]
    Csrf,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
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
        Self::Internal(e.into())
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

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound | Self::NoSuch(_) => StatusCode::NOT_FOUND,
            Self::Gone(_) => StatusCode::GONE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::SignInRequired { .. } | Self::Token(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::InsufficientScope(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code of the JSON error body.
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
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// What a client may be told. Internal causes stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "Something went wrong on our side. It has been logged.".to_owned(),
            other => other.to_string(),
        }
    }

    /// Logs a 500 with its cause chain and returns the id shown to the user.
    fn log(&self) -> Option<String> {
        let Self::Internal(e) = self else {
            return None;
        };
        let id = crate::tokens::random_base62(10);
        tracing::error!(error_id = %id, error = %format!("{e:#}"), "request failed");
        Some(id)
    }

    fn retry_after(&self, builder: &mut actix_web::HttpResponseBuilder) {
        if let Self::RateLimited { retry_after } = self {
            builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
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
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => Self::Unavailable(format!("the database connection was lost ({}); please retry", info.message())),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(format!("no database connection available ({e})"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("template rendering failed"))
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
            let location = format!("/login?next={}", crate::web::urlencode(next));
            return HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish();
        }
        let error_id = self.log();
        let status = self.status();
        let message = self.public_message();
        let page = ErrorPage {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message: &message,
            error_id: error_id.as_deref(),
            sign_in: matches!(self, Self::Token(_)),
        };
        let mut builder = HttpResponse::build(status);
        self.retry_after(&mut builder);
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
        let error_id = self.0.log();
        let mut builder = HttpResponse::build(self.0.status());
        self.0.retry_after(&mut builder);
        if let AppError::Token(_) | AppError::SignInRequired { .. } = &self.0 {
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
