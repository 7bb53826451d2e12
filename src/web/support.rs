//! `/support/tokens`: the support console (support and super admins).
//! Search every token by key prefix, owner, campaign, kind and status;
//! revoke or deactivate any with a reason; revoke everything a user holds;
//! check a pasted token. Metadata only: no Show, no secret, ever.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::page::{redirect_with, refused, render_status};
use super::session::{Console, Flash, Layout};
use super::token_list::{ListedToken, PAGE, paginate};
use crate::domain::{Permission, TokenKind, TokenStatus};
use crate::error::AppError;
use crate::http::urlencode;
use crate::services::campaigns::catalog::{self, Campaign};
use crate::services::credentials::support::{self, Checked};
use crate::services::{Services, TokenInfo, TokenSearch};

#[derive(Deserialize, Default, Clone)]
pub struct SearchQuery {
    key: Option<String>,
    owner: Option<String>,
    campaign: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    before: Option<i64>,
}

impl SearchQuery {
    fn clean(v: &Option<String>) -> Option<String> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect())
    }

    fn search(&self) -> TokenSearch {
        TokenSearch {
            key_prefix: Self::clean(&self.key),
            owner: Self::clean(&self.owner),
            campaign_id: self.campaign.as_deref().and_then(|c| c.parse().ok()),
            kind: self.kind.as_deref().and_then(|k| k.parse().ok()),
            status: self.status.as_deref().and_then(TokenStatus::parse),
            before: self.before,
            limit: PAGE + 1,
            ..TokenSearch::default()
        }
    }

    fn filter_query(&self) -> String {
        [
            ("key", &self.key),
            ("owner", &self.owner),
            ("campaign", &self.campaign),
            ("kind", &self.kind),
            ("status", &self.status),
        ]
        .iter()
        .filter_map(|(k, v)| Self::clean(v).map(|v| format!("{k}={}", urlencode(&v))))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// The answer of "Check a token".
pub enum CheckView {
    Malformed,
    Unknown(String),
    Known(Box<ListedToken>),
}

#[derive(Template)]
#[template(path = "support/tokens.html")]
struct SupportPage {
    layout: Layout,
    rows: Vec<ListedToken>,
    kinds: &'static [TokenKind],
    statuses: [TokenStatus; 4],
    campaigns: Vec<Campaign>,
    query: SearchQuery,
    filter_query: String,
    older: Option<String>,
    paged: bool,
    searched: bool,
    check: Option<CheckView>,
}

async fn page(
    svc: &Services,
    console: Console,
    query: SearchQuery,
    check: Option<CheckView>,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::SupportTokens)?;
    let actor = console.user.actor();
    let (_, layout) = console.layout("Support › Tokens", "support");
    let now = svc.now();
    let mut rows = support::search(svc, &actor, query.search()).await?;
    let campaigns = catalog::campaigns(svc).await?;
    let filter_query = query.filter_query();
    let older = paginate(&mut rows, &filter_query);
    render_status(
        StatusCode::OK,
        &SupportPage {
            layout,
            rows: rows.iter().map(|r| ListedToken::of(r, now)).collect(),
            kinds: TokenKind::ALL,
            statuses: TokenStatus::ALL,
            campaigns,
            paged: query.before.is_some(),
            searched: !filter_query.is_empty(),
            query,
            filter_query,
            older,
            check,
        },
    )
}

pub async fn list(
    svc: web::Data<Services>,
    console: Console,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    page(&svc, console, query.into_inner(), None).await
}

#[derive(Template)]
#[template(path = "support/action.html")]
struct ActionPage {
    layout: Layout,
    heading: String,
    token: ListedToken,
    action: String,
    button: String,
    note: String,
}

async fn confirm(svc: &Services, console: Console, id: i64, what: &str) -> Result<HttpResponse, AppError> {
    let actor = console.user.actor();
    let row = support::find(svc, &actor, id).await?;
    let token = ListedToken::of(&row, svc.now());
    let (heading, note) = match what {
        "revoke" => (
            format!("Revoke {}", token.key),
            "Revoking cannot be undone. The owner (or, for campaign and organisation tokens, the admins) is emailed the reason.",
        ),
        _ => (
            format!("Deactivate {}", token.key),
            "A deactivated token is refused until support reactivates it. The owner (or the admins) is emailed the reason.",
        ),
    };
    let (_, layout) = console.layout(heading.clone(), "support");
    render_status(
        StatusCode::OK,
        &ActionPage {
            layout,
            heading,
            token,
            action: format!("/support/tokens/{id}/{what}"),
            button: if what == "revoke" { "Revoke".into() } else { "Deactivate".into() },
            note: note.into(),
        },
    )
}

