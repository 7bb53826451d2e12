//! `/campaigns/{id}/statuses`: lead statuses; one is the default for new
//! leads.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::header::{Header, confirm_delete, require};
use crate::error::{AppError, FieldErrors};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::{Services, campaigns, campaigns::structure};
use crate::web::page::{checkbox, field_errors, redirect_with, refused, render_status};
use crate::web::session::{Console, Flash, Layout};

#[derive(Template)]
#[template(path = "campaigns/statuses.html")]
struct StatusesPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    form: StatusForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
pub struct StatusForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    label: String,
    default: Option<String>,
}

async fn statuses_page(
    svc: &Services,
    console: Console,
    id: i64,
    status: StatusCode,
    form: StatusForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let (_, layout) = console.layout(format!("{} · Statuses", snap.campaign.name), "campaigns");
    render_status(status, &StatusesPage { layout, header: Header::of(&snap.campaign, "statuses"), snap, form, errors })
}

pub async fn statuses(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    statuses_page(&svc, console, id.into_inner(), StatusCode::OK, StatusForm::default(), FieldErrors::new()).await
}

pub async fn create_status(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let input =
        structure::NewStatus { slug: form.slug.clone(), label: form.label.clone(), default: checkbox(&form.default) };
    match structure::create_status(&svc, actor, id, input).await {
        Ok(s) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{id}/statuses"),
            Flash::success(format!("Status `{}` added.", s.slug)),
        )),
        Err(e) => statuses_page(&svc, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?).await,
    }
}

pub async fn default_status(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sid) = path.into_inner();
    structure::set_default_status(&svc, actor, id, sid).await?;
    Ok(redirect_with(&svc, &format!("/campaigns/{id}/statuses"), Flash::success("Default status changed.")))
}

pub async fn confirm_delete_status(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sid) = path.into_inner();
    let snap = campaigns::structure(&svc, &actor, id).await?;
    let status = snap.statuses.iter().find(|s| s.id == sid).ok_or(AppError::NotFound)?;
    confirm_delete(
        console,
        format!("Delete the status `{}`", status.slug),
        "Leads can no longer be given this status.".into(),
        format!("/campaigns/{id}/statuses/{sid}/delete"),
        format!("/campaigns/{id}/statuses"),
    )
}

pub async fn delete_status(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sid) = path.into_inner();
    match structure::delete_status(&svc, actor, id, sid).await {
        Ok(()) => Ok(redirect_with(&svc, &format!("/campaigns/{id}/statuses"), Flash::success("Status deleted."))),
        Err(e) => refused(&svc, e, &format!("/campaigns/{id}/statuses")),
    }
}
