//! `/campaigns` and `/campaigns/{id}`: the campaign list with the create
//! form, and a campaign's overview with its details form and Archive.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::header::{Header, require};
use crate::domain::FileType;
use crate::error::{AppError, FieldErrors};
use crate::services::campaigns::catalog::Campaign;
use crate::services::{Services, campaigns};
use crate::web::confirm::{ConfirmPage, confirmed};
use crate::web::page::{checkbox, field_errors, redirect_with, refused, render_status};
use crate::web::session::{Console, Flash, Layout};

#[derive(Template)]
#[template(path = "campaigns/list.html")]
struct ListPage {
    layout: Layout,
    campaigns: Vec<Campaign>,
    form: campaigns::NewCampaign,
    errors: FieldErrors,
}

async fn list_page(
    svc: &Services,
    console: Console,
    status: StatusCode,
    form: campaigns::NewCampaign,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let campaigns = campaigns::list(svc, &actor).await?;
    let (_, layout) = console.layout("Campaigns", "campaigns");
    render_status(status, &ListPage { layout, campaigns, form, errors })
}

pub async fn list(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    list_page(&svc, console, StatusCode::OK, campaigns::NewCampaign::default(), FieldErrors::new()).await
}

pub async fn create(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<campaigns::NewCampaign>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    match campaigns::create_campaign(&svc, actor, form.clone()).await {
        Ok(c) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{}", c.id),
            Flash::success(format!("Campaign “{}” created.", c.name)),
        )),
        Err(e) => list_page(&svc, console, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?).await,
    }
}

#[derive(Template)]
#[template(path = "campaigns/show.html")]
struct ShowPage {
    layout: Layout,
    header: Header,
    name: String,
    description: String,
    errors: FieldErrors,
    sources: usize,
    fields: usize,
    leads: i64,
    /// Every type Keyward recognises, and whether the campaign accepts it.
    file_types: Vec<(FileType, bool)>,
}

async fn show_page(
    svc: &Services,
    console: Console,
    id: i64,
    status: StatusCode,
    edit: Option<(String, String, FieldErrors)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (snap, leads) = campaigns::overview(svc, &actor, id).await?;
    let (_, layout) = console.layout(snap.campaign.name.clone(), "campaigns");
    let (name, description, errors) =
        edit.unwrap_or_else(|| (snap.campaign.name.clone(), snap.campaign.description.clone(), FieldErrors::new()));
    render_status(
        status,
        &ShowPage {
            layout,
            header: Header::of(&snap.campaign, "overview"),
            name,
            description,
            errors,
            sources: snap.sources.len(),
            fields: snap.fields.len(),
            leads,
            file_types: FileType::ALL.iter().map(|t| (*t, snap.campaign.accepts(t.as_str()))).collect(),
        },
    )
}

pub async fn show(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    show_page(&svc, console, id.into_inner(), StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn update(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<DetailsForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    match campaigns::update_campaign(&svc, actor, id, &form.name, &form.description).await {
        Ok(_) => Ok(redirect_with(&svc, &format!("/campaigns/{id}"), Flash::success("Campaign saved."))),
        Err(e) => {
            let errors = field_errors(e)?;
            let edit = Some((form.name, form.description, errors));
            show_page(&svc, console, id, StatusCode::UNPROCESSABLE_ENTITY, edit).await
        }
    }
}

/// The "Lead files" card: which content types partners may attach.
pub async fn set_file_types(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let types: Vec<String> = form.into_iter().filter(|(k, _)| k == "file_types").map(|(_, v)| v).collect();
    match campaigns::set_file_types(&svc, actor, id, &types).await {
        Ok(_) => Ok(redirect_with(&svc, &format!("/campaigns/{id}"), Flash::success("Lead file types saved."))),
        Err(e) => refused(&svc, e, &format!("/campaigns/{id}")),
    }
}

#[derive(Deserialize)]
pub struct ArchiveForm {
    value: Option<String>,
    confirmed: Option<String>,
}

pub async fn archive(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<ArchiveForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let archive = checkbox(&form.value);
    if archive && !confirmed(&form.confirmed) {
        let c = campaigns::resolve(&svc, &actor, &id.to_string()).await?;
        let (_, layout) = console.layout("Archive a campaign", "campaigns");
        return ConfirmPage {
            layout,
            heading: format!("Archive “{}”", c.name),
            message: "Lead submissions to it are refused from now on, with a clear error; its leads, sources and tokens stay, and you can restore it."
                .into(),
            warning: None,
            action: format!("/campaigns/{id}/archive"),
            button: "Archive".into(),
            cancel: format!("/campaigns/{id}"),
            reason: false,
            grace: None,
            hidden: vec![("value".into(), "on".into()), ("confirmed".into(), "yes".into())],
        }
        .render();
    }
    let c = campaigns::set_archived(&svc, actor, id, archive).await?;
    let message = if c.archived_at.is_some() {
        format!("“{}” is archived: lead submissions to it are refused; its data stays.", c.name)
    } else {
        format!("“{}” is active again.", c.name)
    };
    Ok(redirect_with(&svc, &format!("/campaigns/{id}"), Flash::success(message)))
}
