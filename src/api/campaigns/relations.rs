//! `/api/v1/campaigns/{c}/relations`: list, create, delete.

use actix_web::{HttpResponse, web};

use super::views::RelationView;
use super::{acting_in, no_such, page_of, structure_of};
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{Paging, created, no_content};
use crate::error::ApiError;
use crate::services::Services;
use crate::services::campaigns::relations::{self, NewRelation};

/// `GET /api/v1/campaigns/{c}/relations`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    page_of(&svc, &bearer, &c, &paging, |snap| {
        snap.relations.iter().map(|r| (r.relation.id, RelationView::from(r))).collect()
    })
    .await
}

/// `POST /api/v1/campaigns/{c}/relations` `{slug, label, target_campaign, many, required, on_delete?}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<NewRelation>,
) -> Result<HttpResponse, ApiError> {
    let (actor, campaign_id) = acting_in(&svc, &bearer, &c).await?;
    let r = relations::create(&svc, actor, campaign_id, body.into_inner()).await?;
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
