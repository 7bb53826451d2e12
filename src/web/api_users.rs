//! `/users/api/{id}`: an API user's page. Its role, owner and
//! state; its tokens with their last use; Issue a token (shown once) and
//! Revoke (behind a confirmation). The list and the create form are on
//! `/users`, apart from the people.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::ExposeSecret as _;
use serde::Deserialize;

use super::confirm::ConfirmPage;
use super::page::{field_errors, redirect_with, render_status};
use super::personal_tokens::{Created, Row};
use super::session::{Console, Flash, Layout};
use crate::domain::Role;
use crate::error::{AppError, FieldErrors};
use crate::services::Services;
use crate::services::users::api_users::{self, ApiUserInfo, NewApiUser};

#[derive(Template)]
#[template(path = "users/api_user.html")]
struct ApiUserPage {
    layout: Layout,
    user: ApiUserInfo,
    last_used: Option<String>,
    rows: Vec<Row>,
    roles: &'static [Role],
    created: Option<Created>,
    form: TokenForm,
    errors: FieldErrors,
}

impl ApiUserPage {
    fn secret(&self) -> &str {
        self.created.as_ref().map_or("", |c| c.secret.expose_secret())
    }
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    expires_in_days: String,
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    owner: String,
}

async fn page(
    svc: &Services,
    console: Console,
    id: i64,
    status: StatusCode,
    created: Option<Created>,
    form: TokenForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (user, tokens) = api_users::get(svc, &console.user.actor(), id).await?;
    let now = svc.now();
    let (_, layout) = console.layout(format!("API user {}", user.name), "users");
    render_status(
        status,
        &ApiUserPage {
            layout,
            last_used: user.last_used_at.map(crate::clock::display),
            user,
            rows: tokens.iter().map(|t| Row::of(t, now)).collect(),
            roles: Role::ALL,
            created,
            form,
            errors,
        },
    )
}

pub async fn show(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    page(&svc, console, id.into_inner(), StatusCode::OK, None, TokenForm::default(), FieldErrors::new()).await
}

/// The form on `/users`; errors come back there.
pub async fn create(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let role = match form.role.parse::<Role>() {
        Ok(role) => Some(role),
        Err(_) if form.role.is_empty() => None,
        Err(_) => {
            let errors = FieldErrors::from([("role".to_owned(), "Choose a role.".to_owned())]);
            return super::users::page_with_api_user_errors(&svc, console, form.name, form.owner, errors).await;
        }
    };
    let input = NewApiUser { name: form.name.clone(), role, owner: Some(form.owner.clone()) };
    match api_users::create(&svc, console.user.actor(), input).await {
        Ok(user) => Ok(redirect_with(
            &svc,
            &format!("/users/api/{}", user.id),
            Flash::success(format!("API user {} created. Issue it a token to use the API.", user.name)),
        )),
        Err(e) => {
            let errors = field_errors(e)?;
            super::users::page_with_api_user_errors(&svc, console, form.name, form.owner, errors).await
        }
    }
}

pub async fn issue_token(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let days = match form.expires_in_days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                let errors = FieldErrors::from([("expires_in_days".into(), "Enter a whole number of days.".into())]);
                return page(&svc, console, id, StatusCode::UNPROCESSABLE_ENTITY, None, form, errors).await;
            }
        },
    };
    match api_users::issue_token(&svc, console.user.actor(), id, &form.description, days).await {
        Ok(new) => {
            let created = Created { key: new.token.display_key(), secret: new.secret };
            page(&svc, console, id, StatusCode::CREATED, Some(created), TokenForm::default(), FieldErrors::new()).await
        }
        Err(e) => {
            let errors = field_errors(e)?;
            page(&svc, console, id, StatusCode::UNPROCESSABLE_ENTITY, None, form, errors).await
        }
    }
}

pub async fn confirm_revoke(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, token_id) = path.into_inner();
    let (user, tokens) = api_users::get(&svc, &console.user.actor(), id).await?;
    let token = tokens.into_iter().find(|t| t.id == token_id).ok_or(AppError::NotFound)?;
    let (_, layout) = console.layout("Revoke token", "users");
    ConfirmPage {
        layout,
        heading: format!("Revoke token {}", token.display_key()),
        message: format!(
            "“{}” of API user {} will be revoked, and requests using it refused at once.",
            token.name, user.name
        ),
        warning: Some("A revoked token cannot be used again.".into()),
        action: format!("/users/api/{id}/tokens/{token_id}/revoke"),
        button: "Revoke".into(),
        cancel: format!("/users/api/{id}"),
        reason: false,
        grace: None,
        hidden: Vec::new(),
    }
    .render()
}

pub async fn revoke(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, token_id) = path.into_inner();
    let token = api_users::revoke_token(&svc, console.user.actor(), id, token_id).await?;
    Ok(redirect_with(
        &svc,
        &format!("/users/api/{id}"),
        Flash::success(format!("Token {} revoked: requests using it are refused.", token.display_key())),
    ))
}
