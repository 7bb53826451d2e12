//! Per-token rate limits: a token bucket per limit (per second, per
//! minute), in memory, per instance. With several instances behind a load
//! balancer each takes its share of the limit (the live instances are
//! counted by their heartbeat in PostgreSQL), so no request waits on a
//! shared counter: a check stays a memory operation. The answer's headers
//! follow the IETF RateLimit header fields draft.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::sync::Cache;

use crate::domain::RateLimit;

const MAX_TRACKED: u64 = 500_000;
const IDLE: Duration = Duration::from_secs(10 * 60);

/// A refusal: what the answer's headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: u64,
    /// `RateLimit-Policy`: `"per-second";q=10;w=1, "per-minute";q=600;w=60`.
    pub policy: String,
    /// `RateLimit`: the exhausted window, `"per-minute";r=0;t=12`.
    pub state: String,
}

struct Bucket {
    capacity: f64,
    /// Refill per second.
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(limit: u32, share: u32, window: f64, now: Instant) -> Self {
        let capacity = f64::from(limit.div_ceil(share).max(1));
        Self { capacity, rate: capacity / window, tokens: capacity, last: now }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.last = now;
    }

    /// Seconds until `n` requests are allowed (0 when they are now; a
    /// batch larger than the bucket waits for a full bucket).
    fn wait(&self, n: f64) -> f64 {
        let n = n.min(self.capacity);
        if self.tokens >= n { 0.0 } else { (n - self.tokens) / self.rate }
    }
}

struct Buckets {
    limit: RateLimit,
    share: u32,
    second: Option<Bucket>,
    minute: Option<Bucket>,
}

impl Buckets {
    fn new(limit: RateLimit, share: u32, now: Instant) -> Self {
        Self {
            limit,
            share,
            second: limit.per_second.map(|l| Bucket::new(l, share, 1.0, now)),
            minute: limit.per_minute.map(|l| Bucket::new(l, share, 60.0, now)),
        }
    }
}

pub struct RateLimiter {
    buckets: Cache<i64, Arc<Mutex<Buckets>>>,
    /// Live instances sharing each limit (at least 1).
    instances: AtomicU32,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self {
            buckets: Cache::builder().max_capacity(MAX_TRACKED).time_to_idle(IDLE).build(),
            instances: AtomicU32::new(1),
        }
    }
}

impl RateLimiter {
    pub fn set_instances(&self, n: u32) {
        self.instances.store(n.max(1), Ordering::Relaxed);
    }

    pub fn instances(&self) -> u32 {
        self.instances.load(Ordering::Relaxed)
    }

    /// Takes one request from `token_id`'s buckets, or says how long to wait.
    pub fn check(&self, token_id: i64, limit: RateLimit) -> Result<(), Limited> {
        self.check_at(token_id, limit, 1, Instant::now())
    }

    /// Takes `n` at once (a batch that costs per item), or none.
    pub fn check_n(&self, key: i64, limit: RateLimit, n: u32) -> Result<(), Limited> {
        self.check_at(key, limit, n, Instant::now())
    }

    fn check_at(&self, token_id: i64, limit: RateLimit, n: u32, now: Instant) -> Result<(), Limited> {
        let n = f64::from(n.max(1));
        if limit.is_none() {
            return Ok(());
        }
        let share = self.instances();
        let entry = self.buckets.get_with(token_id, || Arc::new(Mutex::new(Buckets::new(limit, share, now))));
        let Ok(mut guard) = entry.lock() else { return Ok(()) };
        if guard.limit != limit || guard.share != share {
            *guard = Buckets::new(limit, share, now);
        }
        let b = &mut *guard;
        let mut refused: Option<(&str, f64)> = None;
        for (name, bucket) in [("per-second", b.second.as_mut()), ("per-minute", b.minute.as_mut())] {
            if let Some(bucket) = bucket {
                bucket.refill(now);
                let wait = bucket.wait(n);
                if wait > 0.0 && refused.is_none_or(|(_, w)| wait > w) {
                    refused = Some((name, wait));
                }
            }
        }
        if let Some((name, wait)) = refused {
            let retry_after = wait.ceil().max(1.0) as u64;
            return Err(Limited {
                retry_after,
                policy: policy_header(limit),
                state: format!("\"{name}\";r=0;t={retry_after}"),
            });
        }
        for bucket in [b.second.as_mut(), b.minute.as_mut()].into_iter().flatten() {
            bucket.tokens -= n.min(bucket.capacity);
        }
        Ok(())
    }
}

/// The `RateLimit-Policy` value of a token's limits (the whole limit, as
/// the token's manager set it).
pub fn policy_header(limit: RateLimit) -> String {
    let mut parts = Vec::new();
    if let Some(q) = limit.per_second {
        parts.push(format!("\"per-second\";q={q};w=1"));
    }
    if let Some(q) = limit.per_minute {
        parts.push(format!("\"per-minute\";q={q};w=60"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(s: Option<u32>, m: Option<u32>) -> RateLimit {
        RateLimit { per_second: s, per_minute: m }
    }

    #[test]
    fn a_burst_over_the_limit_is_refused_and_refills() {
        let r = RateLimiter::default();
        let t0 = Instant::now();
        let l = limit(Some(5), None);
        for _ in 0..5 {
            r.check_at(1, l, 1, t0).unwrap();
        }
        let refused = r.check_at(1, l, 1, t0).unwrap_err();
        assert_eq!(refused.retry_after, 1);
        assert_eq!(refused.policy, "\"per-second\";q=5;w=1");
        assert_eq!(refused.state, "\"per-second\";r=0;t=1");
        // Another token is not affected; a fifth of a second brings one back.
        r.check_at(2, l, 1, t0).unwrap();
        r.check_at(1, l, 1, t0 + Duration::from_millis(200)).unwrap();
    }

    #[test]
    fn the_minute_limit_holds_when_the_second_one_would_not() {
        let r = RateLimiter::default();
        let t0 = Instant::now();
        let l = limit(Some(100), Some(3));
        for _ in 0..3 {
            r.check_at(1, l, 1, t0).unwrap();
        }
        let refused = r.check_at(1, l, 1, t0).unwrap_err();
        assert_eq!(refused.retry_after, 20);
        assert!(refused.state.starts_with("\"per-minute\""));
    }

    #[test]
    fn each_instance_takes_its_share() {
        let r = RateLimiter::default();
        r.set_instances(2);
        let t0 = Instant::now();
        let l = limit(Some(10), None);
        for _ in 0..5 {
            r.check_at(1, l, 1, t0).unwrap();
        }
        assert!(r.check_at(1, l, 1, t0).is_err());
        // A changed limit starts afresh.
        r.check_at(1, limit(Some(20), None), 1, t0).unwrap();
    }
}
