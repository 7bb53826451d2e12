//! The Import API: leads in bulk from CSV or NDJSON, for an
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

mod job;
mod rows;

pub use job::ImportParams;
use job::Job;
pub use rows::BATCH;
use rows::Rows;

use std::sync::Arc;

use diesel::Connection as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use time::Duration;
use tokio::io::AsyncWriteExt as _;

use crate::domain::{Actor, ImportState, Permission, TokenKind};
use crate::error::AppError;
use crate::models::import::{Import, NewImport};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::context::Services;
use crate::services::credentials::account_tokens::log_private_use;
use crate::tokens::Principal;

/// A body up to this size is imported before the answer.
pub const INLINE_MAX_BYTES: u64 = 1024 * 1024;
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
