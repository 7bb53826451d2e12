//! `/setup`: the first run, where the first super admin is created with the
//! one-time code printed at start.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::session::{client_ip, user_agent};
use super::{Flash, Layout, View, field_errors, redirect_with, render, render_status, see_other, session_cookie};
use crate::error::{AppError, FieldErrors};
use crate::services::accounts::{self, NewAccount};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    layout: Layout,
    form: SetupForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct SetupForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default, skip_serializing)]
    confirm: String,
}

async fn already_set_up(state: &AppState) -> Result<bool, AppError> {
    Ok(!state.db(accounts::setup_needed).await?)
}

pub async fn form(state: web::Data<AppState>, view: View) -> Result<HttpResponse, AppError> {
    if already_set_up(&state).await? {
        return Ok(see_other("/login"));
    }
    render(&SetupPage {
        layout: Layout::anonymous(view, "Set up Keyward"),
        form: SetupForm::default(),
        errors: FieldErrors::new(),
    })
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: View,
    web::Form(mut form): web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    if already_set_up(&state).await? {
        return Ok(see_other("/login"));
    }
    let account = NewAccount {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        password: SecretString::from(std::mem::take(&mut form.password)),
        confirm: SecretString::from(std::mem::take(&mut form.confirm)),
    };
    match accounts::complete_setup(&state, &form.code, account, Some(client_ip(&req)), user_agent(&req)).await {
        Ok(signed_in) => {
            let mut res = redirect_with(
                &state,
                "/",
                Flash::success(format!(
                    "Welcome, {}. Keyward is ready: invite your team from Users.",
                    signed_in.user.name()
                )),
            );
            res.add_cookie(&session_cookie(&state, signed_in.cookie)).map_err(AppError::internal)?;
            Ok(res)
        }
        Err(e) => {
            let errors = field_errors(e)?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SetupPage { layout: Layout::anonymous(view, "Set up Keyward"), form, errors },
            )
        }
    }
}
