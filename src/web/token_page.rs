//! A token's own page (`/tokens/{key}`), for whoever manages it and for
//! support: what it is, its status (a regenerated token in its grace
//! period shows "retiring, N hours left" and can be ended early), uses per
//! day for 90 days as a server-drawn chart, refusals by reason, the last
//! addresses it was used from, leak reports; and, for its manager, its
//! allowlist, rate limit and expiry, and Regenerate with a grace period.

use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use time::OffsetDateTime;

use super::confirm::ConfirmPage;
use super::grace::{self, GraceForm};
use super::page::{field_errors, redirect_with, render_status};
use super::reveal;
use super::session::{Console, Flash, Layout};
use super::usage_chart::{self, Bar};
use crate::domain::TokenStatus;
use crate::error::{AppError, FieldErrors};
use crate::services::Services;
use crate::services::credentials::token_manage::{self, Changes, Detail, Usage};

#[derive(Template)]
#[template(path = "tokens/show.html")]
struct TokenPage {
    layout: Layout,
    d: Detail,
    usage: Usage,
    chart: String,
    now: OffsetDateTime,
    /// A token this very response made (Regenerate), shown once, and what
    /// became of the one it replaced.
    revealed: Option<SecretString>,
    notice: Option<String>,
    /// The limits form as typed, when it came back with errors.
    form: LimitsForm,
    errors: FieldErrors,
}

impl TokenPage {
    fn key(&self) -> String {
        self.d.listing.token.display_key()
    }

    fn status(&self) -> String {
        let t = &self.d.listing.token;
        match (t.status(self.now), self.d.grace_hours_left(self.now)) {
            (TokenStatus::Active, Some(h)) => format!("retiring, {h} hour{} left", if h == 1 { "" } else { "s" }),
            (s, _) => s.label().to_owned(),
        }
    }

    fn hours_left(&self) -> i64 {
        self.d.grace_hours_left(self.now).unwrap_or(0)
    }

