//! This instance's caches, and how a [`Change`] reaches them: the token
//! cache (see `tokens::cache`) and the catalog of campaign snapshots and the
//! global level switch (see `catalog`). A change is applied here at once by
//! the instance that made it (`Services::tx`) and, through NOTIFY and the
//! listener, by every other instance.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;

use crate::db::Db;
use crate::db::changes::{Change, ChangeSink};
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::models::{Campaign, OrgSettings};
use crate::services::snapshot::CampaignSnapshot;
use crate::tokens::cache::TokenCache;

pub struct Caches {
    pub tokens: Arc<TokenCache>,
    pub catalog: CatalogCache,
    /// Public lead counts by campaign, kept a few seconds: widgets on busy
    /// pages ask often, and a count a few seconds old is still live.
    pub counts: Cache<i64, Arc<PublicCounts>>,
}

impl Caches {
    /// `enabled: false` (`KEYWARD_CACHE=false`) sends every lookup to
    /// PostgreSQL.
    pub fn new(enabled: bool, metrics: Arc<Metrics>) -> Self {
        Self {
            tokens: Arc::new(TokenCache::new(enabled, metrics)),
            catalog: CatalogCache::new(enabled),
            counts: Cache::builder().max_capacity(if enabled { 10_000 } else { 0 }).time_to_live(COUNTS_TTL).build(),
        }
    }
}

impl ChangeSink for Caches {
    fn apply(&self, change: &Change) {
        match change {
            Change::Token(digest) => self.tokens.invalidate_token(digest),
            Change::User(id) => self.tokens.invalidate_user(*id),
            Change::Campaign(id) => self.catalog.invalidate_campaign(*id),
            Change::Org => self.catalog.invalidate_org(),
            Change::Policy => self.tokens.invalidate_policies(),
        }
    }

    fn clear(&self) {
        self.tokens.clear();
        self.catalog.clear();
    }
}

const SNAPSHOT_TTL: Duration = Duration::from_secs(10 * 60);
/// How old a public count may be.
pub const COUNTS_TTL: Duration = Duration::from_secs(10);

/// Campaign snapshots by id, campaign slugs to ids, and the global switch.
/// A load racing an invalidation is not kept (the epoch moved meanwhile).
pub struct CatalogCache {
    enabled: bool,
    snapshots: Cache<i64, Arc<CampaignSnapshot>>,
    slugs: moka::sync::Cache<String, i64>,
    /// 0 unknown, 1 off, 2 on.
    global: AtomicU8,
    epoch: AtomicU64,
}

impl CatalogCache {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            snapshots: Cache::builder().max_capacity(10_000).time_to_live(SNAPSHOT_TTL).build(),
            slugs: moka::sync::Cache::builder().max_capacity(100_000).build(),
            global: AtomicU8::new(0),
            epoch: AtomicU64::new(0),
        }
    }

    /// A campaign and its structure by id or slug; `NoSuch` if unknown.
    pub async fn snapshot(&self, db: &Db, reference: &str) -> Result<Arc<CampaignSnapshot>, AppError> {
        let no_such = || AppError::NoSuch(format!("there is no campaign `{reference}`"));
        let id = match reference.parse::<i64>() {
            Ok(id) => id,
            Err(_) => match self.slugs.get(reference).filter(|_| self.enabled) {
                Some(id) => id,
                None => {
                    let slug = reference.to_owned();
                    let found = db.run(move |conn| Ok(Campaign::by_ref(conn, &slug)?)).await?.ok_or_else(no_such)?;
                    if self.enabled {
                        self.slugs.insert(reference.to_owned(), found.id);
                    }
                    found.id
                }
            },
        };
        let load = || async move {
            db.run(move |conn| match CampaignSnapshot::load_id(conn, id) {
                Ok(s) => Ok(Some(s)),
                Err(AppError::NotFound) => Ok(None),
                Err(e) => Err(e),
            })
            .await
        };
        if !self.enabled {
            return load().await?.map(Arc::new).ok_or_else(no_such);
        }
        if let Some(s) = self.snapshots.get(&id).await {
            return Ok(s);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let loaded = self
            .snapshots
            .try_get_with(id, async {
                match load().await {
                    Ok(Some(s)) => Ok(Arc::new(s)),
                    Ok(None) => Err(None),
                    Err(e) => Err(Some(e)),
                }
            })
            .await;
        match loaded {
            Ok(s) => {
                if self.epoch.load(Ordering::Acquire) != epoch {
                    self.snapshots.invalidate(&id).await;
                }
                Ok(s)
            }
            Err(e) => match &*e {
                None => Err(no_such()),
                Some(e) => Err(e.clone()),
            },
        }
    }

    /// Whether Global Token Authentication is on.
    pub async fn global_enabled(&self, db: &Db) -> Result<bool, AppError> {
        match self.global.load(Ordering::Acquire) {
            1 if self.enabled => return Ok(false),
            2 if self.enabled => return Ok(true),
            _ => {}
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let on = db.run(|conn| Ok(OrgSettings::global_token_enabled(conn)?)).await?;
        if self.enabled && self.epoch.load(Ordering::Acquire) == epoch {
            self.global.store(if on { 2 } else { 1 }, Ordering::Release);
        }
        Ok(on)
    }

    fn invalidate_campaign(&self, id: i64) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        futures_executor::block_on(self.snapshots.invalidate(&id));
    }

    fn invalidate_org(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.global.store(0, Ordering::Release);
    }

    fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.snapshots.invalidate_all();
        self.slugs.invalidate_all();
        self.global.store(0, Ordering::Release);
    }
}

/// A campaign's lead counts for the public token. Leads that came through
/// the API (no source) count under the source `api`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicCounts {
    pub campaign: String,
    pub name: String,
    pub total: i64,
    /// Status slug → leads, every status of the campaign.
    pub by_status: std::collections::BTreeMap<String, i64>,
    /// Source slug → leads, every source and `api`.
    pub by_source: std::collections::BTreeMap<String, i64>,
}
