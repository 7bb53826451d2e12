//! `verify(token) -> Principal`: the one entry point every API route uses,
//! whatever the kind. A token with a bad prefix or checksum is refused
//! before any lookup; a well-formed one is looked up by its HMAC digest and
//! its state (revoked, deactivated, expired, owner deactivated) checked at
//! the moment of use. Use is counted in memory and flushed in batches.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::cache::TokenCache;
use super::format;
use super::limiter::FailureLimiter;
use super::state::{Principal, TokenState};
use super::usage::UsageRecorder;
use crate::clock::Clock;
use crate::crypto::Keys;
use crate::db::Db;
use crate::domain::TokenKind;
use crate::error::{AppError, TokenError};
use crate::metrics::Metrics;
use crate::models::Token;

pub struct Verifier {
    keys: Arc<Keys>,
    database: Db,
    clock: Clock,
    pub usage: UsageRecorder,
    limiter: FailureLimiter,
    pub cache: Arc<TokenCache>,
    metrics: Arc<Metrics>,
    /// Database lookups made so far (tests and metrics: a malformed token
    /// must not make one).
    lookups: AtomicU64,
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
        Self {
            keys,
            database,
            clock,
            usage: UsageRecorder::default(),
            limiter: FailureLimiter::new(failed_limit),
            cache,
            metrics,
            lookups: AtomicU64::new(0),
        }
    }

    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Checks a presented token for a request from `ip`.
    pub async fn verify(&self, token: &str, ip: &str) -> Result<Principal, AppError> {
        self.limiter.check(ip).map_err(|retry_after| {
            self.metrics.verification("rate_limited", "");
            AppError::RateLimited { retry_after }
        })?;
        let started = std::time::Instant::now();
        let result = self.check(token).await;
        self.metrics.verify_seconds.observe(started.elapsed().as_secs_f64());
        match &result {
            Ok(p) => {
                self.metrics.verification("valid", p.kind.as_str());
                self.usage.record(p.token_id, self.clock.now(), ip);
            }
            Err(AppError::Token(reason)) => {
                self.metrics.verification(reason.label(), TokenKind::from_prefix(token).map_or("", TokenKind::as_str));
                self.limiter.fail(ip);
                tracing::info!(reason = reason.label(), key = %key_hint(token), "token refused");
            }
            Err(_) => self.metrics.verification("error", ""),
        }
        result
    }

    /// Looks a token up without counting it as a use or a failure: for
    /// introspection, where the token is not the caller's credential.
    pub async fn inspect(&self, token: &str) -> Result<Principal, AppError> {
        self.check(token).await
    }

    async fn check(&self, token: &str) -> Result<Principal, AppError> {
        // A bad prefix or checksum never reaches the cache or the database.
        let parsed = format::parse(token)?;
        let kind = parsed.kind;
        let digest = self.keys.token_digest(parsed.token);
        let state = self.cache.get_or_load(digest, || self.load(digest)).await?;
        match state {
            Some(state) => Ok(state.check(kind, self.clock.now())?),
            None => Err(TokenError::Unknown.into()),
        }
    }

    /// The database lookup (a prepared statement: diesel caches it per
    /// connection).
    async fn load(&self, digest: [u8; 32]) -> Result<Option<TokenState>, AppError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let found = self.database.run(move |conn| Ok(Token::by_digest_with_user(conn, &digest)?)).await?;

        Ok(found.map(|(t, u)| TokenState::from_row(t, u)))
    }
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
