//! `/campaigns/{id}/fields`: a campaign's fields (text, email, phone,
//! number, date; required or not): add, edit the label and Required,
//! delete behind a confirmation.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::header::{Header, confirm_delete, require};
use crate::domain::{FieldType, Permission};
use crate::error::{AppError, FieldErrors};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::{Services, campaigns, campaigns::public_data, campaigns::structure};
use crate::web::page::{SwitchForm, checkbox, field_errors, redirect_with, refused, render_status};
use crate::web::session::{Console, Flash, Layout};

#[derive(Template)]
#[template(path = "campaigns/fields.html")]
struct FieldsPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    types: &'static [FieldType],
    form: FieldForm,
    errors: FieldErrors,
    /// Super admins choose which fields the public token may list.
    can_publish: bool,
}

#[derive(Deserialize, Default, Clone)]
pub struct FieldForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    label: String,
    #[serde(default, rename = "type")]
    field_type: String,
    required: Option<String>,
}

async fn fields_page(
    svc: &Services,
    console: Console,
    id: i64,
    status: StatusCode,
    form: FieldForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let can_publish = actor.allows(Permission::ManageOrgTokens);
    let (_, layout) = console.layout(format!("{} · Fields", snap.campaign.name), "campaigns");
    let header = Header::of(&snap.campaign, "fields");
    render_status(status, &FieldsPage { layout, header, snap, types: FieldType::ALL, form, errors, can_publish })
}

/// The Public switch of a field (super admins): whether the public data
/// services list its values.
pub async fn set_public(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, fid) = path.into_inner();
    let back = format!("/campaigns/{id}/fields");
    match public_data::set_field_public(&svc, actor, id, fid, form.on()).await {
        Ok(f) if f.public => Ok(redirect_with(
            &svc,
            &back,
            Flash::success(format!("`{}` is public: the public token lists its values.", f.slug)),
        )),
        Ok(f) => Ok(redirect_with(&svc, &back, Flash::success(format!("`{}` is no longer public.", f.slug)))),
        Err(e) => refused(&svc, e, &back),
    }
}

pub async fn fields(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let form = FieldForm { field_type: "text".into(), ..Default::default() };
    fields_page(&svc, console, id.into_inner(), StatusCode::OK, form, FieldErrors::new()).await
}

pub async fn create_field(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<FieldForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let input = structure::NewField {
        slug: form.slug.clone(),
        label: form.label.clone(),
        field_type: form.field_type.clone(),
        required: checkbox(&form.required),
    };
    match structure::create_field(&svc, actor, id, input).await {
        Ok(f) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{id}/fields"),
            Flash::success(format!("Field `{}` added.", f.slug)),
        )),
        Err(e) => fields_page(&svc, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?).await,
    }
}

#[derive(Deserialize)]
pub struct FieldUpdateForm {
    #[serde(default)]
    label: String,
    required: Option<String>,
}

pub async fn update_field(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<FieldUpdateForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, fid) = path.into_inner();
    match structure::update_field(&svc, actor, id, fid, &form.label, checkbox(&form.required)).await {
        Ok(()) => Ok(redirect_with(&svc, &format!("/campaigns/{id}/fields"), Flash::success("Field saved."))),
        Err(e) => refused(&svc, e, &format!("/campaigns/{id}/fields")),
    }
}

pub async fn confirm_delete_field(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, fid) = path.into_inner();
    let snap = campaigns::structure(&svc, &actor, id).await?;
    let field = snap.fields.iter().find(|f| f.id == fid).ok_or(AppError::NotFound)?;
    confirm_delete(
        console,
        format!("Delete the field `{}`", field.slug),
        "Lead submissions will no longer accept it. Leads that have a value keep it.".into(),
        format!("/campaigns/{id}/fields/{fid}/delete"),
        format!("/campaigns/{id}/fields"),
    )
}

pub async fn delete_field(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, fid) = path.into_inner();
    structure::delete_field(&svc, actor, id, fid).await?;
    Ok(redirect_with(&svc, &format!("/campaigns/{id}/fields"), Flash::success("Field deleted.")))
}
