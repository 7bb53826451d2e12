//! A real SMTP server per test (tests/support/smtp_sink.py, aiosmtpd) and
//! reading back what it received.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

/// One received message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub raw: String,
}

impl Mail {
    /// The first Keyward link in the text part, as a path.
    pub fn link_path(&self, base: &str) -> String {
        let start = self.text.find(base).unwrap_or_else(|| panic!("no link to {base} in: {}", self.text));
        let rest = &self.text[start + base.len()..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest[..end].to_owned()
    }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py")
}

impl SmtpSink {
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("kw-smtp-{}", keyward::tokens::random_base62(10)));
        Self::start_on(dir, 0).await
    }

    /// A sink that is not listening: its port was free a moment ago and
    /// nothing listens there until [`restart`](Self::restart).
    pub async fn reserved() -> Self {
        let mut sink = Self::start().await;
        sink.stop().await;
        sink
    }

    /// Another handle on a running sink (another instance sends to the
    /// same relay, as instances of one deployment do); it does not own the
    /// server.
    pub fn sharing(port: u16, dir: PathBuf) -> Self {
        Self { port, dir, child: None }
    }

    /// A placeholder for a sink handed on elsewhere.
    pub fn detached() -> Self {
        Self { port: 0, dir: PathBuf::new(), child: None }
    }

    async fn start_on(dir: PathBuf, port: u16) -> Self {
        let (child, port) = spawn_server(&dir, port).await;
        Self { port, dir, child: Some(child) }
    }

    /// Takes the server down (an outage).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
            let _ = child.wait().await;
        }
    }

    /// Brings the server back on the same port.
    pub async fn restart(&mut self) {
        self.stop().await;
        let (child, _) = spawn_server(&self.dir, self.port).await;
        self.child = Some(child);
    }

    pub fn messages(&self) -> Vec<Mail> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect())
            .unwrap_or_default();
        paths.sort();
        paths.into_iter().map(|p| parse(&std::fs::read(p).unwrap())).collect()
    }

    /// Messages to `to`, in arrival order.
    pub fn to(&self, to: &str) -> Vec<Mail> {
        self.messages().into_iter().filter(|m| m.to.contains(to)).collect()
    }

    /// Waits (up to 15 s) for a message to `to` whose subject contains
    /// `subject` (case-insensitive).
    pub async fn wait_for(&self, to: &str, subject: &str) -> Mail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        let wanted = subject.to_lowercase();
        loop {
            if let Some(m) = self.to(to).into_iter().rev().find(|m| m.subject.to_lowercase().contains(&wanted)) {
                return m;
            }
            if tokio::time::Instant::now() > deadline {
                let seen: Vec<String> = self.messages().iter().map(|m| format!("{} / {}", m.to, m.subject)).collect();
                panic!("no mail to {to} about {subject:?} within 15 s; received: {seen:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl SmtpSink {
    /// Waits (up to 15 s) until `n` messages to `to` have arrived; returns them.
    pub async fn wait_for_count(&self, to: &str, n: usize) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let mails = self.to(to);
            if mails.len() >= n {
                return mails;
            }
            assert!(tokio::time::Instant::now() < deadline, "{} of {n} mails to {to} within 15 s", mails.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

async fn spawn_server(dir: &std::path::Path, port: u16) -> (Child, u16) {
    std::fs::create_dir_all(dir).unwrap();
    let mut child = Command::new(crate::helpers::python())
        .arg(script())
        .arg(dir)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the SMTP sink (Python with aiosmtpd: run .ci/prepare)");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("SMTP sink did not start in 20 s")
        .unwrap()
        .expect("SMTP sink exited: is aiosmtpd installed?");
    let port = line
        .strip_prefix("READY ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("unexpected SMTP sink output: {line}"));
    (child, port)
}

fn parse(raw: &[u8]) -> Mail {
    let parsed = mailparse::parse_mail(raw).expect("a parsable message");
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let mut text = String::new();
    let mut html = String::new();
    collect_parts(&parsed, &mut text, &mut html);
    Mail { to: header("To"), subject: header("Subject"), text, html, raw: String::from_utf8_lossy(raw).into_owned() }
}

fn collect_parts(part: &mailparse::ParsedMail<'_>, text: &mut String, html: &mut String) {
    if part.subparts.is_empty() {
        let body = part.get_body().unwrap_or_default();
        match part.ctype.mimetype.as_str() {
            "text/plain" => text.push_str(&body),
            "text/html" => html.push_str(&body),
            _ => {}
        }
    } else {
        for sub in &part.subparts {
            collect_parts(sub, text, html);
        }
    }
}
