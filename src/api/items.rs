//! The management API's twins of the console's item actions: change a
//! campaign, a source, a field, a status or a filter; add and remove select
//! options; resend an invitation; pause or resume a destination; read the
//! outbox. Each calls the service the console's screen calls.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::auth::Bearer;
use crate::clock::rfc3339;
use crate::error::{ApiError, AppError};
use crate::services::catalog::CampaignSnapshot;
use crate::services::filters::FilterInput;
use crate::services::structure::NewOption;
use crate::services::{Services, campaigns, destinations, filters, outbox, public_data, structure, users};

async fn snapshot(svc: &Services, bearer: &Bearer, reference: &str) -> Result<CampaignSnapshot, AppError> {
    let actor = bearer.acting()?;
    let c = campaigns::resolve(svc, &actor, reference).await?;
    campaigns::structure(svc, &actor, c.id).await
}

fn no_such(what: &str, item: &str, snap: &CampaignSnapshot) -> AppError {
    AppError::NoSuch(format!("campaign `{}` has no {what} `{item}`", snap.campaign.slug))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    name: Option<String>,
    description: Option<String>,
    archived: Option<bool>,
    file_types: Option<Vec<String>>,
}

/// `PATCH /api/v1/campaigns/{c}`.
pub async fn patch_campaign(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: web::Json<CampaignPatch>,
) -> Result<HttpResponse, ApiError> {
    let snap = snapshot(&svc, &bearer, &c).await?;
    let actor = bearer.acting()?;
    let body = body.into_inner();
    let id = snap.campaign.id;
    if body.name.is_some() || body.description.is_some() {
        let name = body.name.as_deref().unwrap_or(&snap.campaign.name);
        let description = body.description.as_deref().unwrap_or(&snap.campaign.description);
        campaigns::update_campaign(&svc, actor.clone(), id, name, description).await?;
    }
    if let Some(types) = &body.file_types {
        campaigns::set_file_types(&svc, actor.clone(), id, types).await?;
    }
    if let Some(archived) = body.archived {
        campaigns::set_archived(&svc, actor, id, archived).await?;
    }
    let c = campaigns::resolve(&svc, &bearer.acting()?, &id.to_string()).await?;
    Ok(HttpResponse::Ok().json(json!({
        "id": c.id, "slug": c.slug, "name": c.name, "description": c.description,
        "archived_at": c.archived_at.map(rfc3339), "file_types": c.file_types.iter().flatten().collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcePatch {
    name: Option<String>,
    kind: Option<String>,
}

/// `PATCH /api/v1/campaigns/{c}/sources/{s}`.
pub async fn patch_source(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
    body: web::Json<SourcePatch>,
) -> Result<HttpResponse, ApiError> {
    let (c, s) = path.into_inner();
    let snap = snapshot(&svc, &bearer, &c).await?;
    let source = snap
        .sources
        .iter()
        .find(|x| x.slug == s || x.id.to_string() == s)
        .ok_or_else(|| no_such("source", &s, &snap))?;
    let name = body.name.clone().unwrap_or_else(|| source.name.clone());
    let kind = body.kind.clone().unwrap_or_else(|| source.kind.to_string());
    let updated = campaigns::update_source(&svc, bearer.acting()?, snap.campaign.id, source.id, &name, &kind).await?;
    Ok(HttpResponse::Ok()
        .json(json!({"id": updated.id, "slug": updated.slug, "name": updated.name, "kind": updated.kind})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldPatch {
    label: Option<String>,
    required: Option<bool>,
    public: Option<bool>,
}

/// `PATCH /api/v1/campaigns/{c}/fields/{slug}`.
pub async fn patch_field(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
    body: web::Json<FieldPatch>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = snapshot(&svc, &bearer, &c).await?;
    let field = snap.fields.iter().find(|f| f.slug == slug).ok_or_else(|| no_such("field", &slug, &snap))?;
    let actor = bearer.acting()?;
    if body.label.is_some() || body.required.is_some() {
        let label = body.label.as_deref().unwrap_or(&field.label);
        structure::update_field(
            &svc,
            actor.clone(),
            snap.campaign.id,
            field.id,
            label,
            body.required.unwrap_or(field.required),
        )
        .await?;
    }
    if let Some(public) = body.public {
        public_data::set_field_public(&svc, actor, snap.campaign.id, field.id, public).await?;
    }
    let after = snapshot(&svc, &bearer, &c).await?;
    let f = after.fields.iter().find(|f| f.slug == slug).ok_or_else(|| no_such("field", &slug, &after))?;
    Ok(HttpResponse::Ok().json(json!({
        "id": f.id, "slug": f.slug, "label": f.label, "type": f.field_type, "required": f.required, "public": f.public,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusPatch {
    default: bool,
}

/// `PATCH /api/v1/campaigns/{c}/statuses/{slug}` `{default: true}`: the
/// status new leads get.
pub async fn patch_status(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
    body: web::Json<StatusPatch>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = snapshot(&svc, &bearer, &c).await?;
    let status = snap.statuses.iter().find(|s| s.slug == slug).ok_or_else(|| no_such("status", &slug, &snap))?;
    if !body.default {
        return Err(AppError::invalid("default", "Make another status the default instead.").into());
    }
    structure::set_default_status(&svc, bearer.acting()?, snap.campaign.id, status.id).await?;
    Ok(HttpResponse::Ok().json(json!({"id": status.id, "slug": status.slug, "label": status.label, "default": true})))
}

/// `PATCH /api/v1/campaigns/{c}/filters/{id}` `{name, conditions}`.
pub async fn patch_filter(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
    body: web::Json<FilterInput>,
) -> Result<HttpResponse, ApiError> {
    let (c, item) = path.into_inner();
    let snap = snapshot(&svc, &bearer, &c).await?;
    let id = item
        .parse::<i64>()
        .ok()
        .filter(|id| snap.filters.iter().any(|f| f.filter.id == *id))
        .ok_or_else(|| no_such("filter", &item, &snap))?;
    let f = filters::update(&svc, bearer.acting()?, snap.campaign.id, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"id": f.id, "name": f.name})))
}

/// `POST /api/v1/campaigns/{c}/selects/{slug}/options` `{slug, label}`.
pub async fn add_option(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
    body: web::Json<NewOption>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = snapshot(&svc, &bearer, &c).await?;
    let select = snap.selects.iter().find(|s| s.select.slug == slug).ok_or_else(|| no_such("select", &slug, &snap))?;
    let o =
        structure::add_option(&svc, bearer.acting()?, snap.campaign.id, select.select.id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(json!({"id": o.id, "slug": o.slug, "label": o.label})))
}

/// `DELETE /api/v1/campaigns/{c}/selects/{slug}/options/{option}`.
pub async fn delete_option(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug, option) = path.into_inner();
    let snap = snapshot(&svc, &bearer, &c).await?;
    let select = snap.selects.iter().find(|s| s.select.slug == slug).ok_or_else(|| no_such("select", &slug, &snap))?;
    let o = select.option(&option).ok_or_else(|| no_such("option", &option, &snap))?;
    structure::delete_option(&svc, bearer.acting()?, snap.campaign.id, select.select.id, o.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/users/{id}/invitation`: a new invitation link.
pub async fn resend_invitation(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let u = users::resend_invitation(&svc, bearer.acting()?, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(json!({"id": u.id, "email": u.email})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Active {
    active: bool,
}

/// `PATCH /api/v1/destinations/{id}` `{active}`: pause or resume.
pub async fn patch_destination(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<i64>,
    body: web::Json<Active>,
) -> Result<HttpResponse, ApiError> {
    let d = destinations::set_active(&svc, bearer.acting()?, id.into_inner(), body.active).await?;
    Ok(HttpResponse::Ok().json(json!({"id": d.id, "name": d.name, "active": d.active})))
}

/// `GET /api/v1/outbox`: the mail queue's state (no bodies).
pub async fn outbox(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let o = outbox::outbox(&svc, &bearer.acting()?).await?;
    let items: Vec<serde_json::Value> = o
        .queue
        .iter()
        .map(|m| {
            let state = if m.sent_at.is_some() {
                "sent"
            } else if m.attempts > 0 {
                "retrying"
            } else {
                "queued"
            };
            json!({
                "id": m.id, "to": m.recipient, "subject": m.subject, "template": m.template, "state": state,
                "attempts": m.attempts, "queued_at": rfc3339(m.created_at), "sent_at": m.sent_at.map(rfc3339),
                "last_error": m.last_error,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"smtp": o.smtp, "items": items, "next_cursor": null})))
}
