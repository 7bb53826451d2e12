//! The in-process verification cache, keyed by token digest. It holds only
//! what a check needs ([`TokenState`]); validity is still judged at every
//! use, so an expiry is honoured without waiting for the sweeper.
//!
//! - Concurrent misses for one token make one query (moka coalesces them).
//! - Well-formed tokens that are unknown are remembered for a short while in
//!   a bounded negative cache, so a flood of made-up tokens does not reach
//!   the database either.
//! - Every change that disables or narrows a token is applied here at once
//!   by the instance that made it, and by every other instance when its
//!   NOTIFY arrives (see `listener`). A lost listener connection clears the
//!   whole cache.
//! - A load racing an invalidation is not trusted: an epoch counter, bumped
//!   by every invalidation, tells the loader to drop what it just cached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use moka::future::Cache;

use super::state::TokenState;
use crate::domain::{RateLimit, TokenKind};
use crate::error::AppError;
use crate::metrics::Metrics;

pub type Digest = [u8; 32];

/// The organisation's default rate limit per kind (its token policy).
pub type KindLimits = Arc<HashMap<TokenKind, RateLimit>>;

const MAX_ENTRIES: u64 = 500_000;
const MAX_UNKNOWN: u64 = 100_000;
/// A safety net only: invalidation is by notification.
const ENTRY_TTL: Duration = Duration::from_secs(15 * 60);
/// A digest joins the tokens table only when a token is issued from fresh
/// randomness, which nobody can have presented before: a negative entry
/// cannot go stale, and the TTL and the bound only keep memory in check.
const UNKNOWN_TTL: Duration = Duration::from_secs(5 * 60);

enum Miss {
    Unknown,
    /// The load failed; every waiter gets the error (with its cause).
    Failed(AppError),
}

pub struct TokenCache {
    enabled: bool,
    known: Cache<Digest, Arc<TokenState>>,
    unknown: Cache<Digest, ()>,
    epoch: AtomicU64,
    metrics: Arc<Metrics>,
    /// Loaded on first need, forgotten when the policy changes. Kept even
    /// with the cache off: it is one small map, not a token.
    kind_limits: RwLock<Option<KindLimits>>,
}

impl TokenCache {
    pub fn new(enabled: bool, metrics: Arc<Metrics>) -> Self {
        Self {
            enabled,
            known: Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .time_to_live(ENTRY_TTL)
                .support_invalidation_closures()
                .build(),
            unknown: Cache::builder().max_capacity(MAX_UNKNOWN).time_to_live(UNKNOWN_TTL).build(),
            epoch: AtomicU64::new(0),
            metrics,
            kind_limits: RwLock::new(None),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn entries(&self) -> u64 {
        self.known.entry_count() + self.unknown.entry_count()
    }

    /// The token's state from the cache, or from `load` on a miss (`None`:
    /// no such token).
    pub async fn get_or_load<F, Fut>(&self, digest: Digest, load: F) -> Result<Option<Arc<TokenState>>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<TokenState>, AppError>>,
    {
        if !self.enabled {
            self.metrics.cache_misses.inc();
            return Ok(load().await?.map(Arc::new));
        }
        if self.unknown.contains_key(&digest) {
            self.metrics.cache_hits.inc();
            return Ok(None);
        }
        if let Some(state) = self.known.get(&digest).await {
            self.metrics.cache_hits.inc();
            return Ok(Some(state));
        }
        self.metrics.cache_misses.inc();
        // Boxed, so the hit path's future stays small: moka's loading
        // future is several kilobytes, moved and allocated on every request
        // if it were inline.
        Box::pin(self.load_once(digest, load)).await
    }

    /// Whether `digest` is remembered as no token's.
    pub fn known_unknown(&self, digest: &Digest) -> bool {
        self.enabled && self.unknown.contains_key(digest)
    }

    /// A miss: one load per digest however many requests wait for it.
    async fn load_once<F, Fut>(&self, digest: Digest, load: F) -> Result<Option<Arc<TokenState>>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<TokenState>, AppError>>,
    {
        let epoch = self.epoch.load(Ordering::Acquire);

        let loaded = self
            .known
            .try_get_with(digest, async {
                match load().await {
                    Ok(Some(state)) => Ok(Arc::new(state)),
                    Ok(None) => Err(Miss::Unknown),
                    Err(e) => Err(Miss::Failed(e)),
                }
            })
            .await;
        match loaded {
            Ok(state) => {
                if self.epoch.load(Ordering::Acquire) != epoch {
                    // Something changed while we loaded: use it once, keep nothing.
                    self.known.invalidate(&digest).await;
                }
                Ok(Some(state))
            }
            Err(miss) => match &*miss {
                Miss::Unknown => {
                    if self.epoch.load(Ordering::Acquire) == epoch {
                        self.unknown.insert(digest, ()).await;
                    }
                    Ok(None)
                }
                Miss::Failed(e) => Err(e.clone()),
            },
        }
    }

    fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Forgets one token (revoked, deactivated, regenerated, deleted...).
    pub fn invalidate_token(&self, digest: &Digest) {
        self.bump();
        futures_executor::block_on(async {
            self.known.invalidate(digest).await;
            self.unknown.invalidate(digest).await;
        });
    }

    /// Forgets every token of a user (deactivated, role changed, switch off).
    pub fn invalidate_user(&self, user_id: i64) {
        self.bump();
        if self.known.invalidate_entries_if(move |_, state| state.user_id() == Some(user_id)).is_err() {
            self.known.invalidate_all();
        }
    }

    pub fn kind_limits(&self) -> Option<KindLimits> {
        self.kind_limits.read().ok().and_then(|l| l.clone())
    }

    pub fn set_kind_limits(&self, limits: KindLimits) {
        if let Ok(mut slot) = self.kind_limits.write() {
            *slot = Some(limits);
        }
    }

    /// Forgets the kinds' default limits (the token policy changed).
    pub fn invalidate_policies(&self) {
        if let Ok(mut slot) = self.kind_limits.write() {
            *slot = None;
        }
    }

    /// Forgets everything (after a lost listener connection).
    pub fn clear(&self) {
        self.invalidate_policies();
        self.bump();
        self.known.invalidate_all();
        self.unknown.invalidate_all();
    }
}
