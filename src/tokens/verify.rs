//! `verify(token) -> Principal`: the one entry point every API route uses,
//! whatever the kind. A token with a bad prefix or checksum is refused
//! before any lookup; a well-formed one is looked up by its HMAC digest and
//! its state (revoked, deactivated, expired, owner deactivated) checked at
//! the moment of use. Use is counted in memory and flushed in batches.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use super::cache::{Digest, KindLimits, TokenCache};
use super::format;
use super::limiter::FailureLimiter;
use super::rate::RateLimiter;
use super::state::{Principal, TokenState};
use super::usage::UsageRecorder;
use crate::clock::Clock;
use crate::crypto::Keys;
use crate::db::Db;
use crate::db::batch::Batcher;
use crate::domain::{RateLimit, TokenKind};
use crate::error::{AppError, TokenError};
use crate::metrics::Metrics;
use crate::models::{Token, TokenPolicy};

/// A valid token used from an address its allowlist does not name: kept
/// for the audit log (one entry per token and address per flush).
#[derive(Debug, Clone)]
pub struct IpRefusal {
    pub key: String,
    pub ip: String,
    pub at: OffsetDateTime,
    pub count: u64,
}

pub struct Verifier {
    keys: Arc<Keys>,
    database: Db,
    clock: Clock,
    pub usage: UsageRecorder,
    limiter: FailureLimiter,
    pub rates: RateLimiter,
    pub cache: Arc<TokenCache>,
    metrics: Arc<Metrics>,
    /// Database lookups made so far (tests and metrics: a malformed token
    /// must not make one).
    lookups: AtomicU64,
    /// Concurrent misses, looked up together: one `digest = ANY($1)` query
    /// per batch.
    loader: Batcher<Digest, Option<TokenState>>,
    ip_refusals: Mutex<HashMap<(i64, String), IpRefusal>>,
}

impl Verifier {
    pub fn new(
        keys: Arc<Keys>,
        database: Db,
        clock: Clock,
        failed_limit: u32,
        cache: Arc<TokenCache>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let loader =
            Batcher::new("token lookup", database.clone(), LOOKUP_BATCH, LOOKUPS_IN_FLIGHT, Arc::new(load_batch));
        Self {
            keys,
            database,
            clock,
            usage: UsageRecorder::default(),
            limiter: FailureLimiter::new(failed_limit),
            rates: RateLimiter::default(),
            cache,
            metrics,
            lookups: AtomicU64::new(0),
            loader,
            ip_refusals: Mutex::new(HashMap::new()),
        }
    }

    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Checks a presented token for a request from `ip`: its state, its
    /// allowlist, its rate limit.
    ///
    /// An address over the failed-check limit gets 429 for every token that
    /// is malformed or known to be unknown, without a lookup; a valid token
    /// keeps working from it (one misconfigured client behind a shared NAT
    /// must not lock out the others), and a token never seen before is
    /// looked up and, if unknown, answered 429 too. With 160 bits of
    /// randomness, telling "valid" from "limited" gives a guesser nothing.
    pub async fn verify(&self, token: &str, ip: &str) -> Result<Principal, AppError> {
        let limited = self.limiter.check(ip).err();
        let too_many = |retry_after| {
            self.metrics.verification("rate_limited", "");
            AppError::RateLimited { retry_after }
        };
        if let Some(retry_after) = limited
            && self.surely_invalid(token)
        {
            return Err(too_many(retry_after));
        }
        let started = std::time::Instant::now();
        let (state, mut result) = self.check(token, ip.parse().ok()).await;
        if let (Some(retry_after), Err(AppError::Token(TokenError::Unknown))) = (limited, &result) {
            return Err(too_many(retry_after));
        }
        if let (Ok(_), Some(state)) = (&result, &state)
            && let Err(limited) = self.rate_check(state).await
        {
            result = Err(limited);
        }
        self.metrics.verify_seconds.observe(started.elapsed().as_secs_f64());
        let now = self.clock.now();
        let kind_label = || TokenKind::from_prefix(token).map_or("", TokenKind::as_str);
        match &result {
            Ok(p) => {
                self.metrics.verification("valid", p.kind.as_str());
                self.usage.record(p.token_id, now, ip);
            }
            Err(e) => {
                let reason = match e {
                    AppError::Token(reason) => reason.label(),
                    AppError::TokenRateLimited { .. } => "rate_limited",
                    _ => "error",
                };
                self.metrics.verification(reason, kind_label());
                if let Some(state) = &state
                    && reason != "error"
                {
                    self.usage.refuse(state.principal.token_id, now, reason);
                }
                match (e, &state) {
                    (AppError::Token(TokenError::IpNotAllowed), Some(state)) => self.note_ip_refusal(state, ip, now),
                    (AppError::Token(reason), _) => {
                        self.limiter.fail(ip);
                        // Counted in the metrics; a line each only at `debug`
                        // (a flood of garbage must not become a flood of logs).
                        tracing::debug!(reason = reason.label(), key = %key_hint(token), "token refused");
                    }
                    _ => {}
                }
            }
        }
        result
    }

