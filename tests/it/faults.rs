//! Faults under load: PostgreSQL crashes and comes back, the server is
//! killed mid-request. Clients keep sending leads with an
//! `Idempotency-Key` and retry until they are acknowledged, as a careful
//! client would; afterwards PostgreSQL itself is asked what it holds: every
//! acknowledged lead, exactly once, whole, and nothing else.
//!
//! Each test runs `keyward serve` as an operator would, on an embedded
//! cluster of its own (with the default durability: fsync on), so that
//! crashing it disturbs no other test.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use keyward::db::embedded::EmbeddedPostgres;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::Served;
use crate::helpers::{Api, cli_admin_with_token, eventually};

const CAMPAIGN: &str = "faults";
/// Concurrent clients.
const CLIENTS: usize = 6;
/// How long one lead may take to be acknowledged, outages included.
const LEAD_DEADLINE: Duration = Duration::from_secs(120);

/// A cluster and a server on it, in a directory of their own.
struct Site {
    dir: PathBuf,
    pg: Option<EmbeddedPostgres>,
    server: Served,
    form_token: String,
}

impl Site {
    /// Starts the cluster (the test owns it), then `keyward serve` on it,
    /// and sets up a campaign whose web source takes leads with a form token.
    async fn start(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("kw-{name}-{}", keyward::tokens::random_base62(8)));
        let pg = EmbeddedPostgres::start(&dir).expect("start the test's own cluster");
        let server = serve(&dir, true);
        let bin = env!("CARGO_BIN_EXE_keyward");
        let token = cli_admin_with_token(bin, |cmd| configure(cmd, &dir), "faults");
        let api = Api::new(&server.url(""), Some(&token));
        let a = api.post("/api/v1/campaigns", json!({"name": "Faults", "slug": CAMPAIGN})).await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
        api.post(&format!("/api/v1/campaigns/{CAMPAIGN}/sources"), json!({"name": "Web", "kind": "CS", "slug": "web"}))
            .await;
        for (slug, kind) in [("ref", "text"), ("n", "number"), ("email", "email")] {
            let a = api
                .post(
                    &format!("/api/v1/campaigns/{CAMPAIGN}/fields"),
                    json!({"slug": slug, "label": slug, "type": kind, "required": true}),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
        }
        let a =
            api.put(&format!("/api/v1/campaigns/{CAMPAIGN}/sources/web/tokens/form"), json!({"enabled": true})).await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        let form_token = a.body["token"].as_str().unwrap().to_owned();
        Self { dir, pg: Some(pg), server, form_token }
    }

    fn db(&self) -> PgConnection {
        PgConnection::establish(&self.pg.as_ref().expect("the cluster").database_url()).expect("connect to the cluster")
    }

    /// Crashes PostgreSQL (`pg_ctl stop -m immediate`: no shutdown
    /// checkpoint, as a power cut or an OOM kill would leave it).
    fn crash_postgres(&mut self) {
        let pg = self.pg.take().expect("the cluster");
        let mut cmd = Command::new(pg.bin_dir().join("pg_ctl"));
        cmd.arg("-D").arg(pg.cluster_dir()).args(["-m", "immediate", "-w", "stop"]).current_dir("/");
        if let Some((uid, gid)) = pg.run_as() {
            use std::os::unix::process::CommandExt as _;
            cmd.uid(uid).gid(gid);
        }
        let out = crate::helpers::output_within(&mut cmd, std::time::Duration::from_secs(120));
        assert!(out.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&out.stderr));
        // Stopped already: letting go of it stops nothing more.
        drop(pg);
    }

    fn start_postgres(&mut self) {
        self.pg = Some(EmbeddedPostgres::start(&self.dir).expect("start the cluster again"));
    }

    async fn healthz(&self) -> (StatusCode, String) {
        match reqwest::Client::new().get(self.server.url("/healthz")).timeout(Duration::from_secs(10)).send().await {
            Ok(res) => (res.status(), res.text().await.unwrap_or_default()),
            Err(e) => (StatusCode::IM_A_TEAPOT, format!("no answer: {e}")),
        }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        // The server first (its Drop), then the cluster, then the files.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.server.terminate_if_running()));
        self.pg.take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn configure(cmd: &mut Command, dir: &Path) {
    cmd.env("KEYWARD_CONFIG", "/dev/null")
        .env("KEYWARD_DATA_DIR", dir)
        .env("KEYWARD_DB_POOL_TIMEOUT_MS", "1000")
        .env("KEYWARD_WORKERS", "2")
        .env("KEYWARD_DB_POOL_SIZE", "6");
}

/// `keyward serve`; on a `fresh` database it prints a setup code. Its log
/// goes to `serve.log` in `dir`.
fn serve(dir: &Path, fresh: bool) -> Served {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("serve.log")).unwrap();
    Served::start(fresh, |cmd| {
        configure(cmd, dir);
        cmd.env("KEYWARD_LOG_FORMAT", "text").stderr(log);
    })
}

