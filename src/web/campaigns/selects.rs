//! `/campaigns/{id}/selects`: select lists and their options (what a
//! campaign filter's conditions choose from).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::header::{Header, confirm_delete, require};
use crate::error::{AppError, FieldErrors};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::{Services, campaigns, campaigns::structure};
use crate::web::page::{field_errors, redirect_with, refused, render_status};
use crate::web::session::{Console, Flash, Layout};

#[derive(Template)]
#[template(path = "campaigns/selects.html")]
struct SelectsPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    form: SelectForm,
    errors: FieldErrors,
    /// The select whose add-option form failed, with what was typed.
    option_form: Option<(i64, OptionForm)>,
}

#[derive(Deserialize, Default, Clone)]
pub struct SelectForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    label: String,
    /// One option per line: `SLUG` or `SLUG | Label`.
    #[serde(default)]
    options: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct OptionForm {
    #[serde(default)]
    option_slug: String,
    #[serde(default)]
    option_label: String,
}

impl SelectsPage {
    fn option_value(&self, select_id: &i64, slug: bool) -> &str {
        match &self.option_form {
            Some((id, f)) if id == select_id => {
                if slug {
                    &f.option_slug
                } else {
                    &f.option_label
                }
            }
            _ => "",
        }
    }

    fn option_error(&self, select_id: &i64) -> Option<String> {
        match &self.option_form {
            Some((id, _)) if id == select_id => {
                Some(self.errors.values().cloned().collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty())
            }
            _ => None,
        }
    }
}

async fn selects_page(
    svc: &Services,
    console: Console,
    id: i64,
    status: StatusCode,
    form: SelectForm,
    errors: FieldErrors,
    option_form: Option<(i64, OptionForm)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let (_, layout) = console.layout(format!("{} · Selects", snap.campaign.name), "campaigns");
    render_status(
        status,
        &SelectsPage { layout, header: Header::of(&snap.campaign, "selects"), snap, form, errors, option_form },
    )
}

pub async fn selects(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    selects_page(&svc, console, id.into_inner(), StatusCode::OK, SelectForm::default(), FieldErrors::new(), None).await
}

fn parse_options(text: &str) -> Vec<structure::NewOption> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| match line.split_once('|') {
            Some((slug, label)) => {
                structure::NewOption { slug: slug.trim().to_owned(), label: label.trim().to_owned() }
            }
            None => structure::NewOption { slug: line.to_owned(), label: line.to_owned() },
        })
        .collect()
}

pub async fn create_select(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<SelectForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let input = structure::NewSelect {
        slug: form.slug.clone(),
        label: form.label.clone(),
        options: parse_options(&form.options),
    };
    match structure::create_select(&svc, actor, id, input).await {
        Ok(s) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{id}/selects"),
            Flash::success(format!("Select `{}` added.", s.slug)),
        )),
        Err(e) => selects_page(&svc, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?, None).await,
    }
}

pub async fn add_option(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<OptionForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sel) = path.into_inner();
    let input = structure::NewOption { slug: form.option_slug.clone(), label: form.option_label.clone() };
    match structure::add_option(&svc, actor, id, sel, input).await {
        Ok(o) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{id}/selects#select-{sel}"),
            Flash::success(format!("Option `{}` added.", o.slug)),
        )),
        Err(e) => {
            let errors = field_errors(e)?;
            selects_page(
                &svc,
                console,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                SelectForm::default(),
                errors,
                Some((sel, form)),
            )
            .await
        }
    }
}

pub async fn confirm_delete_option(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sel, oid) = path.into_inner();
    let snap = campaigns::structure(&svc, &actor, id).await?;
    let select = snap.selects.iter().find(|s| s.select.id == sel).ok_or(AppError::NotFound)?;
    let option = select.options.iter().find(|o| o.id == oid).ok_or(AppError::NotFound)?;
    confirm_delete(
        console,
        format!("Delete the option `{}` of `{}`", option.slug, select.select.slug),
        "Lead submissions will no longer accept it.".into(),
        format!("/campaigns/{id}/selects/{sel}/options/{oid}/delete"),
        format!("/campaigns/{id}/selects"),
    )
}

pub async fn delete_option(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sel, oid) = path.into_inner();
    match structure::delete_option(&svc, actor, id, sel, oid).await {
        Ok(()) => Ok(redirect_with(&svc, &format!("/campaigns/{id}/selects"), Flash::success("Option deleted."))),
        Err(e) => refused(&svc, e, &format!("/campaigns/{id}/selects")),
    }
}

pub async fn confirm_delete_select(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sel) = path.into_inner();
    let snap = campaigns::structure(&svc, &actor, id).await?;
    let select = snap.selects.iter().find(|s| s.select.id == sel).ok_or(AppError::NotFound)?;
    confirm_delete(
        console,
        format!("Delete the select `{}`", select.select.slug),
        "The select and its options are deleted; lead submissions will no longer accept it.".into(),
        format!("/campaigns/{id}/selects/{sel}/delete"),
        format!("/campaigns/{id}/selects"),
    )
}

pub async fn delete_select(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sel) = path.into_inner();
    match structure::delete_select(&svc, actor, id, sel).await {
        Ok(()) => Ok(redirect_with(&svc, &format!("/campaigns/{id}/selects"), Flash::success("Select deleted."))),
        Err(e) => refused(&svc, e, &format!("/campaigns/{id}/selects")),
    }
}
