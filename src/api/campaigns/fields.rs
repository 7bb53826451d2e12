//! `/api/v1/campaigns/{c}/fields`: list, create, change (label, required,
//! public), delete.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::views::FieldView;
use super::{acting_in, no_such, page_of, structure_of};
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{Paging, created, no_content, ok};
use crate::error::ApiError;
use crate::services::Services;
use crate::services::campaigns::{public_data, structure};

/// `GET /api/v1/campaigns/{c}/fields`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    page_of(&svc, &bearer, &c, &paging, |snap| snap.fields.iter().map(|f| (f.id, FieldView::from(f))).collect()).await
}

/// `POST /api/v1/campaigns/{c}/fields` `{slug, label, type, required}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<structure::NewField>,
) -> Result<HttpResponse, ApiError> {
    let (actor, campaign_id) = acting_in(&svc, &bearer, &c).await?;
    let f = structure::create_field(&svc, actor, campaign_id, body.into_inner()).await?;
    Ok(created(&FieldView::from(&f)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldPatch {
    label: Option<String>,
    required: Option<bool>,
    public: Option<bool>,
}

/// `PATCH /api/v1/campaigns/{c}/fields/{slug}`.
pub async fn patch(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
    body: Json<FieldPatch>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let field = snap.field(&slug).ok_or_else(|| no_such("field", &slug, &snap))?;
    let actor = bearer.acting()?;
    if body.label.is_some() || body.required.is_some() {
        let label = body.label.as_deref().unwrap_or(&field.label);
        let required = body.required.unwrap_or(field.required);
        structure::update_field(&svc, actor.clone(), snap.campaign.id, field.id, label, required).await?;
    }
    if let Some(public) = body.public {
        public_data::set_field_public(&svc, actor, snap.campaign.id, field.id, public).await?;
    }
    let after = structure_of(&svc, &bearer, &c).await?;
    let f = after.field(&slug).ok_or_else(|| no_such("field", &slug, &after))?;
    Ok(ok(&FieldView::from(f)))
}

/// `DELETE /api/v1/campaigns/{c}/fields/{slug}`: 204.
pub async fn delete(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let id = snap.field(&slug).map(|f| f.id).ok_or_else(|| no_such("field", &slug, &snap))?;
    structure::delete_field(&svc, bearer.acting()?, snap.campaign.id, id).await?;
    Ok(no_content())
}