/// What the clients saw.
#[derive(Default)]
struct Seen {
    /// Acknowledged leads: the client's reference, the id answered.
    acked: Vec<(String, i64)>,
    /// Answers that were not acknowledgements, by status (0: no answer).
    refusals: BTreeMap<u16, usize>,
    /// Leads never acknowledged within the deadline.
    gave_up: Vec<String>,
}

/// Clients sending leads as fast as they are answered.
struct Load {
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// `port` says where the server listens now (it may move).
    fn start(port: Arc<AtomicU16>, token: &str) -> Self {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let clients = (0..CLIENTS)
            .map(|i| tokio::spawn(client(i, port.clone(), token.to_owned(), seen.clone(), stop.clone())))
            .collect();
        Self { seen, stop, clients }
    }

    fn acked(&self) -> usize {
        self.seen.lock().unwrap().acked.len()
    }

    fn refused_with(&self, status: u16) -> usize {
        self.seen.lock().unwrap().refusals.get(&status).copied().unwrap_or(0)
    }

    /// Waits (at most a minute) until `more` leads beyond `from` are acknowledged.
    async fn until_acked(&self, from: usize, more: usize, what: &str) {
        let done = eventually(Duration::from_secs(60), || async { self.acked() >= from + more }).await;
        assert!(done, "{what}: only {} of {} leads acknowledged within a minute", self.acked() - from, more);
    }

    /// Stops sending: each client finishes the lead it is on (retrying until
    /// it is acknowledged or its deadline passes).
    async fn finish(self) -> Seen {
        self.stop.store(true, Ordering::SeqCst);
        for client in self.clients {
            tokio::time::timeout(LEAD_DEADLINE + Duration::from_secs(30), client)
                .await
                .expect("a client finishes within its deadline")
                .expect("a client does not panic");
        }
        Arc::try_unwrap(self.seen).ok().expect("the clients are done").into_inner().unwrap()
    }
}

fn lead_body(reference: &str, n: u64) -> Value {
    json!({"fields": {"ref": reference, "n": n as f64 + 0.25, "email": format!("{reference}@example.com")}})
}

async fn client(i: usize, port: Arc<AtomicU16>, token: String, seen: Arc<Mutex<Seen>>, stop: Arc<AtomicBool>) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut n = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let reference = format!("c{i}-{n}");
        let body = lead_body(&reference, n);
        let deadline = tokio::time::Instant::now() + LEAD_DEADLINE;
        loop {
            let url = format!(
                "http://127.0.0.1:{}/api/v1/campaigns/{CAMPAIGN}/sources/web/form",
                port.load(Ordering::SeqCst)
            );
            let sent =
                http.post(url).bearer_auth(&token).header("Idempotency-Key", &reference).json(&body).send().await;
            let refusal = match sent {
                Ok(res) if res.status() == StatusCode::CREATED => match res.json::<Value>().await {
                    Ok(answer) => {
                        let id = answer["id"].as_i64().expect("an acknowledgement names the lead");
                        seen.lock().unwrap().acked.push((reference.clone(), id));
                        break;
                    }
                    // The answer was cut off: not acknowledged.
                    Err(_) => 0,
                },
                Ok(res) => res.status().as_u16(),
                Err(_) => 0,
            };
            *seen.lock().unwrap().refusals.entry(refusal).or_default() += 1;
            if tokio::time::Instant::now() >= deadline {
                seen.lock().unwrap().gave_up.push(reference.clone());
                break;
            }
            // A client's back-off between retries (not synchronisation).
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        n += 1;
    }
}

#[derive(QueryableByName)]
struct LeadRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    fields: Value,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    keyed: Option<i64>,
}