    fn status_class(&self) -> &'static str {
        self.d.listing.token.status(self.now).as_str()
    }

    fn live(&self) -> bool {
        self.d.listing.token.revoked_at.is_none()
    }

    fn may_regenerate(&self) -> bool {
        self.d.can_manage
            && self.live()
            && self.d.listing.token.retiring_until.is_none()
            && self.d.listing.token.kind.regenerable()
    }

    fn display(&self, at: &OffsetDateTime) -> String {
        crate::clock::display(*at)
    }

    fn uses_in_range(&self) -> i64 {
        self.usage.days.iter().map(|d| d.uses).sum()
    }

    fn secret(&self) -> Option<&str> {
        self.revealed.as_ref().map(|s| s.expose_secret())
    }

    fn rate_text(&self) -> String {
        let r = self.d.effective_rate;
        match (r.per_second, r.per_minute) {
            (None, None) => "none".to_owned(),
            (s, m) => [s.map(|s| format!("{s} per second")), m.map(|m| format!("{m} per minute"))]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LimitsForm {
    #[serde(default)]
    allowed_ips: String,
    #[serde(default)]
    per_second: String,
    #[serde(default)]
    per_minute: String,
    /// `YYYY-MM-DD`, or empty for never.
    #[serde(default)]
    expires_on: String,
}

impl LimitsForm {
    fn of(d: &Detail) -> Self {
        Self {
            allowed_ips: d.allowed_ips.join("\n"),
            per_second: d.rate.per_second.map(|v| v.to_string()).unwrap_or_default(),
            per_minute: d.rate.per_minute.map(|v| v.to_string()).unwrap_or_default(),
            expires_on: d.listing.token.expires_at.map(|e| e.date().to_string()).unwrap_or_default(),
        }
    }

    fn changes(&self, kind_has_expiry: bool, current: Option<OffsetDateTime>) -> Result<Changes, AppError> {
        let number = |field: &str, text: &str| -> Result<Option<i64>, AppError> {
            match text.trim() {
                "" => Ok(None),
                t => t
                    .parse()
                    .map(Some)
                    .map_err(|_| AppError::invalid(field, "Enter a whole number, or leave it empty.")),
            }
        };
        let expires_at = if !kind_has_expiry {
            None
        } else {
            match self.expires_on.trim() {
                "" => Some(None),
                // Unchanged: keep the exact time it has.
                d if current.is_some_and(|c| c.date().to_string() == d) => None,
                d => {
                    let format = time::macros::format_description!("[year]-[month]-[day]");
                    let date = time::Date::parse(d, format).map_err(|_| {
                        AppError::invalid("expires_at", "Enter a date as YYYY-MM-DD, or leave it empty for never.")
                    })?;
                    Some(Some(date.midnight().assume_utc()))
                }
            }
        };
        Ok(Changes {
            allowed_ips: Some(
                self.allowed_ips
                    .split(['\n', ',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            rate: Some((
                number("rate_limit.per_second", &self.per_second)?,
                number("rate_limit.per_minute", &self.per_minute)?,
            )),
            expires_at,
        })
    }
}

async fn page(
    svc: &Services,
    console: Console,
    key: &str,
    revealed: Option<(SecretString, String)>,
    form: Option<LimitsForm>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (revealed, notice) = revealed.map_or((None, None), |(s, n)| (Some(s), Some(n)));
    let actor = console.user.actor();
    let d = token_manage::detail(svc, &actor, key).await?;
    let usage = token_manage::usage(svc, &actor, key, token_manage::USAGE_DAYS_MAX).await?;
    let bars: Vec<Bar> =
        usage.days.iter().map(|d| Bar { date: d.date, uses: d.uses, refused: d.refused_total() }).collect();
    let chart = usage_chart::svg(&bars, "Uses per day");
    let form = form.unwrap_or_else(|| LimitsForm::of(&d));
    let status = if errors.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let (_, layout) = console.layout(d.listing.token.display_key(), "tokens");
    let now = svc.now();
    render_status(status, &TokenPage { layout, d, usage, chart, now, revealed, notice, form, errors })
}

pub async fn show(
    svc: web::Data<Services>,
    console: Console,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    // The token a Regenerate just made, once.
    let target = format!("/tokens/{key}");
    let revealed = reveal::take(&svc, &console.user, &target).await?.map(|r| (r.secret, r.message));
    page(&svc, console, &key, revealed, None, FieldErrors::new()).await
}

pub async fn save_limits(
    svc: web::Data<Services>,
    console: Console,
    key: web::Path<String>,
    web::Form(form): web::Form<LimitsForm>,
) -> Result<HttpResponse, AppError> {
    let actor = console.user.actor();
    let d = token_manage::detail(&svc, &actor, &key).await?;
    let has_expiry = d.listing.token.kind != crate::domain::TokenKind::Profile;
    let result = match form.changes(has_expiry, d.listing.token.expires_at) {
        Ok(changes) => token_manage::update(&svc, actor, &key, changes).await.map(drop),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(redirect_with(
            &svc,
            &format!("/tokens/{}", d.listing.token.display_key()),
            Flash::success("Saved: every instance applies it within a second."),
        )),
        Err(e) => page(&svc, console, &key, None, Some(form), field_errors(e)?).await,
    }
}

/// Regenerate's confirmation page, without JavaScript.
pub async fn confirm_regenerate(
    svc: web::Data<Services>,
    console: Console,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let d = token_manage::detail(&svc, &console.user.actor(), &key).await?;
    let key = d.listing.token.display_key();
    let (_, layout) = console.layout("Regenerate token", "tokens");
    ConfirmPage {
        layout,
        heading: format!("Regenerate {key}"),
        message: "A new token, with the same scope, allowlist and rate limit, replaces this one.".into(),
        warning: Some(
            "Regenerating cannot be undone: once the grace period you choose is over (at once, by default), every integration using the old token stops working until it is updated."
                .into(),
        ),
        action: format!("/tokens/{key}/regenerate"),
        button: "Regenerate".into(),
        cancel: format!("/tokens/{key}"),
        reason: false,
        grace: Some("token".into()),
        hidden: Vec::new(),
    }
    .render()
}

pub async fn regenerate(
    svc: web::Data<Services>,
    console: Console,
    key: web::Path<String>,
    web::Form(form): web::Form<GraceForm>,
) -> Result<HttpResponse, AppError> {
    let r = token_manage::regenerate(&svc, console.user.actor(), &key, form.duration()?).await?;
    let new_key = r.new.token.display_key();
    let notice = format!("{new_key} replaces {}. {}", r.old_key, grace::outcome(r.old_valid_until));
    let target = format!("/tokens/{new_key}");
    reveal::redirect(&svc, &console.user, &target, new_key, r.new.secret, notice).await
}

pub async fn end_grace(
    svc: web::Data<Services>,
    console: Console,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let ended = token_manage::end_grace(&svc, console.user.actor(), &key).await?;
    Ok(redirect_with(
        &svc,
        &format!("/tokens/{ended}"),
        Flash::success(format!("{ended} stopped working now: its grace period was ended early.")),
    ))
}
