//! `/api/v1/campaigns/{c}/selects`: list, create, delete, and a select's
//! options (add, delete).

use actix_web::{HttpResponse, web};

use super::views::{OptionView, SelectView};
use super::{acting_in, no_such, page_of, structure_of};
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{Paging, created, no_content};
use crate::domain::OptionId;
use crate::error::ApiError;
use crate::services::Services;
use crate::services::campaigns::catalog::{CampaignSnapshot, SelectSpec};
use crate::services::campaigns::structure::{self, NewOption};

fn select<'a>(snap: &'a CampaignSnapshot, slug: &str) -> Result<&'a SelectSpec, ApiError> {
    Ok(snap.select(slug).ok_or_else(|| no_such("select", slug, snap))?)
}

/// `GET /api/v1/campaigns/{c}/selects`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    page_of(&svc, &bearer, &c, &paging, |snap| {
        snap.selects.iter().map(|s| (s.select.id, SelectView::from(s))).collect()
    })
    .await
}

/// `POST /api/v1/campaigns/{c}/selects` `{slug, label, options: [{slug, label}]}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<structure::NewSelect>,
) -> Result<HttpResponse, ApiError> {
    let (actor, campaign_id) = acting_in(&svc, &bearer, &c).await?;
    let s = structure::create_select(&svc, actor, campaign_id, body.into_inner()).await?;
    let after = structure_of(&svc, &bearer, &c).await?;
    Ok(created(&SelectView::from(select(&after, &s.slug)?)))
}

/// `DELETE /api/v1/campaigns/{c}/selects/{slug}`: 204.
pub async fn delete(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let id = select(&snap, &slug)?.select.id;
    structure::delete_select(&svc, bearer.acting()?, snap.campaign.id, id).await?;
    Ok(no_content())
}

/// `POST /api/v1/campaigns/{c}/selects/{slug}/options` `{slug, label}`.
pub async fn add_option(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
    body: Json<NewOption>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let select_id = select(&snap, &slug)?.select.id;
    let o = structure::add_option(&svc, bearer.acting()?, snap.campaign.id, select_id, body.into_inner()).await?;
    Ok(created(&OptionView { id: OptionId(o.id), slug: o.slug, label: o.label }))
}

/// `DELETE /api/v1/campaigns/{c}/selects/{slug}/options/{option}`: 204.
pub async fn delete_option(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug, option) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let select = select(&snap, &slug)?;
    let o = select.option(&option).ok_or_else(|| no_such("option", &option, &snap))?;
    structure::delete_option(&svc, bearer.acting()?, snap.campaign.id, select.select.id, o.id).await?;
    Ok(no_content())
}
