//! Micro-benchmarks of the verification path without I/O: parsing with
//! the checksum, the HMAC digest, a cache hit, and a per-token rate limit.
//! Run: `cargo bench --bench verify`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use keyward::crypto::Keys;
use keyward::metrics::Metrics;
use keyward::models::Token;
use keyward::tokens::cache::TokenCache;
use keyward::tokens::state::TokenState;
use keyward::tokens::{TokenKind, format};
use secrecy::ExposeSecret as _;

fn sample_token(kind: TokenKind) -> String {
    format::generate(kind).secret.expose_secret().to_owned()
}

fn state(token: &str) -> TokenState {
    let now = time::OffsetDateTime::now_utc();
    let parsed = format::parse(token).unwrap_or_else(|_| unreachable!());
    TokenState::from_row(
        Token {
            id: 1,
            kind: parsed.kind,
            key: parsed.key.to_owned(),
            digest: vec![0; 32],
            sealed: None,
            name: String::new(),
            user_id: None,
            campaign_id: Some(1),
            source_id: None,
            can_read: true,
            can_write: true,
            filter_id: None,
            active: true,
            deactivated_at: None,
            deactivated_by: None,
            deactivated_reason: None,
            created_by: None,
            created_at: now,
            expires_at: None,
            last_used_at: None,
            last_used_ip: None,
            use_count: 0,
            revoked_at: None,
            revoked_by: None,
            revoked_reason: None,
            warned_14d_at: None,
            warned_1d_at: None,
            destination_id: None,
            retiring_until: None,
            allowed_ips: Vec::new(),
            rate_per_second: None,
            rate_per_minute: None,
        },
        None,
    )
}

fn verification(c: &mut Criterion) {
    let token = sample_token(TokenKind::CampaignApi);
    let keys = Keys::from_master(&[7u8; 32]);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|_| unreachable!());
    let cache = TokenCache::new(true, Arc::new(Metrics::new()));
    let digest = keys.token_digest(&token);
    let cached = state(&token);
    runtime.block_on(async {
        let _ = cache.get_or_load(digest, || async { Ok(Some(cached)) }).await;
    });

    c.bench_function("parse + checksum", |b| b.iter(|| format::parse(black_box(&token)).is_ok()));
    c.bench_function("hmac digest", |b| b.iter(|| keys.token_digest(black_box(&token))));
    c.bench_function("cache hit", |b| {
        b.iter(|| runtime.block_on(cache.get_or_load(black_box(digest), || async { Ok(None) })).is_ok())
    });
    c.bench_function("parse + checksum + digest + cache hit + check", |b| {
        b.iter(|| {
            let parsed = format::parse(black_box(&token)).unwrap_or_else(|_| unreachable!());
            let digest = keys.token_digest(parsed.token);
            let hit = runtime.block_on(cache.get_or_load(digest, || async { Ok(None) })).ok().flatten();
            hit.map(|s| s.check(parsed.kind, time::OffsetDateTime::now_utc(), None).is_ok())
        })
    });
    let broken = format!("{}x", &token[..token.len() - 1]);
    c.bench_function("refuse a broken checksum", |b| b.iter(|| format::parse(black_box(&broken)).is_err()));
    // The per-token rate limit every limited check pays: two token
    // buckets behind a mutex, found in a bounded cache (a large limit, so
    // every call takes the allowed path).
    let rates = keyward::tokens::rate::RateLimiter::default();
    let limit = keyward::domain::RateLimit { per_second: Some(10_000), per_minute: Some(600_000) };
    c.bench_function("rate limit check", |b| b.iter(|| rates.check(black_box(1), limit).is_ok()));
}

criterion_group!(benches, verification);
criterion_main!(benches);
