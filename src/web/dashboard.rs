//! `/`: the dashboard: token counts by kind, tokens expiring within 14
//! days, recent audit events. Roles that oversee tokens see the whole
//! organisation; members see their own.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::page::render;
use super::session::{Console, Layout};
use crate::error::AppError;
use crate::services::Services;
use crate::services::audit::AuditEvent;
use crate::services::dashboard;

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

pub async fn show(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    let d = dashboard::dashboard(&svc, &console.user.actor()).await?;
    let (_, layout) = console.layout("Dashboard", "dashboard");
    let now = svc.now();
    let counts = d.counts.iter().map(|(k, n)| Count { label: k.label(), n: *n }).collect();
    let expiring = d
        .expiring
        .iter()
        .map(|t| Expiring {
            key: t.display_key(),
            kind: t.kind.label(),
            name: t.name.clone(),
            expires: t.expires_at.map(crate::clock::display).unwrap_or_default(),
            days_left: t.days_left(now).unwrap_or(0),
        })
        .collect();
    render(&DashboardPage {
        layout,
        whole_org: d.whole_org,
        users: d.users,
        counts,
        expiring,
        show_audit: d.events.is_some(),
        events: d.events.unwrap_or_default(),
    })
}
