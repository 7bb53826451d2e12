//! `/settings/tokens`: Settings › Token Management (super admins). The
//! Global Token Authentication card, and below it every token of the
//! organisation (metadata only), filterable by kind, campaign and status,
//! newest first with keyset pagination.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::grace::GraceForm;
use super::level_card::{self, LevelCard, Reveal, Shown};
use super::page::{SwitchForm, render};
use super::session::{Console, Layout};
use super::token_list::{ListedToken, PAGE, paginate};
use crate::domain::{Level, TokenKind, TokenStatus};
use crate::error::AppError;
use crate::http::urlencode;
use crate::services::campaigns::catalog::Campaign;
use crate::services::{Services, TokenSearch, credentials::levels};

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    pub kind: Option<String>,
    pub campaign: Option<String>,
    pub status: Option<String>,
    pub before: Option<i64>,
}

impl ListQuery {
    fn search(&self) -> TokenSearch {
        TokenSearch {
            kind: self.kind.as_deref().and_then(|k| k.parse().ok()),
            campaign_id: self.campaign.as_deref().and_then(|c| c.parse().ok()),
            status: self.status.as_deref().and_then(TokenStatus::parse),
            before: self.before,
            limit: PAGE + 1,
            ..TokenSearch::default()
        }
    }

    /// The filters as a query string, without the cursor.
    fn filter_query(&self) -> String {
        [("kind", &self.kind), ("campaign", &self.campaign), ("status", &self.status)]
            .iter()
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| format!("{k}={}", urlencode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[derive(Template)]
#[template(path = "settings/tokens.html")]
struct TokensPage {
    layout: Layout,
    cards: Vec<LevelCard>,
    banner: Option<String>,
    rows: Vec<ListedToken>,
    kinds: &'static [TokenKind],
    statuses: [TokenStatus; 4],
    campaigns: Vec<Campaign>,
    query: ListQuery,
    filter_query: String,
    older: Option<String>,
    paged: bool,
}

async fn page(
    svc: &Services,
    console: Console,
    reveal: Option<Reveal>,
    query: ListQuery,
) -> Result<HttpResponse, AppError> {
    let actor = console.user.actor();
    let (level, mut rows, campaigns) = levels::token_management(svc, &actor, query.search()).await?;
    let (_, layout) = console.layout("Token Management", "settings");
    let now = svc.now();
    let mut cards = vec![LevelCard::of(&level, now)];
    let banner = level_card::apply_reveal(&mut cards, reveal);
    let filter_query = query.filter_query();
    let older = paginate(&mut rows, &filter_query);
    render(&TokensPage {
        layout,
        cards,
        banner,
        rows: rows.iter().map(|r| ListedToken::of(r, now)).collect(),
        kinds: TokenKind::ALL,
        statuses: TokenStatus::ALL,
        campaigns,
        paged: query.before.is_some(),
        query,
        filter_query,
        older,
    })
}

pub async fn show(
    svc: web::Data<Services>,
    console: Console,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let reveal = level_card::taken(&svc, &console, Level::Global).await?;
    page(&svc, console, reveal, query.into_inner()).await
}

pub async fn set_enabled(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    level_card::toggle(&svc, &console, Level::Global, form.on()).await
}

pub async fn reveal(req: HttpRequest, svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    match level_card::show(&req, &svc, &console, Level::Global).await? {
        Shown::Json(res) => Ok(res),
        Shown::Page(reveal) => page(&svc, console, Some(reveal), ListQuery::default()).await,
    }
}

pub async fn regenerate(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<GraceForm>,
) -> Result<HttpResponse, AppError> {
    level_card::regenerate(&svc, &console, Level::Global, &form).await
}

pub async fn confirm_regenerate(console: Console) -> Result<HttpResponse, AppError> {
    level_card::confirm_regenerate(console, Level::Global, "global token")
}
