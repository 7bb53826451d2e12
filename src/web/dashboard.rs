//! `/`: the dashboard: token counts by kind, tokens expiring within 14
//! days, recent audit events. Roles that oversee tokens see the whole
//! organisation; members see their own.

use actix_web::{HttpResponse, web};
use askama::Template;
use time::Duration;

use super::{Console, Layout, render};
use crate::domain::{Permission, Role};
use crate::error::AppError;
use crate::models::{AuditEvent, Token, User};
use crate::state::AppState;
use crate::tokens::TokenKind;

pub struct Count {
    pub label: &'static str,
    pub n: i64,
}

pub struct Expiring {
    pub key: String,
    pub kind: &'static str,
    pub name: String,
    pub expires: String,
    pub days_left: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    whole_org: bool,
    users: i64,
    counts: Vec<Count>,
    expiring: Vec<Expiring>,
    events: Vec<AuditEvent>,
    show_audit: bool,
}

pub async fn show(state: web::Data<AppState>, console: Console) -> Result<HttpResponse, AppError> {
    let (user, layout) = console.layout("Dashboard", "dashboard");
    let show_audit = user.can(Permission::ViewAudit);
    let whole_org = user.role() != Role::Member;
    let scope = (!whole_org).then_some(user.user.id);
    let now = state.now();
    let (users, counts, expiring, events) = state
        .db(move |conn| {
            let users = User::count(conn)?;
            let counts = Token::live_counts(conn, scope)?;
            let expiring = Token::expiring(conn, now, now + Duration::days(14), scope, 20)?;
            let events = if show_audit { AuditEvent::recent(conn, 10)? } else { Vec::new() };
            Ok((users, counts, expiring, events))
        })
        .await?;
    let counts = TokenKind::ALL
        .iter()
        .map(|k| Count { label: k.label(), n: counts.iter().find(|(c, _)| c == k).map_or(0, |(_, n)| *n) })
        .collect();
    let expiring = expiring
        .iter()
        .map(|t| Expiring {
            key: t.display_key(),
            kind: t.kind.label(),
            name: t.name.clone(),
            expires: t.expires_at.map(crate::clock::display).unwrap_or_default(),
            days_left: t.days_left(now).unwrap_or(0),
        })
        .collect();
    render(&DashboardPage { layout, whole_org, users, counts, expiring, events, show_audit })
}
