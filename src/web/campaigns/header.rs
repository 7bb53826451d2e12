//! What every campaign screen shares: the campaign's name and tabs above
//! the page, the permission every one of them needs, and the delete
//! confirmation.

use actix_web::HttpResponse;

use crate::domain::{Actor, Permission};
use crate::error::AppError;
use crate::services::campaigns::catalog::Campaign;
use crate::web::confirm::ConfirmPage;
use crate::web::session::Console;

/// The campaign's name and tabs, above every campaign page.
pub struct Header {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub public_id: String,
    pub archived: bool,
    pub tab: &'static str,
}

impl Header {
    pub fn of(c: &Campaign, tab: &'static str) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            slug: c.slug.clone(),
            public_id: c.public_id.clone(),
            archived: c.archived_at.is_some(),
            tab,
        }
    }
}

/// Campaign screens are for roles that manage campaigns (a 403 page for
/// the others); the actor to act as.
pub fn require(console: &Console) -> Result<Actor, AppError> {
    console.user.require(Permission::ManageCampaigns)?;
    Ok(console.user.actor())
}

/// The confirmation page of a delete, without JavaScript.
pub fn confirm_delete(
    console: Console,
    heading: String,
    message: String,
    action: String,
    cancel: String,
) -> Result<HttpResponse, AppError> {
    let (_, layout) = console.layout(heading.clone(), "campaigns");
    ConfirmPage {
        layout,
        heading,
        message,
        warning: Some("This cannot be undone.".into()),
        action,
        button: "Delete".into(),
        cancel,
        reason: false,
        grace: None,
        hidden: Vec::new(),
    }
    .render()
}