    /// Looks a token up without counting it as a use or a failure: for
    /// introspection, where the token is not the caller's credential.
    pub async fn inspect(&self, token: &str) -> Result<Principal, AppError> {
        match self.check(token, None).await {
            // Introspection does not come from the token's client: an
            // allowlist (checked last) does not make the token invalid.
            (Some(state), Err(AppError::Token(TokenError::IpNotAllowed))) => Ok(state.principal.clone()),
            (_, result) => result,
        }
    }

    /// Malformed, or remembered as unknown: refused without a lookup.
    fn surely_invalid(&self, token: &str) -> bool {
        match format::parse(token) {
            Ok(parsed) => self.cache.known_unknown(&self.keys.token_digest(parsed.token)),
            Err(_) => true,
        }
    }

    async fn check(&self, token: &str, ip: Option<IpAddr>) -> (Option<Arc<TokenState>>, Result<Principal, AppError>) {
        // A bad prefix or checksum never reaches the cache or the database.
        let parsed = match format::parse(token) {
            Ok(parsed) => parsed,
            Err(e) => return (None, Err(e.into())),
        };
        let kind = parsed.kind;
        let digest = self.keys.token_digest(parsed.token);
        match self.cache.get_or_load(digest, || self.load(digest)).await {
            Ok(Some(state)) => {
                let result = state.check(kind, self.clock.now(), ip).map_err(AppError::from);
                (Some(state), result)
            }
            Ok(None) => (None, Err(TokenError::Unknown.into())),
            Err(e) => (None, Err(e)),
        }
    }

    /// The token's own rate limit, or its kind's default.
    async fn rate_check(&self, state: &TokenState) -> Result<(), AppError> {
        let limit = if state.rate.is_none() {
            let defaults = self.kind_limits().await?;
            defaults.get(&state.principal.kind).copied().unwrap_or_default()
        } else {
            state.rate
        };
        self.rates.check(state.principal.token_id, limit).map_err(|l| AppError::TokenRateLimited {
            retry_after: l.retry_after,
            policy: l.policy,
            state: l.state,
        })
    }

    async fn kind_limits(&self) -> Result<KindLimits, AppError> {
        if let Some(limits) = self.cache.kind_limits() {
            return Ok(limits);
        }
        let policies = self.database.run(|conn| Ok(TokenPolicy::all(conn)?)).await?;
        let limits: KindLimits = Arc::new(
            policies
                .into_iter()
                .map(|p| (p.kind, RateLimit::stored(p.rate_per_second, p.rate_per_minute)))
                .filter(|(_, l)| !l.is_none())
                .collect(),
        );
        self.cache.set_kind_limits(limits.clone());
        Ok(limits)
    }

    fn note_ip_refusal(&self, state: &TokenState, ip: &str, at: OffsetDateTime) {
        const MAX_PENDING: usize = 10_000;
        let Ok(mut pending) = self.ip_refusals.lock() else { return };
        let key = (state.principal.token_id, ip.to_owned());
        if let Some(r) = pending.get_mut(&key) {
            r.count += 1;
        } else if pending.len() < MAX_PENDING {
            pending.insert(key, IpRefusal { key: state.principal.display_key(), ip: ip.to_owned(), at, count: 1 });
        }
    }

    /// The refusals by address since the last call, for the audit log.
    pub fn take_ip_refusals(&self) -> Vec<IpRefusal> {
        self.ip_refusals.lock().map(|mut p| p.drain().map(|(_, r)| r).collect()).unwrap_or_default()
    }

    /// The database lookup, in a batch with the other misses of the moment.
    async fn load(&self, digest: Digest) -> Result<Option<TokenState>, AppError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        self.loader.submit(digest).await
    }
}

/// At most this many digests per lookup, and one lookup at a time: the
/// next batch gathers while one is on its round trip. Measured at 32
/// connections with the cache off: 25,600 checks/s with one in flight,
/// 21,600 with two, 18,600 with four (fewer, larger batches cost fewer
/// thread hand-offs per check).
const LOOKUP_BATCH: usize = 256;
const LOOKUPS_IN_FLIGHT: usize = 1;

/// One query for a batch of digests (each distinct digest once); every
/// digest gets its token's state, or `None`.
fn load_batch(
    conn: &mut diesel::PgConnection,
    digests: Vec<Digest>,
) -> Result<Vec<Result<Option<TokenState>, AppError>>, AppError> {
    let mut distinct: Vec<Vec<u8>> = digests.iter().map(|d| d.to_vec()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let found: HashMap<Vec<u8>, TokenState> = Token::by_digests_with_user(conn, &distinct)?
        .into_iter()
        .map(|(t, u)| (t.digest.clone(), TokenState::from_row(t, u)))
        .collect();
    Ok(digests.iter().map(|d| Ok(found.get(d.as_slice()).cloned())).collect())
}

/// What may be logged of a presented token: its prefix and key, when it
/// parses; never the rest.
pub fn key_hint(token: &str) -> String {
    match format::parse(token) {
        Ok(p) => format!("{}{}", p.kind.prefix(), p.key),
        Err(_) => "(malformed)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hints_never_carry_the_secret() {
        let new = format::generate(TokenKind::Profile);
        let s = secrecy::ExposeSecret::expose_secret(&new.secret).to_owned();
        let hint = key_hint(&s);
        assert_eq!(hint, format!("kw_usr_{}", new.key));
        assert!(!hint.contains(&s[15..]));
        assert_eq!(key_hint("garbage"), "(malformed)");
    }
}
