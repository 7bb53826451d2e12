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
        let out = keyward().env(var, value).output().unwrap();
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
        child.wait_with_output().unwrap()
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

    let out = keyward().arg("migrate").env("DATABASE_URL", &db.url).env("KEYWARD_DATA_DIR", &dir).output().unwrap();
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
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a long enough password\n").unwrap();
    assert!(child.wait().unwrap().success());
    app.agent().sign_in("cli@example.com", "a long enough password").await;
}

/// `keyward serve` with no DATABASE_URL runs its own cluster and stops it on
/// SIGTERM, leaving no postgres process behind.
#[test]
fn the_embedded_cluster_starts_with_serve_and_stops_with_it() {
    let dir = std::env::temp_dir().join(format!("kw-embedded-{}", keyward::tokens::random_base62(8)));
    let mut child = keyward()
        .arg("serve")
        .env("KEYWARD_DATA_DIR", &dir)
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let mut port = None;
    let mut code = None;
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(p) = line.split("(port ").nth(1) {
            port = p.trim_end_matches(')').parse::<u16>().ok();
        }
        let t = line.trim();
        if t.len() == 14 && t.matches('-').count() == 2 {
            code = Some(t.to_owned());
            break;
        }
    }
    // Keep draining stdout, as a terminal would.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    let port = port.expect("a listening line");
    assert!(code.is_some(), "a setup code is printed on first start");

    assert!(http_get(port, "/healthz").contains("{\"status\":\"ok\"}"));
    let cluster = dir.canonicalize().unwrap().join("postgres");
    assert!(postgres_running_for(&cluster), "the embedded cluster runs");
    assert!(cluster.join("PG_VERSION").exists());

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(!postgres_running_for(&cluster), "no postgres process is left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::Read as _;
    let mut last_error = None;
    for _ in 0..10 {
        let attempt = (|| -> std::io::Result<String> {
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
            stream.set_read_timeout(Some(Duration::from_secs(10)))?;
            write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            Ok(response)
        })();
        match attempt {
            Ok(response) => return response,
            Err(e) => last_error = Some(e),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("GET {path} on port {port} failed: {last_error:?}")
}

fn postgres_running_for(cluster: &std::path::Path) -> bool {
    let needle = cluster.display().to_string();
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        std::fs::read(e.path().join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .is_ok_and(|c| c.contains("postgres") && c.contains(&needle))
    })
}
