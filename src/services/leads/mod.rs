//! Leads: validation against the campaign structure, the JSON shape of a
//! lead, and the leads API of a campaign, for campaign API tokens (scoped by
//! their permissions and filter) and for admins' own tokens.

mod access;
pub mod data;
pub mod document;
pub mod files;
pub mod imports;
pub mod intake;
mod links;
mod record;
mod validate;

pub use access::LeadAccess;
pub(in crate::services) use links::{link, links_of};
pub use record::{LeadAnswer, LeadJson, LeadWritten, lead_json};
pub(in crate::services) use record::{insert_lead, lead_json_read, lead_row, lead_view_read, plain};
pub use validate::{LeadData, Mode, validate};

use std::sync::Arc;

use diesel::PgConnection;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::domain::{Actor, Permission, WebhookEvent};
use crate::error::{AppError, FieldErrors};
pub use crate::models::Lead;
use crate::models::LeadQuery;
pub use crate::models::lead_link::LeadLink;
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::context::Services;
use crate::services::context::Tx;
use crate::services::events::webhooks;
use crate::services::idempotency::{self, Claim, Idempotency};
use crate::services::lead_writer::PendingLead;
use crate::tokens::Principal;
// ------------------------------------------------------------- leads API

pub const PAGE_MAX: i64 = 500;

/// The campaign (by id or slug, from the cache) and what this token may do
/// in it.
pub(in crate::services) async fn scope(
    svc: &Services,
    principal: &Principal,
    campaign: &str,
) -> Result<(Arc<CampaignSnapshot>, LeadAccess), AppError> {
    let snap = crate::services::campaigns::catalog::snapshot(svc, campaign).await?;
    let access = LeadAccess::of(principal, &snap)?;
    Ok((snap, access))
}

/// What a leads listing asks for.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    pub updated_since: Option<OffsetDateTime>,
    /// The cursor: the last lead id of the previous page.
    pub after: Option<i64>,
    pub limit: i64,
}

/// One page of the leads a token may read, and the cursor of the next.
pub async fn list(
    svc: &Services,
    principal: &Principal,
    campaign: &str,
    query: ListQuery,
) -> Result<(Vec<LeadJson>, Option<String>), AppError> {
    let (snap, access) = scope(svc, principal, campaign).await?;
    if !(1..=PAGE_MAX).contains(&query.limit) {
        return Err(AppError::bad_request(format!("limit must be from 1 to {PAGE_MAX}")));
    }
    let query = LeadQuery {
        status: query.status,
        updated_since: query.updated_since,
        after: query.after,
        limit: query.limit,
        ..LeadQuery::default()
    };
    svc.run(move |conn| page(conn, &snap, &access, query)).await
}

fn page(
    conn: &mut PgConnection,
    snap: &CampaignSnapshot,
    access: &LeadAccess,
    mut query: LeadQuery,
) -> Result<(Vec<LeadJson>, Option<String>), AppError> {
    access.require_read()?;
    if let Some(status) = &query.status
        && snap.status(status).is_none()
    {
        return Err(AppError::invalid("status", format!("`{status}` is not a status of this campaign")));
    }
    let limit = query.limit;
    query.campaign_id = snap.campaign.id;
    query.containing = access.filter.as_ref().map(|f| f.containment());
    query.limit = limit + 1;
    let mut leads = Lead::page(conn, &query)?;
    let next = (leads.len() as i64 > limit).then(|| {
        leads.truncate(limit as usize);
        leads.last().map(|l| l.id.to_string()).unwrap_or_default()
    });
    let ids: Vec<i64> = leads.iter().map(|l| l.id).collect();
    let links = links_of(conn, snap, &ids)?;
    let views = leads.iter().map(|l| LeadJson::new(l, snap, links.get(&l.id).map_or(&[], Vec::as_slice))).collect();
    Ok((views, next))
}

