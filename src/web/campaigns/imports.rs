//! `/campaigns/{id}/imports`: the campaign's bulk imports through the
//! Import API: who (the private token and its assigned user), when, how,
//! the counts, and each one's report of refused rows.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::header::{Header, require};
use crate::error::AppError;
use crate::services::leads::imports::{self, ImportInfo};
use crate::services::{Services, campaigns};
use crate::web::page::render;
use crate::web::session::{Console, Layout};

#[derive(Template)]
#[template(path = "campaigns/imports.html")]
struct ImportsPage {
    layout: Layout,
    header: Header,
    rows: Vec<Row>,
}

struct Row {
    info: ImportInfo,
    when: String,
    finished: Option<String>,
}

impl Row {
    fn errors(&self) -> usize {
        self.info.import.errors.as_array().map_or(0, Vec::len)
    }
}

pub async fn list(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let snap = campaigns::structure(&svc, &actor, id).await?;
    let rows = imports::of_campaign(&svc, &actor, id)
        .await?
        .into_iter()
        .map(|info| Row {
            when: crate::clock::display(info.import.created_at),
            finished: info.import.finished_at.map(crate::clock::display),
            info,
        })
        .collect();
    let (_, layout) = console.layout(format!("{} · Imports", snap.campaign.name), "campaigns");
    render(&ImportsPage { layout, header: Header::of(&snap.campaign, "imports"), rows })
}

/// An import's report: its refused rows, one line per reason, as CSV.
pub async fn report(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, import_id) = path.into_inner();
    let info = imports::in_campaign(&svc, &actor, id, import_id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"import-{import_id}-report.csv\"")))
        .body(info.report_csv()))
}
