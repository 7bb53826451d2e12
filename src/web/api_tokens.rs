//! `/campaigns/{id}/api/tokens`: API documentation › API Tokens (seed 001,
//! step 3). New API token with a name, Read and Write, and an optional
//! campaign filter; per row Show (audit-logged), the link icon with the
//! public documentation URL, Edit (permissions and filter), and Revoke
//! behind a confirmation.

use actix_web::http::StatusCode;
use actix_web::http::header::ACCEPT;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use serde_json::json;

use super::campaigns::Header;
use super::confirm::ConfirmPage;
use super::{Console, Flash, Layout, checkbox, field_errors, redirect_with, render_status};
use crate::domain::Permission;
use crate::error::{AppError, FieldErrors};
use crate::models::TokenStatus;
use crate::services::api_tokens::{self, ApiTokenAccess, NewApiToken};
use crate::services::catalog::CampaignSnapshot;
use crate::state::AppState;

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
    pub revealed: Option<String>,
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

/// `(token id, secret, message)` to show on the page.
type Reveal = (i64, String, Option<String>);

async fn page(
    state: &AppState,
    console: Console,
    id: i64,
    status: StatusCode,
    form: Form,
    errors: FieldErrors,
    reveal: Option<Reveal>,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageCampaigns)?;
    let snap = state.db(move |conn| CampaignSnapshot::load_id(conn, id)).await?;
    let tokens = api_tokens::list(state, id).await?;
    let now = state.now();
    let docs_url = state.settings.link(&format!("/docs/c/{}", snap.campaign.public_id));
    let (reveal_id, secret, banner) = match reveal {
        Some((t, s, b)) => (Some(t), Some(s), b),
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
                revealed: (reveal_id == Some(t.id)).then(|| secret.clone()).flatten(),
            }
        })
        .collect();
    let (_, layout) = console.layout(format!("{} · API Tokens", snap.campaign.name), "campaigns");
    render_status(
        status,
        &TokensPage { layout, header: Header::of(&snap.campaign, "api"), snap, rows, docs_url, form, errors, banner },
    )
}

pub async fn list(state: web::Data<AppState>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let form = Form { read: Some("on".into()), ..Form::default() };
    page(&state, console, id.into_inner(), StatusCode::OK, form, FieldErrors::new(), None).await
}

pub async fn create(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<Form>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let input = NewApiToken { name: form.name.clone(), access: form.access()? };
    match api_tokens::create(&state, console.user.actor(), id, input).await {
        Ok(issued) => {
            let message = format!(
                "API token “{}” created. Give the partner two things: the documentation URL (the link icon) and the token (Show).",
                issued.token.name
            );
            let reveal = (issued.token.id, issued.secret.expose_secret().to_owned(), Some(message));
            page(&state, console, id, StatusCode::CREATED, Form::default(), FieldErrors::new(), Some(reveal)).await
        }
        Err(e) => page(&state, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?, None).await,
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, tid) = path.into_inner();
    let (_, secret) = api_tokens::show(&state, console.user.actor(), id, tid).await?;
    let wants_json =
        req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return Ok(HttpResponse::Ok().json(json!({"token": secret.expose_secret()})));
    }
    let reveal = (tid, secret.expose_secret().to_owned(), None);
    page(&state, console, id, StatusCode::OK, Form::default(), FieldErrors::new(), Some(reveal)).await
}

pub async fn confirm_revoke(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageCampaigns)?;
    let (id, tid) = path.into_inner();
    let token =
        api_tokens::list(&state, id).await?.into_iter().find(|r| r.token.id == tid).ok_or(AppError::NotFound)?;
    let (_, layout) = console.layout("Revoke API token", "campaigns");
    ConfirmPage {
        layout,
        heading: format!("Revoke “{}” ({})", token.token.name, token.token.display_key()),
        message: "The partner's requests with this token are refused at once.".into(),
        warning: Some("Revoking cannot be undone.".into()),
        action: format!("/campaigns/{id}/api/tokens/{tid}/revoke"),
        button: "Revoke".into(),
        cancel: format!("/campaigns/{id}/api/tokens"),
        reason: false,
    }
    .render()
}

pub async fn revoke(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, tid) = path.into_inner();
    let token = api_tokens::revoke(&state, console.user.actor(), id, tid).await?;
    Ok(redirect_with(
        &state,
        &format!("/campaigns/{id}/api/tokens"),
        Flash::success(format!("API token “{}” ({}) revoked.", token.name, token.display_key())),
    ))
}

async fn edit_page(
    state: &AppState,
    console: Console,
    (id, tid): (i64, i64),
    status: StatusCode,
    form: Option<Form>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageCampaigns)?;
    let snap = state.db(move |conn| CampaignSnapshot::load_id(conn, id)).await?;
    let token = api_tokens::list(state, id)
        .await?
        .into_iter()
        .map(|r| r.token)
        .find(|t| t.id == tid && t.revoked_at.is_none())
        .ok_or(AppError::NotFound)?;
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
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    edit_page(&state, console, path.into_inner(), StatusCode::OK, None, FieldErrors::new()).await
}

pub async fn update(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<Form>,
) -> Result<HttpResponse, AppError> {
    let (id, tid) = path.into_inner();
    let input = form.access()?;
    match api_tokens::update_access(&state, console.user.actor(), id, tid, input).await {
        Ok(token) => Ok(redirect_with(
            &state,
            &format!("/campaigns/{id}/api/tokens"),
            Flash::success(format!("API token “{}” ({}) saved.", token.name, token.display_key())),
        )),
        Err(e) => {
            let errors = field_errors(e)?;
            edit_page(&state, console, (id, tid), StatusCode::UNPROCESSABLE_ENTITY, Some(form), errors).await
        }
    }
}
