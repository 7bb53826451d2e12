//! A lead as it is stored (its row) and as the API shows it (its JSON).

use diesel::PgConnection;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::access::LeadAccess;
use super::links::{link, links_of};
use super::validate::LeadData;
use crate::domain::WebhookEvent;
use crate::error::AppError;
use crate::models::lead_link::LeadLink;
use crate::models::{Lead, LeadRow};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::context::Tx;
use crate::services::events::webhooks;

/// A lead as the API shows it: its fields and select values are those of
/// its campaign (the campaign's document names them); `relations` is there
/// when the campaign has relations.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LeadJson {
    pub id: crate::domain::LeadId,
    /// The status's slug.
    pub status: String,
    /// Field slug → value.
    #[schema(value_type = Object)]
    pub fields: Value,
    /// Select slug → option slug.
    #[schema(value_type = Object)]
    pub select_field_values: Value,
    /// The source's slug; null for a lead made through the leads API.
    pub source: Option<String>,
    pub created_at: crate::domain::At,
    pub updated_at: crate::domain::At,
    /// Relation slug → the related lead's id (or null), or a list of ids
    /// for a relation to many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relations: Option<Map<String, Value>>,
}

impl LeadJson {
    /// A lead with its links (`links`: this lead's).
    pub fn new(lead: &Lead, snap: &CampaignSnapshot, links: &[LeadLink]) -> Self {
        Self {
            id: crate::domain::LeadId(lead.id),
            status: lead.status.clone(),
            fields: lead.fields.clone(),
            select_field_values: lead.selects.clone(),
            source: lead.source_id.and_then(|id| snap.source(id)).map(|s| s.slug.clone()),
            created_at: crate::domain::At(lead.created_at),
            updated_at: crate::domain::At(lead.updated_at),
            relations: (!snap.relations.is_empty()).then(|| relations_json(snap, links)),
        }
    }
}

/// What a change answers to a token that may not read: which lead, and
/// when it changed (it must not read what it did not send).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadWritten {
    pub id: crate::domain::LeadId,
    pub updated_at: crate::domain::At,
}

/// What a change to a lead answers: the lead, or, to a token that may
/// not read, only which lead and when it changed.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum LeadAnswer {
    Lead(LeadJson),
    Written(LeadWritten),
}

impl LeadWritten {
    pub fn new(lead: &Lead) -> Self {
        Self { id: crate::domain::LeadId(lead.id), updated_at: crate::domain::At(lead.updated_at) }
    }
}

/// A lead as the API shows it, as JSON.
pub fn lead_json(lead: &Lead, snap: &CampaignSnapshot, links: &[LeadLink]) -> Value {
    serde_json::to_value(LeadJson::new(lead, snap, links)).unwrap_or_default()
}

/// `{slug: id or null}` for relations to one lead, `{slug: [ids]}` for many.
fn relations_json(snap: &CampaignSnapshot, links: &[LeadLink]) -> Map<String, Value> {
    let mut out = Map::new();
    for spec in &snap.relations {
        let ids: Vec<i64> = links.iter().filter(|l| l.relation_id == spec.relation.id).map(|l| l.target_id).collect();
        let value = if spec.relation.many { json!(ids) } else { ids.first().map_or(Value::Null, |id| json!(id)) };
        out.insert(spec.relation.slug.clone(), value);
    }
    out
}

/// A lead as the API shows it, reading its links first.
pub(in crate::services) fn lead_view_read(
    conn: &mut PgConnection,
    lead: &Lead,
    snap: &CampaignSnapshot,
) -> Result<LeadJson, AppError> {
    let links = links_of(conn, snap, &[lead.id])?;
    Ok(LeadJson::new(lead, snap, links.get(&lead.id).map_or(&[], Vec::as_slice)))
}

/// The same, as JSON (what idempotency replays and events store).
pub(in crate::services) fn lead_json_read(
    conn: &mut PgConnection,
    lead: &Lead,
    snap: &CampaignSnapshot,
) -> Result<Value, AppError> {
    serde_json::to_value(lead_view_read(conn, lead, snap)?).map_err(AppError::internal)
}

/// Stores a new lead (and its links, checked as [`link`] does).
pub(in crate::services) fn insert_lead(
    conn: &mut Tx<'_>,
    snap: &CampaignSnapshot,
    access: Option<&LeadAccess>,
    source_id: Option<i64>,
    mut data: LeadData,
    now: OffsetDateTime,
) -> Result<Lead, AppError> {
    let relations = std::mem::take(&mut data.relations);
    let row = lead_row(snap, source_id, data, now)?;
    let lead = Lead::insert_many(conn, std::slice::from_ref(&row))?
        .pop()
        .ok_or_else(|| AppError::Internal(crate::error::Cause::msg("an insert returned no lead")))?;
    if !relations.is_empty() {
        link(conn, snap, access, lead.id, &relations)?;
    }
    let empty = Map::new();
    if webhooks::wanted(snap, WebhookEvent::LeadCreated, lead.selects.as_object().unwrap_or(&empty)) {
        let json = lead_json_read(conn, &lead, snap)?;
        webhooks::lead_event(conn, snap, &json, WebhookEvent::LeadCreated, now)?;
    }
    Ok(lead)
}

/// The row a new lead is written as; its status defaults to the
/// campaign's default. Its relations are not part of it.
pub(in crate::services) fn lead_row(
    snap: &CampaignSnapshot,
    source_id: Option<i64>,
    data: LeadData,
    now: OffsetDateTime,
) -> Result<LeadRow, AppError> {
    let status = data
        .status
        .or_else(|| snap.default_status().map(|s| s.slug.clone()))
        .ok_or_else(|| AppError::invalid("status", "the campaign has no statuses: add one first"))?;
    Ok(LeadRow {
        campaign_id: snap.campaign.id,
        source_id,
        status,
        fields: Value::Object(data.fields),
        selects: Value::Object(data.selects),
        created_at: now,
        updated_at: now,
    })
}

/// Whether a new lead is one row and nothing else (no links, no webhook
/// event): such inserts are grouped ([`crate::services::lead_writer`]).
pub(in crate::services) fn plain(snap: &CampaignSnapshot, data: &LeadData) -> bool {
    data.relations.is_empty() && !webhooks::wanted(snap, WebhookEvent::LeadCreated, &data.selects)
}
