//! `/campaigns/{id}/api/tokens`: API documentation › API Tokens.
//! New API token with a name, Read and Write, and an optional
//! campaign filter; per row Show (audit-logged), the link icon with the
//! public documentation URL, Edit (permissions and filter), and Revoke
//! behind a confirmation.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::header::{Header, require};
use crate::domain::TokenStatus;
use crate::error::{AppError, FieldErrors};
use crate::http::wants_json;
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::credentials::api_tokens::{self, ApiTokenAccess, NewApiToken};
use crate::services::{Services, campaigns};
use crate::web::confirm::ConfirmPage;
use crate::web::page::{checkbox, field_errors, redirect_with, render_status};
use crate::web::session::{Console, Flash, Layout};

pub struct Row {
    pub id: i64,
    pub name: String,
    pub key: String,
    pub read: bool,
    pub write: bool,
    pub filter: Option<String>,
    pub created_by: String,
    pub created: String,
    pub last_used: Option<String>,
    pub status: TokenStatus,
    pub docs_url: String,
    /// The token, when this response reveals it (Show or just created).
    pub revealed: Option<SecretString>,
}

impl Row {
    pub fn secret(&self) -> Option<&str> {
        self.revealed.as_ref().map(|s| s.expose_secret())
    }
}

#[derive(Template)]
#[template(path = "campaigns/api_tokens.html")]
struct TokensPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    rows: Vec<Row>,
    docs_url: String,
    form: Form,
    errors: FieldErrors,
    banner: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct Form {
    #[serde(default)]
    name: String,
    read: Option<String>,
    write: Option<String>,
    #[serde(default)]
    filter_id: String,
}

#[derive(Template)]
#[template(path = "campaigns/api_token_edit.html")]
struct EditPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    token_id: i64,
    name: String,
    key: String,
    form: Form,
    errors: FieldErrors,
}

impl Form {
    /// As a new token's form starts: Read ticked, nothing else.
    fn first() -> Self {
        Self { read: Some("on".into()), ..Self::default() }
    }

    /// The permissions and filter chosen; an unreadable filter is reported
    /// like a filter of another campaign.
    fn access(&self) -> Result<ApiTokenAccess, AppError> {
        let filter_id = match self.filter_id.trim() {
            "" => None,
            f => Some(f.parse().map_err(|_| AppError::invalid("filter_id", "Choose one of this campaign's filters."))?),
        };
        Ok(ApiTokenAccess { read: checkbox(&self.read), write: checkbox(&self.write), filter_id })
    }
}

/// A token this response reveals on its row, and what to say.
struct Reveal {
    token_id: i64,
    secret: SecretString,
    message: Option<String>,
}

async fn page(
    svc: &Services,
    console: Console,
    id: i64,
    status: StatusCode,
    form: Form,
    errors: FieldErrors,
    reveal: Option<Reveal>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let tokens = api_tokens::list(svc, &actor, id).await?;
    let now = svc.now();
    let docs_url = svc.settings.link(&format!("/docs/c/{}", snap.campaign.public_id));
    let (reveal_id, mut secret, banner) = match reveal {
        Some(r) => (Some(r.token_id), Some(r.secret), r.message),
        None => (None, None, None),
    };
    let rows = tokens
        .iter()
        .map(|r| {
            let t = &r.token;
            Row {
                id: t.id,
                name: t.name.clone(),
                key: t.display_key(),
                read: t.can_read,
                write: t.can_write,
                filter: t.filter_id.and_then(|f| snap.filter(f)).map(|f| f.filter.name.clone()),
                created_by: r.created_by.clone().unwrap_or_default(),
                created: crate::clock::display(t.created_at),
                last_used: t.last_used_at.map(crate::clock::display),
                status: t.status(now),
                docs_url: format!("{docs_url}?key={}", t.display_key()),
                revealed: if reveal_id == Some(t.id) { secret.take() } else { None },
            }
        })
        .collect();
    let (_, layout) = console.layout(format!("{} · API Tokens", snap.campaign.name), "campaigns");
    render_status(
        status,
        &TokensPage { layout, header: Header::of(&snap.campaign, "api"), snap, rows, docs_url, form, errors, banner },
    )
}

