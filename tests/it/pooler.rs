//! Several instances on one PostgreSQL through PgBouncer in transaction
//! mode (Debian's PgBouncer, which keeps no prepared statement across
//! transactions): both start (migrations and LISTEN go direct), check
//! tokens and take leads through the pooler, and a revocation on one
//! reaches the other in under a second.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, TestServer, api, api_get, database_name, eventually};

/// A PgBouncer of the test's own, in transaction mode, in front of the
/// test cluster; stopped (and its files removed) when dropped.
struct Pgbouncer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Pgbouncer {
    fn start() -> Self {
        let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("pgbouncer is not installed: run .ci/prepare (apt-get install pgbouncer)");
        let server = TestServer::get();
        // A socket directory leaves the host empty: `postgres://keyward@/db?host=/dir`.
        let target = url::Url::parse(&server.url("postgres").replace("@/", "@localhost/")).unwrap();
        let query: std::collections::HashMap<_, _> = target.query_pairs().into_owned().collect();
        let host = query.get("host").cloned().unwrap_or_else(|| target.host_str().unwrap_or("127.0.0.1").to_owned());
        let port = target.port().unwrap_or(5432);
        let user = if target.username().is_empty() { "keyward" } else { target.username() };
        let listen = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("kw-pgbouncer-{listen}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("pgbouncer.ini"),
            format!(
                "[databases]\n* = host={host} port={port} user={user}\n\n[pgbouncer]\n\
                 listen_addr = 127.0.0.1\nlisten_port = {listen}\nunix_socket_dir =\n\
                 auth_type = any\npool_mode = transaction\nmax_client_conn = 500\n\
                 default_pool_size = 4\nquery_timeout = 30\nadmin_users = {user}\n\
                 logfile = {}\n",
                dir.join("pgbouncer.log").display()
            ),
        )
        .unwrap();
        let mut cmd = Command::new(binary);
        cmd.arg(dir.join("pgbouncer.ini")).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        // PgBouncer will not run as root: as the cluster's owner, then.
        if let TestServer::Private(pg) = server
            && let Some((uid, gid)) = pg.run_as()
        {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap();
            cmd.uid(uid).gid(gid);
        }
        let child = cmd.spawn().expect("start pgbouncer");
        let bouncer = Self { child, port: listen, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", listen)).is_err() {
            assert!(Instant::now() < deadline, "pgbouncer did not listen within 20 s: {}", bouncer.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        bouncer
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
    }

    /// Transactions PgBouncer has passed on to database `db` (its own
    /// statistics, from its admin console).
    fn transactions(&self, db: &str) -> i64 {
        let out = crate::helpers::output_within(
            Command::new("psql").args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "keyward",
                "-d",
                "pgbouncer",
                "-Atc",
                "SHOW STATS",
            ]),
            std::time::Duration::from_secs(30),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        // database|total_xact_count|...
        text.lines()
            .filter_map(|l| l.split_once('|'))
            .filter(|(name, _)| *name == db)
            .map(|(_, rest)| rest.split('|').next().unwrap().parse::<i64>().unwrap())
            .sum()
    }
}

impl Drop for Pgbouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_through_pgbouncer_check_tokens_take_leads_and_hear_revocations_within_a_second() {
    let bouncer = tokio::task::spawn_blocking(Pgbouncer::start).await.unwrap();
    let a = TestApp::spawn_with(Options { pooler: Some(bouncer.port), ..Default::default() }).await;
    let db = database_name(&a.attachment().db_url);
    let before = bouncer.transactions(&db);
    let admin = a.setup_admin().await;
    let b =
        TestApp::spawn_with(Options { pooler: Some(bouncer.port), attach: Some(a.attachment()), ..Default::default() })
            .await;
    let mgmt = a.admin_api(&admin).await;
    assert_eq!(
        mgmt.post("/api/v1/campaigns", json!({"name": "Pooled", "slug": "pooled"})).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        mgmt.post("/api/v1/campaigns/pooled/sources", json!({"name": "Web", "kind": "MP"})).await.status,
        StatusCode::CREATED
    );
    let field = mgmt
        .post(
            "/api/v1/campaigns/pooled/fields",
            json!({"slug": "email", "label": "Email", "type": "email", "required": true}),
        )
        .await;
    assert_eq!(field.status, StatusCode::CREATED, "{:?}", field.body);
    let form = mgmt.put("/api/v1/campaigns/pooled/sources/web/tokens/form", json!({"enabled": true})).await;
    let form = form.body["token"].as_str().unwrap().to_owned();

    // Intake on both instances at once: every lead is stored.
    let client = reqwest::Client::new();
    let sends = (0..60).map(|i| {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let req = client
            .post(format!("{base}/api/v1/campaigns/pooled/sources/web/form"))
            .bearer_auth(&form)
            .json(&json!({"fields": {"email": format!("p{i}@example.com")}}));
        async move { req.send().await.unwrap().status() }
    });
    for status in futures_util::future::join_all(sends).await {
        assert_eq!(status, StatusCode::CREATED);
    }
    let leads: i64 = keyward::schema::leads::table.count().get_result(&mut a.conn()).unwrap();
    assert_eq!(leads, 60);

    // A token checked on both, then revoked on A: B refuses it within a second.
    let (_, token) = admin.create_personal_token("pooled").await;
    for base in [&a.base, &b.base] {
        let (status, body) = api_get(&format!("{base}/api/v1/me"), &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let revoked_at = Instant::now();
    let res = api().post(a.url("/api/v1/tokens/revoke")).form(&[("token", token.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let refused = eventually(Duration::from_secs(5), || async {
        api_get(&format!("{}/api/v1/me", b.base), &token).await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
    let took = revoked_at.elapsed();
    assert!(refused, "B never refused the revoked token");
    assert!(took < Duration::from_secs(1), "the revocation took {took:?} to reach B");
    let (status, body): (StatusCode, Value) = api_get(&format!("{}/api/v1/me", a.base), &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // It all went through the pooler: PgBouncer's own count.
    let through = bouncer.transactions(&db) - before;
    assert!(through >= 60, "PgBouncer passed on only {through} transactions");
    assert!(!bouncer.log().contains("prepared statement"), "{}", bouncer.log());
}
