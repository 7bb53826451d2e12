//! `GET /api/v1/audit`: the audit log, newest first, filtered by actor,
//! action, target and date, a page at a time.

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::api::auth::Bearer;
use crate::api::contract::{Resource, Who, doc, on, resource};
use crate::api::view::{At, List, Paging, ok};
use crate::domain::{AuditId, Permission};
use crate::error::{ApiError, AppError};
use crate::services::Services;
use crate::services::audit::{self, AuditEvent, AuditFilter};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    pub id: AuditId,
    pub at: At,
    /// Who acted: an email, a token's key, or `system`.
    pub actor: String,
    /// The action's code, e.g. `token.created`.
    pub action: String,
    pub target: String,
    pub ip: Option<String>,
    pub details: serde_json::Value,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: AuditId(e.id),
            at: At(e.at),
            actor: e.actor,
            action: e.action,
            target: e.target,
            ip: e.ip,
            details: e.details,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// the next_cursor of the previous page
    cursor: Option<String>,
    /// 1 to 500 items (default 100)
    limit: Option<i64>,
    /// part of who acted
    actor: Option<String>,
    /// an action (user.invited) or a group (user)
    action: Option<String>,
    /// part of the target
    target: Option<String>,
    /// `2026-11-30`: entries on or after that day.
    from: Option<String>,
    /// `2026-11-30`: entries on or before that day.
    to: Option<String>,
}

fn date(field: &str, v: &Option<String>) -> Result<Option<time::Date>, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match v.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => time::Date::parse(d, format)
            .map(Some)
            .map_err(|_| AppError::bad_request(format!("{field} is a date such as 2026-11-30"))),
        None => Ok(None),
    }
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// `GET /api/v1/audit`: `cursor` continues below the last id.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let paging = Paging { cursor: query.cursor.clone(), limit: query.limit };
    let (limit, before) = (paging.limit()?, paging.cursor()?);
    let filter = AuditFilter {
        actor: clean(&query.actor),
        action: clean(&query.action),
        target: clean(&query.target),
        from: date("from", &query.from)?,
        to: date("to", &query.to)?,
    };
    let (events, _) = audit::page(&svc, &actor, filter, before, limit + 1).await?;
    Ok(ok(&List::from_probe(events, limit, |e| e.id, AuditEventView::from)))
}

/// The audit log's route.
pub fn routes() -> Vec<Resource> {
    vec![resource(
        "/v1/audit",
        [on(
            Method::GET,
            list,
            doc("Audit", "The audit log, newest first", Who::Role(Permission::ViewAudit))
                .query::<AuditQuery>()
                .answers::<List<AuditEventView>>(200),
        )],
    )]
}
