//! Leads: validation against the campaign structure, the JSON shape of a
//! lead, and the leads API of a campaign, for campaign API tokens (scoped by
//! their permissions and filter) and for admins' own tokens.

pub mod data;
pub mod files;
pub mod imports;
pub mod intake;

use std::collections::HashMap;
use std::sync::Arc;

use diesel::PgConnection;
use serde_json::{Map, Value, json};
use time::{Date, OffsetDateTime};

use crate::domain::{Actor, FieldType, NUMBER_MAX, Permission, TokenKind, WebhookEvent};
use crate::error::{AppError, FieldErrors};
pub use crate::models::Lead;
pub use crate::models::lead_link::LeadLink;
use crate::models::{LeadQuery, LeadRow};
use crate::services::campaigns::catalog::{CampaignSnapshot, FilterSpec};
use crate::services::context::Services;
use crate::services::events::webhooks;
use crate::services::idempotency::{self, Claim, Idempotency};
use crate::services::lead_writer::PendingLead;
use crate::tokens::Principal;

/// How much of a lead a request must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A whole lead: required fields must be there.
    Full,
    /// A ping or an update: only what is present is checked.
    Partial,
}

/// A lead's content, checked against the structure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadData {
    pub fields: Map<String, Value>,
    pub selects: Map<String, Value>,
    pub status: Option<String>,
    /// Links by relation id: the whole set for each relation named (empty:
    /// none). Whether the targets exist is checked when they are written.
    pub relations: Vec<(i64, Vec<i64>)>,
}

const TEXT_MAX: usize = 5000;

fn allowed(list: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = list.collect();
    if all.is_empty() { "none are defined".to_owned() } else { all.join(", ") }
}

/// Checks a value of a field type; returns the value to store.
fn check_value(field_type: FieldType, value: &Value) -> Result<Value, String> {
    match field_type {
        FieldType::Text => match value {
            Value::String(s) if s.chars().count() <= TEXT_MAX => Ok(Value::String(s.clone())),
            Value::String(_) => Err(format!("must be at most {TEXT_MAX} characters")),
            _ => Err("must be a string".to_owned()),
        },
        FieldType::Email => match value {
            Value::String(s) => crate::domain::EmailAddress::parse(s)
                .map(|e| Value::String(e.into_string()))
                .map_err(|_| format!("`{s}` is not a valid email address")),
            _ => Err("must be an email address as a string".to_owned()),
        },
        FieldType::Phone => match value {
            Value::String(s) => {
                let digits = s.chars().filter(char::is_ascii_digit).count();
                let ok_chars = s.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
                if ok_chars && (6..=20).contains(&digits) {
                    Ok(Value::String(s.trim().to_owned()))
                } else {
                    Err(format!("`{s}` is not a phone number (6 to 20 digits; spaces, +, -, ( ) and . allowed)"))
                }
            }
            _ => Err("must be a phone number as a string".to_owned()),
        },
        FieldType::Number => match value {
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.is_finite() && f.abs() <= NUMBER_MAX => Ok(value.clone()),
                _ => Err(format!("must be a number from -{0} to {0}", NUMBER_MAX as i64)),
            },
            _ => Err("must be a number".to_owned()),
        },
        FieldType::Date => match value {
            Value::String(s) => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                Date::parse(s, &format)
                    .map(|_| Value::String(s.clone()))
                    .map_err(|_| format!("`{s}` is not a date as YYYY-MM-DD"))
            }
            _ => Err("must be a date string as YYYY-MM-DD".to_owned()),
        },
    }
}

