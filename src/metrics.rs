//! Prometheus metrics (`GET /metrics`), in a registry of our own passed in
//! `AppState` (no global). Gauges that are cheaper to read than to track
//! (cache size, outbox backlog) are set when scraped.

use prometheus::{
    Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    verifications: IntCounterVec,
    pub verify_seconds: Histogram,
    pub cache_hits: IntCounter,
    pub cache_misses: IntCounter,
    pub cache_entries: IntGauge,
    pub pool_wait_seconds: Histogram,
    pub outbox_backlog: IntGauge,
    http_requests: IntCounterVec,
    http_seconds: HistogramVec,
    pub listener_reconnects: IntCounter,
    pub notifications: IntCounter,
}

/// Buckets for fast operations: 10 µs to 2.5 s.
const FAST: &[f64] =
    &[0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5];

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("keyward".into()), None).unwrap_or_default();
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).unwrap_or_else(|_| unreachable_metric(name));
            let _ = registry.register(Box::new(c.clone()));
            c
        };
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).unwrap_or_else(|_| unreachable_metric(name));
            let _ = registry.register(Box::new(c.clone()));
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).unwrap_or_else(|_| unreachable_metric(name));
            let _ = registry.register(Box::new(g.clone()));
            g
        };
        let histogram = |name: &str, help: &str| {
            let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(FAST.to_vec()))
                .unwrap_or_else(|_| unreachable_metric(name));
            let _ = registry.register(Box::new(h.clone()));
            h
        };
        let http_seconds = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by route").buckets(FAST.to_vec()),
            &["route"],
        )
        .unwrap_or_else(|_| unreachable_metric("http_request_duration_seconds"));
        let _ = registry.register(Box::new(http_seconds.clone()));
        Self {
            verifications: counter_vec(
                "token_verifications_total",
                "Token verifications by result and kind",
                &["result", "kind"],
            ),
            verify_seconds: histogram("token_verification_duration_seconds", "Time to verify a token"),
            cache_hits: counter("token_cache_hits_total", "Verifications answered from the cache"),
            cache_misses: counter("token_cache_misses_total", "Verifications that went to the database"),
            cache_entries: gauge("token_cache_entries", "Tokens (known and unknown) in the cache"),
            pool_wait_seconds: histogram("db_pool_wait_seconds", "Time waiting for a database connection"),
            outbox_backlog: gauge("outbox_backlog", "Emails waiting to be delivered"),
            http_requests: counter_vec(
                "http_requests_total",
                "HTTP requests by route, method and status",
                &["route", "method", "status"],
            ),
            http_seconds,
            listener_reconnects: counter("listener_reconnects_total", "Times the change listener (re)connected"),
            notifications: counter("change_notifications_total", "Change notifications received"),
            registry,
        }
    }

    pub fn verification(&self, result: &str, kind: &str) {
        self.verifications.with_label_values(&[result, kind]).inc();
    }

    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.http_requests.with_label_values(&[route, method, &status.to_string()]).inc();
        self.http_seconds.with_label_values(&[route]).observe(seconds);
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Metric names and labels here are constants: a failure is a bug caught by
/// the first test run.
#[allow(clippy::panic)]
fn unreachable_metric<T>(name: &str) -> T {
    panic!("metric {name} has an invalid definition")
}
