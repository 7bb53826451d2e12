//! The server-rendered console: one module per screen area, each with its
//! handlers, form structs and askama page structs. Handlers parse, call a
//! service, and render; the rules live in `services`.

pub mod account_tokens;
pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod confirm;
pub mod dashboard;
pub mod docs;
pub mod filters;
pub mod levels;
pub mod middleware;
pub mod org_tokens;
pub mod outbox;
pub mod personal_tokens;
pub mod profile;
pub mod session;
pub mod settings;
pub mod setup;
pub mod support;
pub mod users;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;

pub use session::{Console, CurrentUser, Flash, Layout, View};

use crate::error::{AppError, FieldErrors};
use crate::state::AppState;

/// The console routes. Mounted last, under the console guard.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(dashboard::show))
        .route("/setup", web::get().to(setup::form))
        .route("/setup", web::post().to(setup::submit))
        .route("/login", web::get().to(auth::login_form))
        .route("/login", web::post().to(auth::login))
        .route("/logout", web::post().to(auth::logout))
        .route("/password/forgot", web::get().to(auth::forgot_form))
        .route("/password/forgot", web::post().to(auth::forgot))
        .route("/password/reset/{code}", web::get().to(auth::reset_form))
        .route("/password/reset/{code}", web::post().to(auth::reset))
        .route("/profile", web::get().to(profile::show))
        .route("/profile", web::post().to(profile::update))
        .route("/profile/password", web::post().to(profile::change_password))
        .route("/profile/api-token", web::post().to(profile::generate_api_token))
        .route("/profile/api-token/revoke", web::get().to(profile::confirm_revoke_api_token))
        .route("/profile/api-token/revoke", web::post().to(profile::revoke_api_token))
        .route("/profile/tokens", web::get().to(personal_tokens::list))
        .route("/profile/tokens", web::post().to(personal_tokens::create))
        .route("/profile/tokens/new", web::get().to(personal_tokens::new))
        .route("/profile/tokens/{id}/active", web::post().to(personal_tokens::set_active))
        .route("/profile/tokens/{id}/delete", web::get().to(personal_tokens::confirm_delete))
        .route("/profile/tokens/{id}/delete", web::post().to(personal_tokens::delete))
        .route("/settings", web::get().to(|| async { see_other("/settings/tokens") }))
        .route("/settings/tokens", web::get().to(org_tokens::show))
        .route("/settings/tokens/global/regenerate", web::get().to(levels::global_confirm))
        .route("/settings/tokens/global/{action}", web::post().to(levels::global_action))
        .route("/campaigns", web::get().to(campaigns::list))
        .route("/campaigns", web::post().to(campaigns::create))
        .route("/campaigns/{id}", web::get().to(campaigns::show))
        .route("/campaigns/{id}", web::post().to(campaigns::update))
        .route("/campaigns/{id}/archive", web::post().to(campaigns::archive))
        .route("/campaigns/{id}/settings/tokens", web::get().to(campaigns::tokens))
        .route("/campaigns/{id}/settings/tokens/regenerate", web::get().to(levels::campaign_confirm))
        .route("/campaigns/{id}/settings/tokens/{action}", web::post().to(levels::campaign_action))
        .route("/campaigns/{id}/sources", web::get().to(campaigns::sources))
        .route("/campaigns/{id}/sources", web::post().to(campaigns::create_source))
        .route("/campaigns/{id}/sources/{sid}", web::get().to(campaigns::source))
        .route("/campaigns/{id}/sources/{sid}", web::post().to(campaigns::update_source))
        .route("/campaigns/{id}/sources/{sid}/tokens", web::get().to(campaigns::source_tokens))
        .route("/campaigns/{id}/sources/{sid}/tokens/{method}/regenerate", web::get().to(levels::source_confirm))
        .route("/campaigns/{id}/sources/{sid}/tokens/{method}/{action}", web::post().to(levels::source_action))
        .route("/campaigns/{id}/fields", web::get().to(campaigns::fields))
        .route("/campaigns/{id}/fields", web::post().to(campaigns::create_field))
        .route("/campaigns/{id}/fields/{fid}", web::post().to(campaigns::update_field))
        .route("/campaigns/{id}/fields/{fid}/delete", web::get().to(campaigns::confirm_delete_field))
        .route("/campaigns/{id}/fields/{fid}/delete", web::post().to(campaigns::delete_field))
        .route("/campaigns/{id}/selects", web::get().to(campaigns::selects))
        .route("/campaigns/{id}/selects", web::post().to(campaigns::create_select))
        .route("/campaigns/{id}/selects/{sel}/delete", web::get().to(campaigns::confirm_delete_select))
        .route("/campaigns/{id}/selects/{sel}/delete", web::post().to(campaigns::delete_select))
        .route("/campaigns/{id}/selects/{sel}/options", web::post().to(campaigns::add_option))
        .route("/campaigns/{id}/selects/{sel}/options/{oid}/delete", web::get().to(campaigns::confirm_delete_option))
        .route("/campaigns/{id}/selects/{sel}/options/{oid}/delete", web::post().to(campaigns::delete_option))
        .route("/campaigns/{id}/statuses", web::get().to(campaigns::statuses))
        .route("/campaigns/{id}/statuses", web::post().to(campaigns::create_status))
        .route("/campaigns/{id}/statuses/{stid}/default", web::post().to(campaigns::default_status))
        .route("/campaigns/{id}/statuses/{stid}/delete", web::get().to(campaigns::confirm_delete_status))
        .route("/campaigns/{id}/statuses/{stid}/delete", web::post().to(campaigns::delete_status))
        .route("/campaigns/{id}/filters", web::get().to(filters::list))
        .route("/campaigns/{id}/filters", web::post().to(filters::create))
        .route("/campaigns/{id}/filters/{fid}", web::get().to(filters::edit))
        .route("/campaigns/{id}/filters/{fid}", web::post().to(filters::update))
        .route("/campaigns/{id}/filters/{fid}/delete", web::get().to(filters::confirm_delete))
        .route("/campaigns/{id}/filters/{fid}/delete", web::post().to(filters::delete))
        .route("/campaigns/{id}/api/tokens", web::get().to(api_tokens::list))
        .route("/campaigns/{id}/api/tokens", web::post().to(api_tokens::create))
        .route("/campaigns/{id}/api/tokens/{tid}/show", web::post().to(api_tokens::show))
        .route("/campaigns/{id}/api/tokens/{tid}/edit", web::get().to(api_tokens::edit))
        .route("/campaigns/{id}/api/tokens/{tid}/edit", web::post().to(api_tokens::update))
        .route("/campaigns/{id}/api/tokens/{tid}/revoke", web::get().to(api_tokens::confirm_revoke))
        .route("/campaigns/{id}/api/tokens/{tid}/revoke", web::post().to(api_tokens::revoke))
        .route("/docs/c/{public_id}", web::get().to(docs::page))
        .route("/docs/c/{public_id}/openapi.json", web::get().to(docs::openapi))
        .route("/settings/account-tokens", web::get().to(account_tokens::show))
        .route("/settings/account-tokens/public/generate", web::get().to(account_tokens::confirm_reset_public))
        .route("/settings/account-tokens/public/generate", web::post().to(account_tokens::generate_public))
        .route("/settings/account-tokens/public/show", web::post().to(account_tokens::show_public))
        .route("/settings/account-tokens/public/delete", web::get().to(account_tokens::confirm_delete_public))
        .route("/settings/account-tokens/public/delete", web::post().to(account_tokens::delete_public))
        .route("/settings/account-tokens/private", web::post().to(account_tokens::create_private))
        .route("/settings/account-tokens/private/{key}/reset", web::get().to(account_tokens::confirm_reset_private))
        .route("/settings/account-tokens/private/{key}/reset", web::post().to(account_tokens::reset_private))
        .route("/settings/account-tokens/private/{key}/delete", web::get().to(account_tokens::confirm_delete_private))
        .route("/settings/account-tokens/private/{key}/delete", web::post().to(account_tokens::delete_private))
        .route("/support", web::get().to(|| async { see_other("/support/tokens") }))
        .route("/support/tokens", web::get().to(support::list))
        .route("/support/tokens/check", web::post().to(support::check))
        .route("/support/tokens/{id}/revoke", web::get().to(support::confirm_revoke))
        .route("/support/tokens/{id}/revoke", web::post().to(support::revoke))
        .route("/support/tokens/{id}/deactivate", web::get().to(support::confirm_deactivate))
        .route("/support/tokens/{id}/deactivate", web::post().to(support::deactivate))
        .route("/support/tokens/{id}/reactivate", web::post().to(support::reactivate))
        .route("/support/users/revoke", web::get().to(support::confirm_user_revoke))
        .route("/support/users/revoke", web::post().to(support::user_revoke))
        .route("/settings/token-policy", web::get().to(settings::policy))
        .route("/settings/token-policy", web::post().to(settings::save_policy))
        .route("/users", web::get().to(users::list))
        .route("/users", web::post().to(users::invite))
        .route("/users/{id}/role", web::post().to(users::change_role))
        .route("/users/{id}/active", web::post().to(users::set_active))
        .route("/users/{id}/api-token-allowed", web::post().to(users::set_api_token_allowed))
        .route("/users/{id}/invitation", web::post().to(users::resend_invitation))
        .route("/audit", web::get().to(audit::list))
        .route("/audit.csv", web::get().to(audit::csv))
        .route("/dev/outbox", web::get().to(outbox::list))
        .route("/dev/outbox/{name}", web::get().to(outbox::show));
}

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
pub fn redirect_with(state: &AppState, location: &str, flash: Flash) -> HttpResponse {
    let mut res = see_other(location);
    let _ = res.add_cookie(&flash.cookie(&state.keys));
    res
}

/// The session cookie for a new session id.
pub fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    let max_age = time::Duration::try_from(state.settings.session_absolute).unwrap_or(time::Duration::hours(12));
    Cookie::build(session::SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .finish()
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
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

/// A checkbox: present (any value) means on.
pub fn checkbox(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
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
