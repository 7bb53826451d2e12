//! `/audit`: the audit log, filtered by actor and action, newest first, with
//! keyset pagination and a streamed CSV of the filtered view.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use futures_util::stream;
use serde::Deserialize;

use super::page::render;
use super::session::{Console, Layout};
use crate::error::AppError;
use crate::http::urlencode;
use crate::services::Services;
use crate::services::audit::{self, AuditEvent, AuditFilter};

const PAGE: i64 = 25;
const CSV_BATCH: i64 = 1000;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    /// `YYYY-MM-DD` (a date input's value).
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        let clean = |v: &Option<String>| {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect())
        };
        let date = |v: &Option<String>| {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            v.as_deref().and_then(|d| time::Date::parse(d.trim(), format).ok())
        };
        AuditFilter {
            actor: clean(&self.actor),
            action: clean(&self.action),
            target: clean(&self.target),
            from: date(&self.from),
            to: date(&self.to),
        }
    }
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    layout: Layout,
    events: Vec<AuditEvent>,
    actor: String,
    action: String,
    target: String,
    from: String,
    to: String,
    actions: Vec<String>,
    filter_query: String,
    older: Option<String>,
    paged: bool,
}

fn filter_query(filter: &AuditFilter) -> String {
    let mut q = Vec::new();
    if let Some(a) = &filter.actor {
        q.push(format!("actor={}", urlencode(a)));
    }
    if let Some(a) = &filter.action {
        q.push(format!("action={}", urlencode(a)));
    }
    if let Some(t) = &filter.target {
        q.push(format!("target={}", urlencode(t)));
    }
    if let Some(d) = filter.from {
        q.push(format!("from={d}"));
    }
    if let Some(d) = filter.to {
        q.push(format!("to={d}"));
    }
    q.join("&")
}

pub async fn list(
    svc: web::Data<Services>,
    console: Console,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.filter();
    let before = query.before;
    let (mut events, actions) = audit::page(&svc, &console.user.actor(), filter.clone(), before, PAGE + 1).await?;
    let (_, layout) = console.layout("Audit log", "audit");
    let more = events.len() as i64 > PAGE;
    events.truncate(PAGE as usize);
    let fq = filter_query(&filter);
    let older = more.then(|| {
        let last = events.last().map_or(0, |e| e.id);
        if fq.is_empty() { format!("?before={last}") } else { format!("?{fq}&before={last}") }
    });
    render(&AuditPage {
        layout,
        events,
        actor: filter.actor.clone().unwrap_or_default(),
        action: filter.action.clone().unwrap_or_default(),
        target: filter.target.clone().unwrap_or_default(),
        from: filter.from.map(|d| d.to_string()).unwrap_or_default(),
        to: filter.to.map(|d| d.to_string()).unwrap_or_default(),
        actions,
        filter_query: fq,
        older,
        paged: before.is_some(),
    })
}

/// The filtered log as CSV, fetched and sent in batches, so its size does
/// not matter.
pub async fn csv(
    svc: web::Data<Services>,
    console: Console,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = console.user.actor();
    let filter = query.filter();
    // The first batch before any byte is sent: a refusal is a page, not a
    // broken download.
    let first = audit::batch(&svc, &actor, filter.clone(), None, CSV_BATCH).await?;
    let header_row = crate::csv_util::record(["id", "at", "actor", "action", "target", "ip", "details"]);
    let svc = svc.into_inner();
    let body = stream::unfold(Some((None::<i64>, Some((header_row, first)))), move |cursor| {
        let svc = svc.clone();
        let filter = filter.clone();
        let actor = actor.clone();
        async move {
            let (before, start) = cursor?;
            let (mut out, batch) = match start {
                Some((head, first)) => (head, Ok(first)),
                None => (Vec::new(), audit::batch(&svc, &actor, filter, before, CSV_BATCH).await),
            };
            let events = match batch {
                Ok(events) => events,
                Err(e) => return Some((Err(actix_web::Error::from(e)), None)),
            };
            for e in &events {
                out.extend(crate::csv_util::record([
                    e.id.to_string().as_str(),
                    crate::clock::rfc3339(e.at).as_str(),
                    &e.actor,
                    &e.action,
                    &e.target,
                    e.ip.as_deref().unwrap_or(""),
                    e.details.to_string().as_str(),
                ]));
            }
            let next = (events.len() as i64 == CSV_BATCH).then(|| (events.last().map(|e| e.id), None));
            Some((Ok(web::Bytes::from(out)), next))
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"keyward-audit.csv\""))
        .streaming(body))
}
