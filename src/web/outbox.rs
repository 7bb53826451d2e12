//! `/dev/outbox` (super admins): the mail queue, and the .eml files the file
//! transport wrote when no SMTP server is configured.

use std::path::PathBuf;
use std::time::SystemTime;

use actix_web::{HttpResponse, web};
use askama::Template;

use super::{Console, Layout, render};
use crate::domain::Permission;
use crate::error::AppError;
use crate::models::OutboxMessage;
use crate::state::AppState;

const MAX_FILES: usize = 200;

pub struct MailFile {
    pub name: String,
    pub to: String,
    pub subject: String,
    pub modified: String,
}

#[derive(Template)]
#[template(path = "outbox/list.html")]
struct OutboxPage {
    layout: Layout,
    queue: Vec<OutboxMessage>,
    files: Vec<MailFile>,
    smtp: bool,
    dir: String,
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

pub async fn list(state: web::Data<AppState>, console: Console) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageUsers)?;
    let (_, layout) = console.layout("Outbox", "outbox");
    let queue = state.db(|conn| Ok(OutboxMessage::recent(conn, 100)?)).await?;
    let dir = state.settings.mail_dir();
    let smtp = state.settings.smtp_url.is_some();
    let files = if smtp {
        Vec::new()
    } else {
        let d = dir.clone();
        crate::db::blocking(move || Ok(read_files(d))).await?
    };
    render(&OutboxPage { layout, queue, files, smtp, dir: dir.display().to_string() })
}

#[derive(Template)]
#[template(path = "outbox/show.html")]
struct MessagePage {
    layout: Layout,
    name: String,
    raw: String,
}

pub async fn show(
    state: web::Data<AppState>,
    console: Console,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageUsers)?;
    let name = name.into_inner();
    // A bare file name: no way out of the mail directory.
    let valid = name.ends_with(".eml")
        && name.len() < 100
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !name.contains("..");
    if !valid {
        return Err(AppError::NotFound);
    }
    let path = state.settings.mail_dir().join(&name);
    let raw = crate::db::blocking(move || std::fs::read_to_string(path).map_err(|_| AppError::NotFound)).await?;
    let (_, layout) = console.layout(format!("Message {name}"), "outbox");
    render(&MessagePage { layout, name, raw })
}