/// Checks a lead body against the campaign structure. `extra` names
/// top-level properties the caller handles itself (`ping_id`).
pub fn validate(snap: &CampaignSnapshot, body: &Value, mode: Mode, extra: &[&str]) -> Result<LeadData, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(object) = body.as_object() else {
        errors.insert("body".into(), "must be a JSON object".into());
        return Err(errors);
    };
    if let Some(path) = crate::domain::nul_path(body, "") {
        errors.insert(path, "must not contain a NUL character (\\u0000)".into());
        return Err(errors);
    }
    let body = object;
    for key in body.keys() {
        if !matches!(key.as_str(), "fields" | "select_field_values" | "status" | "relations")
            && !extra.contains(&key.as_str())
        {
            errors.insert(
                key.clone(),
                "unknown property: a lead has fields, select_field_values, status and relations".into(),
            );
        }
    }

    let mut data = LeadData::default();
    match body.get("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(fields)) => {
            for (slug, value) in fields {
                let Some(field) = snap.field(slug) else {
                    errors.insert(
                        format!("fields.{slug}"),
                        format!(
                            "unknown field; the fields are: {}",
                            allowed(snap.fields.iter().map(|f| f.slug.clone()))
                        ),
                    );
                    continue;
                };
                if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
                    continue;
                }
                match check_value(field.field_type, value) {
                    Ok(v) => {
                        data.fields.insert(slug.clone(), v);
                    }
                    Err(m) => {
                        errors.insert(format!("fields.{slug}"), m);
                    }
                }
            }
        }
        Some(_) => {
            errors.insert("fields".into(), "must be an object of field slug to value".into());
        }
    }
    if mode == Mode::Full {
        for field in snap.fields.iter().filter(|f| f.required) {
            let key = format!("fields.{}", field.slug);
            if !data.fields.contains_key(&field.slug) && !errors.contains_key(&key) {
                errors.insert(key, "is required".into());
            }
        }
    }

    match body.get("select_field_values") {
        None | Some(Value::Null) => {}
        Some(Value::Object(values)) => {
            for (slug, value) in values {
                let key = format!("select_field_values.{slug}");
                let Some(select) = snap.select(slug) else {
                    errors.insert(
                        key,
                        format!(
                            "unknown select; the selects are: {}",
                            allowed(snap.selects.iter().map(|s| s.select.slug.clone()))
                        ),
                    );
                    continue;
                };
                match value {
                    Value::Null => {}
                    Value::String(option) if select.option(option).is_some() => {
                        data.selects.insert(slug.clone(), value.clone());
                    }
                    _ => {
                        errors.insert(
                            key,
                            format!(
                                "{value} is not an option of {slug}; allowed: {}",
                                allowed(select.options.iter().map(|o| o.slug.clone()))
                            ),
                        );
                    }
                }
            }
        }
        Some(_) => {
            errors.insert("select_field_values".into(), "must be an object of select slug to option slug".into());
        }
    }

    match body.get("status") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if snap.status(s).is_some() => data.status = Some(s.clone()),
        Some(other) => {
            errors.insert(
                "status".into(),
                format!(
                    "{other} is not a status of this campaign; allowed: {}",
                    allowed(snap.statuses.iter().map(|s| s.slug.clone()))
                ),
            );
        }
    }

    match body.get("relations") {
        None | Some(Value::Null) => {}
        Some(Value::Object(values)) => {
            for (slug, value) in values {
                let key = format!("relations.{slug}");
                let Some(spec) = snap.relation(slug) else {
                    errors.insert(
                        key,
                        format!(
                            "unknown relation; the relations are: {}",
                            allowed(snap.relations.iter().map(|r| r.relation.slug.clone()))
                        ),
                    );
                    continue;
                };
                match link_ids(spec.relation.many, value) {
                    Ok(ids) => data.relations.push((spec.relation.id, ids)),
                    Err(m) => {
                        errors.insert(key, m);
                    }
                }
            }
        }
        Some(_) => {
            errors.insert("relations".into(), "must be an object of relation slug to lead id(s)".into());
        }
    }
    for spec in snap.relations.iter().filter(|r| r.relation.required) {
        let key = format!("relations.{}", spec.relation.slug);
        let given = data.relations.iter().find(|(id, _)| *id == spec.relation.id);
        let missing = match (mode, given) {
            (_, Some((_, ids))) => ids.is_empty(),
            (Mode::Full, None) => true,
            (Mode::Partial, None) => false,
        };
        if missing && !errors.contains_key(&key) {
            errors.insert(key, "is required: link a lead of the target campaign".into());
        }
    }

    if errors.is_empty() { Ok(data) } else { Err(errors) }
}

