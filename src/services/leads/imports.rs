//! The Import API (seed 004): leads in bulk from CSV or NDJSON, for an
//! account private token (logged with its assigned user).
//!
//! The body is spooled to an unnamed temporary file as it arrives (memory
//! stays flat, and no connection is held while a slow client sends), then
//! read back in batches of [`BATCH`] rows: each row validated as the leads
//! API validates one (fields, selects, status, source, relations), the good
//! ones stored with `COPY … (FORMAT binary)`. `partial` stores each batch's
//! good rows in its own transaction and reports the bad ones;
//! `all_or_nothing` checks every row first and stores nothing unless all
//! are good, then stores them in one transaction. With `upsert=<field>`,
//! a row whose value of that field matches a lead of the campaign updates
//! it instead. An `Idempotency-Key` answers a retry with the first import.
//! Small bodies are imported before the answer (200); larger ones answer
//! 202 with the import's id, and `GET /api/v1/imports/{id}` follows them.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead as _, BufReader, Seek as _};
use std::sync::Arc;

use diesel::{Connection as _, PgConnection};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};
use tokio::io::AsyncWriteExt as _;

use crate::domain::{Actor, FieldType, ImportMode, ImportState, LeadFormat, Permission, TokenKind, WebhookEvent};
use crate::error::AppError;
use crate::models::Lead;
use crate::models::import::{Import, NewImport, Progress};
use crate::models::lead::CopyLead;
use crate::models::lead_link::{CopyLink, LeadLink};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::context::Services;
use crate::services::credentials::account_tokens::log_private_use;
use crate::services::leads::{LeadData, Mode, validate};
use crate::tokens::Principal;

/// Rows read, checked and stored together.
pub const BATCH: usize = 5000;
/// A body up to this size is imported before the answer.
pub const INLINE_MAX_BYTES: u64 = 1024 * 1024;
/// Errors kept in the report (the count of rejected rows is exact).
const ERRORS_MAX: usize = 1000;
/// The most a body may hold.
pub const MAX_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// A running import no one has moved for this long was interrupted.
pub const STALE_AFTER: Duration = Duration::minutes(10);

/// An import as answers and pages show it.
#[derive(Debug, Clone)]
pub struct ImportInfo {
    pub import: Import,
    pub campaign_slug: String,
}

impl ImportInfo {
    pub fn json(&self) -> Value {
        let i = &self.import;
        json!({
            "id": i.id,
            "state": i.state,
            "campaign": self.campaign_slug,
            "format": i.format,
            "mode": i.mode,
            "upsert": i.upsert_field,
            "rows": i.rows_read,
            "imported": i.imported,
            "updated": i.updated,
            "rejected": i.rejected,
            "errors": i.errors,
            "failure": i.failure,
            "created_at": crate::clock::rfc3339(i.created_at),
            "finished_at": i.finished_at.map(crate::clock::rfc3339),
        })
    }

    /// The report as CSV: one line per error.
    pub fn report_csv(&self) -> Vec<u8> {
        let mut out = crate::csv_util::record(["row", "field", "message"]);
        for e in self.import.errors.as_array().into_iter().flatten() {
            let row = e["row"].as_u64().map(|r| r.to_string()).unwrap_or_default();
            out.extend(crate::csv_util::record([
                row.as_str(),
                e["field"].as_str().unwrap_or_default(),
                e["message"].as_str().unwrap_or_default(),
            ]));
        }
        out
    }
}

/// What an import asks for (the query string).
#[derive(Debug, Clone)]
pub struct ImportParams {
    pub campaign: String,
    pub format: LeadFormat,
    pub mode: ImportMode,
    pub upsert: Option<String>,
}

/// An import checked before its body is read: the token may import, the
/// campaign takes leads, the upsert key is one of its fields.
pub struct ImportTarget {
    snap: Arc<CampaignSnapshot>,
    params: ImportParams,
    principal: Principal,
}

pub fn may_import(principal: &Principal) -> Result<(), AppError> {
    if principal.kind == TokenKind::AccountPrivate {
        Ok(())
    } else {
        Err(AppError::InsufficientScope("the Import API takes an account private token".into()))
    }
}

