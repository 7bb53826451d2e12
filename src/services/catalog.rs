//! A campaign and its whole structure, loaded together: what intake
//! validates against, what the leads API scopes by, what the public
//! documentation and the console's campaign pages describe. Intake and the
//! API read it through [`CatalogCache`] (invalidated by change
//! notifications); console pages load it fresh.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use moka::future::Cache;
use serde_json::{Map, Value};

use super::Services;
use crate::db::Db;
use crate::error::AppError;
pub use crate::models::{Campaign, Field, Filter, Select, SelectOption, Source, Status};
use crate::models::{FilterCondition, OrgSettings};

#[derive(Debug, Clone)]
pub struct SelectSpec {
    pub select: Select,
    pub options: Vec<SelectOption>,
}

impl SelectSpec {
    pub fn option(&self, slug: &str) -> Option<&SelectOption> {
        self.options.iter().find(|o| o.slug == slug)
    }
}

/// One "select = option" condition, with slugs and labels resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionSpec {
    pub select_id: i64,
    pub option_id: i64,
    pub select_slug: String,
    pub select_label: String,
    pub option_slug: String,
    pub option_label: String,
}

#[derive(Debug, Clone)]
pub struct FilterSpec {
    pub filter: Filter,
    pub conditions: Vec<ConditionSpec>,
}

impl FilterSpec {
    /// Whether a lead with these select values is inside the filter.
    pub fn matches(&self, selects: &Map<String, Value>) -> bool {
        self.conditions
            .iter()
            .all(|c| selects.get(&c.select_slug).and_then(Value::as_str) == Some(c.option_slug.as_str()))
    }

    /// The conditions as a JSON object, for `selects @> ...` queries.
    pub fn containment(&self) -> Value {
        Value::Object(
            self.conditions.iter().map(|c| (c.select_slug.clone(), Value::String(c.option_slug.clone()))).collect(),
        )
    }

    /// `select_partner = SELECT_PARTNER AND ...`
    pub fn describe(&self) -> String {
        self.conditions
            .iter()
            .map(|c| format!("{} = {}", c.select_slug, c.option_slug))
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

#[derive(Debug, Clone)]
pub struct CampaignSnapshot {
    pub campaign: Campaign,
    pub sources: Vec<Source>,
    pub fields: Vec<Field>,
    pub selects: Vec<SelectSpec>,
    pub statuses: Vec<Status>,
    pub filters: Vec<FilterSpec>,
}

impl CampaignSnapshot {
    pub(super) fn load(conn: &mut PgConnection, campaign: Campaign) -> QueryResult<Self> {
        let id = campaign.id;
        let sources = Source::of_campaign(conn, id)?;
        let fields = Field::of_campaign(conn, id)?;
        let mut options = SelectOption::of_campaign(conn, id)?;
        let selects: Vec<SelectSpec> = Select::of_campaign(conn, id)?
            .into_iter()
            .map(|select| {
                let (mine, rest): (Vec<_>, Vec<_>) = options.drain(..).partition(|o| o.select_id == select.id);
                options = rest;
                SelectSpec { select, options: mine }
            })
            .collect();
        let statuses = Status::of_campaign(conn, id)?;
        let conditions = FilterCondition::of_campaign(conn, id)?;
        let filters = Filter::of_campaign(conn, id)?
            .into_iter()
            .map(|filter| {
                let conditions = conditions
                    .iter()
                    .filter(|c| c.filter_id == filter.id)
                    .filter_map(|c| {
                        let s = selects.iter().find(|s| s.select.id == c.select_id)?;
                        let o = s.options.iter().find(|o| o.id == c.option_id)?;
                        Some(ConditionSpec {
                            select_id: s.select.id,
                            option_id: o.id,
                            select_slug: s.select.slug.clone(),
                            select_label: s.select.label.clone(),
                            option_slug: o.slug.clone(),
                            option_label: o.label.clone(),
                        })
                    })
                    .collect();
                FilterSpec { filter, conditions }
            })
            .collect();
        Ok(Self { campaign, sources, fields, selects, statuses, filters })
    }

    pub(super) fn load_id(conn: &mut PgConnection, id: i64) -> Result<Self, AppError> {
        let campaign = Campaign::find(conn, id)?;
        Ok(Self::load(conn, campaign)?)
    }

    pub fn field(&self, slug: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.slug == slug)
    }

    pub fn select(&self, slug: &str) -> Option<&SelectSpec> {
        self.selects.iter().find(|s| s.select.slug == slug)
    }

    pub fn status(&self, slug: &str) -> Option<&Status> {
        self.statuses.iter().find(|s| s.slug == slug)
    }

    pub fn default_status(&self) -> Option<&Status> {
        self.statuses.iter().find(|s| s.is_default).or_else(|| self.statuses.first())
    }

    pub fn filter(&self, id: i64) -> Option<&FilterSpec> {
        self.filters.iter().find(|f| f.filter.id == id)
    }

    pub fn source(&self, id: i64) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// A source by id or slug.
    pub fn source_ref(&self, reference: &str) -> Option<&Source> {
        match reference.parse::<i64>() {
            Ok(id) => self.source(id),
            Err(_) => self.sources.iter().find(|s| s.slug == reference),
        }
    }
}

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

// ------------------------------------------------------------- the cache

const SNAPSHOT_TTL: Duration = Duration::from_secs(10 * 60);

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

    pub(super) fn invalidate_campaign(&self, id: i64) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        futures_executor::block_on(self.snapshots.invalidate(&id));
    }

    pub(super) fn invalidate_org(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.global.store(0, Ordering::Release);
    }

    pub(super) fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.snapshots.invalidate_all();
        self.slugs.invalidate_all();
        self.global.store(0, Ordering::Release);
    }
}
