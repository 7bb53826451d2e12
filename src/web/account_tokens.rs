//! `/settings/account-tokens`: Account Settings › Tokens (seed 004, super
//! admins only): the one public token (generate, Show, Copy, reset, delete)
//! and private tokens, each assigned to a user, shown once at creation and
//! at reset.

use actix_web::http::StatusCode;
use actix_web::http::header::ACCEPT;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use serde_json::json;

use super::confirm::ConfirmPage;
use super::{Console, Flash, Layout, field_errors, redirect_with, render_status};
use crate::domain::Permission;
use crate::error::{AppError, FieldErrors};
use crate::models::{Token, User};
use crate::services::account_tokens::{self, PrivateRow};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "settings/account_tokens.html")]
struct Page {
    layout: Layout,
    public: Option<Token>,
    /// The public token, when this response shows it.
    public_value: Option<String>,
    private: Vec<PrivateRow>,
    users: Vec<User>,
    /// A private token just created or reset: (key, secret).
    created: Option<(String, String)>,
    form: PrivateForm,
    errors: FieldErrors,
    banner: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct PrivateForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    description: String,
}

#[derive(Default)]
struct Extras {
    public_value: Option<String>,
    created: Option<(String, String)>,
    form: PrivateForm,
    errors: FieldErrors,
    banner: Option<String>,
}

async fn page(
    state: &AppState,
    console: Console,
    status: StatusCode,
    extras: Extras,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageOrgTokens)?;
    let public = account_tokens::public_token(state).await?;
    let private = account_tokens::private_tokens(state).await?;
    let users = state
        .db(|conn| Ok(User::list(conn)?.into_iter().filter(|u| u.active && !u.pending()).collect::<Vec<_>>()))
        .await?;
    let (_, layout) = console.layout("Account Settings › Tokens", "settings");
    render_status(
        status,
        &Page {
            layout,
            public,
            public_value: extras.public_value,
            private,
            users,
            created: extras.created,
            form: extras.form,
            errors: extras.errors,
            banner: extras.banner,
        },
    )
}

pub async fn show(state: web::Data<AppState>, console: Console) -> Result<HttpResponse, AppError> {
    page(&state, console, StatusCode::OK, Extras::default()).await
}

/// Generate, or reset: the new public token is shown on the page.
pub async fn generate_public(state: web::Data<AppState>, console: Console) -> Result<HttpResponse, AppError> {
    let issued = account_tokens::generate_public(&state, console.user.actor()).await?;
    let banner = Some(format!(
        "Public token {} generated. Any earlier public token stopped working at once: update the widgets and services that use it.",
        issued.token.display_key()
    ));
    let extras = Extras { public_value: Some(issued.secret.expose_secret().to_owned()), banner, ..Extras::default() };
    page(&state, console, StatusCode::OK, extras).await
}

pub async fn show_public(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: Console,
) -> Result<HttpResponse, AppError> {
    let (_, secret) = account_tokens::show_public(&state, console.user.actor()).await?;
    if req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json")) {
        return Ok(HttpResponse::Ok().json(json!({"token": secret.expose_secret()})));
    }
    let extras = Extras { public_value: Some(secret.expose_secret().to_owned()), ..Extras::default() };
    page(&state, console, StatusCode::OK, extras).await
}

fn confirm(
    console: Console,
    heading: String,
    message: &str,
    action: String,
    button: &str,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageOrgTokens)?;
    let (_, layout) = console.layout(heading.clone(), "settings");
    ConfirmPage {
        layout,
        heading,
        message: message.into(),
        warning: Some("Resetting or deleting a token that is in use breaks the services that use it, at once.".into()),
        action,
        button: button.into(),
        cancel: "/settings/account-tokens".into(),
        reason: false,
    }
    .render()
}

pub async fn confirm_reset_public(console: Console) -> Result<HttpResponse, AppError> {
    confirm(
        console,
        "Reset the public token".into(),
        "A new public token replaces the current one.",
        "/settings/account-tokens/public/generate".into(),
        "Reset",
    )
}

pub async fn confirm_delete_public(console: Console) -> Result<HttpResponse, AppError> {
    confirm(
        console,
        "Delete the public token".into(),
        "The public token is deleted.",
        "/settings/account-tokens/public/delete".into(),
        "Delete",
    )
}

pub async fn delete_public(state: web::Data<AppState>, console: Console) -> Result<HttpResponse, AppError> {
    let token = account_tokens::delete_public(&state, console.user.actor()).await?;
    Ok(redirect_with(
        &state,
        "/settings/account-tokens",
        Flash::success(format!("Public token {} deleted.", token.display_key())),
    ))
}

pub async fn create_private(
    state: web::Data<AppState>,
    console: Console,
    web::Form(form): web::Form<PrivateForm>,
) -> Result<HttpResponse, AppError> {
    match account_tokens::create_private(&state, console.user.actor(), &form.user, &form.description).await {
        Ok(issued) => {
            let extras = Extras {
                created: Some((issued.token.display_key(), issued.secret.expose_secret().to_owned())),
                ..Extras::default()
            };
            page(&state, console, StatusCode::CREATED, extras).await
        }
        Err(e) => {
            let extras = Extras { errors: field_errors(e)?, form, ..Extras::default() };
            page(&state, console, StatusCode::UNPROCESSABLE_ENTITY, extras).await
        }
    }
}

pub async fn confirm_reset_private(console: Console, key: web::Path<String>) -> Result<HttpResponse, AppError> {
    let key = key.into_inner();
    confirm(
        console,
        format!("Reset private token {key}"),
        "A new value replaces this token; it is shown once.",
        format!("/settings/account-tokens/private/{key}/reset"),
        "Reset",
    )
}

pub async fn reset_private(
    state: web::Data<AppState>,
    console: Console,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let issued = account_tokens::reset_private(&state, console.user.actor(), key.into_inner()).await?;
    let extras = Extras {
        created: Some((issued.token.display_key(), issued.secret.expose_secret().to_owned())),
        ..Extras::default()
    };
    page(&state, console, StatusCode::OK, extras).await
}

pub async fn confirm_delete_private(console: Console, key: web::Path<String>) -> Result<HttpResponse, AppError> {
    let key = key.into_inner();
    confirm(
        console,
        format!("Delete private token {key}"),
        "The private token is deleted.",
        format!("/settings/account-tokens/private/{key}/delete"),
        "Delete",
    )
}

pub async fn delete_private(
    state: web::Data<AppState>,
    console: Console,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = account_tokens::delete_private(&state, console.user.actor(), key.into_inner()).await?;
    Ok(redirect_with(
        &state,
        "/settings/account-tokens",
        Flash::success(format!("Private token {} deleted.", token.display_key())),
    ))
}
