//! `GET /api/v1/outbox`: the mail queue's state (no bodies), for the
//! people who may read it.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::api::auth::Bearer;
use crate::api::view::{At, at, ok};
use crate::domain::MailId;
use crate::error::ApiError;
use crate::services::Services;
use crate::services::delivery::outbox;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MailView {
    pub id: MailId,
    pub to: String,
    pub subject: String,
    pub template: String,
    /// queued, retrying or sent.
    pub state: &'static str,
    pub attempts: i32,
    pub queued_at: At,
    pub sent_at: Option<At>,
    pub last_error: Option<String>,
}

/// The list envelope, with where the mail goes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxView {
    /// Mail goes to an SMTP relay (and no files are written).
    pub smtp: bool,
    pub items: Vec<MailView>,
    pub next_cursor: Option<String>,
}

pub async fn show(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let o = outbox::outbox(&svc, &bearer.acting()?).await?;
    let items = o
        .queue
        .iter()
        .map(|m| MailView {
            id: MailId(m.id),
            to: m.recipient.clone(),
            subject: m.subject.clone(),
            template: m.template.clone(),
            state: if m.sent_at.is_some() {
                "sent"
            } else if m.attempts > 0 {
                "retrying"
            } else {
                "queued"
            },
            attempts: m.attempts,
            queued_at: At(m.created_at),
            sent_at: at(m.sent_at),
            last_error: m.last_error.clone(),
        })
        .collect();
    Ok(ok(&OutboxView { smtp: o.smtp, items, next_cursor: None }))
}