/// The lead ids a relation's value names: one id, or (for a relation to
/// many) a list; `null` or `[]` names none.
fn link_ids(many: bool, value: &Value) -> Result<Vec<i64>, String> {
    let id = |v: &Value| v.as_i64().filter(|n| *n > 0);
    match (many, value) {
        (_, Value::Null) => Ok(Vec::new()),
        (false, v) => id(v).map(|n| vec![n]).ok_or_else(|| "must be one lead id (a positive integer)".to_owned()),
        (true, Value::Array(items)) => {
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                let n = id(item).ok_or_else(|| format!("{item} is not a lead id (a positive integer)"))?;
                if !ids.contains(&n) {
                    ids.push(n);
                }
            }
            if ids.len() > LINKS_MAX {
                return Err(format!("link at most {LINKS_MAX} leads"));
            }
            Ok(ids)
        }
        (true, _) => Err("must be a list of lead ids".to_owned()),
    }
}

/// The most leads one relation of one lead may link to.
const LINKS_MAX: usize = 1000;

/// Writes a lead's links for the relations `data` names, once every target
/// is known to be a lead of the relation's target campaign, and (for the
/// token's own campaign) inside the token's filter: a hidden lead is as
/// missing as one that does not exist.
pub(in crate::services) fn link(
    conn: &mut PgConnection,
    snap: &CampaignSnapshot,
    access: Option<&LeadAccess>,
    lead_id: i64,
    relations: &[(i64, Vec<i64>)],
) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    for (relation_id, targets) in relations {
        let Some(spec) = snap.relation_by_id(*relation_id) else { continue };
        let rel = &spec.relation;
        let found = LeadLink::existing(conn, rel.target_campaign_id, targets)?;
        let visible: Vec<i64> = found
            .iter()
            .filter(|(_, selects)| {
                rel.target_campaign_id != snap.campaign.id
                    || access.is_none_or(|a| selects.as_object().is_some_and(|s| a.allows(s)))
            })
            .map(|(id, _)| *id)
            .collect();
        let missing: Vec<String> = targets.iter().filter(|t| !visible.contains(t)).map(i64::to_string).collect();
        if missing.is_empty() {
            LeadLink::replace(conn, lead_id, rel.id, targets)?;
        } else {
            errors.insert(
                format!("relations.{}", rel.slug),
                format!("no lead {} in campaign `{}` that this token may see", missing.join(", "), spec.target_slug),
            );
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}

/// The links of these leads, by lead; no query when the campaign has no
/// relations.
pub(in crate::services) fn links_of(
    conn: &mut PgConnection,
    snap: &CampaignSnapshot,
    lead_ids: &[i64],
) -> Result<HashMap<i64, Vec<LeadLink>>, AppError> {
    let mut by_lead: HashMap<i64, Vec<LeadLink>> = HashMap::new();
    if snap.relations.is_empty() || lead_ids.is_empty() {
        return Ok(by_lead);
    }
    for l in LeadLink::of_leads(conn, lead_ids)? {
        by_lead.entry(l.lead_id).or_default().push(l);
    }
    Ok(by_lead)
}

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
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
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
            created_at: crate::clock::rfc3339(lead.created_at),
            updated_at: crate::clock::rfc3339(lead.updated_at),
            relations: (!snap.relations.is_empty()).then(|| relations_json(snap, links)),
        }
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
pub(in crate::services) fn lead_json_read(
    conn: &mut PgConnection,
    lead: &Lead,
    snap: &CampaignSnapshot,
) -> Result<Value, AppError> {
    let links = links_of(conn, snap, &[lead.id])?;
    Ok(lead_json(lead, snap, links.get(&lead.id).map_or(&[], Vec::as_slice)))
}

