//! The import job: rows checked and written in batches, counted, and the
//! report kept.

use crate::domain::{ImportMode, LeadFormat, WebhookEvent};
use crate::error::AppError;
use crate::models::Lead;
use crate::models::import::{Import, Progress};
use crate::models::lead::CopyLead;
use crate::models::lead_link::{CopyLink, LeadLink};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::leads::{LeadData, Mode, validate};
use diesel::{Connection as _, PgConnection};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use time::OffsetDateTime;

use super::rows::Rows;

/// Errors kept in the report (the count of rejected rows is exact).
const ERRORS_MAX: usize = 1000;

/// What an import asks for (the query string).
#[derive(Debug, Clone)]
pub struct ImportParams {
    pub campaign: String,
    pub format: LeadFormat,
    pub mode: ImportMode,
    pub upsert: Option<String>,
}

/// What the import has done so far.
#[derive(Default)]
pub(super) struct Tally {
    rows: i64,
    imported: i64,
    updated: i64,
    rejected: i64,
    errors: Vec<Value>,
}

impl Tally {
    pub(super) fn reject(&mut self, row: u64, messages: impl IntoIterator<Item = (String, String)>) {
        self.rejected += 1;
        for (field, message) in messages {
            if self.errors.len() < ERRORS_MAX {
                self.errors.push(json!({"row": row, "field": field, "message": message}));
            }
        }
    }

    pub(super) fn save(
        &self,
        conn: &mut PgConnection,
        id: i64,
        failure: Option<&str>,
        done: bool,
        now: OffsetDateTime,
    ) {
        let errors = Value::Array(self.errors.clone());
        let p = Progress {
            rows_read: self.rows,
            imported: self.imported,
            updated: self.updated,
            rejected: self.rejected,
            errors: &errors,
        };
        let saved = if done { Import::finish(conn, id, &p, failure, now) } else { Import::progress(conn, id, &p, now) };
        if let Err(e) = saved {
            tracing::error!(import = id, error = %e, "could not record an import's progress");
        }
    }
}

/// A row that passed every check, ready to store.
pub(super) struct Good {
    data: LeadData,
    source_id: Option<i64>,
    /// The upsert key's value, as text.
    key: Option<String>,
}

pub(super) struct Job {
    pub(super) snap: Arc<CampaignSnapshot>,
    pub(super) params: ImportParams,
    pub(super) import_id: i64,
    pub(super) now: OffsetDateTime,
}

impl Job {
    /// Runs the import to its end and records how it ended.
    pub(super) fn run(self, conn: &mut PgConnection, file: std::fs::File) {
        let mut tally = Tally::default();
        let result = match self.params.mode {
            ImportMode::Partial => self.partial(conn, file, &mut tally),
            ImportMode::AllOrNothing => self.all_or_nothing(conn, file, &mut tally),
        };
        let failure = result.err().map(|e| match e {
            AppError::Internal(_) | AppError::Unavailable(_) => {
                tracing::error!(import = self.import_id, error = %e, "an import failed");
                "the import stopped on a server or database error".to_owned()
            }
            other => other.to_string(),
        });
        tally.save(conn, self.import_id, failure.as_deref(), true, self.now);
    }

    pub(super) fn partial(
        &self,
        conn: &mut PgConnection,
        file: std::fs::File,
        tally: &mut Tally,
    ) -> Result<(), AppError> {
        let mut rows = Rows::open(self.params.format, file, &self.snap)?;
        loop {
            let batch = rows.batch();
            if batch.is_empty() {
                return Ok(());
            }
            let good = self.check(conn, batch, tally)?;
            conn.transaction(|tx| self.store(tx, good, tally))?;
            tally.save(conn, self.import_id, None, false, self.now);
        }
    }