pub async fn list(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let form = Form::first();
    page(&svc, console, id.into_inner(), StatusCode::OK, form, FieldErrors::new(), None).await
}

pub async fn create(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<Form>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let input = NewApiToken { name: form.name.clone(), access: form.access()? };
    match api_tokens::create(&svc, console.user.actor(), id, input).await {
        Ok(new) => {
            let message = format!(
                "API token “{}” created. Give the partner two things: the documentation URL (the link icon) and the token (Show).",
                new.token.name
            );
            let reveal = Reveal { token_id: new.token.id, secret: new.secret, message: Some(message) };
            // The form comes back in its first state (Read ticked).
            page(&svc, console, id, StatusCode::CREATED, Form::first(), FieldErrors::new(), Some(reveal)).await
        }
        Err(e) => page(&svc, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?, None).await,
    }
}

pub async fn show(
    req: HttpRequest,
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, tid) = path.into_inner();
    let (_, secret) = api_tokens::show(&svc, console.user.actor(), id, tid).await?;
    if wants_json(&req) {
        return Ok(HttpResponse::Ok().json(json!({"token": secret.expose_secret()})));
    }
    let reveal = Reveal { token_id: tid, secret, message: None };
    page(&svc, console, id, StatusCode::OK, Form::first(), FieldErrors::new(), Some(reveal)).await
}

pub async fn confirm_revoke(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, tid) = path.into_inner();
    let token = api_tokens::get(&svc, &actor, id, tid).await?;
    let (_, layout) = console.layout("Revoke API token", "campaigns");
    ConfirmPage {
        layout,
        heading: format!("Revoke “{}” ({})", token.name, token.display_key()),
        message: "The partner's requests with this token are refused at once.".into(),
        warning: Some("Revoking cannot be undone.".into()),
        action: format!("/campaigns/{id}/api/tokens/{tid}/revoke"),
        button: "Revoke".into(),
        cancel: format!("/campaigns/{id}/api/tokens"),
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
    let (id, tid) = path.into_inner();
    let token = api_tokens::revoke(&svc, console.user.actor(), id, tid).await?;
    Ok(redirect_with(
        &svc,
        &format!("/campaigns/{id}/api/tokens"),
        Flash::success(format!("API token “{}” ({}) revoked.", token.name, token.display_key())),
    ))
}

async fn edit_page(
    svc: &Services,
    console: Console,
    (id, tid): (i64, i64),
    status: StatusCode,
    form: Option<Form>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let token = api_tokens::get(svc, &actor, id, tid).await?;
    let form = form.unwrap_or_else(|| Form {
        name: String::new(),
        read: token.can_read.then(|| "on".into()),
        write: token.can_write.then(|| "on".into()),
        filter_id: token.filter_id.map(|f| f.to_string()).unwrap_or_default(),
    });
    let (_, layout) = console.layout(format!("{} · Edit API token", snap.campaign.name), "campaigns");
    render_status(
        status,
        &EditPage {
            layout,
            header: Header::of(&snap.campaign, "api"),
            snap,
            token_id: token.id,
            name: token.name.clone(),
            key: token.display_key(),
            form,
            errors,
        },
    )
}

pub async fn edit(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    edit_page(&svc, console, path.into_inner(), StatusCode::OK, None, FieldErrors::new()).await
}

pub async fn update(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<Form>,
) -> Result<HttpResponse, AppError> {
    let (id, tid) = path.into_inner();
    let input = form.access()?;
    match api_tokens::update_access(&svc, console.user.actor(), id, tid, input).await {
        Ok(token) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{id}/api/tokens"),
            Flash::success(format!("API token “{}” ({}) saved.", token.name, token.display_key())),
        )),
        Err(e) => {
            let errors = field_errors(e)?;
            edit_page(&svc, console, (id, tid), StatusCode::UNPROCESSABLE_ENTITY, Some(form), errors).await
        }
    }
}
