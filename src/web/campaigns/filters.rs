//! `/campaigns/{id}/filters`: campaign filters: a name
//! and conditions "select field = option", ANDed; edit; delete (refused
//! while an API token uses the filter).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::header::{Header, require};
use crate::error::{AppError, FieldErrors};
use crate::services::campaigns::catalog::{CampaignSnapshot, FilterSpec};
use crate::services::campaigns::filters::{self, ConditionInput, FilterInput};
use crate::services::{Services, campaigns};
use crate::web::confirm::ConfirmPage;
use crate::web::page::{field_errors, redirect_with, refused, render_status};
use crate::web::session::{Console, Flash, Layout};

/// Condition rows offered by the form.
const ROWS: usize = 3;

#[derive(Template)]
#[template(path = "campaigns/filters.html")]
struct FiltersPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    /// The filter being edited, if any.
    editing: Option<FilterSpec>,
    name: String,
    /// `select=OPTION` per row ("" for none).
    rows: Vec<String>,
    errors: FieldErrors,
}

impl FiltersPage {
    fn error_text(&self) -> Vec<String> {
        self.errors.values().cloned().collect()
    }
}

fn form_rows(conditions: &[ConditionInput]) -> Vec<String> {
    let mut rows: Vec<String> = conditions.iter().map(|c| format!("{}={}", c.select, c.option)).collect();
    rows.resize(rows.len().max(ROWS - 1) + 1, String::new());
    rows
}

async fn page(
    svc: &Services,
    console: Console,
    id: i64,
    editing: Option<i64>,
    status: StatusCode,
    form: Option<(String, Vec<String>, FieldErrors)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let editing = match editing {
        Some(fid) => Some(snap.filter(fid).cloned().ok_or(AppError::NotFound)?),
        None => None,
    };
    let (name, rows, errors) = form.unwrap_or_else(|| match &editing {
        Some(f) => {
            let conds: Vec<ConditionInput> = f
                .conditions
                .iter()
                .map(|c| ConditionInput { select: c.select_slug.clone(), option: c.option_slug.clone() })
                .collect();
            (f.filter.name.clone(), form_rows(&conds), FieldErrors::new())
        }
        None => (String::new(), form_rows(&[]), FieldErrors::new()),
    });
    let (_, layout) = console.layout(format!("{} · Filters", snap.campaign.name), "campaigns");
    render_status(
        status,
        &FiltersPage { layout, header: Header::of(&snap.campaign, "filters"), snap, editing, name, rows, errors },
    )
}

pub async fn list(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    page(&svc, console, id.into_inner(), None, StatusCode::OK, None).await
}

pub async fn edit(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, fid) = path.into_inner();
    page(&svc, console, id, Some(fid), StatusCode::OK, None).await
}

/// The posted form: `name`, and one `condition` per row as `select=OPTION`.
fn parse(fields: &[(String, String)]) -> (String, Vec<String>, FilterInput) {
    let name = fields.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone()).unwrap_or_default();
    let rows: Vec<String> = fields.iter().filter(|(k, _)| k == "condition").map(|(_, v)| v.clone()).collect();
    let conditions = rows
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| match r.split_once('=') {
            Some((s, o)) => ConditionInput { select: s.to_owned(), option: o.to_owned() },
            None => ConditionInput { select: r.clone(), option: String::new() },
        })
        .collect();
    (name.clone(), rows, FilterInput { name, conditions })
}

pub async fn create(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(fields): web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let id = id.into_inner();
    let (name, rows, input) = parse(&fields);
    match filters::create(&svc, console.user.actor(), id, input).await {
        Ok(f) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{id}/filters"),
            Flash::success(format!("Filter “{}” saved.", f.name)),
        )),
        Err(e) => {
            page(&svc, console, id, None, StatusCode::UNPROCESSABLE_ENTITY, Some((name, rows, field_errors(e)?))).await
        }
    }
}

pub async fn update(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(fields): web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let (id, fid) = path.into_inner();
    let (name, rows, input) = parse(&fields);
    match filters::update(&svc, console.user.actor(), id, fid, input).await {
        Ok(f) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{id}/filters"),
            Flash::success(format!("Filter “{}” saved. Tokens using it follow the new conditions at once.", f.name)),
        )),
        Err(e) => {
            page(&svc, console, id, Some(fid), StatusCode::UNPROCESSABLE_ENTITY, Some((name, rows, field_errors(e)?)))
                .await
        }
    }
}

pub async fn confirm_delete(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, fid) = path.into_inner();
    let snap = campaigns::structure(&svc, &actor, id).await?;
    let filter = snap.filter(fid).ok_or(AppError::NotFound)?;
    let (_, layout) = console.layout("Delete filter", "campaigns");
    ConfirmPage {
        layout,
        heading: format!("Delete the filter “{}”", filter.filter.name),
        message: format!("Its conditions: {}.", filter.describe()),
        warning: Some("This cannot be undone. A filter in use by an API token cannot be deleted.".into()),
        action: format!("/campaigns/{id}/filters/{fid}/delete"),
        button: "Delete".into(),
        cancel: format!("/campaigns/{id}/filters"),
        reason: false,
        grace: None,
        hidden: Vec::new(),
    }
    .render()
}

pub async fn delete(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, fid) = path.into_inner();
    match filters::delete(&svc, console.user.actor(), id, fid).await {
        Ok(f) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{id}/filters"),
            Flash::success(format!("Filter “{}” deleted.", f.name)),
        )),
        Err(e) => refused(&svc, e, &format!("/campaigns/{id}/filters")),
    }
}
