//! `/profile/tokens`: personal tokens. CREATE + asks for a
//! description; the Token Key and the Token are shown once; each row has an
//! activate/deactivate switch and Delete behind a confirmation.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::confirm::ConfirmPage;
use super::page::{SwitchForm, field_errors, redirect_with, render_status};
use super::reveal;
use super::session::{Console, CurrentUser, Flash, Layout};
use crate::domain::TokenStatus;
use crate::error::{AppError, FieldErrors};
use crate::services::delivery::destinations::{self, DestinationInfo};
use crate::services::{Services, TokenInfo, credentials::personal_tokens};

pub struct Row {
    pub id: i64,
    pub description: String,
    pub key: String,
    pub created: String,
    pub last_used: Option<String>,
    pub expires: Option<String>,
    pub status: TokenStatus,
}

impl Row {
    pub fn of(t: &TokenInfo, now: time::OffsetDateTime) -> Self {
        Self {
            id: t.id,
            description: t.name.clone(),
            key: t.display_key(),
            created: crate::clock::display(t.created_at),
            last_used: t.last_used_at.map(crate::clock::display),
            expires: t.expires_at.map(crate::clock::display_date),
            status: t.status(now),
        }
    }

    pub fn switchable(&self) -> bool {
        matches!(self.status, TokenStatus::Active | TokenStatus::Deactivated)
    }

    pub fn on(&self) -> bool {
        self.status == TokenStatus::Active
    }
}

/// A token just created, shown once.
pub struct Created {
    pub key: String,
    pub secret: SecretString,
}

#[derive(Template)]
#[template(path = "tokens/personal.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    /// Seed 002's second list: the tokens tied to the user's destinations.
    destinations: Vec<DestinationInfo>,
    manages_campaigns: bool,
    created: Option<Created>,
    form: NewForm,
    errors: FieldErrors,
    max_days: Option<i32>,
}

impl ListPage {
    fn secret(&self) -> &str {
        self.created.as_ref().map_or("", |c| c.secret.expose_secret())
    }
}

#[derive(Template)]
#[template(path = "tokens/personal_new.html")]
struct NewPage {
    layout: Layout,
    form: NewForm,
    errors: FieldErrors,
    max_days: Option<i32>,
}

#[derive(Deserialize, Default)]
pub struct NewForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    expires_in_days: String,
}

async fn list_page(
    svc: &Services,
    console: Console,
    status: StatusCode,
    created: Option<Created>,
) -> Result<HttpResponse, AppError> {
    let (user, layout) = console.layout("Personal tokens", "profile");
    let tokens = personal_tokens::list(svc, user.user.id).await?;
    let destinations = destinations::owned_by(svc, user.user.id).await?;
    let max_days = personal_tokens::policy(svc).await?;
    let now = svc.now();
    render_status(
        status,
        &ListPage {
            layout,
            rows: tokens.iter().map(|t| Row::of(t, now)).collect(),
            destinations,
            manages_campaigns: user.can(crate::domain::Permission::ManageCampaigns),
            created,
            form: NewForm::default(),
            errors: FieldErrors::new(),
            max_days,
        },
    )
}

pub async fn list(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    // A token just created (the POST redirected here), once.
    let created = reveal::take(&svc, &console.user, LIST).await?.map(|r| Created { key: r.key, secret: r.secret });
    list_page(&svc, console, StatusCode::OK, created).await
}

const LIST: &str = "/profile/tokens";

/// CREATE + without JavaScript: the description form as a page.
pub async fn new(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    let max_days = personal_tokens::policy(&svc).await?;
    let (_, layout) = console.layout("Create a personal token", "profile");
    render_status(StatusCode::OK, &NewPage { layout, form: NewForm::default(), errors: FieldErrors::new(), max_days })
}

pub async fn create(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<NewForm>,
) -> Result<HttpResponse, AppError> {
    let days = match form.expires_in_days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                let errors = FieldErrors::from([("expires_in_days".into(), "Enter a whole number of days.".into())]);
                return new_with_errors(&svc, console, form, errors).await;
            }
        },
    };
    let actor = console.user.actor();
    match personal_tokens::create(&svc, actor, console.user.user.id, &form.description, days).await {
        Ok(new) => {
            let key = new.token.display_key();
            reveal::redirect(&svc, &console.user, LIST, key, new.secret, String::new()).await
        }
        Err(e) => {
            let errors = field_errors(e)?;
            new_with_errors(&svc, console, form, errors).await
        }
    }
}

async fn new_with_errors(
    svc: &Services,
    console: Console,
    form: NewForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let max_days = personal_tokens::policy(svc).await?;
    let (_, layout) = console.layout("Create a personal token", "profile");
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &NewPage { layout, form, errors, max_days })
}

pub async fn set_active(
    svc: web::Data<Services>,
    user: CurrentUser,
    id: web::Path<i64>,
    web::Form(form): web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    let active = form.on();
    let token = personal_tokens::set_active(&svc, user.actor(), id.into_inner(), active).await?;
    let message = if token.active {
        format!("Token {} is active again.", token.display_key())
    } else {
        format!("Token {} is deactivated: requests using it are refused until you activate it.", token.display_key())
    };
    Ok(redirect_with(&svc, "/profile/tokens", Flash::success(message)))
}

pub async fn confirm_delete(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let token = personal_tokens::get(&svc, &console.user.actor(), id).await?;
    let (_, layout) = console.layout("Delete token", "profile");
    ConfirmPage {
        layout,
        heading: format!("Delete token {}", token.display_key()),
        message: format!("“{}” will be deleted, and requests using it refused at once.", token.name),
        warning: Some("Deleting a token cannot be undone.".into()),
        action: format!("/profile/tokens/{id}/delete"),
        button: "Delete".into(),
        cancel: "/profile/tokens".into(),
        reason: false,
        grace: None,
        hidden: Vec::new(),
    }
    .render()
}

pub async fn delete(svc: web::Data<Services>, user: CurrentUser, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let token = personal_tokens::delete(&svc, user.actor(), id.into_inner()).await?;
    Ok(redirect_with(&svc, "/profile/tokens", Flash::success(format!("Token {} deleted.", token.display_key()))))
}