/// One lead; 404 when it is outside the token's filter (no existence leak).
pub async fn get(svc: &Services, principal: &Principal, campaign: &str, id: i64) -> Result<LeadJson, AppError> {
    let (snap, access) = scope(svc, principal, campaign).await?;
    access.require_read()?;
    svc.run(move |conn| get_in(conn, &snap, &access, id)).await
}

fn get_in(
    conn: &mut PgConnection,
    snap: &CampaignSnapshot,
    access: &LeadAccess,
    id: i64,
) -> Result<LeadJson, AppError> {
    access.require_read()?;
    let lead = visible(conn, snap, access, id, false)?;
    lead_view_read(conn, &lead, snap)
}

/// Lead `id` of the campaign, if it is inside the token's filter (locked
/// for update when `lock`); 404 otherwise, whether it exists or not.
pub(in crate::services) fn visible(
    conn: &mut PgConnection,
    snap: &CampaignSnapshot,
    access: &LeadAccess,
    id: i64,
    lock: bool,
) -> Result<Lead, AppError> {
    Lead::find_in_campaign(conn, snap.campaign.id, id, lock)?
        .filter(|l| l.selects.as_object().is_some_and(|s| access.allows(s)))
        .ok_or(AppError::NoSuch(format!("no lead {id} in this campaign")))
}

fn source_of(snap: &CampaignSnapshot, body: &Value) -> Result<Option<i64>, AppError> {
    match body.get("source") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => snap
            .source_ref(s)
            .map(|s| Some(s.id))
            .ok_or_else(|| AppError::invalid("source", format!("`{s}` is not a source of this campaign"))),
        Some(_) => Err(AppError::invalid("source", "must be a source slug")),
    }
}

/// Checks that the token may write in the campaign, before its body is read.
pub async fn require_write(svc: &Services, principal: &Principal, campaign: &str) -> Result<(), AppError> {
    scope(svc, principal, campaign).await?.1.require_write()
}

/// Creates a lead through the API; it must fall inside the token's filter.
/// With an Idempotency-Key, the same request again answers the first
/// answer (`true`: a replay) and creates nothing.
pub async fn create(
    svc: &Services,
    principal: &Principal,
    campaign: &str,
    key: Option<String>,
    body: Value,
) -> Result<(Value, bool), AppError> {
    let (snap, access) = scope(svc, principal, campaign).await?;
    let now = svc.now();
    let scope = format!("leads:{}:{}", snap.campaign.id, principal.token_id);
    match key.map(|k| Idempotency::new(&k, scope, &body)).transpose()? {
        None => {
            let (source_id, data) = checked_new(&snap, &access, &body)?;
            if plain(&snap, &data) {
                let row = lead_row(&snap, source_id, data, now)?;
                let answer = Box::new(move |lead: &Lead| lead_json(lead, &snap, &[]));
                return Ok((svc.lead_writer.submit(PendingLead { row, answer }).await?, false));
            }
            svc.tx(move |tx| {
                let lead = insert_lead(tx, &snap, Some(&access), source_id, data, now)?;
                lead_json_read(tx, &lead, &snap)
            })
            .await
            .map(|v| (v, false))
        }
        Some(key) => {
            svc.tx(move |tx| match idempotency::claim(tx, &key, now)? {
                Claim::Replay { body, .. } => Ok((body, true)),
                Claim::Ours(id) => {
                    let lead = create_in(tx, &snap, &access, &body, now)?;
                    idempotency::record(tx, id, 201, &lead)?;
                    Ok((lead, false))
                }
            })
            .await
        }
    }
}

fn create_in(
    conn: &mut Tx<'_>,
    snap: &CampaignSnapshot,
    access: &LeadAccess,
    body: &Value,
    now: OffsetDateTime,
) -> Result<Value, AppError> {
    let (source, data) = checked_new(snap, access, body)?;
    let lead = insert_lead(conn, snap, Some(access), source, data, now)?;
    lead_json_read(conn, &lead, snap)
}

