//! `/settings/account-tokens`: Account Settings › Tokens (super
//! admins only): the one public token (generate, Show, Copy, reset, delete)
//! and private tokens, each assigned to a user, shown once at creation and
//! at reset.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::confirm::ConfirmPage;
use super::grace::GraceForm;
use super::page::{field_errors, redirect_with, render_status};
use super::reveal;
use super::session::{Console, Flash, Layout};
use crate::domain::Permission;
use crate::error::{AppError, FieldErrors};
use crate::http::wants_json;
use crate::services::accounts::UserInfo;
use crate::services::campaigns::catalog::Campaign;
use crate::services::credentials::account_tokens::{self, PrivateRow};
use crate::services::{NewToken, Services, TokenInfo, campaigns};

#[derive(Template)]
#[template(path = "settings/account_tokens.html")]
struct Page {
    layout: Layout,
    public: Option<TokenInfo>,
    /// The public token, when this response shows it.
    public_value: Option<SecretString>,
    private: Vec<PrivateRow>,
    users: Vec<UserInfo>,
    /// A private token just created or reset: (key, secret).
    created: Option<(String, SecretString)>,
    form: PrivateForm,
    errors: FieldErrors,
    banner: Option<String>,
    /// The widget snippet's campaigns, and the one it shows.
    campaigns: Vec<Campaign>,
    widget: Option<Campaign>,
    base_url: String,
}

impl Page {
    /// The `<script>` to paste into a page, with the public token when
    /// this answer shows it.
    fn snippet(&self) -> String {
        let Some(c) = &self.widget else { return String::new() };
        let token = self.public_secret().unwrap_or("PASTE_THE_PUBLIC_TOKEN");
        format!(
            "<script src=\"{}/widget.js\" async data-campaign=\"{}\" data-token=\"{token}\" data-label=\"people signed up\"></script>",
            self.base_url, c.slug
        )
    }

    fn public_secret(&self) -> Option<&str> {
        self.public_value.as_ref().map(|s| s.expose_secret())
    }

    fn created_secret(&self) -> Option<(&str, &str)> {
        self.created.as_ref().map(|(key, s)| (key.as_str(), s.expose_secret()))
    }
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
    /// The campaign the widget snippet is for (`?widget=`).
    widget: Option<String>,
    public_value: Option<SecretString>,
    created: Option<(String, SecretString)>,
    form: PrivateForm,
    errors: FieldErrors,
    banner: Option<String>,
}

async fn page(svc: &Services, console: Console, status: StatusCode, extras: Extras) -> Result<HttpResponse, AppError> {
    let actor = console.user.actor();
    let overview = account_tokens::overview(svc, &actor).await?;
    let campaigns: Vec<Campaign> =
        campaigns::list(svc, &actor).await?.into_iter().filter(|c| c.archived_at.is_none()).collect();
    let widget = match &extras.widget {
        Some(w) => campaigns.iter().find(|c| &c.slug == w).or(campaigns.first()).cloned(),
        None => campaigns.first().cloned(),
    };
    let (_, layout) = console.layout("Account Settings › Tokens", "settings");
    render_status(
        status,
        &Page {
            layout,
            public: overview.public,
            public_value: extras.public_value,
            private: overview.private,
            users: overview.assignable,
            created: extras.created,
            form: extras.form,
            errors: extras.errors,
            banner: extras.banner,
            campaigns,
            widget,
            base_url: svc.settings.public_url.clone(),
        },
    )
}

#[derive(Deserialize)]
pub struct WidgetChoice {
    widget: Option<String>,
}

pub async fn show(
    svc: web::Data<Services>,
    console: Console,
    choice: web::Query<WidgetChoice>,
) -> Result<HttpResponse, AppError> {
    let mut extras = Extras { widget: choice.into_inner().widget, ..Extras::default() };
    // A token Generate, Create or Reset just made (the POST redirected
    // here), shown once.
    if let Some(r) = reveal::take(&svc, &console.user, PAGE).await? {
        extras.banner = Some(r.message).filter(|m| !m.is_empty());
        if r.key.starts_with(crate::domain::TokenKind::AccountPublic.prefix()) {
            extras.public_value = Some(r.secret);
        } else {
            extras.created = Some((r.key, r.secret));
        }
    }
    page(&svc, console, StatusCode::OK, extras).await
}