pub async fn prepare(svc: &Services, principal: &Principal, params: ImportParams) -> Result<ImportTarget, AppError> {
    may_import(principal)?;
    let snap = crate::services::campaigns::catalog::snapshot(svc, &params.campaign).await?;
    if snap.campaign.archived_at.is_some() {
        return Err(AppError::Gone(format!("campaign `{}` is archived and accepts no leads", snap.campaign.slug)));
    }
    if snap.default_status().is_none() {
        return Err(AppError::conflict("the campaign has no statuses: add one before importing"));
    }
    if let Some(key) = &params.upsert
        && snap.field(key).is_none()
    {
        return Err(AppError::invalid(
            "upsert",
            format!(
                "`{key}` is not a field of this campaign; the fields are: {}",
                snap.fields.iter().map(|f| f.slug.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(ImportTarget { snap, params, principal: principal.clone() })
}

/// An import's body on its way in: spooled to an unnamed temporary file
/// (gone when this is dropped), hashed for `Idempotency-Key`.
pub struct ImportSpool {
    file: tokio::io::BufWriter<tokio::fs::File>,
    size: u64,
    hasher: Sha256,
}

impl ImportSpool {
    pub async fn new(svc: &Services) -> Result<Self, AppError> {
        let dir = svc.settings.data_dir.join("uploads");
        let file = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            tempfile::tempfile_in(&dir)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
        Ok(Self {
            file: tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(file)),
            size: 0,
            hasher: Sha256::new(),
        })
    }

    pub async fn write(&mut self, piece: &[u8]) -> Result<(), AppError> {
        self.size += piece.len() as u64;
        if self.size > MAX_BYTES {
            return Err(AppError::PayloadTooLarge { limit: usize::try_from(MAX_BYTES).ok() });
        }
        self.hasher.update(piece);
        self.file.write_all(piece).await.map_err(AppError::internal)
    }
}

/// How an import began: its state now, whether it continues after the
/// answer (202), and whether it is an earlier import answered again.
pub struct Started {
    pub info: ImportInfo,
    pub queued: bool,
    pub replayed: bool,
}

/// Starts an import of the spooled body: checks the CSV header first (a bad
/// one is a 422 and no import), records the import, then imports small
/// bodies at once and larger ones in the background.
pub async fn start(
    svc: &Services,
    target: ImportTarget,
    spool: ImportSpool,
    ip: &str,
    key: Option<String>,
) -> Result<Started, AppError> {
    let ImportSpool { mut file, size, mut hasher } = spool;
    file.flush().await.map_err(AppError::internal)?;
    let file = file.into_inner().into_std().await;
    if size == 0 {
        return Err(AppError::invalid("body", "is empty: send the leads as CSV or NDJSON"));
    }
    let ImportTarget { snap, params, principal } = target;
    hasher.update(format!("\0{}\0{}\0{:?}", params.format, params.mode, params.upsert));
    let request_hash: [u8; 32] = hasher.finalize().into();
    let key = key.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty());
    if let Some(k) = &key
        && (k.len() > 255 || !k.bytes().all(|b| b.is_ascii_graphic() || b == b' '))
    {
        return Err(AppError::invalid("Idempotency-Key", "must be 1 to 255 printable ASCII characters"));
    }
    // A header that names no field is refused before anything is recorded.
    let (format, s) = (params.format, snap.clone());
    let file = tokio::task::spawn_blocking(move || Rows::open(format, file, &s).map(Rows::into_file))
        .await
        .map_err(AppError::internal)??;

    let now = svc.now();
    let queued = size > INLINE_MAX_BYTES;
    let assigned = principal.user.as_ref().map(|u| u.email.clone()).unwrap_or_default();
    let (token_id, token_key, user_id) =
        (principal.token_id, principal.display_key(), principal.user.as_ref().map(|u| u.id));
    let (campaign_id, p) = (snap.campaign.id, params.clone());
    let slug = snap.campaign.slug.clone();
    let claimed = svc
        .tx(move |tx| {
            if let Some(k) = &key {
                Import::forget_key(tx, token_id, k, now - Duration::hours(24))?;
                if let Some(earlier) = Import::by_key(tx, token_id, k)? {
                    if earlier.request_hash.as_deref() != Some(request_hash.as_slice()) {
                        return Err(AppError::invalid(
                            "Idempotency-Key",
                            "was used within the last 24 hours with another import: use a new key for a new import",
                        ));
                    }
                    return Ok(Err(earlier));
                }
            }
            let import = tx.transaction(|tx| {
                Import::insert(
                    tx,
                    &NewImport {
                        campaign_id,
                        token_id: Some(token_id),
                        token_key: &token_key,
                        user_id,
                        user_label: &assigned,
                        format: p.format,
                        mode: p.mode,
                        upsert_field: p.upsert.as_deref(),
                        state: ImportState::Running,
                        bytes: i64::try_from(size).unwrap_or(i64::MAX),
                        idempotency_key: key.as_deref(),
                        request_hash: Some(&request_hash),
                        created_at: now,
                        updated_at: now,
                    },
                )
            });
            match import {
                Ok(i) => Ok(Ok(i)),
                Err(e) if crate::services::campaigns::is_unique_violation(&e) => Err(AppError::conflict(
                    "this Idempotency-Key is being used by an import in progress: retry in a moment",
                )),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    let import = match claimed {
        Ok(import) => import,
        Err(earlier) => {
            let queued = u64::try_from(earlier.bytes).unwrap_or(0) > INLINE_MAX_BYTES;
            return Ok(Started { info: ImportInfo { import: earlier, campaign_slug: slug }, queued, replayed: true });
        }
    };
    let details = json!({"campaign": slug, "format": params.format, "mode": params.mode, "import": import.id});
    log_private_use(svc, &principal, ip, "import", details).await?;

    let job = Job { snap, params, import_id: import.id, now };
    if queued {
        let svc = svc.clone();
        tokio::spawn(async move {
            let id = job.import_id;
            let ran = svc
                .run(move |conn| {
                    job.run(conn, file);
                    Ok(())
                })
                .await;
            if let Err(e) = ran {
                tracing::error!(import = id, error = %e, "an import could not run");
            }
        });
        let info = ImportInfo { import, campaign_slug: slug };
        return Ok(Started { info, queued: true, replayed: false });
    }
    let import = svc
        .run(move |conn| {
            let id = job.import_id;
            job.run(conn, file);
            Import::find(conn, id)?.ok_or(AppError::NotFound)
        })
        .await?;
    Ok(Started { info: ImportInfo { import, campaign_slug: slug }, queued: false, replayed: false })
}

/// One import through a private token (any private token may follow any
/// import: they export every lead anyway).
pub async fn get(svc: &Services, principal: &Principal, id: i64) -> Result<ImportInfo, AppError> {
    may_import(principal)?;
    find(svc, id).await
}

async fn find(svc: &Services, id: i64) -> Result<ImportInfo, AppError> {
    let import =
        svc.run(move |conn| Import::find(conn, id)?.ok_or_else(|| AppError::NoSuch(format!("no import {id}")))).await?;
    let snap = crate::services::campaigns::catalog::load(svc, import.campaign_id).await?;
    Ok(ImportInfo { import, campaign_slug: snap.campaign.slug })
}

/// A campaign's imports, newest first (the console).
pub async fn of_campaign(svc: &Services, actor: &Actor, campaign_id: i64) -> Result<Vec<ImportInfo>, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let snap = crate::services::campaigns::catalog::load(svc, campaign_id).await?;
    let slug = snap.campaign.slug.clone();
    svc.run(move |conn| {
        Ok(Import::of_campaign(conn, campaign_id, 100)?
            .into_iter()
            .map(|import| ImportInfo { import, campaign_slug: slug.clone() })
            .collect())
    })
    .await
}

/// One of a campaign's imports (the console's report).
pub async fn in_campaign(svc: &Services, actor: &Actor, campaign_id: i64, id: i64) -> Result<ImportInfo, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let info = find(svc, id).await?;
    if info.import.campaign_id != campaign_id {
        return Err(AppError::NotFound);
    }
    Ok(info)
}

/// Marks imports whose process stopped as failed (the sweeper); how many.
pub async fn fail_stale(svc: &Services) -> Result<usize, AppError> {
    let now = svc.now();
    svc.run(move |conn| Ok(Import::fail_stale(conn, now - STALE_AFTER, now)?)).await
}

// ---------------------------------------------------------------- rows

/// What a CSV column holds.
#[derive(Debug, Clone)]
enum Column {
    Field(String, FieldType),
    Select(String),
    Status,
    Source,
    Relation(String, bool),
    /// Written by the export, ignored by the import.
    Ignored,
}

/// The columns of a CSV header, against the campaign: `fields.email` or
/// `email`, `select_field_values.partner` or `partner`, `status`,
/// `source`, `relations.account`; the export's `id`, `created_at` and
/// `updated_at` are ignored, so an export imports again.
fn columns(header: &csv::StringRecord, snap: &CampaignSnapshot) -> Result<Vec<Column>, AppError> {
    let mut columns = Vec::new();
    let mut seen = HashSet::new();
    for name in header.iter() {
        let name = name.trim().trim_start_matches('\u{feff}');
        if !seen.insert(name.to_owned()) {
            return Err(AppError::invalid("header", format!("the column `{name}` appears twice")));
        }
        let bare = name.split_once('.').map_or(name, |(_, rest)| rest);
        let column = match name {
            "id" | "created_at" | "updated_at" => Column::Ignored,
            "status" => Column::Status,
            "source" => Column::Source,
            _ if name.starts_with("relations.") => {
                let r = snap.relation(bare).ok_or_else(|| unknown_column(name, snap))?;
                Column::Relation(bare.to_owned(), r.relation.many)
            }
            _ if !name.starts_with("select_field_values.") && snap.field(bare).is_some() => {
                let f = snap.field(bare).ok_or_else(|| unknown_column(name, snap))?;
                Column::Field(bare.to_owned(), f.field_type)
            }
            _ if !name.starts_with("fields.") && snap.select(bare).is_some() => Column::Select(bare.to_owned()),
            _ => return Err(unknown_column(name, snap)),
        };
        columns.push(column);
    }
    Ok(columns)
}

fn unknown_column(name: &str, snap: &CampaignSnapshot) -> AppError {
    let mut known: Vec<String> = snap.fields.iter().map(|f| f.slug.clone()).collect();
    known.extend(snap.selects.iter().map(|s| s.select.slug.clone()));
    known.extend(["status".to_owned(), "source".to_owned()]);
    known.extend(snap.relations.iter().map(|r| format!("relations.{}", r.relation.slug)));
    AppError::invalid("header", format!("the column `{name}` is not one of this campaign's: {}", known.join(", ")))
}

/// A CSV cell as the JSON value the API would take.
fn cell_value(column: &Column, cell: &str) -> Option<Value> {
    let cell = cell.trim();
    if cell.is_empty() {
        return None;
    }
    let integer = |s: &str| s.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(s.to_owned()));
    Some(match column {
        Column::Field(_, FieldType::Number) => match cell.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => cell
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::String(cell.to_owned()), Value::Number),
        },
        Column::Relation(_, true) => Value::Array(
            cell.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map(integer).collect(),
        ),
        Column::Relation(_, false) => integer(cell),
        _ => Value::String(cell.to_owned()),
    })
}

/// The rows of an import's body, one lead (as the leads API's JSON) each.
enum Rows {
    Csv { reader: csv::Reader<std::fs::File>, columns: Vec<Column>, record: csv::StringRecord, row: u64 },
    Ndjson { lines: BufReader<std::fs::File>, line: String, row: u64 },
}

impl Rows {
    fn open(format: LeadFormat, mut file: std::fs::File, snap: &CampaignSnapshot) -> Result<Self, AppError> {
        file.rewind().map_err(AppError::internal)?;
        Ok(match format {
            LeadFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
                let header = reader
                    .headers()
                    .map_err(|e| AppError::invalid("header", format!("the CSV header cannot be read: {e}")))?
                    .clone();
                let columns = columns(&header, snap)?;
                Rows::Csv { reader, columns, record: csv::StringRecord::new(), row: 0 }
            }
            LeadFormat::Ndjson => Rows::Ndjson { lines: BufReader::new(file), line: String::new(), row: 0 },
        })
    }

    fn into_file(self) -> std::fs::File {
        match self {
            Rows::Csv { reader, .. } => reader.into_inner(),
            Rows::Ndjson { lines, .. } => lines.into_inner(),
        }
    }

    /// The next row: its number (from 1, the CSV header not counted; for
    /// NDJSON, the line), and the lead or why it cannot be read.
    fn next(&mut self) -> Option<(u64, Result<Value, String>)> {
        match self {
            Rows::Csv { reader, columns, record, row } => {
                *row += 1;
                match reader.read_record(record) {
                    Ok(false) => None,
                    Err(e) => Some((*row, Err(format!("the row cannot be read: {e}")))),
                    Ok(true) if record.len() != columns.len() => {
                        Some((*row, Err(format!("has {} cells; the header has {}", record.len(), columns.len()))))
                    }
                    Ok(true) => {
                        let (mut fields, mut selects, mut relations) = (Map::new(), Map::new(), Map::new());
                        let mut lead = Map::new();
                        for (column, cell) in columns.iter().zip(record.iter()) {
                            let Some(value) = cell_value(column, cell) else { continue };
                            match column {
                                Column::Field(slug, _) => drop(fields.insert(slug.clone(), value)),
                                Column::Select(slug) => drop(selects.insert(slug.clone(), value)),
                                Column::Relation(slug, _) => drop(relations.insert(slug.clone(), value)),
                                Column::Status => drop(lead.insert("status".into(), value)),
                                Column::Source => drop(lead.insert("source".into(), value)),
                                Column::Ignored => {}
                            }
                        }
                        lead.insert("fields".into(), Value::Object(fields));
                        lead.insert("select_field_values".into(), Value::Object(selects));
                        if !relations.is_empty() {
                            lead.insert("relations".into(), Value::Object(relations));
                        }
                        Some((*row, Ok(Value::Object(lead))))
                    }
                }
            }
            Rows::Ndjson { lines, line, row } => loop {
                line.clear();
                *row += 1;
                match lines.read_line(line) {
                    Ok(0) => return None,
                    Err(e) => return Some((*row, Err(format!("the line cannot be read: {e}")))),
                    Ok(_) if line.trim().is_empty() => continue,
                    Ok(_) => {
                        return Some((
                            *row,
                            serde_json::from_str::<Value>(line).map_err(|e| format!("is not JSON: {e}")),
                        ));
                    }
                }
            },
        }
    }

    fn batch(&mut self) -> Vec<(u64, Result<Value, String>)> {
        std::iter::from_fn(|| self.next()).take(BATCH).collect()
    }
}

