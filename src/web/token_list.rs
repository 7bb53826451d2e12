//! A token as a list shows it (Settings › Token Management, the support
//! console): metadata only, never a secret. A leaf component.

use crate::domain::{TokenKind, TokenStatus};
use crate::services::TokenListing;

/// Rows a list page shows.
pub const PAGE: i64 = 50;

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
    /// Hours left of a grace period, when the token was regenerated and
    /// still works.
    pub retiring: Option<i64>,
    /// A personal token its owner switched off (support may not undo it).
    pub owner_switched_off: bool,
}

impl ListedToken {
    pub fn of(row: &TokenListing, now: time::OffsetDateTime) -> Self {
        let t = &row.token;
        let scope = match (&row.campaign_name, &row.source_name) {
            (Some(c), Some(s)) => format!("{c} › {s}"),
            (Some(c), None) => c.clone(),
            _ if t.kind == TokenKind::Global => "organisation".to_owned(),
            _ => String::new(),
        };
        Self {
            id: t.id,
            key: t.display_key(),
            kind: t.kind.label(),
            name: t.name.clone(),
            // A campaign API token belongs to no user: the admin who made it.
            owner: row
                .owner_email
                .clone()
                .or_else(|| if t.kind == TokenKind::CampaignApi { row.creator_email.clone() } else { None })
                .unwrap_or_default(),
            scope,
            created: crate::clock::display_date(t.created_at),
            last_used: t.last_used_at.map(crate::clock::display_date),
            expires: t.expires_at.map(crate::clock::display_date),
            status: t.status(now),
            reason: t.reason().map(str::to_owned),
            owner_switched_off: crate::services::credentials::support::owner_switched_off(
                t.kind,
                t.user_id,
                t.deactivated_by,
            ),
            retiring: t
                .retiring_until
                .filter(|_| t.status(now) == TokenStatus::Active)
                .map(|u| ((u - now).whole_seconds().max(0) + 3599) / 3600),
        }
    }

    /// The status badge's text and class.
    pub fn badge(&self) -> (String, &'static str) {
        match (self.status, self.retiring) {
            (TokenStatus::Active, Some(h)) => (format!("Retiring, {h} h left"), "badge-warn"),
            (TokenStatus::Active, None) => (self.status.label().to_owned(), "badge-on"),
            (TokenStatus::Deactivated, _) => (self.status.label().to_owned(), "badge-warn"),
            _ => (self.status.label().to_owned(), "badge-off"),
        }
    }
}

/// A page of rows fetched with one extra: the rows to show, and the query
/// string of the next (older) page, if there is one.
pub fn paginate(rows: &mut Vec<TokenListing>, filter_query: &str) -> Option<String> {
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    more.then(|| {
        let last = rows.last().map_or(0, |r| r.token.id);
        if filter_query.is_empty() { format!("?before={last}") } else { format!("?{filter_query}&before={last}") }
    })
}
