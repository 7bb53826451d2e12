//! What a token may do with a campaign's leads: read, write, and inside
//! which filter.

use serde_json::{Map, Value};

use crate::domain::{Permission, TokenKind};
use crate::error::AppError;
use crate::services::campaigns::catalog::{CampaignSnapshot, FilterSpec};
use crate::tokens::Principal;

/// What a token may do with a campaign's leads.
#[derive(Debug, Clone)]
pub struct LeadAccess {
    pub read: bool,
    pub write: bool,
    /// The token's filter: every lead it touches must be inside.
    pub filter: Option<FilterSpec>,
}

impl LeadAccess {
    /// A campaign API token of this campaign (with its permissions and
    /// filter), or a user token whose role manages campaigns (everything).
    pub fn of(principal: &Principal, snap: &CampaignSnapshot) -> Result<Self, AppError> {
        match principal.kind {
            TokenKind::CampaignApi => {
                if principal.campaign_id != Some(snap.campaign.id) {
                    return Err(AppError::InsufficientScope(format!(
                        "this token belongs to another campaign, not to `{}`",
                        snap.campaign.slug
                    )));
                }
                let filter =
                    match principal.filter_id {
                        Some(id) => Some(snap.filter(id).cloned().ok_or_else(|| {
                            AppError::InsufficientScope("this token's filter no longer exists".into())
                        })?),
                        None => None,
                    };
                Ok(Self { read: principal.can_read, write: principal.can_write, filter })
            }
            _ if principal.acting_user().is_some_and(|u| u.role.allows(Permission::ManageCampaigns)) => {
                Ok(Self { read: true, write: true, filter: None })
            }
            _ => Err(AppError::InsufficientScope(
                "the leads API takes a campaign API token, or a personal or profile token of an admin".into(),
            )),
        }
    }

    /// Everything, everywhere in the campaign: the console's admins.
    pub fn everything() -> Self {
        Self { read: true, write: true, filter: None }
    }

    pub fn require_read(&self) -> Result<(), AppError> {
        if self.read { Ok(()) } else { Err(AppError::InsufficientScope("this token has no Read permission".into())) }
    }

    pub fn require_write(&self) -> Result<(), AppError> {
        if self.write { Ok(()) } else { Err(AppError::InsufficientScope("this token has no Write permission".into())) }
    }

    pub(in crate::services) fn allows(&self, selects: &Map<String, Value>) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(selects))
    }

    /// 403 naming the select values the filter requires.
    pub(super) fn outside(&self, selects: &Map<String, Value>) -> AppError {
        let missing: Vec<String> = self
            .filter
            .iter()
            .flat_map(|f| &f.conditions)
            .filter(|c| selects.get(&c.select_slug).and_then(Value::as_str) != Some(c.option_slug.as_str()))
            .map(|c| format!("`{}` must be `{}`", c.select_slug, c.option_slug))
            .collect();
        AppError::InsufficientScope(format!(
            "the lead would be outside this token's filter: {} (in select_field_values)",
            missing.join(" and ")
        ))
    }
}
