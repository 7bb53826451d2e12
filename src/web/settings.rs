//! Organisation settings pages. The token policy: per kind, the lifetimes
//! a token may have, how long expired tokens are kept, a default rate
//! limit; what a leak report does, and the reporter tokens (super admins).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::page::{checkbox, field_errors, redirect_with, render_status};
use super::session::{Console, Flash, Layout};
use crate::domain::{DestinationRules, Permission, TokenKind};
use crate::error::{AppError, FieldErrors};
use crate::services::credentials::token_policy::{self, TokenPolicy};
use crate::services::{Services, TokenInfo, credentials::leaks, delivery::destinations};

/// One kind's row of the policy form, as typed.
struct PolicyRow {
    kind: TokenKind,
    max_days: String,
    default_days: String,
    never_allowed: bool,
    retention_days: String,
    rate_per_second: String,
    rate_per_minute: String,
}

impl PolicyRow {
    fn of(p: &TokenPolicy) -> Self {
        let text = |v: Option<i32>| v.map(|v| v.to_string()).unwrap_or_default();
        Self {
            kind: p.kind,
            max_days: text(p.max_days),
            default_days: text(p.default_days),
            never_allowed: p.never_allowed,
            retention_days: p.retention_days.to_string(),
            rate_per_second: text(p.rate_per_second),
            rate_per_minute: text(p.rate_per_minute),
        }
    }

    fn lifetimes(&self) -> [(&'static str, &str); 2] {
        [("max_days", &self.max_days), ("default_days", &self.default_days)]
    }

    fn limits(&self) -> [(&'static str, &str); 3] {
        [
            ("retention_days", &self.retention_days),
            ("rate_per_second", &self.rate_per_second),
            ("rate_per_minute", &self.rate_per_minute),
        ]
    }

    fn from_form(kind: TokenKind, form: &HashMap<String, String>) -> Self {
        let get = |f: &str| form.get(&format!("{kind}.{f}")).map(|v| v.trim().to_owned()).unwrap_or_default();
        Self {
            kind,
            max_days: get("max_days"),
            default_days: get("default_days"),
            never_allowed: checkbox(&form.get(&format!("{kind}.never_allowed")).cloned()),
            retention_days: get("retention_days"),
            rate_per_second: get("rate_per_second"),
            rate_per_minute: get("rate_per_minute"),
        }
    }

    /// The policy this row asks for; numbers that are not numbers are
    /// errors keyed like the service's.
    fn parse(&self, now: time::OffsetDateTime, errors: &mut FieldErrors) -> TokenPolicy {
        let kind = self.kind;
        let mut number = |field: &str, text: &str| -> Option<i32> {
            if text.is_empty() {
                return None;
            }
            text.parse::<i32>().map(Some).unwrap_or_else(|_| {
                errors.insert(format!("{kind}.{field}"), "Enter a whole number.".into());
                None
            })
        };
        TokenPolicy {
            kind,
            max_days: number("max_days", &self.max_days),
            default_days: number("default_days", &self.default_days),
            never_allowed: self.never_allowed,
            retention_days: number("retention_days", &self.retention_days).unwrap_or(0),
            rate_per_second: number("rate_per_second", &self.rate_per_second),
            rate_per_minute: number("rate_per_minute", &self.rate_per_minute),
            updated_at: now,
        }
    }
}

#[derive(Template)]
#[template(path = "settings/token_policy.html")]
struct PolicyPage {
    layout: Layout,
    rows: Vec<PolicyRow>,
    leak_action: String,
    reporters: Vec<TokenInfo>,
    /// A reporter token just created, shown once.
    created: Option<crate::services::NewToken>,
    errors: FieldErrors,
}

impl PolicyPage {
    fn error(&self, kind: &TokenKind, field: &str) -> Option<&String> {
        self.errors.get(&format!("{kind}.{field}"))
    }

    fn secret(&self) -> Option<&str> {
        self.created.as_ref().map(|c| secrecy::ExposeSecret::expose_secret(&c.secret))
    }
}

async fn policy_page(
    svc: &Services,
    console: Console,
    rows: Option<Vec<PolicyRow>>,
    created: Option<crate::services::NewToken>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageOrgTokens)?;
    let rows = match rows {
        Some(rows) => rows,
        None => token_policy::all(svc).await?.iter().map(PolicyRow::of).collect(),
    };
    let (leak_action, reporters) = leaks::settings(svc, &console.user.actor()).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let (_, layout) = console.layout("Token policy", "settings");
    render_status(status, &PolicyPage { layout, rows, leak_action, reporters, created, errors })
}

pub async fn policy(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    policy_page(&svc, console, None, None, FieldErrors::new()).await
}

pub async fn save_policy(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageOrgTokens)?;
    let rows: Vec<PolicyRow> = token_policy::kinds().map(|k| PolicyRow::from_form(k, &form)).collect();
    let mut errors = FieldErrors::new();
    let now = svc.now();
    let policies: Vec<TokenPolicy> = rows.iter().map(|r| r.parse(now, &mut errors)).collect();
    let leak_action = form.get("leak_action").cloned().unwrap_or_else(|| "revoke".into());
    let result = if errors.is_empty() {
        match token_policy::save(&svc, console.user.actor(), policies).await {
            Ok(()) => leaks::set_action(&svc, console.user.actor(), &leak_action).await,
            Err(e) => Err(e),
        }
    } else {
        Err(AppError::Validation(errors))
    };
    match result {
        Ok(()) => Ok(redirect_with(&svc, "/settings/token-policy", Flash::success("Token policy saved."))),
        Err(e) => policy_page(&svc, console, Some(rows), None, field_errors(e)?).await,
    }
}

#[derive(Deserialize)]
pub struct ReporterForm {
    #[serde(default)]
    description: String,
}

/// A new leak reporter token, shown once on the policy page.
pub async fn create_reporter(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<ReporterForm>,
) -> Result<HttpResponse, AppError> {
    match leaks::create_reporter(&svc, console.user.actor(), &form.description).await {
        Ok(created) => policy_page(&svc, console, None, Some(created), FieldErrors::new()).await,
        Err(e) => policy_page(&svc, console, None, None, field_errors(e)?).await,
    }
}

#[derive(Template)]
#[template(path = "settings/destinations.html")]
struct DestinationRulesPage {
    layout: Layout,
    rules: DestinationRules,
}

/// `/settings/destinations`: where webhook destinations may point beyond
/// public HTTPS addresses (super admins).
pub async fn destination_rules(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageOrgTokens)?;
    let rules = destinations::rules(&svc).await?;
    let (_, layout) = console.layout("Destination rules", "settings");
    render_status(StatusCode::OK, &DestinationRulesPage { layout, rules })
}

#[derive(Deserialize)]
pub struct RulesForm {
    allow_private: Option<String>,
    allow_http: Option<String>,
    allow_loopback: Option<String>,
}

pub async fn save_destination_rules(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<RulesForm>,
) -> Result<HttpResponse, AppError> {
    let rules = DestinationRules {
        allow_private: checkbox(&form.allow_private),
        allow_http: checkbox(&form.allow_http),
        allow_loopback: checkbox(&form.allow_loopback),
    };
    destinations::set_rules(&svc, console.user.actor(), rules).await?;
    Ok(redirect_with(
        &svc,
        "/settings/destinations",
        Flash::success("Destination rules saved: they apply to the next delivery."),
    ))
}
