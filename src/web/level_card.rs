//! The Token Management card of an intake level: an enable
//! switch, the token masked with Show and Copy, and Regenerate behind a
//! confirmation. The same card serves the global token (`/settings/tokens`),
//! a campaign token (`/campaigns/{id}/settings/tokens`) and a source's form,
//! ping and post tokens (`/campaigns/{id}/sources/{sid}/tokens`); each of
//! those pages routes the card's actions to its own handlers, which call
//! the functions here and render themselves. A leaf: it imports no screen.

use actix_web::{HttpRequest, HttpResponse};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;

use super::confirm::ConfirmPage;
use super::grace::{self, GraceForm};
use super::page::redirect_with;
use super::reveal;
use super::session::{Console, Flash};
use crate::domain::{Level, TokenStatus};
use crate::error::AppError;
use crate::http::wants_json;
use crate::services::Services;
use crate::services::credentials::levels::{self, LevelState};

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
    pub revealed: Option<SecretString>,
    pub note: Option<String>,
    pub created: Option<String>,
    pub last_used: Option<String>,
    /// The token it replaced, in its grace period: key, hours left, last use.
    pub retiring: Option<(String, i64, String)>,
}

const GLOBAL_HELP: &str = "One token for the whole organisation: when on, every lead submission must carry it, whatever campaign or source it targets (unless a campaign or source token is on there). Convenient, but less isolated: consider campaign or source tokens for separate partners.";
const CAMPAIGN_HELP: &str = "When on, only requests carrying this campaign's token are accepted for its sources (unless a source token is on for the method). Give it to the traffic source sending leads to this campaign.";

/// The page a level's card is on.
pub fn page_path(level: Level) -> String {
    match level {
        Level::Global => "/settings/tokens".to_owned(),
        Level::Campaign(c) => format!("/campaigns/{c}/settings/tokens"),
        Level::Source { campaign_id, source_id, .. } => format!("/campaigns/{campaign_id}/sources/{source_id}/tokens"),
    }
}

/// Where the card's forms post.
fn base_path(level: Level) -> String {
    match level {
        Level::Global => "/settings/tokens/global".to_owned(),
        Level::Campaign(_) => page_path(level),
        Level::Source { method, .. } => format!("{}/{method}", page_path(level)),
    }
}

impl LevelCard {
    pub fn of(state: &LevelState, now: time::OffsetDateTime) -> Self {
        let (id, title, help) = match state.level {
            Level::Global => ("global".to_owned(), "Global Token Authentication", GLOBAL_HELP),
            Level::Campaign(_) => ("campaign".to_owned(), "Campaign Token Authentication", CAMPAIGN_HELP),
            Level::Source { method, .. } => (method.to_string(), method.title(), method.help()),
        };
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
            id,
            title: title.to_owned(),
            help: help.to_owned(),
            base: base_path(state.level),
            enabled: state.enabled,
            key: token.map(|t| t.display_key()),
            masked: token.map(|t| format!("{}{}", t.display_key(), "•".repeat(24))).unwrap_or_default(),
            revealed: None,
            note,
            created: token.map(|t| crate::clock::display(t.created_at)),
            last_used: token.and_then(|t| t.last_used_at).map(crate::clock::display),
            retiring: state.retiring.as_ref().and_then(|t| {
                let until = t.retiring_until.filter(|u| *u > now)?;
                let hours = ((until - now).whole_seconds() + 3599) / 3600;
                let last = t.last_used_at.map_or_else(|| "never".to_owned(), crate::clock::display);
                Some((t.display_key(), hours, last))
            }),
        }
    }

    /// The revealed token, for the template.
    pub fn secret(&self) -> Option<&str> {
        self.revealed.as_ref().map(|s| s.expose_secret())
    }
}

/// A token revealed by this response (Show, or the page after Regenerate),
/// for the card whose forms post under `base`, and what to say.
pub struct Reveal {
    pub base: String,
    pub secret: SecretString,
    pub message: Option<String>,
}

/// Puts `reveal` on its card, among `cards`; returns the banner message.
pub fn apply_reveal(cards: &mut [LevelCard], reveal: Option<Reveal>) -> Option<String> {
    let reveal = reveal?;
    let card = cards.iter_mut().find(|c| c.base == reveal.base)?;
    card.revealed = Some(reveal.secret);
    reveal.message
}

/// The token a Regenerate on this page kept for it, once.
pub async fn taken(svc: &Services, console: &Console, level: Level) -> Result<Option<Reveal>, AppError> {
    let revealed = reveal::take(svc, &console.user, &page_path(level)).await?;
    Ok(revealed.map(|r| Reveal { base: r.key, secret: r.secret, message: Some(r.message) }))
}

/// The switch: back to the card's page with what changed.
pub async fn toggle(svc: &Services, console: &Console, level: Level, on: bool) -> Result<HttpResponse, AppError> {
    let after = levels::set_enabled(svc, console.user.actor(), level, on).await?;
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
    Ok(redirect_with(svc, &page_path(level), Flash::success(message)))
}

/// Show: JSON for the copy button's `fetch`, else the page with the token.
pub enum Shown {
    Json(HttpResponse),
    Page(Reveal),
}

pub async fn show(req: &HttpRequest, svc: &Services, console: &Console, level: Level) -> Result<Shown, AppError> {
    let (_, secret) = levels::show(svc, console.user.actor(), level).await?;
    if wants_json(req) {
        return Ok(Shown::Json(HttpResponse::Ok().json(json!({"token": secret.expose_secret()}))));
    }
    Ok(Shown::Page(Reveal { base: base_path(level), secret, message: None }))
}

/// Regenerate: the new token is kept for the card's page, which the
/// answer redirects to (a refresh there shows it no more).
pub async fn regenerate(
    svc: &Services,
    console: &Console,
    level: Level,
    form: &GraceForm,
) -> Result<HttpResponse, AppError> {
    let (after, new, until) = levels::regenerate(svc, console.user.actor(), level, form.duration()?).await?;
    let message = format!("A new token was generated for the {}. {}", after.label, grace::outcome(until));
    reveal::redirect(svc, &console.user, &page_path(level), base_path(level), new.secret, message).await
}

/// The confirmation step of Regenerate, without JavaScript.
pub fn confirm_regenerate(console: Console, level: Level, what: &str) -> Result<HttpResponse, AppError> {
    console.user.require(level.permission())?;
    let (_, layout) = console.layout("Regenerate token", "settings");
    ConfirmPage {
        layout,
        heading: format!("Regenerate the {what}"),
        message: "A new token replaces the current one.".into(),
        warning: Some(
            "Regenerating cannot be undone: once the grace period you choose is over (at once, by default), every integration using the old token stops working until it is updated."
                .into(),
        ),
        action: format!("{}/regenerate", base_path(level)),
        button: "Regenerate".into(),
        cancel: page_path(level),
        reason: false,
        grace: Some(base_path(level).replace('/', "-")),
        hidden: Vec::new(),
    }
    .render()
}