/// Asks PostgreSQL what the campaign holds and checks it against what the
/// clients saw: every acknowledged lead, once, whole; nothing else.
fn check_nothing_lost_or_half_written(site: &Site, seen: &Seen) {
    let errors = || {
        let log = std::fs::read_to_string(site.dir.join("serve.log")).unwrap_or_default();
        log.lines().filter(|l| l.contains("ERROR")).collect::<Vec<_>>().join("\n")
    };
    assert!(seen.gave_up.is_empty(), "leads never acknowledged: {:?}", seen.gave_up);
    let refusals_besides_expected: Vec<_> =
        seen.refusals.iter().filter(|(status, _)| ![0, 409, 503].contains(*status)).collect();
    assert!(
        refusals_besides_expected.is_empty(),
        "answers a fault must not cause: {refusals_besides_expected:?}; the server's errors:\n{}",
        errors()
    );
    let conn = &mut site.db();

    let rows: Vec<LeadRow> = diesel::sql_query(
        "SELECT l.id, l.fields, l.status, \
                (SELECT count(*) FROM idempotency_keys k WHERE (k.response->>'id')::bigint = l.id) AS keyed \
         FROM leads l JOIN campaigns c ON c.id = l.campaign_id WHERE c.slug = $1",
    )
    .bind::<diesel::sql_types::Text, _>(CAMPAIGN)
    .load(conn)
    .unwrap();
    let stored: HashMap<i64, &LeadRow> = rows.iter().map(|r| (r.id, r)).collect();
    for (reference, id) in &seen.acked {
        let row = stored.get(id).unwrap_or_else(|| panic!("acknowledged lead {id} ({reference}) is missing"));
        let n: u64 = reference.rsplit('-').next().unwrap().parse().unwrap();
        assert_eq!(row.fields, lead_body(reference, n)["fields"], "lead {id} is stored whole");
        assert_eq!(row.status, "new", "lead {id} has the default status");
        assert_eq!(row.keyed, Some(1), "lead {id}'s Idempotency-Key is recorded with it");
    }
    let mut references: Vec<&str> = rows.iter().map(|r| r.fields["ref"].as_str().unwrap_or_default()).collect();
    references.sort_unstable();
    let before = references.len();
    references.dedup();
    assert_eq!(references.len(), before, "no lead is stored twice");
    assert_eq!(rows.len(), seen.acked.len(), "every stored lead was acknowledged (no orphan)");
    let keys: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM idempotency_keys WHERE scope LIKE 'intake:%')",
    ))
    .get_result(conn)
    .unwrap();
    assert_eq!(keys as usize, rows.len(), "no Idempotency-Key without its lead");
}

/// PostgreSQL crashes under intake load and comes back: while it is down
/// `/healthz` says 503 without the driver's words and intake answers 503
/// (never 500); once it is back both recover by themselves; and every
/// acknowledged lead is there, once and whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_crashing_under_intake_load_loses_no_acknowledged_lead() {
    let mut site = Site::start("pg-crash").await;
    let port = Arc::new(AtomicU16::new(site.server.port));
    let load = Load::start(port, &site.form_token);
    load.until_acked(0, 40, "before the crash").await;

    site.crash_postgres();
    let down = Mutex::new((StatusCode::OK, String::new()));
    let noticed = eventually(Duration::from_secs(30), || async {
        let answer = site.healthz().await;
        let unavailable = answer.0 == StatusCode::SERVICE_UNAVAILABLE;
        *down.lock().unwrap() = answer;
        unavailable
    })
    .await;
    let down = down.into_inner().unwrap();
    assert!(noticed, "/healthz answers 503 while PostgreSQL is down: {down:?}");
    for driver_words in ["socket", "connection", "server", "postgres", "/"] {
        assert!(!down.1.to_lowercase().contains(driver_words), "/healthz hides the cause: {}", down.1);
    }
    let refused = load.refused_with(503);
    let told = eventually(Duration::from_secs(30), || async { load.refused_with(503) > refused }).await;
    assert!(told, "intake answers 503 while PostgreSQL is down");

    site.start_postgres();
    let back = eventually(Duration::from_secs(60), || async { site.healthz().await.0 == StatusCode::OK }).await;
    assert!(back, "/healthz answers 200 once PostgreSQL is back, with no one's help");
    load.until_acked(load.acked(), 40, "after the crash").await;

    let seen = load.finish().await;
    println!("{} leads acknowledged; refusals by status: {:?}", seen.acked.len(), seen.refusals);
    check_nothing_lost_or_half_written(&site, &seen);
}

/// The server is killed (SIGKILL) while requests are in flight, one of them
/// with half its body sent; a new server starts on the same data and the
/// clients retry: every acknowledged lead is there once and whole, and the
/// half-sent one is not there at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_request_loses_no_acknowledged_lead() {
    let mut site = Site::start("kill").await;
    let port = Arc::new(AtomicU16::new(site.server.port));
    let load = Load::start(port.clone(), &site.form_token);
    load.until_acked(0, 40, "before the kill").await;

    // A request whose body is half sent when the server dies.
    let half = lead_body("half-sent", 0).to_string();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", site.server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        stream,
        "POST /api/v1/campaigns/{CAMPAIGN}/sources/web/form HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        site.form_token,
        half.len(),
        &half[..half.len() / 2]
    )
    .unwrap();

    site.server.kill();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.is_empty(), "the half-sent request got no answer: {}", String::from_utf8_lossy(&answer));
    let cut_off = load.refused_with(0);

    site.server = serve(&site.dir, false);
    port.store(site.server.port, Ordering::SeqCst);
    load.until_acked(load.acked(), 40, "after the restart").await;

    let seen = load.finish().await;
    println!("{} leads acknowledged; refusals by status: {:?} ({cut_off} cut off)", seen.acked.len(), seen.refusals);
    check_nothing_lost_or_half_written(&site, &seen);
    let mut conn = site.db();
    let half_sent: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM leads WHERE fields->>'ref' = 'half-sent')",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(half_sent, 0, "the half-sent request wrote nothing");
}
