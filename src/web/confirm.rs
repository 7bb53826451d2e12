//! The confirmation step of destructive actions (regenerate, revoke, reset,
//! delete) as a page of its own: what JavaScript shows as a dialog, a
//! browser without it gets here.

use actix_web::HttpResponse;
use askama::Template;

use super::page::render;
use super::session::Layout;
use crate::error::AppError;

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    pub warning: Option<String>,
    /// Where the confirming form posts.
    pub action: String,
    pub button: String,
    pub cancel: String,
    /// Ask for a reason (support revocations).
    pub reason: bool,
    /// Offer a grace period (Regenerate): the id its inputs derive from.
    pub grace: Option<String>,
    /// Fields the confirming form carries on (what was asked for, and
    /// `confirmed=yes`).
    pub hidden: Vec<(String, String)>,
}

/// Whether a form came through its confirmation (the dialog or the page).
pub fn confirmed(value: &Option<String>) -> bool {
    value.as_deref() == Some("yes")
}

impl ConfirmPage {
    pub fn render(self) -> Result<HttpResponse, AppError> {
        render(&self)
    }
}