const PAGE: &str = "/settings/account-tokens";

/// Generate, or reset: the new public token is shown on the page.
pub async fn generate_public(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    let new = account_tokens::generate_public(&svc, console.user.actor()).await?;
    let key = new.token.display_key();
    let banner = format!(
        "Public token {key} generated. Any earlier public token stopped working at once: update the widgets and services that use it."
    );
    reveal::redirect(&svc, &console.user, PAGE, key, new.secret, banner).await
}

pub async fn show_public(
    req: HttpRequest,
    svc: web::Data<Services>,
    console: Console,
) -> Result<HttpResponse, AppError> {
    let (_, secret) = account_tokens::show_public(&svc, console.user.actor()).await?;
    if wants_json(&req) {
        return Ok(HttpResponse::Ok().json(json!({"token": secret.expose_secret()})));
    }
    let extras = Extras { public_value: Some(secret), ..Extras::default() };
    page(&svc, console, StatusCode::OK, extras).await
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
        grace: None,
        hidden: Vec::new(),
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

pub async fn delete_public(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    let token = account_tokens::delete_public(&svc, console.user.actor()).await?;
    Ok(redirect_with(
        &svc,
        "/settings/account-tokens",
        Flash::success(format!("Public token {} deleted.", token.display_key())),
    ))
}

pub async fn create_private(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<PrivateForm>,
) -> Result<HttpResponse, AppError> {
    match account_tokens::create_private(&svc, console.user.actor(), &form.user, &form.description).await {
        Ok(new) => {
            let (key, secret) = created(new);
            reveal::redirect(&svc, &console.user, PAGE, key, secret, String::new()).await
        }
        Err(e) => {
            let extras = Extras { errors: field_errors(e)?, form, ..Extras::default() };
            page(&svc, console, StatusCode::UNPROCESSABLE_ENTITY, extras).await
        }
    }
}

pub async fn confirm_reset_private(console: Console, key: web::Path<String>) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageOrgTokens)?;
    let key = key.into_inner();
    let heading = format!("Reset private token {key}");
    let (_, layout) = console.layout(heading.clone(), "settings");
    ConfirmPage {
        layout,
        heading,
        message: "A new value replaces this token; it is shown once.".into(),
        warning: Some(
            "Once the grace period you choose is over (at once, by default), services using the old value break."
                .into(),
        ),
        action: format!("/settings/account-tokens/private/{key}/reset"),
        button: "Reset".into(),
        cancel: "/settings/account-tokens".into(),
        reason: false,
        grace: Some("private".into()),
        hidden: Vec::new(),
    }
    .render()
}

pub async fn reset_private(
    svc: web::Data<Services>,
    console: Console,
    key: web::Path<String>,
    web::Form(form): web::Form<GraceForm>,
) -> Result<HttpResponse, AppError> {
    let old = key.into_inner();
    let (new, until) = account_tokens::reset_private(&svc, console.user.actor(), old.clone(), form.duration()?).await?;
    let (key, secret) = created(new);
    let message = format!("{key} replaces {old}. {}", super::grace::outcome(until));
    reveal::redirect(&svc, &console.user, PAGE, key, secret, message).await
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
    svc: web::Data<Services>,
    console: Console,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = account_tokens::delete_private(&svc, console.user.actor(), key.into_inner()).await?;
    Ok(redirect_with(
        &svc,
        "/settings/account-tokens",
        Flash::success(format!("Private token {} deleted.", token.display_key())),
    ))
}

fn created(new: NewToken) -> (String, SecretString) {
    (new.token.display_key(), new.secret)
}
