//! An import as the API answers it: while it runs and once it is done.

use serde::Serialize;

use crate::api::view::{At, at};
use crate::domain::{ImportId, ImportMode, ImportState, LeadFormat};
use crate::services::leads::imports::ImportInfo;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportView {
    pub id: ImportId,
    /// queued, running, done or failed.
    pub state: ImportState,
    /// The campaign's slug.
    pub campaign: String,
    pub format: LeadFormat,
    pub mode: ImportMode,
    /// The field whose value finds the lead to update, if any.
    pub upsert: Option<String>,
    /// Rows read so far.
    pub rows: i64,
    pub imported: i64,
    pub updated: i64,
    pub rejected: i64,
    /// `[{row, field, message}]`.
    #[schema(value_type = Vec<Object>)]
    pub errors: serde_json::Value,
    /// Why the whole import failed, if it did.
    pub failure: Option<String>,
    pub created_at: At,
    pub finished_at: Option<At>,
}

impl From<&ImportInfo> for ImportView {
    fn from(info: &ImportInfo) -> Self {
        let i = &info.import;
        Self {
            id: ImportId(i.id),
            state: i.state,
            campaign: info.campaign_slug.clone(),
            format: i.format,
            mode: i.mode,
            upsert: i.upsert_field.clone(),
            rows: i.rows_read,
            imported: i.imported,
            updated: i.updated,
            rejected: i.rejected,
            errors: i.errors.clone(),
            failure: i.failure.clone(),
            created_at: At(i.created_at),
            finished_at: at(i.finished_at),
        }
    }
}
