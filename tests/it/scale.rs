//! Token checks at scale: the verification cache, cross-instance
//! invalidation through LISTEN/NOTIFY, metrics, structured logs and
//! graceful shutdown.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Options, TestApp, TestDb, api, api_get, eventually};

fn made_up() -> String {
    secrecy::ExposeSecret::expose_secret(
        &keyward::tokens::format::generate(keyward::tokens::TokenKind::Personal).secret,
    )
    .to_owned()
}

/// Polls until `token` is refused by the app at `base`; the time it took.
async fn refused_within(base: &str, token: &str, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        let (status, _) = api_get(&format!("{base}/api/v1/me"), token).await;
        if status == StatusCode::UNAUTHORIZED {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

/// Clients checking tokens on both instances as fast as they are answered,
/// until dropped; how many checks they made.
struct Busy {
    checks: Arc<AtomicU64>,
    clients: Vec<tokio::task::JoinHandle<()>>,
}

impl Busy {
    fn start(urls: &[String], token: &str) -> Self {
        let checks = Arc::new(AtomicU64::new(0));
        let clients = urls
            .iter()
            .cycle()
            .take(4)
            .map(|url| {
                let (url, token, checks) = (url.clone(), token.to_owned(), checks.clone());
                tokio::spawn(async move {
                    loop {
                        assert_eq!(api_get(&url, &token).await.0, StatusCode::OK);
                        checks.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        Self { checks, clients }
    }

    fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        for client in &self.clients {
            client.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_instance_reaches_the_other_within_a_second_under_load() {
    let a = TestApp::spawn().await;
    let admin = a.setup_admin().await;
    let b = TestApp::spawn_with(Options { attach: Some(a.attachment()), ..Default::default() }).await;
    let (_, first) = admin.create_personal_token("first").await;
    let (_, second) = admin.create_personal_token("second").await;
    let (_, busy) = admin.create_personal_token("busy").await;
    let b_me = format!("{}/api/v1/me", b.base);
    // B has both in its cache.
    for t in [&first, &second] {
        assert_eq!(api_get(&b_me, t).await.0, StatusCode::OK);
    }
    let cached = b.lookups();
    for t in [&first, &second] {
        assert_eq!(api_get(&b_me, t).await.0, StatusCode::OK);
    }
    cached.assert_since(&b, 0, "answered from B's cache");

    // Both instances busy checking tokens while the revocation travels.
    let load = Busy::start(&[a.url("/api/v1/me"), b_me.clone()], &busy);
    let warm = eventually(Duration::from_secs(30), || async { load.checks() >= 200 }).await;
    assert!(warm, "the load runs");

    // Revoked on A: A refuses at once, B within a second.
    let during = load.checks();
    api().post(a.url("/api/v1/tokens/revoke")).form(&[("token", first.as_str())]).send().await.unwrap();
    assert_eq!(api_get(&a.url("/api/v1/me"), &first).await.0, StatusCode::UNAUTHORIZED, "at once on A");
    let delay = refused_within(&b.base, &first, Duration::from_secs(30)).await.expect("B refuses the revoked token");
    let checks = load.checks() - during;
    println!("revocation reached the other instance in {delay:?}, under load ({checks} other checks meanwhile)");
    assert!(checks > 0, "the load ran meanwhile");
    assert!(delay < Duration::from_secs(1), "B refused the revoked token only after {delay:?}");

    // B's listener connection dies; a revocation made meanwhile is honoured
    // once it is back.
    let reconnects = b.state.metrics.listener_reconnects.get();
    let killed: Vec<bool> = diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = 'keyward-listener-{}'",
        b.state.instance_id
    ))
    .load::<Killed>(&mut a.conn())
    .unwrap()
    .into_iter()
    .map(|k| k.killed)
    .collect();
    assert_eq!(killed, vec![true], "B's listener connection was found and terminated");
    api().post(a.url("/api/v1/tokens/revoke")).form(&[("token", second.as_str())]).send().await.unwrap();
    let delay =
        refused_within(&b.base, &second, Duration::from_secs(30)).await.expect("B honours it after reconnecting");
    println!("revocation during a lost listener reached the other instance in {delay:?}");
    let reconnected =
        eventually(Duration::from_secs(30), || async { b.state.metrics.listener_reconnects.get() > reconnects }).await;
    assert!(reconnected, "B's listener reconnected");
    drop(load);
    drop(b);
}

#[derive(QueryableByName)]
struct Killed {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    killed: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_changes_reach_the_other_instance_too() {
    let a = TestApp::spawn().await;
    let admin = a.setup_admin().await;
    let b = TestApp::spawn_with(Options { attach: Some(a.attachment()), ..Default::default() }).await;
    let sam = a.user_with_role(&admin, "sam@example.com", "member").await;
    let (_, token) = sam.create_personal_token("sam").await;
    let profile = sam.generate_profile_token().await;
    let b_me = format!("{}/api/v1/me", b.base);
    assert_eq!(api_get(&b_me, &token).await.1["role"], "member");
    assert_eq!(api_get(&b_me, &profile).await.0, StatusCode::OK);
    let id: i64 = keyward::schema::users::table
        .filter(keyward::schema::users::email.eq("sam@example.com"))
        .select(keyward::schema::users::id)
        .first(&mut a.conn())
        .unwrap();

    // A role change: B answers with the new role.
    admin.submit("/users", &format!("/users/{id}/role"), &[("role", "support"), ("confirmed", "yes")]).await;
    let reached =
        eventually(Duration::from_secs(30), || async { api_get(&b_me, &token).await.1["role"] == "support" }).await;
    assert!(reached, "the role change reached B");
    // "API token allowed" off: B refuses the profile token.
    admin.submit("/users", &format!("/users/{id}/api-token-allowed"), &[]).await;
    assert!(refused_within(&b.base, &profile, Duration::from_secs(30)).await.is_some());
    // Deactivation: B refuses the personal token.
    admin.submit("/users", &format!("/users/{id}/active"), &[("confirmed", "yes")]).await;
    assert!(refused_within(&b.base, &token, Duration::from_secs(30)).await.is_some());
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_answers_repeat_checks_and_unknown_tokens_without_the_database() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (_, token) = admin.create_personal_token("cached").await;
    let me = app.url("/api/v1/me");
    assert_eq!(api_get(&me, &token).await.0, StatusCode::OK);
    let start = app.lookups();
    for _ in 0..20 {
        assert_eq!(api_get(&me, &token).await.0, StatusCode::OK);
    }
    start.assert_since(&app, 0, "cached");

    // A flood of one made-up token: one lookup. Twenty different: twenty.
    let fake = made_up();
    for _ in 0..20 {
        assert_eq!(api_get(&me, &fake).await.0, StatusCode::UNAUTHORIZED);
    }
    start.assert_since(&app, 1, "negative cache");

    // Concurrent misses of one token make one query.
    let (_, fresh) = admin.create_personal_token("fresh").await;
    let before = app.lookups();
    let checks: Vec<_> = (0..16).map(|_| api_get(&me, &fresh)).collect();
    for (status, _) in futures_util::future::join_all(checks).await {
        assert_eq!(status, StatusCode::OK);
    }
    before.assert_since(&app, 1, "coalesced");

    // Metrics show it.
    let metrics = app.agent().get("/metrics").await.text().await.unwrap();
    for line in [
        "keyward_token_verifications_total{kind=\"personal\",result=\"valid\"}",
        "keyward_token_verifications_total{kind=\"personal\",result=\"unknown\"}",
        "keyward_token_cache_hits_total",
        "keyward_token_cache_misses_total",
        "keyward_token_cache_entries",
        "keyward_token_verification_duration_seconds_bucket",
        "keyward_db_pool_wait_seconds_count",
        "keyward_outbox_backlog",
        "keyward_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"}",
        "keyward_listener_reconnects_total 1",
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_cache_off_every_check_goes_to_the_database_and_still_decides_right() {
    let app =
        TestApp::spawn_with(Options { env: vec![("KEYWARD_CACHE".into(), "false".into())], ..Default::default() })
            .await;
    let admin = app.setup_admin().await;
    let (_, token) = admin.create_personal_token("uncached").await;
    let me = app.url("/api/v1/me");
    let start = app.lookups();
    for _ in 0..5 {
        assert_eq!(api_get(&me, &token).await.0, StatusCode::OK);
    }
    start.assert_since(&app, 5, "no cache");
    api().post(app.url("/api/v1/tokens/revoke")).form(&[("token", token.as_str())]).send().await.unwrap();
    assert_eq!(api_get(&me, &token).await.0, StatusCode::UNAUTHORIZED);
}

/// JSON logs with a request id on every line of a request, and a graceful
/// stop on SIGTERM that writes pending usage counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_ids_and_sigterm_flushes_usage() {
    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let dir = std::env::temp_dir().join(format!("kw-logs-{}", db.name));
    let bin = env!("CARGO_BIN_EXE_keyward");
    let env = |cmd: &mut Command| {
        cmd.env("DATABASE_URL", &db.url)
            .env("KEYWARD_DATA_DIR", &dir)
            .env("KEYWARD_MASTER_KEY", "22".repeat(32))
            .env("KEYWARD_CONFIG", "/dev/null")
            .env("KEYWARD_BIND", "127.0.0.1:0")
            .env("KEYWARD_LOG_FORMAT", "json")
            // Usage would wait a minute: only the shutdown flush writes it.
            .env("KEYWARD_USAGE_FLUSH_MS", "60000")
            // Per-request lines and refusals are at `debug`.
            .env("RUST_LOG", "info,keyward=debug");
    };
    let token = crate::helpers::cli_admin_with_token(bin, env, "logs");

    std::fs::create_dir_all(&dir).unwrap();
    let log_file = dir.join("serve.log");
    let mut server = crate::cli::Served::start(false, |cmd| {
        env(cmd);
        cmd.stderr(std::fs::File::create(&log_file).unwrap());
    });
    let me = server.url("/api/v1/me");
    for _ in 0..3 {
        assert_eq!(api_get(&me, &token).await.0, StatusCode::OK);
    }
    let res = api().get(&me).bearer_auth(made_up()).send().await.unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();

    assert!(server.terminate().success());
    let logs: Vec<String> = std::fs::read_to_string(&log_file).unwrap().lines().map(str::to_owned).collect();
    let json: Vec<Value> =
        logs.iter().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
    let of_request: Vec<&Value> = json.iter().filter(|v| v.to_string().contains(&request_id)).collect();
    assert!(of_request.len() >= 2, "the refusal and the request line carry the request id: {logs:?}");
    assert!(of_request.iter().any(|v| v["message"] == "token refused"));
    assert!(of_request.iter().any(|v| v["route"] == "/api/v1/me"));
    assert!(!logs.join("\n").contains(&token[15..]), "no secret in the logs");

    let (count, ip): (i64, Option<String>) = keyward::schema::tokens::table
        .select((keyward::schema::tokens::use_count, keyward::schema::tokens::last_used_ip))
        .first(&mut db.conn())
        .unwrap();
    assert_eq!((count, ip.as_deref()), (3, Some("127.0.0.1")), "usage written at shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_connections_that_die_are_replaced_after_one_failed_request_each() {
    // Cache off: every check is a query, so every request takes a connection.
    let app =
        TestApp::spawn_with(Options { env: vec![("KEYWARD_CACHE".into(), "false".into())], ..Default::default() })
            .await;
    let admin = app.setup_admin().await;
    let (_, token) = admin.create_personal_token("survivor").await;
    let me = app.url("/api/v1/me");
    assert_eq!(api_get(&me, &token).await.0, StatusCode::OK);

    // The server drops every connection of the pool (a restart, a failover,
    // an administrator's pg_terminate_backend).
    let killed: Vec<Killed> = diesel::sql_query(
        "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'keyward'",
    )
    .load(&mut app.conn())
    .unwrap();
    assert!(!killed.is_empty(), "the pool's connections were found and terminated");

    // Each dead connection fails at most one request (a 503 the client may
    // retry), then is checked and replaced: the pool heals on its own. When
    // a dead one comes up depends on which connection the pool hands out
    // (background work takes some too), so count over many requests: never
    // more failures than dead connections.
    let mut failures = 0;
    for _ in 0..killed.len() + 20 {
        match api_get(&me, &token).await.0 {
            StatusCode::OK => {}
            StatusCode::SERVICE_UNAVAILABLE => failures += 1,
            other => panic!("unexpected {other} from a dead connection"),
        }
    }
    println!("{failures} failed requests for {} dead connections", killed.len());
    assert!(failures <= killed.len(), "{failures} failures for {} dead connections", killed.len());
}
