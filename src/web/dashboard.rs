//! `/`: the dashboard: token counts by kind, tokens expiring within 14
//! days, recent audit events. Roles that oversee tokens see the whole
//! organisation; members see their own.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::page::render;
use super::session::{Console, Layout};
use super::usage_chart::{self, Bar};
use crate::domain::{Permission, TokenKind};
use crate::error::AppError;
use crate::services::Services;
use crate::services::audit::AuditEvent;
use crate::services::credentials::dashboard;

pub struct Count {
    pub label: &'static str,
    pub n: i64,
    /// The list of these tokens the viewer may open.
    pub href: String,
}

/// Where the viewer lists tokens of `kind`, if anywhere: the kinds they
/// can neither hold nor oversee get no tile.
fn list_of(user: &crate::web::session::CurrentUser, kind: TokenKind) -> Option<String> {
    match kind {
        TokenKind::Personal => Some("/profile/tokens".into()),
        TokenKind::Profile => Some("/profile".into()),
        _ if user.can(Permission::SupportTokens) => Some(format!("/support/tokens?kind={kind}")),
        _ if user.can(Permission::ManageCampaigns)
            && !matches!(
                kind,
                TokenKind::Global | TokenKind::AccountPublic | TokenKind::AccountPrivate | TokenKind::Reporter
            ) =>
        {
            Some("/campaigns".into())
        }
        _ => None,
    }
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
    /// The organisation's uses per day (SVG), most used and unused tokens.
    chart: Option<String>,
    most_used: Vec<(String, &'static str, String, i64)>,
    unused: Vec<(String, &'static str, String, String)>,
}

pub async fn show(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    let d = dashboard::dashboard(&svc, &console.user.actor()).await?;
    let (user, layout) = console.layout("Dashboard", "dashboard");
    let now = svc.now();
    let counts = d
        .counts
        .iter()
        .filter_map(|(k, n)| list_of(&user, *k).map(|href| Count { label: k.label(), n: *n, href }))
        .collect();
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
    let chart = d.usage.as_ref().map(|u| {
        let bars: Vec<Bar> = u.days.iter().map(|d| Bar { date: d.date, uses: d.uses, refused: 0 }).collect();
        usage_chart::svg(&bars, "Uses per day across the organisation")
    });
    let most_used = d
        .usage
        .as_ref()
        .map(|u| u.most_used.iter().map(|(t, n)| (t.display_key(), t.kind.label(), t.name.clone(), *n)).collect())
        .unwrap_or_default();
    let unused = d
        .usage
        .as_ref()
        .map(|u| {
            u.unused
                .iter()
                .map(|t| {
                    let last = t.last_used_at.map_or_else(|| "never".to_owned(), crate::clock::display);
                    (t.display_key(), t.kind.label(), t.name.clone(), last)
                })
                .collect()
        })
        .unwrap_or_default();
    render(&DashboardPage {
        chart,
        most_used,
        unused,
        layout,
        whole_org: d.whole_org,
        users: d.users,
        counts,
        expiring,
        show_audit: d.events.is_some(),
        events: d.events.unwrap_or_default(),
    })
}