/// Stores a new lead (and its links, checked as [`link`] does).
pub(in crate::services) fn insert_lead(
    conn: &mut PgConnection,
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

// ------------------------------------------------------------- leads API

/// What a token may do with a campaign's leads.
#[derive(Debug, Clone)]
pub struct LeadAccess {
    pub read: bool,
    pub write: bool,
    /// The token's filter: every lead it touches must be inside.
    pub filter: Option<FilterSpec>,
}

impl LeadAccess {
    /// A campaign API token of this campaign (with its permissions and
    /// filter), or a user token whose role manages campaigns (everything).
    pub fn of(principal: &Principal, snap: &CampaignSnapshot) -> Result<Self, AppError> {
        match principal.kind {
            TokenKind::CampaignApi => {
                if principal.campaign_id != Some(snap.campaign.id) {
                    return Err(AppError::InsufficientScope(format!(
                        "this token belongs to another campaign, not to `{}`",
                        snap.campaign.slug
                    )));
                }
                let filter =
                    match principal.filter_id {
                        Some(id) => Some(snap.filter(id).cloned().ok_or_else(|| {
                            AppError::InsufficientScope("this token's filter no longer exists".into())
                        })?),
                        None => None,
                    };
                Ok(Self { read: principal.can_read, write: principal.can_write, filter })
            }
            _ if principal.acting_user().is_some_and(|u| u.role.allows(Permission::ManageCampaigns)) => {
                Ok(Self { read: true, write: true, filter: None })
            }
            _ => Err(AppError::InsufficientScope(
                "the leads API takes a campaign API token, or a personal or profile token of an admin".into(),
            )),
        }
    }

    /// Everything, everywhere in the campaign: the console's admins.
    pub fn everything() -> Self {
        Self { read: true, write: true, filter: None }
    }

    pub fn require_read(&self) -> Result<(), AppError> {
        if self.read { Ok(()) } else { Err(AppError::InsufficientScope("this token has no Read permission".into())) }
    }

    pub fn require_write(&self) -> Result<(), AppError> {
        if self.write { Ok(()) } else { Err(AppError::InsufficientScope("this token has no Write permission".into())) }
    }

    pub(in crate::services) fn allows(&self, selects: &Map<String, Value>) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(selects))
    }

    /// 403 naming the select values the filter requires.
    fn outside(&self, selects: &Map<String, Value>) -> AppError {
        let missing: Vec<String> = self
            .filter
            .iter()
            .flat_map(|f| &f.conditions)
            .filter(|c| selects.get(&c.select_slug).and_then(Value::as_str) != Some(c.option_slug.as_str()))
            .map(|c| format!("`{}` must be `{}`", c.select_slug, c.option_slug))
            .collect();
        AppError::InsufficientScope(format!(
            "the lead would be outside this token's filter: {} (in select_field_values)",
            missing.join(" and ")
        ))
    }
}

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
) -> Result<(Vec<Value>, Option<String>), AppError> {
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
) -> Result<(Vec<Value>, Option<String>), AppError> {
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
    let json = leads.iter().map(|l| lead_json(l, snap, links.get(&l.id).map_or(&[], Vec::as_slice))).collect();
    Ok((json, next))
}

/// One lead; 404 when it is outside the token's filter (no existence leak).
pub async fn get(svc: &Services, principal: &Principal, campaign: &str, id: i64) -> Result<Value, AppError> {
    let (snap, access) = scope(svc, principal, campaign).await?;
    access.require_read()?;
    svc.run(move |conn| get_in(conn, &snap, &access, id)).await
}

fn get_in(conn: &mut PgConnection, snap: &CampaignSnapshot, access: &LeadAccess, id: i64) -> Result<Value, AppError> {
    access.require_read()?;
    let lead = visible(conn, snap, access, id, false)?;
    lead_json_read(conn, &lead, snap)
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
    conn: &mut PgConnection,
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
) -> Result<Value, AppError> {
    let (snap, access) = scope(svc, principal, campaign).await?;
    access.require_write()?;
    let changes = validate(&snap, &body, Mode::Partial, &[]).map_err(AppError::Validation)?;
    let now = svc.now();
    svc.tx(move |tx| update_in(tx, &snap, &access, id, &body, changes, now)).await
}

/// The lead is locked, merged, checked against the filter and written.
fn update_in(
    conn: &mut PgConnection,
    snap: &CampaignSnapshot,
    access: &LeadAccess,
    id: i64,
    body: &Value,
    changes: LeadData,
    now: OffsetDateTime,
) -> Result<Value, AppError> {
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
) -> Result<Value, AppError> {
    if access.read {
        lead_json_read(conn, lead, snap)
    } else {
        Ok(json!({"id": lead.id, "updated_at": crate::clock::rfc3339(lead.updated_at)}))
    }
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

/// Fields, allowed values, schemas, statuses, selects, and the presenting
/// token's permissions and filter. Any token of the campaign may read it.
pub async fn schema(svc: &Services, principal: &Principal, campaign: &str) -> Result<Value, AppError> {
    let (snap, access) = scope(svc, principal, campaign).await?;
    let key = principal.display_key();
    Ok(crate::services::docs::schema_document(&snap, Some((&key, access.read, access.write, access.filter.as_ref()))))
}
