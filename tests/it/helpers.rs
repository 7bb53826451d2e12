//! The test harness: every test gets its own PostgreSQL database (created
//! here, dropped when the app goes), a real SMTP server on loopback, and the
//! real server on a random port, built by the same `Application::build` as
//! production.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use diesel::prelude::*;
use keyward::clock::Clock;
use keyward::config::{Settings, Source};
use keyward::services::Services;
use keyward::startup::Application;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore as _, Jar};
use reqwest::redirect::Policy;

use crate::mail::SmtpSink;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const PASSWORD: &str = "correct horse battery";
/// No request a test makes waits longer (a test fails, never hangs).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The PostgreSQL server tests create their databases on: the one
/// `KEYWARD_TEST_PG` names (`postgres://user@host:port`), or else a private
/// cluster of the test run's own, the product's embedded cluster under
/// `target/test-pg`, with `pg_stat_statements` so that tests can ask
/// PostgreSQL itself what ran. A watchdog process stops it once the test
/// binary has exited, however it exits (unless another test process still
/// uses it: the last one out stops it).
pub enum TestServer {
    External(String),
    Private(keyward::db::embedded::EmbeddedPostgres),
}

impl TestServer {
    pub fn get() -> &'static TestServer {
        static SERVER: OnceLock<TestServer> = OnceLock::new();
        SERVER.get_or_init(|| match std::env::var("KEYWARD_TEST_PG") {
            Ok(url) if !url.is_empty() => TestServer::External(url.trim_end_matches('/').to_owned()),
            _ => TestServer::Private(start_private_cluster()),
        })
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        match self {
            TestServer::External(base) => match base.split_once('?') {
                Some((server, params)) => format!("{server}/{db}?{params}"),
                None => format!("{base}/{db}"),
            },
            TestServer::Private(pg) => pg.url_of(db),
        }
    }

    /// Whether `pg_stat_statements` can be asked (the private cluster).
    #[allow(dead_code)]
    pub fn has_statement_stats(&self) -> bool {
        matches!(self, TestServer::Private(_))
    }
}

fn start_private_cluster() -> keyward::db::embedded::EmbeddedPostgres {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-pg");
    let pg = keyward::db::embedded::EmbeddedPostgres::start_with(
        &dir,
        &[
            // A throwaway cluster: speed over durability. The fault tests
            // that need durability start clusters of their own.
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
            ("max_connections", "400"),
            ("shared_preload_libraries", "pg_stat_statements"),
            // Room for every statement of every test database of a run:
            // an entry evicted mid-test would make its counts lie.
            ("pg_stat_statements.max", "100000"),
        ],
    )
    .expect("start the test run's PostgreSQL cluster (is PostgreSQL installed?)");
    spawn_watchdog(&pg);
    let mut conn = PgConnection::establish(&pg.url_of("postgres")).expect("connect to the test cluster");
    let _ = diesel::sql_query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").execute(&mut conn);
    // A cluster this process started forgets earlier runs' statements
    // (one another process started is in use: its counts stay).
    let started = std::fs::read_to_string(pg.state_dir().join("started")).unwrap_or_default();
    if started.trim() == std::process::id().to_string() {
        let _ = diesel::sql_query("SELECT pg_stat_statements_reset()").execute(&mut conn);
    }
    pg
}

/// Stops the private cluster once this process has exited, by the
/// cluster's own rule: under its start lock, only if no other process uses
/// it and a Keyward process started it.
fn spawn_watchdog(pg: &keyward::db::embedded::EmbeddedPostgres) {
    use std::os::unix::process::CommandExt as _;
    const SCRIPT: &str = r#"while [ -e "/proc/$0" ]; do sleep 0.2; done
exec flock -x "$1/start" sh -c 'flock -n -x "$0/users" true && [ -e "$0/started" ] && "$1/pg_ctl" -D "$2" -m fast -w stop >/dev/null && rm -f "$0/started"' "$1" "$2" "$3""#;
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(SCRIPT)
        .arg(std::process::id().to_string())
        .arg(pg.state_dir())
        .arg(pg.bin_dir())
        .arg(pg.cluster_dir())
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0);
    if let Some((uid, gid)) = pg.run_as() {
        cmd.uid(uid).gid(gid);
    }
    // Never waited for: it outlives this process on purpose (init reaps it).
    #[allow(clippy::zombie_processes)]
    cmd.spawn().expect("spawn the test cluster's watchdog");
}