/// A new lead from the API, validated and inside the token's filter: its
/// source and data.
fn checked_new(
    snap: &CampaignSnapshot,
    access: &LeadAccess,
    body: &Value,
) -> Result<(Option<i64>, LeadData), AppError> {
    access.require_write()?;
    let data = validate(snap, body, Mode::Full, &["source"]).map_err(AppError::Validation)?;
    let source = source_of(snap, body)?;
    if !access.allows(&data.selects) {
        return Err(access.outside(&data.selects));
    }
    Ok((source, data))
}

/// Updates fields, select values and status of a lead that is inside the
/// token's filter, and stays inside it. `null` removes a value.
pub async fn update(
    svc: &Services,
    principal: &Principal,
    campaign: &str,
    id: i64,
    body: Value,
) -> Result<LeadAnswer, AppError> {
    let (snap, access) = scope(svc, principal, campaign).await?;
    access.require_write()?;
    let changes = validate(&snap, &body, Mode::Partial, &[]).map_err(AppError::Validation)?;
    let now = svc.now();
    svc.tx(move |tx| update_in(tx, &snap, &access, id, &body, changes, now)).await
}

/// The lead is locked, merged, checked against the filter and written.
fn update_in(
    conn: &mut Tx<'_>,
    snap: &CampaignSnapshot,
    access: &LeadAccess,
    id: i64,
    body: &Value,
    changes: LeadData,
    now: OffsetDateTime,
) -> Result<LeadAnswer, AppError> {
    let lead = visible(conn, snap, access, id, true)?;
    let mut fields = lead.fields.as_object().cloned().unwrap_or_default();
    let mut selects = lead.selects.as_object().cloned().unwrap_or_default();
    let body = body.as_object().cloned().unwrap_or_default();
    merge(&mut fields, body.get("fields"), &changes.fields);
    merge(&mut selects, body.get("select_field_values"), &changes.selects);
    let mut errors = FieldErrors::new();
    for f in snap.fields.iter().filter(|f| f.required) {
        if !fields.contains_key(&f.slug) {
            errors.insert(format!("fields.{}", f.slug), "is required and cannot be removed".into());
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if !access.allows(&selects) {
        return Err(access.outside(&selects));
    }
    let status = changes.status.unwrap_or_else(|| lead.status.clone());
    let (fields, selects) = (Value::Object(fields), Value::Object(selects));
    let mut relinked = false;
    if !changes.relations.is_empty() {
        let before = links_of(conn, snap, &[lead.id])?.remove(&lead.id).unwrap_or_default();
        link(conn, snap, Some(access), lead.id, &changes.relations)?;
        let after = links_of(conn, snap, &[lead.id])?.remove(&lead.id).unwrap_or_default();
        relinked = before != after;
    }
    // A patch that changes nothing writes nothing (updated_at stays).
    if !relinked && (&fields, &selects, &status) == (&lead.fields, &lead.selects, &lead.status) {
        return answer_to_writer(conn, &lead, snap, access);
    }
    let previous = lead.status.clone();
    let lead = Lead::update(conn, lead.id, &status, &fields, &selects, now)?;
    let empty = Map::new();
    let selects = lead.selects.as_object().unwrap_or(&empty);
    let status_changed = previous != lead.status;
    if webhooks::wanted(snap, WebhookEvent::LeadUpdated, selects)
        || (status_changed && webhooks::wanted(snap, WebhookEvent::LeadStatusChanged, selects))
    {
        let mut json = lead_json_read(conn, &lead, snap)?;
        webhooks::lead_event(conn, snap, &json, WebhookEvent::LeadUpdated, now)?;
        if status_changed {
            json["previous_status"] = Value::String(previous);
            webhooks::lead_event(conn, snap, &json, WebhookEvent::LeadStatusChanged, now)?;
        }
    }
    answer_to_writer(conn, &lead, snap, access)
}

/// What a write answers: the lead, or, to a token that may not read, only
/// which lead and when it changed (it must not read what it did not send).
fn answer_to_writer(
    conn: &mut PgConnection,
    lead: &Lead,
    snap: &CampaignSnapshot,
    access: &LeadAccess,
) -> Result<LeadAnswer, AppError> {
    Ok(if access.read {
        LeadAnswer::Lead(lead_view_read(conn, lead, snap)?)
    } else {
        LeadAnswer::Written(LeadWritten::new(lead))
    })
}

// ------------------------------------------------------------- console

/// How many leads a console page shows.
pub const CONSOLE_PAGE: i64 = 50;

/// A page of a campaign's leads for the console, newest first, and the
/// cursor of the next.
pub async fn console_list(
    svc: &Services,
    actor: &Actor,
    campaign_id: i64,
    status: Option<String>,
    before: Option<i64>,
) -> Result<(CampaignSnapshot, Vec<Lead>, Option<i64>), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let snap = crate::services::campaigns::catalog::load(svc, campaign_id).await?;
    let status = status.filter(|s| snap.status(s).is_some());
    let id = snap.campaign.id;
    let (leads, next) = svc
        .run(move |conn| {
            let mut leads = Lead::newest(conn, id, status.as_deref(), before, CONSOLE_PAGE + 1)?;
            let next = (leads.len() as i64 > CONSOLE_PAGE).then(|| {
                leads.truncate(CONSOLE_PAGE as usize);
                leads.last().map_or(0, |l| l.id)
            });
            Ok((leads, next))
        })
        .await?;
    Ok((snap, leads, next))
}

/// One lead of a campaign for the console, with its links.
pub async fn console_get(
    svc: &Services,
    actor: &Actor,
    campaign_id: i64,
    id: i64,
) -> Result<(CampaignSnapshot, Lead, Vec<LeadLink>), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let snap = crate::services::campaigns::catalog::load(svc, campaign_id).await?;
    svc.run(move |conn| {
        let lead = visible(conn, &snap, &LeadAccess::everything(), id, false)?;
        let links = links_of(conn, &snap, &[lead.id])?.remove(&lead.id).unwrap_or_default();
        Ok((snap, lead, links))
    })
    .await
}

