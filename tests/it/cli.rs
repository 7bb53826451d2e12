//! The binary itself: configuration errors, `admin create`, `migrate`, and
//! the embedded PostgreSQL default.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{TestApp, TestDb};

fn keyward() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyward"));
    for (k, _) in std::env::vars() {
        if k.starts_with("KEYWARD_") || k == "DATABASE_URL" {
            cmd.env_remove(k);
        }
    }
    cmd.env("KEYWARD_CONFIG", "/dev/null");
    cmd
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_the_variable() {
    for (var, value) in [
        ("KEYWARD_BIND", "not-an-address"),
        ("KEYWARD_SECURE_COOKIES", "perhaps"),
        ("KEYWARD_SMTP_URL", "http://mail.example.com"),
        ("KEYWARD_MASTER_KEY", "too-short"),
        ("KEYWARD_PUBLIC_URL", "mailto:x"),
        ("DATABASE_URL", "mysql://localhost/x"),
    ] {
        let out = crate::helpers::output_within(keyward().env(var, value), Duration::from_secs(60));
        assert_eq!(out.status.code(), Some(2), "{var}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{var}: {stderr}");
        assert!(stderr.contains(var), "{var}: {stderr}");
    }
}

#[test]
fn admin_create_makes_a_super_admin_from_the_shell() {
    let db = TestDb::create();
    let dir = std::env::temp_dir().join(format!("kw-cli-{}", db.name));
    let run = |email: &str, password: &str| {
        let mut child = keyward()
            .args(["admin", "create", "--email", email, "--password-stdin"])
            .env("DATABASE_URL", &db.url)
            .env("KEYWARD_DATA_DIR", &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        crate::helpers::wait_within(child, Duration::from_secs(60))
    };
    let out = run("root@example.com", "a long enough password");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created super admin root@example.com"));

    let out = run("root@example.com", "a long enough password");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = run("weak@example.com", "short");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));

    let out = crate::helpers::output_within(
        keyward().arg("migrate").env("DATABASE_URL", &db.url).env("KEYWARD_DATA_DIR", &dir),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_super_admin_made_by_the_cli_can_sign_in() {
    let app = TestApp::spawn().await;
    let mut child = keyward()
        .args(["admin", "create", "--email", "cli@example.com", "--password-stdin"])
        .env("DATABASE_URL", app.db_url())
        .env("KEYWARD_DATA_DIR", &app.data_dir)
        .env("KEYWARD_MASTER_KEY", app.master_key())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a long enough password\n").unwrap();
    assert!(crate::helpers::wait_within(child, Duration::from_secs(60)).status.success());
    app.agent().sign_in("cli@example.com", "a long enough password").await;
}

/// A `keyward serve` the test started: stopped (SIGTERM, then SIGKILL) when
/// it goes, so a failing test leaves no server behind.
pub struct Served {
    child: Option<std::process::Child>,
    pub port: u16,
    pub setup_code: Option<String>,
}

impl Served {
    /// Starts `keyward serve` with `configure`'s environment and waits (at
    /// most 60 s) for it to print where it listens, and (on a `fresh`
    /// database) the setup code.
    pub fn start(fresh: bool, configure: impl FnOnce(&mut Command)) -> Self {
        let mut cmd = keyward();
        cmd.arg("serve").env("KEYWARD_BIND", "127.0.0.1:0").stdout(Stdio::piped()).stderr(Stdio::null());
        configure(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads every line, as a terminal would, handing them over.
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut served = Self { child: Some(child), port: 0, setup_code: None };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
            if let Some(p) = line.split("(port ").nth(1) {
                served.port = p.trim_end_matches(')').parse().unwrap_or(0);
            }
            let t = line.trim();
            if t.len() == 14 && t.matches('-').count() == 2 {
                served.setup_code = Some(t.to_owned());
            }
            if served.port != 0 && (served.setup_code.is_some() || !fresh) {
                break;
            }
        }
        assert!(served.port != 0, "keyward serve printed no listening line within 60 s");
        served
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL, as the OOM killer or a power cut would: no shutdown at all.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// [`terminate`](Self::terminate), unless it was killed already.
    pub fn terminate_if_running(&mut self) -> Option<std::process::ExitStatus> {
        self.child.is_some().then(|| self.terminate())
    }

    /// SIGTERM, and the exit status (within 30 s).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM)
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("keyward serve did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.child.is_some() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.terminate()));
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `keyward serve` with no DATABASE_URL runs its own cluster and stops it on
/// SIGTERM, leaving no postgres process behind.
#[test]
fn the_embedded_cluster_starts_with_serve_and_stops_with_it() {
    let dir = std::env::temp_dir().join(format!("kw-embedded-{}", keyward::tokens::random_base62(8)));
    let mut server = Served::start(true, |cmd| {
        cmd.env("KEYWARD_DATA_DIR", &dir);
    });
    assert!(server.setup_code.is_some(), "a setup code is printed on first start");

    assert!(http_get(server.port, "/healthz").contains("{\"status\":\"ok\"}"));
    let cluster = dir.canonicalize().unwrap().join("postgres");
    assert!(postgres_running_for(&cluster), "the embedded cluster runs");
    assert!(cluster.join("PG_VERSION").exists());

    let status = server.terminate();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    assert!(postgres_stops_for(&cluster), "no postgres process is left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Break-glass and "now" commands beside a running server on the embedded
/// cluster use its database and leave it running: the server stays
/// healthy and serves what they made. The last process out stops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_beside_a_running_server_leave_its_database_running() {
    let dir = std::env::temp_dir().join(format!("kw-beside-{}", keyward::tokens::random_base62(8)));
    let mut server = Served::start(true, |cmd| {
        cmd.env("KEYWARD_DATA_DIR", &dir);
    });
    let cluster = dir.canonicalize().unwrap().join("postgres");
    let with_dir = |cmd: &mut Command| {
        cmd.env("KEYWARD_DATA_DIR", &dir);
    };
    let healthy = || async { crate::helpers::api().get(server.url("/healthz")).send().await.unwrap().status() };
    assert_eq!(healthy().await, reqwest::StatusCode::OK);

    let token = crate::helpers::cli_admin_with_token(env!("CARGO_BIN_EXE_keyward"), with_dir, "beside the server");
    assert!(token.starts_with("kw_pat_"), "token issue printed a token: {token:?}");
    assert_eq!(healthy().await, reqwest::StatusCode::OK, "admin create and token issue left the database up");
    let (status, me) = crate::helpers::api_get(&server.url("/api/v1/me"), &token).await;
    assert_eq!(status, reqwest::StatusCode::OK, "the server serves the token the CLI issued: {me}");
    assert_eq!(me["email"], "root@example.com");

    for args in [&["sweep"][..], &["migrate"][..]] {
        let mut cmd = keyward();
        with_dir(&mut cmd);
        let out = crate::helpers::output_within(cmd.args(args), Duration::from_secs(60));
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(healthy().await, reqwest::StatusCode::OK, "{args:?} left the database up");
        assert!(postgres_running_for(&cluster));
    }
    assert_eq!(crate::helpers::api_get(&server.url("/api/v1/me"), &token).await.0, reqwest::StatusCode::OK);

    assert!(server.terminate().success());
    assert!(postgres_stops_for(&cluster), "the server, out last, stopped the cluster");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two commands starting the embedded cluster at once: one starts it (the
/// other waits on the start lock and uses it), neither corrupts it, and the
/// last one out stops it.
#[test]
fn two_processes_starting_the_embedded_cluster_at_once_share_it() {
    let dir = std::env::temp_dir().join(format!("kw-twice-{}", keyward::tokens::random_base62(8)));
    let spawn = || {
        let mut cmd = keyward();
        cmd.arg("migrate").env("KEYWARD_DATA_DIR", &dir).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.spawn().unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = crate::helpers::wait_within(child, Duration::from_secs(60));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let cluster = dir.canonicalize().unwrap().join("postgres");
    assert!(postgres_stops_for(&cluster), "the last one out stopped it");
    // It starts again, intact.
    let out =
        crate::helpers::output_within(keyward().arg("migrate").env("KEYWARD_DATA_DIR", &dir), Duration::from_secs(60));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::Read as _;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn postgres_running_for(cluster: &std::path::Path) -> bool {
    let needle = cluster.display().to_string();
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        std::fs::read(e.path().join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .is_ok_and(|c| c.contains("postgres") && c.contains(&needle))
    })
}

/// Whether every postgres process of `cluster` is gone within 30 s.
fn postgres_stops_for(cluster: &std::path::Path) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while postgres_running_for(cluster) {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// An instance or command whose master key is not the database's refuses
/// to start, with one line naming KEYWARD_MASTER_KEY (before, it started
/// and refused every token, saying nothing); with the same key it works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_master_key_is_refused_at_start_with_one_line() {
    let app = TestApp::spawn().await;
    let other_dir = std::env::temp_dir().join(format!("kw-otherkey-{}", keyward::tokens::random_base62(8)));
    let run = |args: &[&str], key: Option<&str>| {
        let mut cmd = keyward();
        cmd.args(args).env("DATABASE_URL", app.db_url()).env("KEYWARD_DATA_DIR", &other_dir).env("RUST_LOG", "off");
        if let Some(k) = key {
            cmd.env("KEYWARD_MASTER_KEY", k);
        }
        // A serve that started would never end: bounded.
        crate::helpers::output_within(&mut cmd, Duration::from_secs(60))
    };
    let other_key = "00".repeat(32);
    for (args, key) in [(&["migrate"][..], Some(other_key.as_str())), (&["sweep"][..], None), (&["serve"][..], None)] {
        // No key: a fresh data directory makes a new one, which is wrong too.
        let out = run(args, key);
        assert!(!out.status.success(), "{args:?} started with another key");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains("KEYWARD_MASTER_KEY"), "{args:?}: {stderr}");
    }
    let out = run(&["sweep"], Some(app.master_key()));
    assert!(out.status.success(), "the same key works: {}", String::from_utf8_lossy(&out.stderr));
    // Refusing ends cleanly every time: status 1, never a signal (a crash
    // in the C library's exit handlers while a pool thread was opening a
    // connection used to end some of these runs with SIGSEGV).
    for round in 0..20 {
        let args: &[&str] = if round % 2 == 0 { &["token", "list"] } else { &["serve"] };
        let out = run(args, Some(other_key.as_str()));
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(out.status.signal(), None, "{args:?} died by a signal: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let _ = std::fs::remove_dir_all(other_dir);
}

/// The operator's daily needs from the shell: list and revoke tokens, list
/// and invite users, as text or JSON lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_lists_and_revokes_tokens_and_lists_and_invites_users() {
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (key, token) = admin.create_personal_token("ci deploys").await;
    let keyward = |args: &[&str]| app.cli(args);
    let out = keyward(&["token", "list", "--kind", "personal", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["key"], key.as_str());
    assert_eq!(lines[0]["status"], "active");
    assert!(!lines[0].to_string().contains(&token[15..]), "never a secret");
    // The same view as the API's.
    let api = app.admin_api(&admin).await;
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let listed = api.get("/api/v1/tokens?kind=personal").await;
    assert_eq!(listed.status, reqwest::StatusCode::OK, "{}", listed.body);
    assert_eq!(keys(&lines[0]), keys(&listed.body["items"][0]), "the CLI answers the API's token view");
    let out = keyward(&["token", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&key));

    let out = keyward(&["token", "revoke", &key]);
    assert!(!out.status.success(), "a reason is required");
    let out = keyward(&["token", "revoke", &key, "--reason", "rotated by the operator"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (status, _) = crate::helpers::api_get(&app.url("/api/v1/me"), &token).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "refused by the running server");
    assert!(app.audit_actions().contains(&"token.revoked".to_owned()));

    let out = keyward(&["user", "create", "--email", "new.hire@example.com", "--role", "support", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["role"], "support");
    let user = api.get(&format!("/api/v1/users/{}", created["id"])).await;
    assert_eq!(keys(&created), keys(&user.body), "the CLI answers the API's user view");
    app.smtp.wait_for("new.hire@example.com", "invited").await;
    let out = keyward(&["user", "create", "--email", "not an address"]);
    assert!(!out.status.success());
    let out = keyward(&["user", "list", "--json"]);
    let users = String::from_utf8(out.stdout).unwrap();
    assert!(users.contains("new.hire@example.com") && users.contains(r#""status":"invited""#), "{users}");
}