/// The database a `postgres://` URL names.
pub fn database_name(url: &str) -> String {
    let path = url.split('?').next().unwrap_or_default();
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

/// A test's own database, dropped (connections and all) when this goes.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn create() -> Self {
        let server = TestServer::get();
        let name = format!("kw_test_{}", keyward::tokens::random_base62(12).to_lowercase());
        let mut conn = PgConnection::establish(&server.url("postgres")).expect("connect to the test PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create the test database");
        Self { url: server.url(&name), name }
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Off the async runtime: a plain thread with a plain connection.
        let _ = std::thread::spawn(move || {
            if let Ok(mut conn) = PgConnection::establish(&TestServer::get().url("postgres")) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
            }
        })
        .join();
    }
}

/// How to start a test app.
#[derive(Default)]
pub struct Options {
    /// Extra settings, as `KEYWARD_*` pairs.
    pub env: Vec<(String, String)>,
    /// Point the app at an SMTP port where nothing listens yet.
    pub smtp_down: bool,
    /// Reuse a database (and its master key and data directory) from an
    /// earlier app.
    pub reuse: Option<Leftovers>,
    /// Share another app's database and master key (a second instance).
    pub attach: Option<Attachment>,
    /// Reach the database through the PgBouncer on this port (transaction
    /// mode), with the direct URL for migrations and LISTEN.
    pub pooler: Option<u16>,
}

/// What a second instance needs to share an app's data.
#[derive(Clone)]
pub struct Attachment {
    pub db_url: String,
    pub master_key: String,
    /// The first instance's SMTP sink: every instance sends to one relay.
    pub smtp_port: u16,
    pub smtp_dir: PathBuf,
}

/// What an app leaves behind to start another on the same data.
pub struct Leftovers {
    pub db: TestDb,
    pub master_key: String,
    pub data_dir: PathBuf,
    pub smtp: SmtpSink,
}

pub struct TestApp {
    pub base: String,
    pub state: Services,
    pub clock: Clock,
    pub smtp: SmtpSink,
    pub setup_code: Option<String>,
    pub data_dir: PathBuf,
    master_key: String,
    handle: ServerHandle,
    stop_jobs: Box<dyn Fn() + Send + Sync>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    db: Option<TestDb>,
    db_url: String,
    _deadline: Deadline,
}

/// How long one test may run: past it, the test binary stops with the
/// test's name (a test fails, never hangs).
pub const TEST_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// A test's deadline, running from its app's start until it is dropped.
pub struct Deadline {
    _ends: std::sync::mpsc::Sender<()>,
}

