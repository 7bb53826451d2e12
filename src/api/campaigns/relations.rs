//! `/api/v1/campaigns/{c}/relations`: list, create, delete.

use actix_web::{HttpResponse, web};

use super::views::RelationView;
use super::{no_such, structure_of};
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{List, Paging, created, no_content, ok};
use crate::error::ApiError;
use crate::services::campaigns::relations::{self, NewRelation};
use crate::services::{Services, campaigns};

/// `GET /api/v1/campaigns/{c}/relations`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(&svc, &bearer, &c).await?;
    let items = snap.relations.iter().map(|r| (r.relation.id, RelationView::from(r))).collect();
    Ok(ok(&List::page(items, &paging)?))
}

/// `POST /api/v1/campaigns/{c}/relations` `{slug, label, target_campaign, many, required, on_delete?}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<NewRelation>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let campaign = campaigns::resolve(&svc, &actor, &c).await?;
    let r = relations::create(&svc, actor, campaign.id, body.into_inner()).await?;
    Ok(created(&RelationView::from(&r)))
}

/// `DELETE /api/v1/campaigns/{c}/relations/{slug}`: 204.
pub async fn delete(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let id = snap.relation(&slug).map(|r| r.relation.id).ok_or_else(|| no_such("relation", &slug, &snap))?;
    relations::delete(&svc, bearer.acting()?, snap.campaign.id, id).await?;
    Ok(no_content())
}