pub async fn confirm_revoke(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    confirm(&svc, console, id.into_inner(), "revoke").await
}

pub async fn confirm_deactivate(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    confirm(&svc, console, id.into_inner(), "deactivate").await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

fn back(token: &TokenInfo) -> String {
    format!("/support/tokens?key={}", token.key)
}

pub async fn revoke(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match support::revoke(&svc, console.user.actor(), id, &form.reason).await {
        Ok(t) => Ok(redirect_with(
            &svc,
            &back(&t),
            Flash::success(format!("{} revoked; the owner is being told why.", t.display_key())),
        )),
        Err(e) => refused(&svc, e, &format!("/support/tokens/{id}/revoke")),
    }
}

pub async fn deactivate(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match support::deactivate(&svc, console.user.actor(), id, &form.reason).await {
        Ok(t) => Ok(redirect_with(
            &svc,
            &back(&t),
            Flash::success(format!("{} deactivated; the owner is being told why.", t.display_key())),
        )),
        Err(e) => refused(&svc, e, &format!("/support/tokens/{id}/deactivate")),
    }
}

pub async fn reactivate(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    match support::reactivate(&svc, console.user.actor(), id.into_inner()).await {
        Ok(t) => Ok(redirect_with(&svc, &back(&t), Flash::success(format!("{} is active again.", t.display_key())))),
        Err(e) => refused(&svc, e, "/support/tokens"),
    }
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    token: String,
}

/// "Check a token": which token a pasted string is. Not stored, not logged.
pub async fn check(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<CheckForm>,
) -> Result<HttpResponse, AppError> {
    let actor = console.user.actor();
    let now = svc.now();
    let view = match support::check(&svc, &actor, SecretString::from(form.token)).await? {
        Checked::Malformed => CheckView::Malformed,
        Checked::Unknown { kind, key } => CheckView::Unknown(format!("{}{key}", kind.prefix())),
        Checked::Known(row) => CheckView::Known(Box::new(ListedToken::of(&row, now))),
    };
    page(&svc, console, SearchQuery::default(), Some(view)).await
}

#[derive(Deserialize)]
pub struct UserQuery {
    #[serde(default)]
    email: String,
}

#[derive(Template)]
#[template(path = "support/user_revoke.html")]
struct UserRevokePage {
    layout: Layout,
    email: String,
    keys: Vec<String>,
}

/// Revoke every token of a user: the confirmation lists them.
pub async fn confirm_user_revoke(
    svc: web::Data<Services>,
    console: Console,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = console.user.actor();
    let (user, keys) = match support::user_by_email(&svc, &actor, &query.email).await {
        Ok(found) => found,
        Err(e) => return refused(&svc, e, "/support/tokens"),
    };
    let (_, layout) = console.layout("Revoke every token of a user", "support");
    render_status(StatusCode::OK, &UserRevokePage { layout, email: user.email, keys })
}

#[derive(Deserialize)]
pub struct UserRevokeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    reason: String,
}

pub async fn user_revoke(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<UserRevokeForm>,
) -> Result<HttpResponse, AppError> {
    let actor = console.user.actor();
    let back = format!("/support/users/revoke?email={}", urlencode(&form.email));
    let user = match support::user_by_email(&svc, &actor, &form.email).await {
        Ok((user, _)) => user,
        Err(e) => return refused(&svc, e, "/support/tokens"),
    };
    match support::revoke_all_of_user(&svc, actor, user.id, &form.reason).await {
        Ok(tokens) => Ok(redirect_with(
            &svc,
            &format!("/support/tokens?owner={}", urlencode(&user.email)),
            Flash::success(match tokens.len() {
                1 => format!("1 token of {} was revoked; an email tells them why.", user.email),
                n => format!("{n} tokens of {} were revoked; one email tells them why.", user.email),
            }),
        )),
        Err(e) => refused(&svc, e, &back),
    }
}