impl Deadline {
    pub fn start(limit: Duration) -> Self {
        let test = std::thread::current().name().unwrap_or("a test").to_owned();
        let (ends, ended) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = ended.recv_timeout(limit) {
                eprintln!("{test} ran past its deadline of {limit:?}: stopping the test binary");
                std::process::abort();
            }
        });
        Self { _ends: ends }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(options: Options) -> Self {
        let deadline = Deadline::start(TEST_DEADLINE);
        install_log_capture();
        let (db, db_url, master_key, data_dir, smtp) = match (options.reuse, options.attach) {
            (Some(l), _) => {
                let url = l.db.url.clone();
                (Some(l.db), url, l.master_key, l.data_dir, l.smtp)
            }
            (None, Some(a)) => {
                let data_dir = std::env::temp_dir().join(format!("kw-it-b-{}", keyward::tokens::random_base62(10)));
                (None, a.db_url, a.master_key, data_dir, SmtpSink::sharing(a.smtp_port, a.smtp_dir))
            }
            (None, None) => {
                let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
                let master_key: String = (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
                let data_dir = std::env::temp_dir().join(format!("kw-it-{}", db.name));
                let smtp = if options.smtp_down { SmtpSink::reserved().await } else { SmtpSink::start().await };
                let url = db.url.clone();
                (Some(db), url, master_key, data_dir, smtp)
            }
        };
        let smtp_url = format!("smtp://127.0.0.1:{}", smtp.port);
        let data_dir_s = data_dir.display().to_string();
        let mut pairs: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), db_url.clone()),
            ("KEYWARD_BIND".into(), "127.0.0.1:0".into()),
            ("KEYWARD_DATA_DIR".into(), data_dir_s),
            ("KEYWARD_SMTP_URL".into(), smtp_url),
            ("KEYWARD_MASTER_KEY".into(), master_key.clone()),
            ("KEYWARD_SECURE_COOKIES".into(), "false".into()),
            ("KEYWARD_WORKERS".into(), "2".into()),
            ("KEYWARD_DB_POOL_SIZE".into(), "6".into()),
            ("KEYWARD_MAIL_RETRY_MS".into(), "200".into()),
            ("KEYWARD_MAIL_POLL_MS".into(), "200".into()),
            ("KEYWARD_USAGE_FLUSH_MS".into(), "200".into()),
            ("KEYWARD_DB_POOL_TIMEOUT_MS".into(), "2000".into()),
        ];
        if let Some(port) = options.pooler {
            let name = database_name(&db_url);
            pairs.retain(|(k, _)| k != "DATABASE_URL");
            pairs.push(("DATABASE_URL".into(), format!("postgres://keyward@127.0.0.1:{port}/{name}?sslmode=disable")));
            pairs.push(("KEYWARD_DIRECT_DATABASE_URL".into(), db_url.clone()));
        }
        for (k, v) in options.env {
            pairs.retain(|(existing, _)| existing != &k);
            pairs.push((k, v));
        }
        let settings = Settings::load(&Source::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            .expect("test settings");
        let clock = Clock::system();
        let app = Application::build_with_clock(settings, clock.clone()).await.expect("build the app");
        let port = app.port();
        let state = app.services().clone();
        let setup_code = app.setup_code().map(str::to_owned);
        let handle = app.handle();
        let stop_jobs = Box::new(app.job_stopper());
        let task = tokio::spawn(app.run_until_stopped());
        Self {
            base: format!("http://127.0.0.1:{port}"),
            state,
            clock,
            smtp,
            setup_code,
            data_dir,
            master_key,
            handle,
            stop_jobs,
            task: Some(task),
            db,
            db_url,
            _deadline: deadline,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The master key the app runs with (for CLI runs against its data).
    pub fn master_key(&self) -> &str {
        &self.master_key
    }

    pub fn db_url(&self) -> String {
        self.db_url.clone()
    }

    /// Runs the `keyward` command line against this app's database, key
    /// and data directory.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_keyward"));
        cmd.args(args)
            .env("DATABASE_URL", self.db_url())
            .env("KEYWARD_DATA_DIR", &self.data_dir)
            .env("KEYWARD_CONFIG", "/dev/null")
            .env("KEYWARD_MASTER_KEY", self.master_key());
        output_within(&mut cmd, Duration::from_secs(60))
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.db_url).expect("connect to the test database")
    }

    /// For a second instance on this app's data.
    pub fn attachment(&self) -> Attachment {
        Attachment {
            db_url: self.db_url.clone(),
            master_key: self.master_key.clone(),
            smtp_port: self.smtp.port,
            smtp_dir: self.smtp.dir.clone(),
        }
    }

    /// A new client, like a new browser: its own cookies, no redirects followed.
    pub fn agent(&self) -> Agent {
        let jar = Arc::new(Jar::default());
        Agent {
            base: self.base.clone(),
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(Policy::none())
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap(),
            jar,
        }
    }

    /// Stops the server gracefully, keeping the database for another app.
    pub async fn stop_keeping_data(mut self) -> Leftovers {
        self.handle.stop(true).await;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        Leftovers {
            db: self.db.take().expect("database"),
            master_key: self.master_key.clone(),
            data_dir: self.data_dir.clone(),
            smtp: std::mem::replace(&mut self.smtp, SmtpSink::detached()),
        }
    }

    /// Completes first-run setup; returns the signed-in super admin.
    pub async fn setup_admin(&self) -> Agent {
        let agent = self.agent();
        let code = self.setup_code.clone().expect("a fresh app has a setup code");
        let res = agent
            .submit(
                "/setup",
                "/setup",
                &[
                    ("code", &code),
                    ("email", ADMIN_EMAIL),
                    ("display_name", "Ada Admin"),
                    ("password", PASSWORD),
                    ("confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "setup should succeed");
        agent
    }

    /// Invites `email` as `role` (as `admin`), accepts the mailed link with
    /// [`PASSWORD`], signs in, and returns that user's agent.
    pub async fn user_with_role(&self, admin: &Agent, email: &str, role: &str) -> Agent {
        let res = admin.submit("/users", "/users", &[("email", email), ("role", role)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "invitation should succeed");
        let mail = self.smtp.wait_for(email, "invited").await;
        let link = mail.link_path(&self.base);
        let agent = self.agent();
        let res = agent.submit(&link, &link, &[("password", PASSWORD), ("confirm", PASSWORD)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "setting the password should succeed");
        agent.sign_in(email, PASSWORD).await;
        agent
    }

    /// Emails queued for `to` (delivered or not): what will ever be sent,
    /// at its source, with no waiting.
    pub fn outbox_to(&self, to: &str) -> i64 {
        use keyward::schema::outbox::dsl::*;
        outbox.filter(recipient.eq(to)).count().get_result(&mut self.conn()).unwrap()
    }

    /// Waits (at most 15 s) until every queued email has been delivered.
    pub async fn outbox_delivered(&self) {
        use keyward::schema::outbox::dsl::*;
        let done = eventually(Duration::from_secs(15), || {
            let pending: i64 = outbox.filter(sent_at.is_null()).count().get_result(&mut self.conn()).unwrap();
            async move { pending == 0 }
        })
        .await;
        assert!(done, "the outbox was not delivered within 15 s");
    }

    /// Token lookups so far, by Keyward's count and PostgreSQL's.
    pub fn lookups(&self) -> Lookups {
        Lookups { keyward: self.state.tokens.lookups(), postgres: self.token_queries() }
    }

    /// How many times PostgreSQL ran the token lookup (a batch of digests:
    /// one for each request that is not concurrent with another) in this
    /// app's database (`pg_stat_statements`), and how many entries it has evicted
    /// in all, when the test cluster can tell.
    fn token_queries(&self) -> Option<(i64, i64)> {
        let server = TestServer::get();
        if !server.has_statement_stats() {
            return None;
        }
        let oid: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT oid::bigint FROM pg_database WHERE datname = current_database())",
        ))
        .get_result(&mut self.conn())
        .unwrap();
        let mut conn = PgConnection::establish(&server.url("postgres")).unwrap();
        let calls: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements \
              WHERE dbid = {oid} AND query LIKE '%\"tokens\".\"digest\" = ANY($1)%')"
        )))
        .get_result(&mut conn)
        .unwrap();
        let evicted: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT dealloc FROM pg_stat_statements_info)",
        ))
        .get_result(&mut conn)
        .unwrap();
        Some((calls, evicted))
    }

    /// Audit actions recorded so far, oldest first.
    pub fn audit_actions(&self) -> Vec<String> {
        use keyward::schema::audit_events::dsl::*;
        audit_events.order(id.asc()).select(action).load(&mut self.conn()).unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the server and its jobs, and wait (at most 10 s) until they
        // have ended, so that nothing is mid-query when the database goes.
        let stopping = self.handle.stop(false);
        (self.stop_jobs)();
        if let Some(task) = self.task.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) if rt.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                    tokio::task::block_in_place(|| {
                        rt.block_on(async {
                            stopping.await;
                            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
                        })
                    });
                }
                _ => task.abort(),
            }
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Token lookups at a moment: Keyward's own counter, and the calls of the
/// lookup query in PostgreSQL's statistics (the source of truth; `None`
/// on a `KEYWARD_TEST_PG` server without `pg_stat_statements`).
#[derive(Debug, Clone, Copy)]
pub struct Lookups {
    keyward: u64,
    /// Calls of the lookup query, and entries evicted so far.
    postgres: Option<(i64, i64)>,
}

