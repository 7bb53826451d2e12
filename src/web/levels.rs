//! The Token Management cards of the intake levels (seed 000): an enable
//! switch, the token masked with Show and Copy, and Regenerate behind a
//! confirmation. The same card and handlers serve the global token
//! (`/settings/tokens`), a campaign token (`/campaigns/{id}/settings/tokens`)
//! and a source's form, ping and post tokens
//! (`/campaigns/{id}/sources/{sid}/tokens`).

use actix_web::http::header::ACCEPT;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::confirm::ConfirmPage;
use super::{Console, Flash, checkbox, redirect_with};
use crate::error::AppError;
use crate::models::{Source, TokenStatus};
use crate::services::levels::{self, Level, LevelState};
use crate::state::AppState;
use crate::tokens::TokenKind;

/// One card as the page shows it.
pub struct LevelCard {
    /// Unique within the page: ids of its elements derive from it.
    pub id: String,
    pub title: String,
    pub help: String,
    /// Where its forms post: `{base}/enabled`, `{base}/show`, `{base}/regenerate`.
    pub base: String,
    pub enabled: bool,
    pub key: Option<String>,
    pub masked: String,
    /// The token, when this very response reveals it.
    pub revealed: Option<String>,
    pub note: Option<String>,
    pub created: Option<String>,
    pub last_used: Option<String>,
}

impl LevelCard {
    pub fn new(state: &LevelState, id: &str, title: &str, help: &str, base: String, now: time::OffsetDateTime) -> Self {
        let token = state.token.as_ref();
        let note = match token.map(|t| t.status(now)) {
            None if state.enabled => Some(
                "This level is on but has no live token: every request to it is refused. Regenerate to issue one."
                    .to_owned(),
            ),
            Some(TokenStatus::Deactivated) => Some(format!(
                "The token was deactivated{}: every request to this level is refused. Regenerate to issue a new one.",
                token.and_then(|t| t.deactivated_reason.as_deref()).map(|r| format!(" ({r})")).unwrap_or_default()
            )),
            _ => None,
        };
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            help: help.to_owned(),
            base,
            enabled: state.enabled,
            key: token.map(|t| t.display_key()),
            masked: token.map(|t| format!("{}{}", t.display_key(), "•".repeat(24))).unwrap_or_default(),
            revealed: None,
            note,
            created: token.map(|t| crate::clock::display(t.created_at)),
            last_used: token.and_then(|t| t.last_used_at).map(crate::clock::display),
        }
    }

    pub fn reveal(mut self, secret: &SecretString) -> Self {
        self.revealed = Some(secret.expose_secret().to_owned());
        self
    }
}

/// The cards of a source's Tokens tab, in order.
pub const SOURCE_METHODS: [(TokenKind, &str, &str, &str); 3] = [
    (TokenKind::SourceForm, "form", "Form Token", "Form Submission API: leads submitted as a standard form post."),
    (TokenKind::SourcePing, "ping", "Ping Token", "Ping API: the ping step of a ping-post flow."),
    (TokenKind::SourcePost, "post", "Post Token", "Post API: the post step of a ping-post flow."),
];

pub fn method_kind(method: &str) -> Result<TokenKind, AppError> {
    SOURCE_METHODS.iter().find(|m| m.1 == method).map(|m| m.0).ok_or(AppError::NotFound)
}

/// Which page a level lives on.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    Global,
    Campaign(i64),
    Source(i64, i64),
}

impl Place {
    pub fn path(self) -> String {
        match self {
            Self::Global => "/settings/tokens".to_owned(),
            Self::Campaign(c) => format!("/campaigns/{c}/settings/tokens"),
            Self::Source(c, s) => format!("/campaigns/{c}/sources/{s}/tokens"),
        }
    }
}

/// A token revealed by this response (Show or Regenerate), and what to say.
pub struct Reveal {
    pub level: Level,
    pub secret: SecretString,
    pub message: Option<String>,
}

