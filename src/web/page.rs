//! What every console screen uses to answer: rendering a page, redirecting
//! after a form (with a flash message), the session cookie, and reading
//! forms. A leaf: it imports no screen module.

use actix_web::HttpResponse;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header;
use askama::Template;

use super::session::{Flash, SESSION_COOKIE};
use crate::error::{AppError, FieldErrors};
use crate::services::Services;

/// Renders a page with 200.
pub fn render<T: Template>(page: &T) -> Result<HttpResponse, AppError> {
    render_status(StatusCode::OK, page)
}

pub fn render_status<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    let body = page.render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

/// 303 See Other: the answer to a form POST.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// 303 to `location`, with a message for the next page.
pub fn redirect_with(svc: &Services, location: &str, flash: Flash) -> HttpResponse {
    let mut res = see_other(location);
    let _ = res.add_cookie(&flash.cookie(&svc.keys));
    res
}

/// The session cookie for a new session id.
pub fn session_cookie(svc: &Services, value: String) -> Cookie<'static> {
    let max_age = time::Duration::try_from(svc.settings.session_absolute).unwrap_or(time::Duration::hours(12));
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(svc.settings.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .finish()
}

/// Where to go after signing in: only a path inside Keyward, never another
/// site (`//evil.example`, `/\evil.example`, `https://...`).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control() || c == '\\')
                && n.len() <= 2000 =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Field errors from a service error, or the error itself.
pub fn field_errors(e: AppError) -> Result<FieldErrors, AppError> {
    match e {
        AppError::Validation(fields) => Ok(fields),
        other => Err(other),
    }
}

/// A refusal the page can show as a message (a validation or a conflict)
/// becomes a redirect to `back` with it; anything else stays an error.
pub fn refused(svc: &Services, e: AppError, back: &str) -> Result<HttpResponse, AppError> {
    match e {
        AppError::Validation(fields) => {
            Ok(redirect_with(svc, back, Flash::error(fields.into_values().collect::<Vec<_>>().join(" "))))
        }
        AppError::Conflict(m) => Ok(redirect_with(svc, back, Flash::error(m))),
        other => Err(other),
    }
}

/// A checkbox: present (any value) means on.
pub fn checkbox(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The posted value of an on/off switch (`value` present means on).
#[derive(serde::Deserialize)]
pub struct SwitchForm {
    pub value: Option<String>,
}

impl SwitchForm {
    pub fn on(&self) -> bool {
        checkbox(&self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/users?x=1")), "/users?x=1");
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "evil", "/a\\b", "/\nx"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
