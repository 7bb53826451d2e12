//! Organisation settings pages. The token policy: an optional maximum
//! lifetime for new personal tokens (super admins).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::page::{checkbox, field_errors, redirect_with, render_status};
use super::session::{Console, Flash, Layout};
use crate::domain::{DestinationRules, Permission};
use crate::error::{AppError, FieldErrors};
use crate::services::{Services, destinations, personal_tokens};

#[derive(Template)]
#[template(path = "settings/token_policy.html")]
struct PolicyPage {
    layout: Layout,
    max_days: String,
    errors: FieldErrors,
}

pub async fn policy(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageOrgTokens)?;
    let max_days = personal_tokens::policy(&svc).await?.map(|d| d.to_string()).unwrap_or_default();
    let (_, layout) = console.layout("Token policy", "settings");
    render_status(StatusCode::OK, &PolicyPage { layout, max_days, errors: FieldErrors::new() })
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    max_days: String,
}

pub async fn save_policy(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageOrgTokens)?;
    let parsed = match form.max_days.trim() {
        "" => Ok(None),
        d => d.parse::<i32>().map(Some).map_err(|_| AppError::invalid("max_days", "Enter a whole number of days.")),
    };
    let result = match parsed {
        Ok(days) => personal_tokens::set_policy(&svc, console.user.actor(), days).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(redirect_with(&svc, "/settings/token-policy", Flash::success("Token policy saved."))),
        Err(e) => {
            let errors = field_errors(e)?;
            let (_, layout) = console.layout("Token policy", "settings");
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &PolicyPage { layout, max_days: form.max_days, errors })
        }
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
}

pub async fn save_destination_rules(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<RulesForm>,
) -> Result<HttpResponse, AppError> {
    let rules =
        DestinationRules { allow_private: checkbox(&form.allow_private), allow_http: checkbox(&form.allow_http) };
    destinations::set_rules(&svc, console.user.actor(), rules).await?;
    Ok(redirect_with(
        &svc,
        "/settings/destinations",
        Flash::success("Destination rules saved: they apply to the next delivery."),
    ))
}
