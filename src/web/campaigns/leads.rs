//! `/campaigns/{id}/leads`: a campaign's leads, newest first, and each
//! lead's page: its fields, select values, status and source, the leads its
//! relations link to, and its files (downloaded through the console).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;

use super::header::{Header, require};
use crate::error::AppError;
use crate::http::{Download, download as answer_download};
use crate::services::Services;
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::leads::files::{self, FileInfo};
use crate::services::leads::{self, Lead, LeadLink};
use crate::web::page::render;
use crate::web::session::{Console, Layout};

#[derive(Template)]
#[template(path = "campaigns/leads.html")]
struct LeadsPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    rows: Vec<Row>,
    status: String,
    next: Option<i64>,
}

struct Row {
    id: i64,
    created: String,
    status: String,
    summary: String,
    source: String,
}

#[derive(Template)]
#[template(path = "campaigns/lead.html")]
struct LeadPage {
    layout: Layout,
    header: Header,
    id: i64,
    created: String,
    updated: String,
    status: String,
    source: String,
    fields: Vec<(String, String)>,
    selects: Vec<(String, String)>,
    relations: Vec<Linked>,
    files: Vec<FileRow>,
}

/// A relation of the lead: where it points, and the leads it links to.
struct Linked {
    label: String,
    target_id: i64,
    target_name: String,
    ids: Vec<i64>,
}

struct FileRow {
    file: FileInfo,
    created: String,
}

impl FileRow {
    fn size(&self) -> String {
        match self.file.size {
            n if n >= 1024 * 1024 => format!("{:.1} MB", n as f64 / 1024.0 / 1024.0),
            n if n >= 1024 => format!("{:.1} kB", n as f64 / 1024.0),
            n => format!("{n} bytes"),
        }
    }
}

fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn status_label(snap: &CampaignSnapshot, slug: &str) -> String {
    snap.status(slug).map_or_else(|| slug.to_owned(), |s| s.label.clone())
}

fn source_name(snap: &CampaignSnapshot, lead: &Lead) -> String {
    lead.source_id.and_then(|id| snap.source(id)).map(|s| s.name.clone()).unwrap_or_else(|| "API".to_owned())
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    before: Option<i64>,
}

pub async fn list(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let ListQuery { status, before } = query.into_inner();
    let wanted = Some(status.clone()).filter(|s| !s.is_empty());
    let (snap, leads, next) = leads::console_list(&svc, &actor, id.into_inner(), wanted, before).await?;
    let rows = leads
        .iter()
        .map(|l| Row {
            id: l.id,
            created: crate::clock::display(l.created_at),
            status: status_label(&snap, &l.status),
            summary: snap
                .fields
                .iter()
                .filter_map(|f| Some(text(l.fields.get(&f.slug))).filter(|t| !t.is_empty()))
                .take(2)
                .collect::<Vec<_>>()
                .join(" · "),
            source: source_name(&snap, l),
        })
        .collect();
    let (_, layout) = console.layout(format!("{} · Leads", snap.campaign.name), "campaigns");
    render(&LeadsPage { layout, header: Header::of(&snap.campaign, "leads"), snap, rows, status, next })
}

pub async fn show(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, lead_id) = path.into_inner();
    let (snap, lead, links) = leads::console_get(&svc, &actor, id, lead_id).await?;
    let scope = files::in_console(&svc, &actor, id, lead_id).await?;
    let files = files::list(&svc, &scope)
        .await?
        .into_iter()
        .map(|file| FileRow { created: crate::clock::display(file.created_at), file })
        .collect();
    let fields = snap.fields.iter().map(|f| (f.label.clone(), text(lead.fields.get(&f.slug)))).collect();
    let selects = snap
        .selects
        .iter()
        .map(|s| {
            let chosen = lead.selects.get(&s.select.slug).and_then(Value::as_str).unwrap_or_default();
            let label = s.option(chosen).map_or_else(|| chosen.to_owned(), |o| o.label.clone());
            (s.select.label.clone(), label)
        })
        .collect();
    let relations = snap
        .relations
        .iter()
        .map(|r| Linked {
            label: r.relation.label.clone(),
            target_id: r.relation.target_campaign_id,
            target_name: r.target_name.clone(),
            ids: links.iter().filter(|l: &&LeadLink| l.relation_id == r.relation.id).map(|l| l.target_id).collect(),
        })
        .collect();
    let (_, layout) = console.layout(format!("{} · Lead {lead_id}", snap.campaign.name), "campaigns");
    render(&LeadPage {
        layout,
        header: Header::of(&snap.campaign, "leads"),
        id: lead.id,
        created: crate::clock::display(lead.created_at),
        updated: crate::clock::display(lead.updated_at),
        status: status_label(&snap, &lead.status),
        source: source_name(&snap, &lead),
        fields,
        selects,
        relations,
        files,
    })
}

/// A lead's file, downloaded through the console.
pub async fn file(
    req: HttpRequest,
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, lead_id, file_id) = path.into_inner();
    let scope = files::in_console(&svc, &actor, id, lead_id).await?;
    let file = files::find(&svc, &scope, file_id).await?;
    let etag = file.etag();
    let meta = Download { name: &file.name, content_type: &file.content_type, size: file.size, etag: &etag };
    Ok(answer_download(&req, &meta, |first, last| files::bytes(&svc, &file, first, last)))
}
