//! `/api/v1/campaigns`: a campaign and its structure (sources, fields,
//! selects, statuses, filters, relations), the JSON twins of the console's
//! campaign screens, for user tokens whose role manages campaigns. Same
//! services, rules and audit entries as the console. Each part has its
//! module; every answer is a view of `views`.

pub mod fields;
pub mod filters;
pub mod relations;
pub mod selects;
pub mod sources;
pub mod statuses;
pub mod views;

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::auth::Bearer;
use super::body::Json;
use super::view::{List, Paging, created, ok};
use crate::error::{ApiError, AppError};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::{Services, campaigns};
use views::CampaignView;

/// A campaign's structure, fresh, once the caller is known to manage
/// campaigns; `reference` is an id or a slug.
pub(super) async fn structure_of(
    svc: &Services,
    bearer: &Bearer,
    reference: &str,
) -> Result<CampaignSnapshot, AppError> {
    let actor = bearer.acting()?;
    let c = campaigns::resolve(svc, &actor, reference).await?;
    campaigns::structure(svc, &actor, c.id).await
}

/// "campaign `spring` has no field `x`".
pub(super) fn no_such(what: &str, item: &str, snap: &CampaignSnapshot) -> AppError {
    AppError::NoSuch(format!("campaign `{}` has no {what} `{item}`", snap.campaign.slug))
}

/// A filter of the campaign by its id, as a path gives it.
pub(super) fn filter_id(snap: &CampaignSnapshot, item: &str) -> Result<i64, AppError> {
    item.parse::<i64>()
        .ok()
        .filter(|id| snap.filters.iter().any(|f| f.filter.id == *id))
        .ok_or_else(|| no_such("filter", item, snap))
}

/// `GET /api/v1/campaigns`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let list = campaigns::list(&svc, &bearer.acting()?).await?;
    let items = list.iter().map(|c| (c.id, CampaignView::from(c))).collect();
    Ok(ok(&List::page(items, &paging)?))
}

/// `POST /api/v1/campaigns` `{name, slug?, description?}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<campaigns::NewCampaign>,
) -> Result<HttpResponse, ApiError> {
    let c = campaigns::create_campaign(&svc, bearer.acting()?, body.into_inner()).await?;
    Ok(created(&CampaignView::from(&c)))
}

/// `GET /api/v1/campaigns/{c}`.
pub async fn get(svc: web::Data<Services>, bearer: Bearer, c: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(&svc, &bearer, &c).await?;
    Ok(ok(&CampaignView::from(&snap.campaign)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    name: Option<String>,
    description: Option<String>,
    archived: Option<bool>,
    file_types: Option<Vec<String>>,
}

/// `PATCH /api/v1/campaigns/{c}`: each field given is changed.
pub async fn patch(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<CampaignPatch>,
) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(&svc, &bearer, &c).await?;
    let actor = bearer.acting()?;
    let body = body.into_inner();
    let id = snap.campaign.id;
    let mut after = snap.campaign;
    if body.name.is_some() || body.description.is_some() {
        let name = body.name.as_deref().unwrap_or(&after.name).to_owned();
        let description = body.description.as_deref().unwrap_or(&after.description).to_owned();
        after = campaigns::update_campaign(&svc, actor.clone(), id, &name, &description).await?;
    }
    if let Some(types) = &body.file_types {
        after = campaigns::set_file_types(&svc, actor.clone(), id, types).await?;
    }
    if let Some(archived) = body.archived {
        after = campaigns::set_archived(&svc, actor, id, archived).await?;
    }
    Ok(ok(&CampaignView::from(&after)))
}
