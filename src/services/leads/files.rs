//! Lead files: uploaded through the campaign API with Write,
//! listed and downloaded with Read, deleted with Write; a lead outside the
//! token's filter has no files (404), as it has no existence.
//!
//! An upload is checked before its body is read (the token, the lead),
//! then spooled to an unnamed temporary file as it arrives, hashing and
//! sniffing as it goes and stopping at the size limit; only then does one
//! transaction store it, chunk by chunk, so that neither memory nor a
//! database connection is held while a slow client sends. A download
//! reads the chunks it needs one at a time. Memory stays constant both ways.

use std::io::{Read as _, Seek as _};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt as _;

use crate::domain::{Actor, At, FileId, FileType, LeadId, Permission, Sniffer};
use crate::error::AppError;
use crate::models::lead_file::{CHUNK_BYTES, LeadFile, NewLeadFile};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::context::Services;
use crate::services::leads::{self, LeadAccess};
use crate::tokens::Principal;

const NAME_MAX: usize = 255;

/// A stored file, as answers show it.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub id: i64,
    pub lead_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub created_at: OffsetDateTime,
}

impl From<LeadFile> for FileInfo {
    fn from(f: LeadFile) -> Self {
        let sha256 = f.sha256.iter().map(|b| format!("{b:02x}")).collect();
        Self {
            id: f.id,
            lead_id: f.lead_id,
            name: f.name,
            content_type: f.content_type,
            size: u64::try_from(f.size).unwrap_or(0),
            sha256,
            created_at: f.created_at,
        }
    }
}

/// A stored file as the API answers it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FileView {
    pub id: FileId,
    pub lead_id: LeadId,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    /// The content's SHA-256, in hex; also the download's `ETag`.
    pub sha256: String,
    pub created_at: At,
}

impl From<&FileInfo> for FileView {
    fn from(f: &FileInfo) -> Self {
        Self {
            id: FileId(f.id),
            lead_id: LeadId(f.lead_id),
            name: f.name.clone(),
            size: f.size,
            content_type: f.content_type.clone(),
            sha256: f.sha256.clone(),
            created_at: At(f.created_at),
        }
    }
}

impl FileInfo {
    /// A strong validator: the content's digest.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.sha256)
    }
}

/// A lead whose files someone may reach: the campaign, and what they may do.
pub struct LeadScope {
    snap: Arc<CampaignSnapshot>,
    access: LeadAccess,
    lead_id: i64,
}

/// Lead `lead_id` of `campaign` through a token: the lead must be inside
/// the token's filter.
pub async fn through_token(
    svc: &Services,
    principal: &Principal,
    campaign: &str,
    lead_id: i64,
) -> Result<LeadScope, AppError> {
    let (snap, access) = leads::scope(svc, principal, campaign).await?;
    check_lead(svc, snap, access, lead_id).await
}

/// Lead `lead_id` of campaign `campaign_id` in the console.
pub async fn in_console(svc: &Services, actor: &Actor, campaign_id: i64, lead_id: i64) -> Result<LeadScope, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let snap = Arc::new(crate::services::campaigns::catalog::load(svc, campaign_id).await?);
    check_lead(svc, snap, LeadAccess::everything(), lead_id).await
}

async fn check_lead(
    svc: &Services,
    snap: Arc<CampaignSnapshot>,
    access: LeadAccess,
    lead_id: i64,
) -> Result<LeadScope, AppError> {
    let (s, a) = (snap.clone(), access.clone());
    svc.run(move |conn| leads::visible(conn, &s, &a, lead_id, false).map(drop)).await?;
    Ok(LeadScope { snap, access, lead_id })
}

/// The lead's files, oldest first (Read).
pub async fn list(svc: &Services, scope: &LeadScope) -> Result<Vec<FileInfo>, AppError> {
    scope.access.require_read()?;
    let lead_id = scope.lead_id;
    svc.run(move |conn| Ok(LeadFile::of_lead(conn, lead_id)?.into_iter().map(FileInfo::from).collect())).await
}

/// One of the lead's files (Read).
pub async fn find(svc: &Services, scope: &LeadScope, file_id: i64) -> Result<FileInfo, AppError> {
    scope.access.require_read()?;
    let lead_id = scope.lead_id;
    svc.run(move |conn| {
        LeadFile::find_of_lead(conn, lead_id, file_id)?
            .map(FileInfo::from)
            .ok_or_else(|| AppError::NoSuch(format!("no file {file_id} on lead {lead_id}")))
    })
    .await
}

/// Deletes one of the lead's files (Write).
pub async fn delete(svc: &Services, scope: &LeadScope, file_id: i64) -> Result<(), AppError> {
    scope.access.require_write()?;
    let (snap, access, lead_id) = (scope.snap.clone(), scope.access.clone(), scope.lead_id);
    svc.tx(move |tx| {
        leads::visible(tx, &snap, &access, lead_id, true)?;
        match LeadFile::delete(tx, file_id)? {
            0 => Err(AppError::NoSuch(format!("no file {file_id} on lead {lead_id}"))),
            _ => Ok(()),
        }
    })
    .await
}

