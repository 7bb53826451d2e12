//! `/campaigns/{id}/relations`: the campaign's relations to leads of a
//! target campaign, with their options (one or many, required, what a
//! delete does).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::header::{Header, confirm_delete, require};
use crate::domain::OnDelete;
use crate::error::{AppError, FieldErrors};
use crate::services::campaigns::catalog::{Campaign, CampaignSnapshot};
use crate::services::{Services, campaigns, campaigns::relations};
use crate::web::page::{checkbox, field_errors, redirect_with, refused, render_status};
use crate::web::session::{Console, Flash, Layout};

#[derive(Template)]
#[template(path = "campaigns/relations.html")]
struct RelationsPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    campaigns: Vec<Campaign>,
    choices: &'static [OnDelete],
    form: RelationForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
pub struct RelationForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    target_campaign: String,
    many: Option<String>,
    required: Option<String>,
    #[serde(default)]
    on_delete: String,
}

async fn page(
    svc: &Services,
    console: Console,
    id: i64,
    status: StatusCode,
    form: RelationForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let campaigns = campaigns::list(svc, &actor).await?;
    let (_, layout) = console.layout(format!("{} · Relations", snap.campaign.name), "campaigns");
    let header = Header::of(&snap.campaign, "relations");
    render_status(status, &RelationsPage { layout, header, snap, campaigns, choices: OnDelete::ALL, form, errors })
}

pub async fn list(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    page(&svc, console, id.into_inner(), StatusCode::OK, RelationForm::default(), FieldErrors::new()).await
}

pub async fn create(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<RelationForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let input = relations::NewRelation {
        slug: form.slug.clone(),
        label: form.label.clone(),
        target_campaign: form.target_campaign.clone(),
        many: checkbox(&form.many),
        required: checkbox(&form.required),
        on_delete: Some(form.on_delete.clone()),
    };
    match relations::create(&svc, actor, id, input).await {
        Ok(r) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{id}/relations"),
            Flash::success(format!("Relation `{}` to {} added.", r.relation.slug, r.target_name)),
        )),
        Err(e) => page(&svc, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?).await,
    }
}

pub async fn confirm_delete_relation(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, rid) = path.into_inner();
    let snap = campaigns::structure(&svc, &actor, id).await?;
    let r = snap.relations.iter().find(|r| r.relation.id == rid).ok_or(AppError::NotFound)?;
    confirm_delete(
        console,
        format!("Delete the relation `{}`", r.relation.slug),
        "Every link made through it goes too; the leads stay.".into(),
        format!("/campaigns/{id}/relations/{rid}/delete"),
        format!("/campaigns/{id}/relations"),
    )
}

pub async fn delete(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, rid) = path.into_inner();
    match relations::delete(&svc, actor, id, rid).await {
        Ok(()) => Ok(redirect_with(&svc, &format!("/campaigns/{id}/relations"), Flash::success("Relation deleted."))),
        Err(e) => refused(&svc, e, &format!("/campaigns/{id}/relations")),
    }
}
