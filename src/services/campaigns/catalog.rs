//! The catalog of campaigns: a campaign and its whole structure (a
//! [`CampaignSnapshot`]), from the cache for intake and the API (kept right
//! by change notifications), fresh for console pages; and campaigns by id
//! or slug.

use std::sync::Arc;

use crate::error::AppError;
pub use crate::models::{Campaign, Field, Filter, Select, SelectOption, Source, Status};
use crate::services::context::Services;
pub use crate::services::snapshot::{
    CampaignSnapshot, ConditionSpec, DestinationSpec, FilterSpec, RelationSpec, SelectSpec,
};

/// A campaign's structure, fresh from the database (console pages).
pub async fn load(svc: &Services, campaign_id: i64) -> Result<CampaignSnapshot, AppError> {
    svc.run(move |conn| CampaignSnapshot::load_id(conn, campaign_id)).await
}

/// A campaign's structure by id or slug, from the cache (intake, the API).
pub async fn snapshot(svc: &Services, reference: &str) -> Result<Arc<CampaignSnapshot>, AppError> {
    svc.caches.catalog.snapshot(&svc.db, reference).await
}

/// Whether Global Token Authentication is on, from the cache.
pub async fn global_enabled(svc: &Services) -> Result<bool, AppError> {
    svc.caches.catalog.global_enabled(&svc.db).await
}

/// Every campaign, for lists and filters (archived last).
pub async fn campaigns(svc: &Services) -> Result<Vec<Campaign>, AppError> {
    svc.run(|conn| Ok(Campaign::list(conn)?)).await
}

/// The campaign with this id or slug; `NoSuch` naming it if there is none.
pub async fn campaign_by_ref(svc: &Services, reference: &str) -> Result<Campaign, AppError> {
    let reference = reference.to_owned();
    svc.run(move |conn| {
        Campaign::by_ref(conn, &reference)?
            .ok_or_else(|| AppError::NoSuch(format!("there is no campaign `{reference}`")))
    })
    .await
}