impl Lookups {
    /// Asserts that exactly `n` token lookups reached the database since
    /// `self`, by both counts.
    #[track_caller]
    pub fn assert_since(&self, app: &TestApp, n: u64, what: &str) {
        let now = app.lookups();
        assert_eq!(now.keyward - self.keyward, n, "{what}: lookups by Keyward's count");
        if let (Some((before, evicted_before)), Some((after, evicted))) = (self.postgres, now.postgres) {
            assert_eq!(evicted, evicted_before, "{what}: pg_stat_statements evicted entries: raise its max");
            assert_eq!((after - before) as u64, n, "{what}: lookups by PostgreSQL's pg_stat_statements");
        }
    }
}

/// A client with its own cookie jar.
pub struct Agent {
    pub base: String,
    pub client: reqwest::Client,
    jar: Arc<Jar>,
}

impl Agent {
    /// The value of one of this agent's cookies.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let header = self.jar.cookies(&self.base.parse().unwrap())?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET a page: its status and body.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    /// The CSRF token of the forms on `page`.
    pub async fn csrf(&self, page: &str) -> String {
        let (status, body) = self.page(page).await;
        csrf_in(&body).unwrap_or_else(|| panic!("no CSRF token on {page} ({status}): {body}"))
    }

    /// POSTs a form to `action` the way a browser would after loading `page`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf(page).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        self.client.post(self.url(action)).form(&form).send().await.expect("POST")
    }

    /// A raw form POST, with no CSRF token added.
    pub async fn post_raw(&self, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(action)).form(fields).send().await.expect("POST")
    }

    /// Creates a personal token on /profile/tokens: (token key, token).
    pub async fn create_personal_token(&self, description: &str) -> (String, String) {
        let res = self.submit("/profile/tokens", "/profile/tokens", &[("description", description)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "creating a personal token");
        assert_eq!(location(&res), "/profile/tokens");
        let (_, body) = self.page("/profile/tokens").await;
        (value_of(&body, "created-key").unwrap(), value_of(&body, "created-token").unwrap())
    }

    /// Generates the profile API token on /profile; returns the secret.
    pub async fn generate_profile_token(&self) -> String {
        let res = self.submit("/profile", "/profile/api-token", &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "generating the profile token");
        let (_, body) = self.page("/profile").await;
        value_of(&body, "new-token").unwrap()
    }

    pub async fn sign_in(&self, email: &str, password: &str) {
        let res = self.submit("/login", "/login", &[("email", email), ("password", password)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {email} should succeed");
    }
}

/// Everything the apps of this test run logged (all tests share it).
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn install_log_capture() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("warn,keyward=debug")
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .try_init();
        buf
    });
}

