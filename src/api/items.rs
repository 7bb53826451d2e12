//! The management API's twins of the console's item actions: change a
//! campaign, a source, a field, a status or a filter; add and remove select
//! options; resend an invitation; pause or resume a destination; read the
//! outbox. Each calls the service the console's screen calls.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::auth::Bearer;
use super::listing::{no_such, structure_of};
use crate::clock::rfc3339;
use crate::domain::DestinationRules;
use crate::error::{ApiError, AppError};
use crate::services::filters::FilterInput;
use crate::services::structure::NewOption;
use crate::services::{
    Services, accounts, campaigns, destinations, filters, leaks, outbox, personal_tokens, public_data, relations,
    structure, support, token_manage, users,
};

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
    let snap = structure_of(&svc, &bearer, &c).await?;
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
    let snap = structure_of(&svc, &bearer, &c).await?;
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
    let snap = structure_of(&svc, &bearer, &c).await?;
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
    let after = structure_of(&svc, &bearer, &c).await?;
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
    let snap = structure_of(&svc, &bearer, &c).await?;
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
    let snap = structure_of(&svc, &bearer, &c).await?;
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
    let snap = structure_of(&svc, &bearer, &c).await?;
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
    let snap = structure_of(&svc, &bearer, &c).await?;
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

/// `DELETE /api/v1/tokens/{key}`: its manager revokes it (204).
pub async fn delete_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    token_manage::revoke(&svc, bearer.acting()?, &key).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/tokens/{key}/show`: a retrievable token's value (level,
/// campaign API and account public tokens), audited.
pub async fn show_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (key, secret) = token_manage::reveal(&svc, bearer.acting()?, &key).await?;
    Ok(HttpResponse::Ok().json(json!({"key": key, "token": secrecy::ExposeSecret::expose_secret(&secret)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    active: bool,
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/tokens/{key}/active` `{active, reason}`: support switches
/// any token off (with a reason its owner is told) or back on.
pub async fn set_token_active(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
    body: web::Json<Switch>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let token = support::by_key(&svc, &actor, key.into_inner()).await?;
    let t = if body.active {
        support::reactivate(&svc, actor, token.id).await?
    } else {
        support::deactivate(&svc, actor, token.id, &body.reason).await?
    };
    Ok(HttpResponse::Ok().json(json!({"key": t.display_key(), "active": t.active})))
}

/// `DELETE /api/v1/campaigns/{c}/relations/{slug}`.
pub async fn delete_relation(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, slug) = path.into_inner();
    let snap = structure_of(&svc, &bearer, &c).await?;
    let id = snap
        .relations
        .iter()
        .find(|r| r.relation.slug == slug)
        .map(|r| r.relation.id)
        .ok_or_else(|| no_such("relation", &slug, &snap))?;
    relations::delete(&svc, bearer.acting()?, snap.campaign.id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/campaigns/{c}/imports`: the campaign's imports, newest first.
pub async fn imports(svc: web::Data<Services>, bearer: Bearer, c: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(&svc, &bearer, &c).await?;
    let list = crate::services::imports::of_campaign(&svc, &bearer.acting()?, snap.campaign.id).await?;
    let items: Vec<serde_json::Value> = list.iter().map(|i| i.json()).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakAction {
    action: String,
}

/// `PUT /api/v1/settings/leak-action` `{action: "revoke"|"flag"}`.
pub async fn put_leak_action(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<LeakAction>,
) -> Result<HttpResponse, ApiError> {
    leaks::set_action(&svc, bearer.acting()?, &body.action).await?;
    Ok(HttpResponse::Ok().json(json!({"action": body.action})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Described {
    #[serde(default)]
    description: String,
    #[serde(default)]
    expires_in_days: Option<i64>,
}

/// `POST /api/v1/settings/reporters` `{description}`: a reporter token, shown once.
pub async fn create_reporter(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<Described>,
) -> Result<HttpResponse, ApiError> {
    let new = leaks::create_reporter(&svc, bearer.acting()?, &body.description).await?;
    Ok(HttpResponse::Created().json(json!({
        "key": new.token.display_key(), "token": secrecy::ExposeSecret::expose_secret(&new.secret),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    allow_private: bool,
    allow_http: bool,
}

/// `PUT /api/v1/settings/destination-rules` `{allow_private, allow_http}`.
pub async fn put_destination_rules(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<Rules>,
) -> Result<HttpResponse, ApiError> {
    let rules = DestinationRules { allow_private: body.allow_private, allow_http: body.allow_http };
    destinations::set_rules(&svc, bearer.acting()?, rules).await?;
    Ok(HttpResponse::Ok().json(json!({"allow_private": rules.allow_private, "allow_http": rules.allow_http})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    name: String,
}

/// `PATCH /api/v1/me` `{name}`: the token's user's display name.
pub async fn patch_me(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<MePatch>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    accounts::update_profile(&svc, actor, body.into_inner().name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/me/tokens` `{description, expires_in_days?}`: a personal
/// token for the token's own user, shown once.
pub async fn create_own_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<Described>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let owner = actor.own_user_id()?;
    let body = body.into_inner();
    let new = personal_tokens::create(&svc, actor, owner, &body.description, body.expires_in_days).await?;
    Ok(HttpResponse::Created().json(json!({
        "key": new.token.display_key(), "token": secrecy::ExposeSecret::expose_secret(&new.secret),
        "expires_at": new.token.expires_at.map(rfc3339),
    })))
}