/// Deletes a lead inside the token's filter (Write), with its files and
/// its own links. Refused (409) while leads link to it through a relation
/// that refuses deletes; links through relations that unlink go with it.
pub async fn delete(svc: &Services, principal: &Principal, campaign: &str, id: i64) -> Result<(), AppError> {
    let (snap, access) = scope(svc, principal, campaign).await?;
    access.require_write()?;
    svc.tx(move |tx| {
        let lead = visible(tx, &snap, &access, id, true)?;
        let blocking = LeadLink::blocking(tx, lead.id, 5)?;
        if let Some(first) = blocking.first() {
            let leads: Vec<String> = blocking.iter().map(|b| b.lead_id.to_string()).collect();
            return Err(AppError::conflict(format!(
                "lead {id} is linked to by lead {} through the relation `{}`, which refuses deletes: unlink it first",
                leads.join(", "),
                first.relation_slug
            )));
        }
        Lead::delete(tx, lead.id)?;
        Ok(())
    })
    .await
}

/// Applies checked values, and removes the keys the request set to null.
fn merge(target: &mut Map<String, Value>, requested: Option<&Value>, checked: &Map<String, Value>) {
    if let Some(Value::Object(req)) = requested {
        for (k, v) in req {
            if v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()) {
                target.remove(k);
            }
        }
    }
    for (k, v) in checked {
        target.insert(k.clone(), v.clone());
    }
}

/// A campaign's structure as a token of it sees it.
pub struct CampaignStructure {
    pub snap: std::sync::Arc<CampaignSnapshot>,
    pub access: LeadAccess,
    /// The presenting token's key.
    pub key: String,
}

/// Fields, allowed values, statuses, selects, and the presenting token's
/// permissions and filter. Any token of the campaign may read it.
pub async fn schema(svc: &Services, principal: &Principal, campaign: &str) -> Result<CampaignStructure, AppError> {
    let (snap, access) = scope(svc, principal, campaign).await?;
    Ok(CampaignStructure { snap, access, key: principal.display_key() })
}
