//! `/campaigns/{id}/settings/tokens`: the campaign's Token Management, the
//! campaign level of lead authentication: enable, Show, Copy, Regenerate.

use actix_web::{HttpRequest, HttpResponse, web};

use super::header::{Header, require};
use super::levels_page::LevelsPage;
use crate::domain::Level;
use crate::error::AppError;
use crate::services::{Services, campaigns::catalog, credentials::levels};
use crate::web::grace::GraceForm;
use crate::web::level_card::{self, LevelCard, Reveal, Shown};
use crate::web::page::{SwitchForm, render};
use crate::web::session::Console;

async fn page(svc: &Services, console: Console, id: i64, reveal: Option<Reveal>) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let level = levels::state(svc, &actor, Level::Campaign(id)).await?;
    let campaign = catalog::load(svc, id).await?.campaign;
    let mut cards = vec![LevelCard::of(&level, svc.now())];
    let banner = level_card::apply_reveal(&mut cards, reveal);
    let (_, layout) = console.layout(format!("{} · Token Management", campaign.name), "campaigns");
    render(&LevelsPage {
        layout,
        header: Header::of(&campaign, "tokens"),
        heading: "Settings › Token Management".into(),
        intro: "The campaign level of lead authentication: checked when the source has no token on for the method."
            .into(),
        cards,
        banner,
        source: None,
    })
}

pub async fn show(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let reveal = level_card::taken(&svc, &console, Level::Campaign(id)).await?;
    page(&svc, console, id, reveal).await
}

pub async fn set_enabled(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    level_card::toggle(&svc, &console, Level::Campaign(id.into_inner()), form.on()).await
}

pub async fn reveal(
    req: HttpRequest,
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match level_card::show(&req, &svc, &console, Level::Campaign(id)).await? {
        Shown::Json(res) => Ok(res),
        Shown::Page(reveal) => page(&svc, console, id, Some(reveal)).await,
    }
}

pub async fn regenerate(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<GraceForm>,
) -> Result<HttpResponse, AppError> {
    level_card::regenerate(&svc, &console, Level::Campaign(id.into_inner()), &form).await
}

pub async fn confirm_regenerate(console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    level_card::confirm_regenerate(console, Level::Campaign(id.into_inner()), "campaign token")
}
