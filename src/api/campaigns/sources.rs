//! `/api/v1/campaigns/{c}/sources`: list, create, change.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::views::SourceView;
use super::{acting_in, no_such, page_of, structure_of};
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{Paging, created, ok};
use crate::error::ApiError;
use crate::services::{Services, campaigns};

/// `GET /api/v1/campaigns/{c}/sources`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    page_of(&svc, &bearer, &c, &paging, |snap| snap.sources.iter().map(|s| (s.id, SourceView::from(s))).collect()).await
}

/// `POST /api/v1/campaigns/{c}/sources` `{name, kind, slug?}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<campaigns::NewSource>,
) -> Result<HttpResponse, ApiError> {
    let (actor, campaign_id) = acting_in(&svc, &bearer, &c).await?;
    let s = campaigns::create_source(&svc, actor, campaign_id, body.into_inner()).await?;
    Ok(created(&SourceView::from(&s)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcePatch {
    name: Option<String>,
    kind: Option<String>,
}

/// `PATCH /api/v1/campaigns/{c}/sources/{s}` (`{s}`: slug or id).
pub async fn patch(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
    body: Json<SourcePatch>,
) -> Result<HttpResponse, ApiError> {
    let (c, s) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let source = snap.source_ref(&s).ok_or_else(|| no_such("source", &s, &snap))?;
    let name = body.name.clone().unwrap_or_else(|| source.name.clone());
    let kind = body.kind.clone().unwrap_or_else(|| source.kind.to_string());
    let updated = campaigns::update_source(&svc, bearer.acting()?, snap.campaign.id, source.id, &name, &kind).await?;
    Ok(ok(&SourceView::from(&updated)))
}
