//! The Import API: `POST /api/v1/import/leads` takes CSV or
//! NDJSON, streamed; `GET /api/v1/imports/{id}` follows an import and gives
//! its report (JSON, or CSV with `?format=csv`). Account private tokens.

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt as _;
use serde::Deserialize;

use super::views::ImportView;
use crate::api::auth::Bearer;
use crate::api::body::idempotency_key;
use crate::api::campaigns::structure_of;
use crate::api::view::{List, ok};
use crate::domain::{ImportMode, LeadFormat};
use crate::error::{ApiError, AppError};
use crate::http::client_ip;
use crate::services::Services;
use crate::services::leads::imports::{self, ImportParams, ImportSpool};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The campaign, by slug or id.
    #[param(example = "spring")]
    campaign: Option<String>,
    /// csv (default) or ndjson
    format: Option<String>,
    /// all_or_nothing (default) or partial
    mode: Option<String>,
    /// a field whose value finds the lead to update
    upsert: Option<String>,
}

fn params(query: ImportQuery) -> Result<ImportParams, AppError> {
    let campaign = query
        .campaign
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| AppError::bad_request("campaign is required: ?campaign=<slug or id>"))?;
    let format: LeadFormat = query
        .format
        .as_deref()
        .unwrap_or("csv")
        .parse()
        .map_err(|_| AppError::bad_request("format must be csv or ndjson"))?;
    let mode: ImportMode = query
        .mode
        .as_deref()
        .unwrap_or("all_or_nothing")
        .parse()
        .map_err(|_| AppError::bad_request("mode must be all_or_nothing or partial"))?;
    let upsert = query.upsert.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    Ok(ImportParams { campaign, format, mode, upsert })
}

/// `POST /api/v1/import/leads?campaign=&format=&mode=&upsert=`: 200 with
/// the result when the body is small, else 202 with the import's id.
pub async fn import(
    req: HttpRequest,
    svc: web::Data<Services>,
    bearer: Bearer,
    query: web::Query<ImportQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    imports::may_import(&bearer.principal)?;
    let target = imports::prepare(&svc, &bearer.principal, params(query.into_inner())?).await?;
    let key = idempotency_key(&req)?;
    let mut spool = ImportSpool::new(&svc).await?;
    while let Some(piece) = payload.next().await {
        let piece = piece.map_err(|e| AppError::bad_request(format!("the body could not be read: {e}")))?;
        spool.write(&piece).await?;
    }
    let started = imports::start(&svc, target, spool, &client_ip(&req), key).await?;
    let mut res = if started.queued { HttpResponse::Accepted() } else { HttpResponse::Ok() };
    if started.replayed {
        res.insert_header((crate::api::body::REPLAYED, "true"));
    }
    if started.queued {
        res.insert_header(("Location", format!("/api/v1/imports/{}", started.info.import.id)));
    }
    Ok(res.json(ImportView::from(&started.info)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// json (default) or csv (the errors)
    format: Option<String>,
}

/// `GET /api/v1/imports/{id}`: state, counts and errors; `?format=csv`
/// gives the errors as CSV.
pub async fn show(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<crate::domain::ImportId>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let info = imports::get(&svc, &bearer.principal, id.into_inner().get()).await?;
    match query.format.as_deref() {
        None | Some("json") => Ok(ok(&ImportView::from(&info))),
        Some("csv") => Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"import-{}-report.csv\"", info.import.id),
            ))
            .body(info.report_csv())),
        Some(other) => Err(AppError::bad_request(format!("`{other}` is not a report format: use json or csv")).into()),
    }
}

/// `GET /api/v1/campaigns/{c}/imports`: the campaign's imports, newest
/// first, for the people who manage it.
pub async fn of_campaign(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(&svc, &bearer, &c).await?;
    let list = imports::of_campaign(&svc, &bearer.acting()?, snap.campaign.id).await?;
    Ok(ok(&List::whole(list.iter().map(ImportView::from).collect())))
}
