//! `/dev/outbox` (super admins): the mail queue, and the .eml files the file
//! transport wrote when no SMTP server is configured.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::page::render;
use super::session::{Console, Layout};
use crate::error::AppError;
use crate::services::Services;
use crate::services::delivery::outbox::{self, MailFile, OutboxMessage};

#[derive(Template)]
#[template(path = "outbox/list.html")]
struct OutboxPage {
    layout: Layout,
    queue: Vec<OutboxMessage>,
    files: Vec<MailFile>,
    smtp: bool,
    dir: String,
}

pub async fn list(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    let o = outbox::outbox(&svc, &console.user.actor()).await?;
    let (_, layout) = console.layout("Outbox", "outbox");
    render(&OutboxPage { layout, queue: o.queue, files: o.files, smtp: o.smtp, dir: o.dir })
}

#[derive(Template)]
#[template(path = "outbox/show.html")]
struct MessagePage {
    layout: Layout,
    name: String,
    raw: String,
}

pub async fn show(
    svc: web::Data<Services>,
    console: Console,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let name = name.into_inner();
    let raw = outbox::mail_file(&svc, &console.user.actor(), name.clone()).await?;
    let (_, layout) = console.layout(format!("Message {name}"), "outbox");
    render(&MessagePage { layout, name, raw })
}

#[derive(Template)]
#[template(path = "outbox/message.html")]
struct QueuedPage {
    layout: Layout,
    m: OutboxMessage,
    from: String,
}

/// A queued message as its recipient sees it: subject, from, to, the HTML
/// part in a sandboxed frame, and the text part.
pub async fn message(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let m = outbox::message(&svc, &console.user.actor(), id.into_inner()).await?;
    let (_, layout) = console.layout(m.subject.clone(), "outbox");
    let from = svc.settings.mail_from.clone();
    render(&QueuedPage { layout, m, from })
}

/// The HTML part alone, for the frame: sandboxed (no scripts, no forms, no
/// same origin), framed only by Keyward's own page.
pub async fn message_html(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let m = outbox::message(&svc, &console.user.actor(), id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
        ))
        .insert_header((actix_web::http::header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        .body(m.body_html))
}
