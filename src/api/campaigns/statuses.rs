//! `/api/v1/campaigns/{c}/statuses`: list, create, make one the default,
//! delete.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::views::StatusView;
use super::{acting_in, no_such, page_of, structure_of};
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{Paging, created, no_content, ok};
use crate::error::{ApiError, AppError};
use crate::services::Services;
use crate::services::campaigns::structure;

/// `GET /api/v1/campaigns/{c}/statuses`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    page_of(&svc, &bearer, &c, &paging, |snap| snap.statuses.iter().map(|s| (s.id, StatusView::from(s))).collect())
        .await
}

/// `POST /api/v1/campaigns/{c}/statuses` `{slug, label, default?}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<structure::NewStatus>,
) -> Result<HttpResponse, ApiError> {
    let (actor, campaign_id) = acting_in(&svc, &bearer, &c).await?;
    let s = structure::create_status(&svc, actor, campaign_id, body.into_inner()).await?;
    Ok(created(&StatusView::from(&s)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusPatch {
    default: bool,
}

/// `PATCH /api/v1/campaigns/{c}/statuses/{slug}` `{default: true}`: the
/// status new leads get.
pub async fn patch(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
    body: Json<StatusPatch>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let status = snap.status(&slug).ok_or_else(|| no_such("status", &slug, &snap))?;
    if !body.default {
        return Err(AppError::invalid("default", "Make another status the default instead.").into());
    }
    structure::set_default_status(&svc, bearer.acting()?, snap.campaign.id, status.id).await?;
    Ok(ok(&StatusView { default: true, ..StatusView::from(status) }))
}

/// `DELETE /api/v1/campaigns/{c}/statuses/{slug}`: 204, or 409 while
/// leads have it.
pub async fn delete(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let id = snap.status(&slug).map(|s| s.id).ok_or_else(|| no_such("status", &slug, &snap))?;
    structure::delete_status(&svc, bearer.acting()?, snap.campaign.id, id).await?;
    Ok(no_content())
}
