//! `/`: the dashboard.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::{Console, Layout, render};
use crate::domain::Permission;
use crate::error::AppError;
use crate::models::{AuditEvent, User};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    users: i64,
    events: Vec<AuditEvent>,
    show_audit: bool,
}

pub async fn show(state: web::Data<AppState>, console: Console) -> Result<HttpResponse, AppError> {
    let (user, layout) = console.layout("Dashboard", "dashboard");
    let show_audit = user.can(Permission::ViewAudit);
    let (users, events) = state
        .db(move |conn| {
            let users = User::count(conn)?;
            let events = if show_audit {
                AuditEvent::recent(conn, 10)?
            } else {
                Vec::new()
            };
            Ok((users, events))
        })
        .await?;
    render(&DashboardPage {
        layout,
        users,
        events,
        show_audit,
    })
}
