//! Collections of the management API, read with a user token as the
//! console reads them: campaigns, users and the audit log, each
//! cursor-paginated as `{items: [...], next_cursor}` (SPEC §5); and the
//! API's own OpenAPI document.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Bearer;
use crate::clock::rfc3339;
use crate::error::{ApiError, AppError};
use crate::services::audit::{self, AuditFilter};
use crate::services::{Services, campaigns, users};

#[derive(Deserialize)]
pub struct Page {
    cursor: Option<String>,
    limit: Option<i64>,
    // The audit log's filters.
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl Page {
    fn limit(&self) -> Result<i64, AppError> {
        let limit = self.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(AppError::bad_request("limit must be from 1 to 500"));
        }
        Ok(limit)
    }

    fn cursor(&self) -> Result<Option<i64>, AppError> {
        match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => c.parse().map(Some).map_err(|_| AppError::bad_request("cursor is not one this API gave")),
            None => Ok(None),
        }
    }
}

/// One page of `items` (sorted by id) after `cursor`.
fn page_of(mut items: Vec<(i64, Value)>, page: &Page) -> Result<Value, AppError> {
    let (limit, after) = (page.limit()?, page.cursor()?);
    items.sort_by_key(|(id, _)| *id);
    let mut rest: Vec<(i64, Value)> = items.into_iter().filter(|(id, _)| after.is_none_or(|a| *id > a)).collect();
    let next = (rest.len() as i64 > limit).then(|| {
        rest.truncate(limit as usize);
        rest.last().map(|(id, _)| id.to_string()).unwrap_or_default()
    });
    Ok(json!({"items": rest.into_iter().map(|(_, v)| v).collect::<Vec<_>>(), "next_cursor": next}))
}

/// `GET /api/v1/openapi.json`: the management API's OpenAPI 3.1 document.
pub async fn openapi(svc: web::Data<Services>) -> HttpResponse {
    HttpResponse::Ok().json(crate::services::api_doc::openapi(&svc.settings.public_url))
}

/// `GET /api/v1/campaigns`.
pub async fn campaigns(
    svc: web::Data<Services>,
    bearer: Bearer,
    query: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    let list = campaigns::list(&svc, &bearer.acting()?).await?;
    let items = list.into_iter().map(|c| (c.id, campaign_json(&c))).collect();
    Ok(HttpResponse::Ok().json(page_of(items, &query)?))
}

/// `GET /api/v1/users`: people and API users.
pub async fn users(
    svc: web::Data<Services>,
    bearer: Bearer,
    query: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    let list = users::list(&svc, &bearer.acting()?).await?;
    let items = list.into_iter().map(|u| (u.id, user_json(&u))).collect();
    Ok(HttpResponse::Ok().json(page_of(items, &query)?))
}

/// `GET /api/v1/audit`: newest first; `cursor` continues below the last id.
pub async fn audit(
    svc: web::Data<Services>,
    bearer: Bearer,
    query: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let (limit, before) = (query.limit()?, query.cursor()?);
    let date = |field: &str, v: &Option<String>| -> Result<Option<time::Date>, AppError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        match v.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => time::Date::parse(d, format)
                .map(Some)
                .map_err(|_| AppError::bad_request(format!("{field} is a date such as 2026-11-30"))),
            None => Ok(None),
        }
    };
    let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let filter = AuditFilter {
        actor: clean(&query.actor),
        action: clean(&query.action),
        target: clean(&query.target),
        from: date("from", &query.from)?,
        to: date("to", &query.to)?,
    };
    let (mut events, _) = audit::page(&svc, &actor, filter, before, limit + 1).await?;
    let next = (events.len() as i64 > limit).then(|| {
        events.truncate(limit as usize);
        events.last().map(|e| e.id.to_string()).unwrap_or_default()
    });
    let items: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "at": rfc3339(e.at), "actor": e.actor, "action": e.action,
                "target": e.target, "ip": e.ip, "details": e.details,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": next})))
}

fn user_json(u: &crate::services::accounts::UserInfo) -> Value {
    json!({
        "id": u.id, "email": u.email, "name": u.display_name, "role": u.role, "kind": u.kind,
        "status": u.status(), "active": u.active, "api_token_allowed": u.api_token_allowed,
        "created_at": rfc3339(u.created_at), "last_sign_in_at": u.last_sign_in_at.map(rfc3339),
    })
}

fn campaign_json(c: &crate::services::catalog::Campaign) -> Value {
    json!({
        "id": c.id, "slug": c.slug, "name": c.name, "description": c.description,
        "public_id": c.public_id, "token_enabled": c.token_enabled,
        "archived_at": c.archived_at.map(rfc3339), "created_at": rfc3339(c.created_at),
    })
}

/// A campaign's structure, for a caller who manages campaigns.
pub(super) async fn structure_of(
    svc: &Services,
    bearer: &Bearer,
    reference: &str,
) -> Result<crate::services::catalog::CampaignSnapshot, AppError> {
    let actor = bearer.acting()?;
    let c = campaigns::resolve(svc, &actor, reference).await?;
    campaigns::structure(svc, &actor, c.id).await
}

/// "campaign `spring` has no field `x`".
pub(super) fn no_such(what: &str, item: &str, snap: &crate::services::catalog::CampaignSnapshot) -> AppError {
    AppError::NoSuch(format!("campaign `{}` has no {what} `{item}`", snap.campaign.slug))
}

/// `GET /api/v1/campaigns/{c}`.
pub async fn campaign(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(&svc, &bearer, &c).await?;
    Ok(HttpResponse::Ok().json(campaign_json(&snap.campaign)))
}

