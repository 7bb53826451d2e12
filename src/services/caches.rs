//! This instance's caches, and how a [`Change`] reaches them: the token
//! cache (see `tokens::cache`) and the catalog of campaign snapshots and the
//! global level switch (see `catalog`). A change is applied here at once by
//! the instance that made it (`Services::tx`) and, through NOTIFY and the
//! listener, by every other instance.

use std::sync::Arc;

use super::catalog::CatalogCache;
use crate::db::changes::{Change, ChangeSink};
use crate::metrics::Metrics;
use crate::tokens::cache::TokenCache;

pub struct Caches {
    pub tokens: Arc<TokenCache>,
    pub catalog: CatalogCache,
}

impl Caches {
    /// `enabled: false` (`KEYWARD_CACHE=false`) sends every lookup to
    /// PostgreSQL.
    pub fn new(enabled: bool, metrics: Arc<Metrics>) -> Self {
        Self { tokens: Arc::new(TokenCache::new(enabled, metrics)), catalog: CatalogCache::new(enabled) }
    }
}

impl ChangeSink for Caches {
    fn apply(&self, change: &Change) {
        match change {
            Change::Token(digest) => self.tokens.invalidate_token(digest),
            Change::User(id) => self.tokens.invalidate_user(*id),
            Change::Campaign(id) => self.catalog.invalidate_campaign(*id),
            Change::Org => self.catalog.invalidate_org(),
        }
    }

    fn clear(&self) {
        self.tokens.clear();
        self.catalog.clear();
    }
}