/// Through the binary `bin` run with `env`: creates the super admin
/// root@example.com and issues them a personal token, which it returns.
pub fn cli_admin_with_token(bin: &str, env: impl Fn(&mut std::process::Command), description: &str) -> String {
    use std::process::{Command, Stdio};
    let mut create = Command::new(bin);
    env(&mut create);
    let mut child = create
        .args(["admin", "create", "--email", "root@example.com", "--password-stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"a long enough password\n").unwrap();
    assert!(child.wait().unwrap().success());
    let mut issue = Command::new(bin);
    env(&mut issue);
    let out = issue
        .args(["token", "issue", "--user", "root@example.com", "--kind", "personal", "--description", description])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Runs `cmd` to its end, its output captured; a command still running
/// after `limit` is killed and the test fails.
pub fn output_within(cmd: &mut std::process::Command, limit: Duration) -> std::process::Output {
    use std::process::Stdio;
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    wait_within(child, limit)
}

/// Waits for a started process to end (its output, where piped); one still
/// running after `limit` is killed and the test fails.
pub fn wait_within(child: std::process::Child, limit: Duration) -> std::process::Output {
    let pid = child.id();
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match wait.recv_timeout(limit) {
        Ok(output) => output.expect("the command's output"),
        Err(_) => {
            let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("process {pid} was still running after {limit:?}: killed");
        }
    }
}

pub fn logs() -> String {
    LOGS.get().map(|b| String::from_utf8_lossy(&b.lock().unwrap()).into_owned()).unwrap_or_default()
}

/// The `value` of the element with this id in a page.
pub fn value_of(body: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

pub fn csrf_in(body: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Polls `check` until it is true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An API client without cookies.
pub fn api() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).timeout(REQUEST_TIMEOUT).build().unwrap()
}

/// GET with a bearer token: status and JSON body (Null when not JSON).
pub async fn api_get(url: &str, token: &str) -> (StatusCode, serde_json::Value) {
    let res = api().get(url).bearer_auth(token).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// A JSON API client carrying one token.
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    client: reqwest::Client,
}

/// A response: status, `Keyward-Auth-Level` if any, JSON body (Null if none).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub level: Option<String>,
    pub body: serde_json::Value,
}

impl Api {
    pub fn new(base: &str, token: Option<&str>) -> Self {
        Self { base: base.to_owned(), token: token.map(str::to_owned), client: api() }
    }

    /// Builds the request now; the future owns everything it needs.
    pub fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> impl std::future::Future<Output = Answer> + use<> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let level = res.headers().get("keyward-auth-level").map(|v| v.to_str().unwrap().to_owned());
            let text = res.text().await.unwrap();
            Answer { status, level, body: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null) }
        }
    }

    pub fn post(&self, path: &str, body: serde_json::Value) -> impl std::future::Future<Output = Answer> + use<> {
        self.send(reqwest::Method::POST, path, Some(&body))
    }

    pub fn put(&self, path: &str, body: serde_json::Value) -> impl std::future::Future<Output = Answer> + use<> {
        self.send(reqwest::Method::PUT, path, Some(&body))
    }

    #[allow(dead_code)]
    pub fn get(&self, path: &str) -> impl std::future::Future<Output = Answer> + use<> {
        self.send(reqwest::Method::GET, path, None)
    }

    /// Same base, another token.
    pub fn with(&self, token: Option<&str>) -> Self {
        Self::new(&self.base, token)
    }
}

impl TestApp {
    /// A super admin's personal token, for the management API.
    pub async fn admin_api(&self, admin: &Agent) -> Api {
        let (_, token) = admin.create_personal_token("management").await;
        Api::new(&self.base, Some(&token))
    }
}

/// The Python the tests' tools run on: the environment `.ci/prepare` makes
/// under `target/py`, else `python3` from PATH.
pub fn python() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/py/bin/python");
    if venv.exists() { venv } else { PathBuf::from("python3") }
}

/// The token policy form as the page sends it (every kind may never
/// expire, as the page shows by default), with `extra` fields.
pub fn policy_form(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = keyward::domain::TokenKind::ALL
        .iter()
        .filter(|k| **k != keyward::domain::TokenKind::Profile)
        .map(|k| (format!("{k}.never_allowed"), "on".to_owned()))
        .collect();
    fields.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    fields
}

/// Borrows owned form fields for `Agent::submit`.
pub fn fields(owned: &[(String, String)]) -> Vec<(&str, &str)> {
    owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}
