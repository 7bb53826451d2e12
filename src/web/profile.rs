//! `/profile`: Edit Profile — name and password.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::{Console, Flash, Layout, field_errors, redirect_with, render_status, session_cookie};
use crate::error::{AppError, FieldErrors};
use crate::services::accounts;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "profile/show.html")]
struct ProfilePage {
    layout: Layout,
    email: String,
    display_name: String,
    role: &'static str,
    errors: FieldErrors,
}

async fn page(
    console: Console,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (user, layout) = console.layout("Edit Profile", "profile");
    render_status(
        status,
        &ProfilePage {
            layout,
            email: user.user.email.clone(),
            display_name: user.user.display_name.clone(),
            role: user.user.role.label(),
            errors,
        },
    )
}

pub async fn show(console: Console) -> Result<HttpResponse, AppError> {
    page(console, StatusCode::OK, FieldErrors::new()).await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
}

pub async fn update(
    state: web::Data<AppState>,
    console: Console,
    web::Form(form): web::Form<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    match accounts::update_profile(&state, console.user.actor(), form.display_name).await {
        Ok(()) => Ok(redirect_with(
            &state,
            "/profile",
            Flash::success("Profile saved."),
        )),
        Err(e) => page(console, StatusCode::UNPROCESSABLE_ENTITY, field_errors(e)?).await,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    state: web::Data<AppState>,
    console: Console,
    web::Form(form): web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let result = accounts::change_password(
        &state,
        console.user.actor(),
        console.user.user_agent.clone(),
        SecretString::from(form.current),
        SecretString::from(form.password),
        SecretString::from(form.confirm),
    )
    .await;
    match result {
        Ok(cookie) => {
            let mut res = redirect_with(
                &state,
                "/profile",
                Flash::success("Password changed. Your other sessions have been signed out."),
            );
            res.add_cookie(&session_cookie(&state, cookie))
                .map_err(AppError::internal)?;
            Ok(res)
        }
        Err(e) => page(console, StatusCode::UNPROCESSABLE_ENTITY, field_errors(e)?).await,
    }
}