// ---------------------------------------------------------------- the job

/// What the import has done so far.
#[derive(Default)]
struct Tally {
    rows: i64,
    imported: i64,
    updated: i64,
    rejected: i64,
    errors: Vec<Value>,
}

impl Tally {
    fn reject(&mut self, row: u64, messages: impl IntoIterator<Item = (String, String)>) {
        self.rejected += 1;
        for (field, message) in messages {
            if self.errors.len() < ERRORS_MAX {
                self.errors.push(json!({"row": row, "field": field, "message": message}));
            }
        }
    }

    fn save(&self, conn: &mut PgConnection, id: i64, failure: Option<&str>, done: bool, now: OffsetDateTime) {
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
struct Good {
    data: LeadData,
    source_id: Option<i64>,
    /// The upsert key's value, as text.
    key: Option<String>,
}

struct Job {
    snap: Arc<CampaignSnapshot>,
    params: ImportParams,
    import_id: i64,
    now: OffsetDateTime,
}

impl Job {
    /// Runs the import to its end and records how it ended.
    fn run(self, conn: &mut PgConnection, file: std::fs::File) {
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

    fn partial(&self, conn: &mut PgConnection, file: std::fs::File, tally: &mut Tally) -> Result<(), AppError> {
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

    fn all_or_nothing(&self, conn: &mut PgConnection, file: std::fs::File, tally: &mut Tally) -> Result<(), AppError> {
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
    fn check(
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
    fn store(&self, tx: &mut PgConnection, good: Vec<Good>, tally: &mut Tally) -> Result<(), AppError> {
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
    fn events(
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