/// `bytes` `first..=last` of a file, read a chunk at a time: a stream that
/// holds one chunk in memory and a database connection only while reading it.
pub fn bytes(
    svc: &Services,
    file: &FileInfo,
    first: u64,
    last: u64,
) -> impl Stream<Item = Result<Bytes, AppError>> + use<> {
    let (svc, file_id) = (svc.clone(), file.id);
    let chunk = CHUNK_BYTES as u64;
    futures_util::stream::unfold(first, move |pos| {
        let svc = svc.clone();
        async move {
            if pos > last {
                return None;
            }
            let seq = i32::try_from(pos / chunk).unwrap_or(i32::MAX);
            let read = svc.run(move |conn| Ok(LeadFile::chunk(conn, file_id, seq)?)).await;
            let data = match read {
                Ok(data) => data,
                Err(e) => return Some((Err(e), last + 1)),
            };
            let start = usize::try_from(pos % chunk).unwrap_or(usize::MAX);
            let end = data.len().min(start.saturating_add(usize::try_from(last - pos + 1).unwrap_or(usize::MAX)));
            if start >= end {
                let e = AppError::internal(anyhow::anyhow!("file {file_id} is shorter than its size: chunk {seq}"));
                return Some((Err(e), last + 1));
            }
            let next = pos + (end - start) as u64;
            Some((Ok(Bytes::from(data).slice(start..end)), next))
        }
    })
}

// ---------------------------------------------------------------- upload

/// An upload on its way in: spooled to an unnamed temporary file (gone
/// when this is dropped, whatever happens), hashed and sniffed as it comes.
pub struct Spool {
    file: tokio::io::BufWriter<tokio::fs::File>,
    size: u64,
    max: u64,
    hasher: Sha256,
    sniffer: Sniffer,
}

impl Spool {
    /// A spool for an upload to the lead `scope` names (Write).
    pub async fn new(svc: &Services, scope: &LeadScope) -> Result<Self, AppError> {
        scope.access.require_write()?;
        let dir = upload_dir(svc);
        let file = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            tempfile::tempfile_in(&dir)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
        Ok(Self {
            file: tokio::io::BufWriter::with_capacity(CHUNK_BYTES, tokio::fs::File::from_std(file)),
            size: 0,
            max: svc.settings.max_file_bytes,
            hasher: Sha256::new(),
            sniffer: Sniffer::new(),
        })
    }

    /// Takes the next piece of the body; 413 past the size limit.
    pub async fn write(&mut self, piece: &[u8]) -> Result<(), AppError> {
        self.size += piece.len() as u64;
        if self.size > self.max {
            return Err(AppError::PayloadTooLarge { limit: usize::try_from(self.max).ok() });
        }
        self.hasher.update(piece);
        self.sniffer.feed(piece);
        self.file.write_all(piece).await.map_err(AppError::internal)
    }
}

fn upload_dir(svc: &Services) -> PathBuf {
    svc.settings.data_dir.join("uploads")
}

/// Checks a file's name: what `Content-Disposition` will carry back.
fn file_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if base.is_empty() {
        return Err(AppError::invalid("name", "give the file a name (?name=… or the multipart file name)"));
    }
    if base.chars().count() > NAME_MAX {
        return Err(AppError::invalid("name", format!("use at most {NAME_MAX} characters")));
    }
    if base.chars().any(char::is_control) {
        return Err(AppError::invalid("name", "must not contain control characters"));
    }
    Ok(base.to_owned())
}

/// Stores a spooled upload on the lead, once its content is known to be of
/// a type the campaign accepts (and what the client declared, if it did).
pub async fn store(
    svc: &Services,
    scope: &LeadScope,
    spool: Spool,
    name: &str,
    declared: Option<&str>,
) -> Result<FileInfo, AppError> {
    let name = file_name(name)?;
    if spool.size == 0 {
        return Err(AppError::invalid("file", "is empty"));
    }
    let declared_type = match declared.map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) if d.starts_with("application/octet-stream") => None,
        Some(d) => Some(FileType::from_header(d).ok_or_else(|| {
            AppError::UnsupportedMediaType(format!(
                "{d} is not a type this campaign accepts; {}",
                accepted(&scope.snap)
            ))
        })?),
    };
    let found = spool
        .sniffer
        .verdict(declared_type)
        .map_err(|m| AppError::UnsupportedMediaType(format!("{m}; {}", accepted(&scope.snap))))?;
    if !scope.snap.campaign.accepts(found.as_str()) {
        return Err(AppError::UnsupportedMediaType(format!(
            "{} files are not accepted here; {}",
            found.label(),
            accepted(&scope.snap)
        )));
    }
    let Spool { mut file, size, hasher, .. } = spool;
    file.flush().await.map_err(AppError::internal)?;
    let mut file = file.into_inner().into_std().await;
    let sha256: [u8; 32] = hasher.finalize().into();
    let (snap, access, lead_id, now) = (scope.snap.clone(), scope.access.clone(), scope.lead_id, svc.now());
    svc.tx(move |tx| {
        // The lead may have changed or gone while the body arrived.
        leads::visible(tx, &snap, &access, lead_id, true)?;
        let stored = LeadFile::insert(
            tx,
            &NewLeadFile {
                lead_id,
                campaign_id: snap.campaign.id,
                name: &name,
                content_type: found.as_str(),
                size: i64::try_from(size).unwrap_or(i64::MAX),
                sha256: &sha256,
                created_at: now,
            },
        )?;
        file.rewind().map_err(AppError::internal)?;
        let mut buffer = vec![0u8; CHUNK_BYTES];
        let mut seq = 0;
        loop {
            let n = fill(&mut file, &mut buffer).map_err(AppError::internal)?;
            if n == 0 {
                break;
            }
            LeadFile::insert_chunk(tx, stored.id, seq, &buffer[..n])?;
            seq += 1;
        }
        Ok(FileInfo::from(stored))
    })
    .await
}

/// Reads until `buffer` is full or the file ends.
fn fill(file: &mut std::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buffer.len() {
        match file.read(&mut buffer[n..])? {
            0 => break,
            read => n += read,
        }
    }
    Ok(n)
}

fn accepted(snap: &CampaignSnapshot) -> String {
    format!("this campaign accepts: {}", snap.campaign.file_types().join(", "))
}