async fn render(
    state: &AppState,
    console: Console,
    place: Place,
    reveal: Option<Reveal>,
) -> Result<HttpResponse, AppError> {
    match place {
        Place::Global => super::org_tokens::page(state, console, reveal).await,
        Place::Campaign(c) => super::campaigns::token_page(state, console, c, reveal).await,
        Place::Source(c, s) => super::campaigns::source_tokens_page(state, console, c, s, reveal).await,
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    value: Option<String>,
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: Console,
    place: Place,
    level: Level,
    action: &str,
    form: ActionForm,
) -> Result<HttpResponse, AppError> {
    let actor = console.user.actor();
    match action {
        "enabled" => {
            let on = checkbox(&form.value);
            let after = levels::set_enabled(&state, actor, level, on).await?;
            let message = if on {
                format!(
                    "Token authentication is on for the {}. Copy the token and give it to the integration that sends to it.",
                    after.label
                )
            } else {
                format!(
                    "Token authentication is off for the {}. The token is kept: turning it on again restores it.",
                    after.label
                )
            };
            Ok(redirect_with(&state, &place.path(), Flash::success(message)))
        }
        "show" => {
            let (_, secret) = levels::show(&state, actor, level).await?;
            if wants_json(&req) {
                return Ok(HttpResponse::Ok().json(json!({"token": secret.expose_secret()})));
            }
            render(&state, console, place, Some(Reveal { level, secret, message: None })).await
        }
        "regenerate" => {
            let (after, issued) = levels::regenerate(&state, actor, level).await?;
            let message = format!(
                "A new token was generated for the {}. The old one stopped working at once: copy the new one and update your integration.",
                after.label
            );
            render(&state, console, place, Some(Reveal { level, secret: issued.secret, message: Some(message) })).await
        }
        _ => Err(AppError::NotFound),
    }
}

fn confirm_regenerate(console: Console, place: Place, base: String, what: &str) -> Result<HttpResponse, AppError> {
    let (_, layout) = console.layout("Regenerate token", "settings");
    ConfirmPage {
        layout,
        heading: format!("Regenerate the {what}"),
        message: "A new token replaces the current one.".into(),
        warning: Some(
            "Regenerating is immediate and cannot be undone: every integration using the old token stops working until it is updated."
                .into(),
        ),
        action: format!("{base}/regenerate"),
        button: "Regenerate".into(),
        cancel: place.path(),
        reason: false,
    }
    .render()
}

pub async fn global_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: Console,
    action: web::Path<String>,
    web::Form(form): web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    act(req, state, console, Place::Global, Level::Global, &action, form).await
}

pub async fn global_confirm(console: Console) -> Result<HttpResponse, AppError> {
    console.user.require(crate::domain::Permission::ManageOrgTokens)?;
    confirm_regenerate(console, Place::Global, "/settings/tokens/global".into(), "global token")
}

pub async fn campaign_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, String)>,
    web::Form(form): web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (c, action) = path.into_inner();
    act(req, state, console, Place::Campaign(c), Level::Campaign(c), &action, form).await
}

pub async fn campaign_confirm(console: Console, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    console.user.require(crate::domain::Permission::ManageCampaigns)?;
    let c = path.into_inner();
    confirm_regenerate(console, Place::Campaign(c), format!("/campaigns/{c}/settings/tokens"), "campaign token")
}

pub async fn source_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64, String, String)>,
    web::Form(form): web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (c, s, method, action) = path.into_inner();
    let kind = method_kind(&method)?;
    let level = source_level(&state, c, s, kind).await?;
    act(req, state, console, Place::Source(c, s), level, &action, form).await
}

pub async fn source_confirm(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64, String)>,
) -> Result<HttpResponse, AppError> {
    console.user.require(crate::domain::Permission::ManageCampaigns)?;
    let (c, s, method) = path.into_inner();
    method_kind(&method)?;
    source_level(&state, c, s, TokenKind::SourceForm).await?;
    confirm_regenerate(
        console,
        Place::Source(c, s),
        format!("/campaigns/{c}/sources/{s}/tokens/{method}"),
        &format!("{method} token"),
    )
}

/// A source level, checking that the source belongs to the campaign.
async fn source_level(state: &AppState, campaign_id: i64, source_id: i64, kind: TokenKind) -> Result<Level, AppError> {
    state.db(move |conn| Ok(Source::find(conn, campaign_id, source_id)?)).await?;
    Ok(Level::Source { campaign_id, source_id, kind })
}
