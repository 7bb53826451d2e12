//! `/campaigns/{id}/sources`: a campaign's sources (Custom Source, Marketing
//! Partner, Media Channel), and each source's Tokens tab: its details and
//! the Form, Ping and Post token cards (enable, Show, Copy, Regenerate).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::header::{Header, require};
use super::levels_page::{LevelsPage, SourceEdit};
use crate::domain::{IntakeMethod, Level, SourceKind};
use crate::error::{AppError, FieldErrors};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::{Services, campaigns, credentials::levels};
use crate::web::grace::GraceForm;
use crate::web::level_card::{self, LevelCard, Reveal, Shown};
use crate::web::page::{SwitchForm, field_errors, redirect_with, render_status, see_other};
use crate::web::session::{Console, Flash, Layout};

#[derive(Template)]
#[template(path = "campaigns/sources.html")]
struct SourcesPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    kinds: &'static [SourceKind],
    form: campaigns::NewSource,
    errors: FieldErrors,
}

async fn sources_page(
    svc: &Services,
    console: Console,
    id: i64,
    status: StatusCode,
    form: campaigns::NewSource,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let (_, layout) = console.layout(format!("{} · Sources", snap.campaign.name), "campaigns");
    render_status(
        status,
        &SourcesPage {
            layout,
            header: Header::of(&snap.campaign, "sources"),
            snap,
            kinds: SourceKind::ALL,
            form,
            errors,
        },
    )
}

pub async fn list(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let form = campaigns::NewSource { kind: "CS".into(), ..Default::default() };
    sources_page(&svc, console, id.into_inner(), StatusCode::OK, form, FieldErrors::new()).await
}

pub async fn create(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<campaigns::NewSource>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    match campaigns::create_source(&svc, actor, id, form.clone()).await {
        Ok(s) => Ok(redirect_with(
            &svc,
            &format!("/campaigns/{id}/sources/{}/tokens", s.id),
            Flash::success(format!("Source “{}” created. Turn on the tokens it should use.", s.name)),
        )),
        Err(e) => sources_page(&svc, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?).await,
    }
}

/// `/campaigns/{id}/sources/{sid}`: the source's page is its Tokens tab.
pub async fn source(console: Console, path: web::Path<(i64, i64)>) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let (id, sid) = path.into_inner();
    Ok(see_other(&format!("/campaigns/{id}/sources/{sid}/tokens")))
}

/// The Tokens tab: the source's details and its three token cards.
async fn tokens_page(
    svc: &Services,
    console: Console,
    (id, source_id): (i64, i64),
    reveal: Option<Reveal>,
    status: StatusCode,
    edit: Option<(String, String, FieldErrors)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let source = snap.source(source_id).cloned().ok_or(AppError::NotFound)?;
    let states = levels::source_states(svc, &actor, id, source_id).await?;
    let now = svc.now();
    let mut cards: Vec<LevelCard> = states.iter().map(|s| LevelCard::of(s, now)).collect();
    let banner = level_card::apply_reveal(&mut cards, reveal);
    let (name, kind_value, errors) =
        edit.unwrap_or_else(|| (source.name.clone(), source.kind.as_str().to_owned(), FieldErrors::new()));
    let (_, layout) = console.layout(format!("{} · {}", snap.campaign.name, source.name), "campaigns");
    render_status(
        status,
        &LevelsPage {
            layout,
            header: Header::of(&snap.campaign, "sources"),
            heading: format!("{} ({}) › Tokens", source.name, source.kind.label()),
            intro: format!(
                "Source tokens are the most specific level: when one is on for a method, requests to `/api/v1/campaigns/{}/sources/{}/{{method}}` must carry exactly that token.",
                snap.campaign.slug, source.slug
            ),
            cards,
            banner,
            source: Some(SourceEdit {
                id: source.id,
                name,
                slug: source.slug.clone(),
                kind: kind_value.parse().unwrap_or(source.kind),
                kinds: SourceKind::ALL,
                errors,
            }),
        },
    )
}

pub async fn tokens(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, sid) = path.into_inner();
    let any_method = Level::Source { campaign_id: id, source_id: sid, method: IntakeMethod::Form };
    let reveal = level_card::taken(&svc, &console, any_method).await?;
    tokens_page(&svc, console, (id, sid), reveal, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

pub async fn update(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<DetailsForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sid) = path.into_inner();
    match campaigns::update_source(&svc, actor, id, sid, &form.name, &form.kind).await {
        Ok(_) => {
            Ok(redirect_with(&svc, &format!("/campaigns/{id}/sources/{sid}/tokens"), Flash::success("Source saved.")))
        }
        Err(e) => {
            let edit = Some((form.name, form.kind, field_errors(e)?));
            tokens_page(&svc, console, (id, sid), None, StatusCode::UNPROCESSABLE_ENTITY, edit).await
        }
    }
}

/// The level of `/campaigns/{id}/sources/{sid}/tokens/{method}/…`; an
/// unknown method is 404.
fn level(id: i64, sid: i64, method: &str) -> Result<Level, AppError> {
    let method: IntakeMethod = method.parse().map_err(|_| AppError::NotFound)?;
    Ok(Level::Source { campaign_id: id, source_id: sid, method })
}

pub async fn set_enabled(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64, String)>,
    web::Form(form): web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    let (id, sid, method) = path.into_inner();
    level_card::toggle(&svc, &console, level(id, sid, &method)?, form.on()).await
}

pub async fn reveal(
    req: HttpRequest,
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, sid, method) = path.into_inner();
    match level_card::show(&req, &svc, &console, level(id, sid, &method)?).await? {
        Shown::Json(res) => Ok(res),
        Shown::Page(reveal) => tokens_page(&svc, console, (id, sid), Some(reveal), StatusCode::OK, None).await,
    }
}

pub async fn regenerate(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64, String)>,
    web::Form(form): web::Form<GraceForm>,
) -> Result<HttpResponse, AppError> {
    let (id, sid, method) = path.into_inner();
    level_card::regenerate(&svc, &console, level(id, sid, &method)?, &form).await
}

pub async fn confirm_regenerate(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, sid, method) = path.into_inner();
    let level = level(id, sid, &method)?;
    // The source must be the campaign's.
    levels::state(&svc, &console.user.actor(), level).await?;
    level_card::confirm_regenerate(console, level, &format!("{method} token"))
}
