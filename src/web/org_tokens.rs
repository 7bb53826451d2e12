//! `/settings/tokens`: Settings > Token Management (super admins). The
//! Global Token Authentication card, and below it every token of the
//! organisation (metadata only), filterable by kind, campaign and status,
//! newest first with keyset pagination.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::levels::{LevelCard, Place, Reveal};
use super::{Console, Layout, render, urlencode};
use crate::domain::Permission;
use crate::error::AppError;
use crate::models::{Campaign, TokenRow, TokenSearch, TokenStatus};
use crate::services::levels::{self, Level};
use crate::state::AppState;
use crate::tokens::TokenKind;

pub const PAGE: i64 = 50;

/// A token in a list: metadata only, never a secret.
pub struct ListedToken {
    pub id: i64,
    pub key: String,
    pub kind: &'static str,
    pub name: String,
    pub owner: String,
    pub scope: String,
    pub created: String,
    pub last_used: Option<String>,
    pub expires: Option<String>,
    pub status: TokenStatus,
    pub reason: Option<String>,
}

impl ListedToken {
    pub fn of(row: &TokenRow, now: time::OffsetDateTime) -> Self {
        let t = &row.token;
        let scope = match (&row.campaign_slug, &row.source_slug) {
            (Some(c), Some(s)) => format!("{c} / {s}"),
            (Some(c), None) => c.clone(),
            _ if t.kind == TokenKind::Global => "organisation".to_owned(),
            _ => String::new(),
        };
        Self {
            id: t.id,
            key: t.display_key(),
            kind: t.kind.label(),
            name: t.name.clone(),
            owner: row.owner_email.clone().unwrap_or_default(),
            scope,
            created: crate::clock::display(t.created_at),
            last_used: t.last_used_at.map(crate::clock::display),
            expires: t.expires_at.map(crate::clock::display_date),
            status: t.status(now),
            reason: t.revoked_reason.clone().or_else(|| t.deactivated_reason.clone()),
        }
    }
}

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

pub async fn page(state: &AppState, console: Console, reveal: Option<Reveal>) -> Result<HttpResponse, AppError> {
    let query = ListQuery::default();
    page_with(state, console, reveal, query).await
}

async fn page_with(
    state: &AppState,
    console: Console,
    reveal: Option<Reveal>,
    query: ListQuery,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageOrgTokens)?;
    let (_, layout) = console.layout("Token Management", "settings");
    let now = state.now();
    // One trip to the blocking pool for the whole page.
    let search = query.search();
    let (level, mut rows, campaigns) = state
        .db(move |conn| {
            let level = levels::load(conn, Level::Global, false)?;
            Ok((level, crate::models::Token::search(conn, &search, now)?, Campaign::list(conn)?))
        })
        .await?;
    let mut card = LevelCard::new(
        &level,
        "global",
        "Global Token Authentication",
        "One token for the whole organisation: when on, every lead submission must carry it, whatever campaign or source it targets (unless a campaign or source token is on there). Convenient, but less isolated: consider campaign or source tokens for separate partners.",
        Place::Global.path() + "/global",
        now,
    );
    let mut banner = None;
    if let Some(r) = reveal {
        card = card.reveal(&r.secret);
        banner = r.message;
    }
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let filter_query = query.filter_query();
    let older = more.then(|| {
        let last = rows.last().map_or(0, |r| r.token.id);
        if filter_query.is_empty() { format!("?before={last}") } else { format!("?{filter_query}&before={last}") }
    });
    render(&TokensPage {
        layout,
        cards: vec![card],
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
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    page_with(&state, console, None, query.into_inner()).await
}
