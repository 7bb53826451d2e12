//! `/api/v1/campaigns/{c}/filters`: list, create, change, delete.

use actix_web::{HttpResponse, web};

use super::views::FilterView;
use super::{filter_id, no_such, page_of, structure_of};
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{Paging, created, no_content, ok};
use crate::error::ApiError;
use crate::services::Services;
use crate::services::campaigns::filters::{self, FilterInput};

/// The filter with this id, read again after a change.
async fn fresh(svc: &Services, bearer: &Bearer, c: &str, id: i64) -> Result<FilterView, ApiError> {
    let snap = structure_of(svc, bearer, c).await?;
    let f = snap.filters.iter().find(|f| f.filter.id == id).ok_or_else(|| no_such("filter", &id.to_string(), &snap))?;
    Ok(FilterView::from(f))
}

/// `GET /api/v1/campaigns/{c}/filters`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    page_of(&svc, &bearer, &c, &paging, |snap| {
        snap.filters.iter().map(|f| (f.filter.id, FilterView::from(f))).collect()
    })
    .await
}

/// `POST /api/v1/campaigns/{c}/filters` `{name, conditions: [{select, option}]}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<FilterInput>,
) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(&svc, &bearer, &c).await?;
    let f = filters::create(&svc, bearer.acting()?, snap.campaign.id, body.into_inner()).await?;
    Ok(created(&fresh(&svc, &bearer, &c, f.id).await?))
}

/// `PATCH /api/v1/campaigns/{c}/filters/{id}` `{name, conditions}`.
pub async fn patch(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
    body: Json<FilterInput>,
) -> Result<HttpResponse, ApiError> {
    let (c, item) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let id = filter_id(&snap, &item)?;
    filters::update(&svc, bearer.acting()?, snap.campaign.id, id, body.into_inner()).await?;
    Ok(ok(&fresh(&svc, &bearer, &c, id).await?))
}

/// `DELETE /api/v1/campaigns/{c}/filters/{id}`: 204, or 409 while a live
/// token uses it.
pub async fn delete(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, item) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let id = filter_id(&snap, &item)?;
    filters::delete(&svc, bearer.acting()?, snap.campaign.id, id).await?;
    Ok(no_content())
}
