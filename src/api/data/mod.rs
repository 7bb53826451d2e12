//! Data services for account private tokens: bulk export
//! (streamed, constant memory), imports (`imports`), and token
//! introspection (RFC 7662) for resource servers. The public token's
//! routes are in `public`.

pub mod imports;
pub mod views;

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::api::auth::Bearer;
use crate::api::body::token_param;
use crate::api::contract::{Resource, Who, doc, on, resource};
use crate::api::view::List;
use crate::domain::{LeadFormat, Permission, TokenKind};
use crate::error::{ApiError, AppError};
use crate::services::Services;
use crate::services::leads::data;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// The campaign, by slug or id.
    #[param(example = "spring")]
    campaign: Option<String>,
    /// ndjson (default) or csv
    format: Option<String>,
    /// RFC 3339: only leads changed since then
    updated_since: Option<String>,
}

/// `GET /api/v1/export/leads?campaign=&format=csv|ndjson&updated_since=`:
/// every lead of a campaign, fetched and written in batches, so memory
/// stays flat whatever the row count. Logged with the token's assigned user.
pub async fn export(
    svc: web::Data<Services>,
    bearer: Bearer,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    data::may_export(&bearer.principal)?;
    let campaign = query
        .campaign
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::bad_request("`campaign` is required"))?;
    let format: LeadFormat = query
        .format
        .as_deref()
        .unwrap_or("ndjson")
        .parse()
        .map_err(|_| AppError::bad_request("format must be csv or ndjson"))?;
    let updated_since = match query.updated_since.as_deref() {
        Some(s) => Some(
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| AppError::bad_request("updated_since must be an RFC 3339 date-time"))?,
        ),
        None => None,
    };
    let export = data::start_export(&svc, &bearer.principal, &bearer.ip, &campaign, format, updated_since).await?;
    let file_name = export.file_name();
    let svc = svc.into_inner();
    let body = stream::unfold(Some((None::<i64>, export.head())), move |cursor| {
        let (svc, export) = (svc.clone(), export.clone());
        async move {
            let (after, mut out) = cursor?;
            match data::export_batch(&svc, &export, after).await {
                Ok((bytes, next)) => {
                    out.extend(bytes);
                    Some((Ok(web::Bytes::from(out)), next.map(|n| (Some(n), Vec::new()))))
                }
                Err(e) => Some((Err(actix_web::Error::from(ApiError(e))), None)),
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .streaming(body))
}

/// `POST /api/v1/tokens/introspect` (RFC 7662), for a caller holding a
/// private token: `{"active": false}` for anything not currently valid.
pub async fn introspect(
    req: HttpRequest,
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    data::may_introspect(&bearer.principal)?;
    let presented = token_param(&req, &body)?;
    Ok(HttpResponse::Ok().json(data::introspect(&svc, &bearer.principal, &bearer.ip, presented).await?))
}

/// The routes of the private token's data: export, import, introspection.
pub fn routes() -> Vec<Resource> {
    use crate::services::leads::data::Introspection;
    use views::ImportView;
    const TAG: &str = "Data";
    const PRIVATE: Who = Who::Kinds(&[TokenKind::AccountPrivate]);
    vec![
        resource(
            "/v1/export/leads",
            [on(
                Method::GET,
                export,
                doc(TAG, "Every lead of a campaign, streamed as NDJSON (default) or CSV", PRIVATE)
                    .query::<ExportQuery>()
                    .answers_raw(200, "application/x-ndjson"),
            )],
        ),
        resource(
            "/v1/import/leads",
            [on(
                Method::POST,
                imports::import,
                doc(
                    TAG,
                    "Import leads from CSV or NDJSON: 200 with the result when small, else 202 to follow",
                    PRIVATE,
                )
                .query::<imports::ImportQuery>()
                .raw_body("text/csv")
                .answers::<ImportView>(200)
                .or(202),
            )],
        ),
        resource(
            "/v1/imports/{id}",
            [on(
                Method::GET,
                imports::show,
                doc(TAG, "An import: its state, counts and errors (?format=csv: the errors as CSV)", PRIVATE)
                    .query::<imports::ReportQuery>()
                    .answers::<ImportView>(200),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/imports",
            [on(
                Method::GET,
                imports::of_campaign,
                doc("Campaigns", "The campaign's imports, newest first", Who::Role(Permission::ManageCampaigns))
                    .answers::<List<ImportView>>(200),
            )],
        ),
        resource(
            "/v1/tokens/introspect",
            [on(
                Method::POST,
                introspect,
                doc(TAG, "RFC 7662: is this token active, and what may it do?", PRIVATE)
                    .form::<crate::api::body::TokenParam>(json!({"token": "kw_api_…"}))
                    .answers::<Introspection>(200),
            )],
        ),
    ]
}
