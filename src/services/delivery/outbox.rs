//! The mail queue as `/dev/outbox` shows it (super admins): the recent
//! messages of the outbox table, and the .eml files the file transport
//! wrote when no SMTP server is configured.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::domain::{Actor, Permission};
use crate::error::AppError;
pub use crate::models::OutboxMessage;
use crate::services::context::Services;

const MAX_FILES: usize = 200;
const RECENT: i64 = 100;

/// A message the file transport wrote.
pub struct MailFile {
    pub name: String,
    pub to: String,
    pub subject: String,
    pub modified: String,
}

pub struct Outbox {
    pub queue: Vec<OutboxMessage>,
    pub files: Vec<MailFile>,
    /// Mail goes to an SMTP relay (and no files are written).
    pub smtp: bool,
    pub dir: String,
}

pub async fn outbox(svc: &Services, actor: &Actor) -> Result<Outbox, AppError> {
    actor.require(Permission::ManageUsers)?;
    let dir = svc.settings.mail_dir();
    let smtp = svc.settings.smtp_url.is_some();
    let files_dir = dir.clone();
    svc.run(move |conn| {
        let queue = OutboxMessage::recent(conn, RECENT)?;
        let files = if smtp { Vec::new() } else { read_files(files_dir) };
        Ok(Outbox { queue, files, smtp, dir: dir.display().to_string() })
    })
    .await
}

/// One queued message, as its recipient sees it.
pub async fn message(svc: &Services, actor: &Actor, id: i64) -> Result<OutboxMessage, AppError> {
    actor.require(Permission::ManageUsers)?;
    svc.run(move |conn| OutboxMessage::find(conn, id)?.ok_or(AppError::NotFound)).await
}

/// One .eml file of the mail directory, as written.
pub async fn mail_file(svc: &Services, actor: &Actor, name: String) -> Result<String, AppError> {
    actor.require(Permission::ManageUsers)?;
    // A bare file name: no way out of the mail directory.
    let valid = name.ends_with(".eml")
        && name.len() < 100
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !name.contains("..");
    if !valid {
        return Err(AppError::NotFound);
    }
    let path = svc.settings.mail_dir().join(&name);
    crate::db::blocking(move || std::fs::read_to_string(path).map_err(|_| AppError::NotFound)).await
}

/// A header's value from the head of a raw message.
fn header_value(raw: &str, name: &str) -> String {
    raw.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
        .unwrap_or_default()
}

fn read_files(dir: PathBuf) -> Vec<MailFile> {
    let mut entries: Vec<(SystemTime, PathBuf)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    entries
        .into_iter()
        .take(MAX_FILES)
        .filter_map(|(modified, path)| {
            let raw = std::fs::read_to_string(&path).ok()?;
            Some(MailFile {
                name: path.file_name()?.to_string_lossy().into_owned(),
                to: header_value(&raw, "To"),
                subject: header_value(&raw, "Subject"),
                modified: crate::clock::display(time::OffsetDateTime::from(modified)),
            })
        })
        .collect()
}