/// The collections of a campaign's structure.
#[derive(Clone, Copy)]
pub enum Part {
    Sources,
    Fields,
    Selects,
    Statuses,
    Filters,
}

async fn part(svc: &Services, bearer: &Bearer, c: &str, part: Part, page: &Page) -> Result<HttpResponse, AppError> {
    let snap = structure_of(svc, bearer, c).await?;
    let items: Vec<(i64, Value)> = match part {
        Part::Sources => snap
            .sources
            .iter()
            .map(|s| {
                let tokens: serde_json::Map<String, Value> = crate::domain::IntakeMethod::ALL
                    .iter()
                    .map(|m| (m.as_str().to_owned(), json!(s.method_enabled(*m))))
                    .collect();
                let v = json!({"id": s.id, "slug": s.slug, "name": s.name, "kind": s.kind, "tokens": tokens});
                (s.id, v)
            })
            .collect(),
        Part::Fields => snap
            .fields
            .iter()
            .map(|f| {
                let v = json!({"id": f.id, "slug": f.slug, "label": f.label, "type": f.field_type, "required": f.required, "public": f.public});
                (f.id, v)
            })
            .collect(),
        Part::Selects => snap
            .selects
            .iter()
            .map(|s| {
                let options: Vec<Value> =
                    s.options.iter().map(|o| json!({"id": o.id, "slug": o.slug, "label": o.label})).collect();
                (s.select.id, json!({"id": s.select.id, "slug": s.select.slug, "label": s.select.label, "options": options}))
            })
            .collect(),
        Part::Statuses => snap
            .statuses
            .iter()
            .map(|s| (s.id, json!({"id": s.id, "slug": s.slug, "label": s.label, "default": s.is_default})))
            .collect(),
        Part::Filters => snap
            .filters
            .iter()
            .map(|f| {
                let conditions: Vec<Value> =
                    f.conditions.iter().map(|c| json!({"select": c.select_slug, "option": c.option_slug})).collect();
                (f.filter.id, json!({"id": f.filter.id, "name": f.filter.name, "conditions": conditions}))
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(page_of(items, page)?))
}

pub async fn sources(
    s: web::Data<Services>,
    b: Bearer,
    c: web::Path<String>,
    q: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    Ok(part(&s, &b, &c, Part::Sources, &q).await?)
}
pub async fn fields(
    s: web::Data<Services>,
    b: Bearer,
    c: web::Path<String>,
    q: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    Ok(part(&s, &b, &c, Part::Fields, &q).await?)
}
pub async fn selects(
    s: web::Data<Services>,
    b: Bearer,
    c: web::Path<String>,
    q: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    Ok(part(&s, &b, &c, Part::Selects, &q).await?)
}
pub async fn statuses(
    s: web::Data<Services>,
    b: Bearer,
    c: web::Path<String>,
    q: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    Ok(part(&s, &b, &c, Part::Statuses, &q).await?)
}
pub async fn filters(
    s: web::Data<Services>,
    b: Bearer,
    c: web::Path<String>,
    q: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    Ok(part(&s, &b, &c, Part::Filters, &q).await?)
}

/// `DELETE /api/v1/campaigns/{c}/{fields|selects|statuses}/{slug}` and
/// `…/filters/{id}`: 204, or the console's refusal (a status in use, a
/// filter a live token uses: 409).
async fn delete_part(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: String,
    what: &str,
    item: String,
) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(&svc, &bearer, &c).await?;
    let actor = bearer.acting()?;
    let cid = snap.campaign.id;
    let missing = || no_such(what, &item, &snap);
    match what {
        "fields" => {
            let id = snap.fields.iter().find(|f| f.slug == item).map(|f| f.id).ok_or_else(missing)?;
            crate::services::structure::delete_field(&svc, actor, cid, id).await?;
        }
        "selects" => {
            let id = snap.selects.iter().find(|s| s.select.slug == item).map(|s| s.select.id).ok_or_else(missing)?;
            crate::services::structure::delete_select(&svc, actor, cid, id).await?;
        }
        "statuses" => {
            let id = snap.statuses.iter().find(|s| s.slug == item).map(|s| s.id).ok_or_else(missing)?;
            crate::services::structure::delete_status(&svc, actor, cid, id).await?;
        }
        "filters" => {
            let id = item
                .parse::<i64>()
                .ok()
                .filter(|id| snap.filters.iter().any(|f| f.filter.id == *id))
                .ok_or_else(missing)?;
            crate::services::filters::delete(&svc, actor, cid, id).await?;
        }
        _ => return Err(AppError::NotFound.into()),
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/users/{id}`.
pub async fn user(svc: web::Data<Services>, bearer: Bearer, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let u = users::list(&svc, &bearer.acting()?)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| AppError::NoSuch(format!("no user has the id {id}")))?;
    Ok(HttpResponse::Ok().json(user_json(&u)))
}

pub async fn delete_field(
    s: web::Data<Services>,
    b: Bearer,
    p: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, item) = p.into_inner();
    delete_part(s, b, c, "fields", item).await
}
pub async fn delete_select(
    s: web::Data<Services>,
    b: Bearer,
    p: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, item) = p.into_inner();
    delete_part(s, b, c, "selects", item).await
}
pub async fn delete_status(
    s: web::Data<Services>,
    b: Bearer,
    p: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, item) = p.into_inner();
    delete_part(s, b, c, "statuses", item).await
}
pub async fn delete_filter(
    s: web::Data<Services>,
    b: Bearer,
    p: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (c, item) = p.into_inner();
    delete_part(s, b, c, "filters", item).await
}
