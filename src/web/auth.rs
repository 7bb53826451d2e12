//! Signing in and out, and passwords by email: `/login`, `/logout`,
//! `/password/forgot`, `/password/reset/{code}` (also the invitation link).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::page::{field_errors, redirect_with, render, render_status, safe_next, see_other, session_cookie};
use super::session::{Console, Flash, Layout, SESSION_COOKIE, View};
use crate::domain::LinkPurpose;
use crate::error::{AppError, FieldErrors};
use crate::http::{client_ip, user_agent};
use crate::services::Services;
use crate::services::accounts::{self, SignInError};

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(
    req: HttpRequest,
    svc: web::Data<Services>,
    view: View,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if accounts::setup_needed(&svc).await? {
        return Ok(see_other("/setup"));
    }
    let next = safe_next(query.next.as_deref());
    // Already signed in: straight on.
    if let Some(cookie) = req.cookie(SESSION_COOKIE)
        && accounts::load_session(&svc, cookie.value()).await?.is_some()
    {
        return Ok(see_other(&next));
    }
    render(&LoginPage { layout: Layout::anonymous(view, "Sign in"), email: String::new(), next, error: None })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    req: HttpRequest,
    svc: web::Data<Services>,
    view: View,
    web::Form(form): web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(form.next.as_deref());
    let result =
        accounts::sign_in(&svc, &form.email, SecretString::from(form.password), client_ip(&req), user_agent(&req))
            .await;
    let (status, error, retry_after) = match result {
        Ok(signed_in) => {
            let mut res = see_other(&next);
            res.add_cookie(&session_cookie(&svc, signed_in.cookie)).map_err(AppError::internal)?;
            return Ok(res);
        }
        Err(SignInError::App(e)) => return Err(e),
        Err(e @ SignInError::Throttled(seconds)) => (StatusCode::TOO_MANY_REQUESTS, e.to_string(), Some(seconds)),
        Err(e @ SignInError::ApiUser(_)) => (StatusCode::FORBIDDEN, e.to_string(), None),
        Err(e) => (StatusCode::UNAUTHORIZED, e.to_string(), None),
    };
    let mut res = render_status(
        status,
        &LoginPage { layout: Layout::anonymous(view, "Sign in"), email: form.email, next, error: Some(error) },
    )?;
    if let Some(seconds) = retry_after
        && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Ok(res)
}

pub async fn logout(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    accounts::sign_out(&svc, console.user.actor(), console.user.session_id).await?;
    let mut res = redirect_with(&svc, "/login", Flash::success("You are signed out."));
    let mut removal = session_cookie(&svc, String::new());
    removal.make_removal();
    res.add_cookie(&removal).map_err(AppError::internal)?;
    Ok(res)
}

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    sent: bool,
}

pub async fn forgot_form(view: View) -> Result<HttpResponse, AppError> {
    render(&ForgotPage { layout: Layout::anonymous(view, "Forgot your password?"), email: String::new(), sent: false })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot(
    req: HttpRequest,
    svc: web::Data<Services>,
    view: View,
    web::Form(form): web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    accounts::request_reset(&svc, &form.email, Some(client_ip(&req))).await?;
    render(&ForgotPage { layout: Layout::anonymous(view, "Check your email"), email: form.email, sent: true })
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    layout: Layout,
    invitation: bool,
    email: String,
    errors: FieldErrors,
}

fn reset_page(view: View, purpose: LinkPurpose, email: String, errors: FieldErrors) -> ResetPage {
    let invitation = purpose == LinkPurpose::Invite;
    let title = if invitation { "Welcome to Keyward" } else { "Choose a new password" };
    ResetPage { layout: Layout::anonymous(view, title), invitation, email, errors }
}

pub async fn reset_form(
    svc: web::Data<Services>,
    view: View,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let info = accounts::inspect_link(&svc, code.into_inner()).await?;
    render(&reset_page(view, info.purpose, info.email, FieldErrors::new()))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn reset(
    req: HttpRequest,
    svc: web::Data<Services>,
    view: View,
    code: web::Path<String>,
    web::Form(form): web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    let info = accounts::inspect_link(&svc, code.clone()).await?;
    let result = accounts::use_link(
        &svc,
        code,
        SecretString::from(form.password),
        SecretString::from(form.confirm),
        Some(client_ip(&req)),
    )
    .await;
    match result {
        Ok(purpose) => {
            let message = match purpose {
                LinkPurpose::Invite => "Your password is set. Sign in to start.",
                LinkPurpose::Reset => "Your password has been changed. Sign in with the new one.",
            };
            Ok(redirect_with(&svc, "/login", Flash::success(message)))
        }
        Err(e) => {
            let errors = field_errors(e)?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &reset_page(view, info.purpose, info.email, errors))
        }
    }
}
