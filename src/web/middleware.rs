//! Middleware: the security headers of every response, and the console
//! guard, which gives each browser a CSRF cookie, refuses any state-changing
//! request without the matching form token or from another site (403,
//! before a handler runs), bounds form bodies (413), refuses a form field
//! PostgreSQL could not store (a NUL character: 400 naming the field), and
//! clears a flash message once shown.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{HttpMessage, web};
use futures_util::StreamExt as _;

use super::session::{CSRF_COOKIE, CsrfToken, FLASH_COOKIE, SESSION_COOKIE};
use crate::error::AppError;
use crate::services::Services;

/// Largest console form body.
pub const FORM_LIMIT: usize = 64 * 1024;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Headers every response carries.
pub fn security_headers(secure: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // same-origin, not no-referrer: with no-referrer, browsers send
        // `Origin: null` on our own form posts, and the console guard checks
        // Origin. Other sites still learn nothing (reset codes stay home).
        .add((header::REFERRER_POLICY, "same-origin"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"));
    if secure {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"))
    } else {
        headers
    }
}

/// The console's Content-Security-Policy and `X-Frame-Options: DENY` on
/// every answer, unless its handler set a policy of its own (the widget's
/// frame, which other sites may embed).
pub async fn frame_policy(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    Ok(res)
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

async fn read_limited(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, AppError> {
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::bad_request("the request body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge { limit: Some(limit) });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// The first form field whose value holds a NUL character.
fn field_with_nul(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (v.contains('\0') || k.contains('\0')).then_some(k.replace('\0', "")))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization())
}

/// Whether a state-changing request comes from Keyward's own pages, as far
/// as the browser says (`Origin`, else `Referer`): the second line behind
/// the CSRF token. A request that says nothing (some clients) is left to
/// the token.
fn same_site(req: &ServiceRequest, public_url: &str) -> bool {
    let claimed = match req.headers().get(header::ORIGIN) {
        Some(o) => o.to_str().ok().map(str::to_owned),
        None => match req.headers().get(header::REFERER) {
            Some(r) => r.to_str().ok().and_then(origin_of),
            None => return true,
        },
    };
    let Some(claimed) = claimed else { return false };
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    claimed == own || origin_of(public_url).is_some_and(|p| p == claimed)
}

pub async fn console_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<Services>>().cloned() else {
        return Ok(req
            .error_response(AppError::internal(anyhow::anyhow!("Services are not registered")))
            .map_into_right_body());
    };
    let existing = req.cookie(CSRF_COOKIE).map(|c| c.value().to_owned()).filter(|v| (32..=64).contains(&v.len()));
    let fresh = existing.is_none();
    let csrf_cookie = existing.unwrap_or_else(crate::crypto::random_url_token);
    let session = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    let binding = format!("{csrf_cookie}.{session}");
    req.extensions_mut().insert(CsrfToken(state.keys.csrf_token(binding.as_bytes())));

    if is_unsafe(req.method()) {
        let body = match read_limited(&mut req, FORM_LIMIT).await {
            Ok(body) => body,
            Err(e) => return Ok(req.error_response(e).map_into_right_body()),
        };
        let valid =
            !fresh && form_field(&body, "csrf_token").is_some_and(|t| state.keys.csrf_matches(binding.as_bytes(), &t));
        if !valid {
            tracing::warn!(path = %req.path(), "refused a console request without a valid CSRF token");
            return Ok(req.error_response(AppError::Csrf).map_into_right_body());
        }
        if !same_site(&req, &state.settings.public_url) {
            tracing::warn!(path = %req.path(), "refused a console request from another site (Origin/Referer)");
            return Ok(req.error_response(AppError::Csrf).map_into_right_body());
        }
        if let Some(field) = field_with_nul(&body) {
            let e = AppError::bad_request(format!(
                "The field `{field}` contains a NUL character, which Keyward cannot store: remove it and try again."
            ));
            return Ok(req.error_response(e).map_into_right_body());
        }
        req.set_payload(Payload::from(body));
    }

    let had_flash = req.cookie(FLASH_COOKIE).is_some();
    let mut res = next.call(req).await?;
    if fresh {
        let cookie = Cookie::build(CSRF_COOKIE, csrf_cookie)
            .path("/")
            .http_only(true)
            .secure(state.settings.secure_cookies)
            .same_site(SameSite::Strict)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    if had_flash && !res.response().cookies().any(|c| c.name() == FLASH_COOKIE) {
        let mut removal = Cookie::build(FLASH_COOKIE, "").path("/").finish();
        removal.make_removal();
        res.response_mut().add_cookie(&removal)?;
    }
    // Console pages may show a secret once: no cache keeps a copy.
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res.map_into_left_body())
}

/// A console error page for a signed-in user keeps the navigation and
/// offers the next step: the bare page `AppError` renders (which knows no
/// session) is rendered again inside the console's layout.
pub async fn console_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_left_body());
    }
    let Some(error) = res.response().error().and_then(|e| e.as_error::<AppError>()).cloned() else {
        return Ok(res.map_into_left_body());
    };
    let Some(user) = res.request().extensions().get::<super::session::CurrentUser>().cloned() else {
        return Ok(res.map_into_left_body());
    };
    let view = super::session::View::of(res.request());
    let title = status.canonical_reason().unwrap_or("Error");
    let layout = super::session::Layout::for_user(view, &user, title, "");
    let error_id = matches!(error, AppError::Internal(_)).then(crate::telemetry::request_id).flatten();
    let page = ConsoleErrorPage { layout, status: status.as_u16(), message: error.public_message(), error_id };
    let Ok(body) = askama::Template::render(&page) else {
        return Ok(res.map_into_left_body());
    };
    let (req, old) = res.into_parts();
    let mut new = actix_web::HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_LENGTH {
            new.append_header((name.clone(), value.clone()));
        }
    }
    new.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")));
    Ok(ServiceResponse::new(req, new.body(body)).map_into_right_body())
}

#[derive(askama::Template)]
#[template(path = "error_console.html")]
struct ConsoleErrorPage {
    layout: super::session::Layout,
    status: u16,
    message: String,
    error_id: Option<String>,
}
