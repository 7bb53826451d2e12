//! Leaked tokens: reports from a reporter token (GitHub's secret-scanning
//! shape), what a report does (`/api/v1/settings/leak-action`), and
//! reporter tokens (`/api/v1/settings/reporters`).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::views::IssuedView;
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{created, ok};
use crate::error::ApiError;
use crate::services::Services;
use crate::services::credentials::leaks::{self, Found};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LeakItem {
    #[serde(default)]
    token: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    source: String,
    /// GitHub also sends the type it matched; Keyward reads the prefix.
    #[serde(default, rename = "type")]
    _kind: Option<String>,
}

/// The verdict on one reported string.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerdictView {
    /// SHA-256 of the reported string, hex.
    pub token_raw_hash: String,
    /// `true_positive` for a live Keyward token, else `false_positive`.
    pub label: &'static str,
    pub valid: bool,
}

/// `POST /api/v1/tokens/leaked` with a reporter token:
/// `[{token, url, source}]` → `[{token_raw_hash, label, valid}]`.
pub async fn report(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<Vec<LeakItem>>,
) -> Result<HttpResponse, ApiError> {
    let found: Vec<Found> =
        body.into_inner().into_iter().map(|i| Found { token: i.token, url: i.url, source: i.source }).collect();
    let verdicts = leaks::report(&svc, &bearer.principal, &bearer.ip, found).await?;
    let answer: Vec<VerdictView> = verdicts
        .into_iter()
        .map(|v| VerdictView {
            token_raw_hash: v.token_raw_hash,
            label: if v.valid { "true_positive" } else { "false_positive" },
            valid: v.valid,
        })
        .collect();
    Ok(ok(&answer))
}

/// `{action: "revoke" | "flag"}`.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeakAction {
    action: String,
}

/// `PUT /api/v1/settings/leak-action` `{action: "revoke"|"flag"}`.
pub async fn put_action(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<LeakAction>,
) -> Result<HttpResponse, ApiError> {
    leaks::set_action(&svc, bearer.acting()?, &body.action).await?;
    Ok(ok(&*body))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Described {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// `POST /api/v1/settings/reporters` `{description}`: a reporter token,
/// shown once.
pub async fn create_reporter(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<Described>,
) -> Result<HttpResponse, ApiError> {
    let new = leaks::create_reporter(&svc, bearer.acting()?, &body.description).await?;
    Ok(created(&IssuedView::new(&new)))
}
