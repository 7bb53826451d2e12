//! Repeated failed token checks from one IP are refused (429 with
//! Retry-After) before they reach the database. Counted per instance, in a
//! bounded cache, so a flood from many addresses cannot exhaust memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use moka::sync::Cache;

const WINDOW: Duration = Duration::from_secs(60);
const MAX_TRACKED: u64 = 100_000;

struct Window {
    started: Instant,
    failures: AtomicU32,
}

pub struct FailureLimiter {
    limit: u32,
    windows: Cache<String, Arc<Window>>,
}

impl FailureLimiter {
    /// `limit` failures per IP per minute; 0 turns the limiter off.
    pub fn new(limit: u32) -> Self {
        Self { limit, windows: Cache::builder().max_capacity(MAX_TRACKED).time_to_live(WINDOW).build() }
    }

    /// `Err(seconds to wait)` while `ip` is over the limit.
    pub fn check(&self, ip: &str) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        match self.windows.get(ip) {
            Some(w) if w.failures.load(Ordering::Relaxed) >= self.limit => {
                let left = WINDOW.saturating_sub(w.started.elapsed());
                Err(left.as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn fail(&self, ip: &str) {
        if self.limit == 0 {
            return;
        }
        let window = self
            .windows
            .get_with_by_ref(ip, || Arc::new(Window { started: Instant::now(), failures: AtomicU32::new(0) }));
        window.failures.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ip_over_the_limit_waits_and_others_do_not() {
        let limiter = FailureLimiter::new(3);
        for _ in 0..3 {
            assert!(limiter.check("10.0.0.1").is_ok());
            limiter.fail("10.0.0.1");
        }
        let wait = limiter.check("10.0.0.1").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.check("10.0.0.2").is_ok());
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = FailureLimiter::new(0);
        for _ in 0..100 {
            limiter.fail("10.0.0.1");
        }
        assert!(limiter.check("10.0.0.1").is_ok());
    }
}
