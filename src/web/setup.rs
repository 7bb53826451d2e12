//! `/setup`: the first run, where the first super admin is created with the
//! one-time code printed at start.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::page::{field_errors, redirect_with, render, render_status, see_other, session_cookie};
use super::session::{Flash, Layout, View};
use crate::error::{AppError, FieldErrors};
use crate::http::{client_ip, user_agent};
use crate::services::Services;
use crate::services::accounts::{self, NewAccount};

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

async fn already_set_up(svc: &Services) -> Result<bool, AppError> {
    Ok(!accounts::setup_needed(svc).await?)
}

pub async fn form(svc: web::Data<Services>, view: View) -> Result<HttpResponse, AppError> {
    if already_set_up(&svc).await? {
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
    svc: web::Data<Services>,
    view: View,
    web::Form(mut form): web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    if already_set_up(&svc).await? {
        return Ok(see_other("/login"));
    }
    let account = NewAccount {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        password: SecretString::from(std::mem::take(&mut form.password)),
        confirm: SecretString::from(std::mem::take(&mut form.confirm)),
    };
    match accounts::complete_setup(&svc, &form.code, account, Some(client_ip(&req)), user_agent(&req)).await {
        Ok(signed_in) => {
            let mut res = redirect_with(
                &svc,
                "/",
                Flash::success(format!(
                    "Welcome, {}. Keyward is ready: invite your team from Users.",
                    signed_in.user.name()
                )),
            );
            res.add_cookie(&session_cookie(&svc, signed_in.cookie)).map_err(AppError::internal)?;
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