    pub(super) fn all_or_nothing(
        &self,
        conn: &mut PgConnection,
        file: std::fs::File,
        tally: &mut Tally,
    ) -> Result<(), AppError> {
        // First every row is checked; then, if all are good, stored at once.
        let mut rows = Rows::open(self.params.format, file, &self.snap)?;
        loop {
            let batch = rows.batch();
            if batch.is_empty() {
                break;
            }
            self.check(conn, batch, tally)?;
            tally.save(conn, self.import_id, None, false, self.now);
        }
        if tally.rejected > 0 {
            return Ok(());
        }
        let mut rows = Rows::open(self.params.format, rows.into_file(), &self.snap)?;
        let mut stored = Tally::default();
        conn.transaction(|tx| {
            loop {
                let batch = rows.batch();
                if batch.is_empty() {
                    return Ok::<_, AppError>(());
                }
                let good = self.check(tx, batch, &mut stored)?;
                if stored.rejected > 0 {
                    return Err(AppError::conflict(
                        "a row stopped being valid while importing (a linked lead was deleted?): nothing was stored",
                    ));
                }
                self.store(tx, good, &mut stored)?;
            }
        })?;
        tally.imported = stored.imported;
        tally.updated = stored.updated;
        Ok(())
    }

    /// Checks a batch's rows; counts them, rejects the bad ones (each with
    /// every reason), and returns the good ones.
    pub(super) fn check(
        &self,
        conn: &mut PgConnection,
        batch: Vec<(u64, Result<Value, String>)>,
        tally: &mut Tally,
    ) -> Result<Vec<Good>, AppError> {
        let snap = &self.snap;
        let mut good: Vec<(u64, Good)> = Vec::with_capacity(batch.len());
        for (row, parsed) in batch {
            tally.rows += 1;
            let body = match parsed {
                Ok(body) => body,
                Err(m) => {
                    tally.reject(row, [("row".to_owned(), m)]);
                    continue;
                }
            };
            let data = match validate(snap, &body, Mode::Full, &["source"]) {
                Ok(data) => data,
                Err(errors) => {
                    tally.reject(row, errors);
                    continue;
                }
            };
            let source_id = match body.get("source") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if snap.source_ref(s).is_some() => snap.source_ref(s).map(|s| s.id),
                Some(other) => {
                    tally.reject(row, [("source".to_owned(), format!("{other} is not a source of this campaign"))]);
                    continue;
                }
            };
            let key = match &self.params.upsert {
                None => None,
                Some(slug) => match data.fields.get(slug) {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(v) => Some(v.to_string()),
                    None => {
                        let m = "is required: the import matches leads by it (upsert)".to_owned();
                        tally.reject(row, [(format!("fields.{slug}"), m)]);
                        continue;
                    }
                },
            };
            good.push((row, Good { data, source_id, key }));
        }
        // Every linked lead must exist: one query per relation and batch.
        for spec in &snap.relations {
            let wanted: Vec<i64> = good
                .iter()
                .flat_map(|(_, g)| g.data.relations.iter().filter(|(r, _)| *r == spec.relation.id))
                .flat_map(|(_, ids)| ids.iter().copied())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let found: HashSet<i64> = LeadLink::existing(conn, spec.relation.target_campaign_id, &wanted)?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            good.retain(|(row, g)| {
                let missing: Vec<String> = g
                    .data
                    .relations
                    .iter()
                    .filter(|(r, _)| *r == spec.relation.id)
                    .flat_map(|(_, ids)| ids.iter().filter(|id| !found.contains(id)))
                    .map(i64::to_string)
                    .collect();
                if missing.is_empty() {
                    return true;
                }
                let m = format!("no lead {} in campaign `{}`", missing.join(", "), spec.target_slug);
                tally.reject(*row, [(format!("relations.{}", spec.relation.slug), m)]);
                false
            });
        }
        Ok(good.into_iter().map(|(_, g)| g).collect())
    }

    /// Stores a batch's good rows in the caller's transaction: new leads by
    /// `COPY`, upserted ones by update, links by `COPY`.
    pub(super) fn store(&self, tx: &mut PgConnection, good: Vec<Good>, tally: &mut Tally) -> Result<(), AppError> {
        let snap = &self.snap;
        let campaign_id = snap.campaign.id;
        let default_status = snap.default_status().map(|s| s.slug.clone()).unwrap_or_default();
        // Which rows update an existing lead (upsert), by key.
        let mut existing: HashMap<String, i64> = HashMap::new();
        if let Some(slug) = &self.params.upsert {
            let keys: Vec<String> =
                good.iter().filter_map(|g| g.key.clone()).collect::<HashSet<_>>().into_iter().collect();
            for (id, value) in Lead::by_field_values(tx, campaign_id, slug, &keys)? {
                existing.entry(value).or_insert(id);
            }
        }
        // Rows with the same new key: the last one wins.
        let mut fresh: Vec<Good> = Vec::with_capacity(good.len());
        let mut fresh_by_key: HashMap<String, usize> = HashMap::new();
        let mut updates: Vec<(i64, Good)> = Vec::new();
        for g in good {
            tally.imported += 1;
            match g.key.as_ref().and_then(|k| existing.get(k)) {
                Some(id) => {
                    tally.updated += 1;
                    updates.push((*id, g));
                }
                None => match g.key.clone().and_then(|k| fresh_by_key.get(&k).copied()) {
                    Some(i) => {
                        tally.updated += 1;
                        fresh[i] = g;
                    }
                    None => {
                        if let Some(k) = g.key.clone() {
                            fresh_by_key.insert(k, fresh.len());
                        }
                        fresh.push(g);
                    }
                },
            }
        }

        let ids = Lead::next_ids(tx, fresh.len() as i64)?;
        let mut links = Vec::new();
        let mut leads = Vec::with_capacity(fresh.len());
        for (id, g) in ids.into_iter().zip(fresh) {
            for (relation_id, targets) in &g.data.relations {
                links.extend(targets.iter().map(|t| CopyLink {
                    lead_id: id,
                    relation_id: *relation_id,
                    target_id: *t,
                }));
            }
            leads.push(CopyLead {
                id,
                campaign_id,
                source_id: g.source_id,
                status: g.data.status.unwrap_or_else(|| default_status.clone()),
                fields: Value::Object(g.data.fields),
                selects: Value::Object(g.data.selects),
                created_at: self.now,
                updated_at: self.now,
            });
        }
        if !leads.is_empty() {
            Lead::copy_in(tx, &leads)?;
        }
        let mut updated = Vec::with_capacity(updates.len());
        for (id, g) in updates {
            let fields = Value::Object(g.data.fields);
            let selects = Value::Object(g.data.selects);
            Lead::replace_content(tx, id, g.data.status.as_deref(), &fields, &selects, g.source_id, self.now)?;
            for (relation_id, targets) in &g.data.relations {
                LeadLink::replace(tx, id, *relation_id, targets)?;
            }
            updated.push(id);
        }
        if !links.is_empty() {
            LeadLink::copy_in(tx, &links)?;
        }
        self.events(tx, leads, &links, &updated)
    }

    /// The webhook events of a stored batch, when a destination wants them.
    pub(super) fn events(
        &self,
        tx: &mut PgConnection,
        created: Vec<CopyLead>,
        links: &[CopyLink],
        updated: &[i64],
    ) -> Result<(), AppError> {
        let snap = &self.snap;
        let wants = |e: WebhookEvent| snap.destinations.iter().any(|d| d.destination.wants(e.as_str()));
        let mut events = Vec::new();
        if wants(WebhookEvent::LeadCreated) {
            for c in created {
                let own: Vec<LeadLink> = links
                    .iter()
                    .filter(|l| l.lead_id == c.id)
                    .map(|l| LeadLink { lead_id: l.lead_id, relation_id: l.relation_id, target_id: l.target_id })
                    .collect();
                let lead = Lead {
                    id: c.id,
                    campaign_id: c.campaign_id,
                    source_id: c.source_id,
                    status: c.status,
                    fields: c.fields,
                    selects: c.selects,
                    created_at: c.created_at,
                    updated_at: c.updated_at,
                };
                events.push((WebhookEvent::LeadCreated, crate::services::leads::lead_json(&lead, snap, &own)));
            }
        }
        if wants(WebhookEvent::LeadUpdated) {
            for id in updated {
                if let Some(lead) = Lead::find_in_campaign(tx, snap.campaign.id, *id, false)? {
                    events.push((WebhookEvent::LeadUpdated, crate::services::leads::lead_json_read(tx, &lead, snap)?));
                }
            }
        }
        crate::services::events::webhooks::lead_events(tx, snap, &events, self.now)
    }
}
