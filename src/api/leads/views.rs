//! A lead's file as the API answers it. (A lead itself is the shape of its
//! campaign: `services::leads` builds it from the campaign's fields.)

use serde::Serialize;

use crate::api::view::At;
use crate::domain::{FileId, LeadId};
use crate::services::leads::files::FileInfo;

#[derive(Debug, Serialize)]
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
