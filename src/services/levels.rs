//! The intake levels of seed 000: the global token, campaign tokens and
//! source tokens (form, ping, post). Each level has an enable switch on its
//! owner (organisation, campaign, source) and at most one live token.
//! Disabling keeps the token, enabling again restores it; Regenerate revokes
//! it and issues a new one in one transaction; Show is audit-logged.

use diesel::PgConnection;
use secrecy::SecretString;
use serde_json::json;

use super::tokens::{RevokedBy, revoke_with_notice};
use super::{Actor, audit};
use crate::domain::Permission;
use crate::error::AppError;
use crate::models::org_settings::OrgSettings;
use crate::models::{Campaign, Source, Token};
use crate::state::AppState;
use crate::tokens::notify::{Change, publish};
use crate::tokens::{Issued, TokenKind, TokenSpec, issue, reveal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Global,
    Campaign(i64),
    /// A source's token for one method (`SourceForm`, `SourcePing`, `SourcePost`).
    Source {
        campaign_id: i64,
        source_id: i64,
        kind: TokenKind,
    },
}

impl Level {
    pub fn kind(self) -> TokenKind {
        match self {
            Self::Global => TokenKind::Global,
            Self::Campaign(_) => TokenKind::Campaign,
            Self::Source { kind, .. } => kind,
        }
    }

    fn permission(self) -> Permission {
        match self {
            Self::Global => Permission::ManageOrgTokens,
            _ => Permission::ManageCampaigns,
        }
    }

    fn scope(self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::Global => (None, None),
            Self::Campaign(c) => (Some(c), None),
            Self::Source { campaign_id, source_id, .. } => (Some(campaign_id), Some(source_id)),
        }
    }

    fn change(self) -> Change {
        match self {
            Self::Global => Change::Org,
            Self::Campaign(c) | Self::Source { campaign_id: c, .. } => Change::Campaign(c),
        }
    }

    /// `form`, `ping`, `post` for a source level.
    pub fn method(self) -> Option<&'static str> {
        match self.kind() {
            TokenKind::SourceForm => Some("form"),
            TokenKind::SourcePing => Some("ping"),
            TokenKind::SourcePost => Some("post"),
            _ => None,
        }
    }
}

/// Where a level stands: its switch and its live token.
#[derive(Debug, Clone)]
pub struct LevelState {
    pub level: Level,
    pub enabled: bool,
    pub token: Option<Token>,
    /// What the audit log and messages call it: "global", "campaign spring",
    /// "source spring/partner-abc (ping)".
    pub label: String,
}

/// Reads the level, locking its owner row when `lock` (so that concurrent
/// toggles and regenerations queue).
pub fn load(conn: &mut PgConnection, level: Level, lock: bool) -> Result<LevelState, AppError> {
    let (enabled, label) = match level {
        Level::Global => {
            if lock {
                OrgSettings::lock(conn)?;
            }
            (OrgSettings::global_token_enabled(conn)?, "global".to_owned())
        }
        Level::Campaign(id) => {
            let c = if lock { Campaign::find_for_update(conn, id)? } else { Campaign::find(conn, id)? };
            (c.token_enabled, format!("campaign {}", c.slug))
        }
        Level::Source { campaign_id, source_id, kind } => {
            let c =
                if lock { Campaign::find_for_update(conn, campaign_id)? } else { Campaign::find(conn, campaign_id)? };
            let s = Source::find(conn, c.id, source_id)?;
            let method = level.method().unwrap_or("form");
            (s.method_enabled(kind), format!("source {}/{} ({method})", c.slug, s.slug))
        }
    };
    let (campaign_id, source_id) = level.scope();
    let token = Token::live_level(conn, level.kind(), campaign_id, source_id)?;
    Ok(LevelState { level, enabled, token, label })
}

pub async fn state_of(state: &AppState, level: Level) -> Result<LevelState, AppError> {
    state.db(move |conn| load(conn, level, false)).await
}

fn issue_for(conn: &mut PgConnection, state: &AppState, actor: &Actor, level: Level) -> Result<Issued, AppError> {
    let (campaign_id, source_id) = level.scope();
    let spec = TokenSpec { campaign_id, source_id, created_by: actor.user_id, ..TokenSpec::default() };
    issue(conn, &state.keys, level.kind(), &spec, state.now())
}

/// The level's switch. Turning it on the first time issues its token;
/// turning it off keeps the token for when it comes back on.
pub async fn set_enabled(state: &AppState, actor: Actor, level: Level, enabled: bool) -> Result<LevelState, AppError> {
    actor.require(level.permission())?;
    let now = state.now();
    let st = state.clone();
    state
        .tx(move |conn| {
            let current = load(conn, level, true)?;
            if current.enabled == enabled && (current.token.is_some() || !enabled) {
                return Ok(current);
            }
            match level {
                Level::Global => OrgSettings::set_global_token_enabled(conn, enabled, now)?,
                Level::Campaign(id) => Campaign::set_token_enabled(conn, id, enabled, now)?,
                Level::Source { source_id, kind, .. } => {
                    Source::set_method_enabled(conn, source_id, kind, enabled, now)?
                }
            }
            if enabled && current.token.is_none() {
                let issued = issue_for(conn, &st, &actor, level)?;
                audit::record(
                    conn,
                    now,
                    &actor,
                    "token.created",
                    &issued.token.display_key(),
                    json!({"kind": level.kind(), "level": current.label}),
                )?;
            }
            publish(conn, &level.change())?;
            let action = if enabled { "token.level_enabled" } else { "token.level_disabled" };
            audit::record(conn, now, &actor, action, &current.label, json!({"kind": level.kind()}))?;
            load(conn, level, false)
        })
        .await
}

/// Replaces the level's token: the old one is refused from this commit on.
pub async fn regenerate(state: &AppState, actor: Actor, level: Level) -> Result<(LevelState, Issued), AppError> {
    actor.require(level.permission())?;
    let now = state.now();
    let st = state.clone();
    state
        .tx(move |conn| {
            let current = load(conn, level, true)?;
            let old_key = current.token.as_ref().map(Token::display_key);
            if let Some(old) = &current.token {
                revoke_with_notice(conn, &st.settings, now, &actor, old, RevokedBy::Regenerated)?;
            }
            let issued = issue_for(conn, &st, &actor, level)?;
            publish(conn, &level.change())?;
            audit::record(
                conn,
                now,
                &actor,
                "token.regenerated",
                &issued.token.display_key(),
                json!({"kind": level.kind(), "level": current.label, "replaces": old_key}),
            )?;
            Ok((load(conn, level, false)?, issued))
        })
        .await
}

/// Show: the level's token, opened from its sealed form. Every reveal is
/// audit-logged with who and when.
pub async fn show(state: &AppState, actor: Actor, level: Level) -> Result<(LevelState, SecretString), AppError> {
    actor.require(level.permission())?;
    let now = state.now();
    let keys = state.keys.clone();
    state
        .tx(move |conn| {
            let current = load(conn, level, false)?;
            let token = current
                .token
                .as_ref()
                .ok_or_else(|| AppError::conflict("There is no token yet: turn the level on to generate one."))?;
            let secret = reveal(&keys, token)?;
            audit::record(
                conn,
                now,
                &actor,
                "token.shown",
                &token.display_key(),
                json!({"kind": token.kind, "level": current.label}),
            )?;
            Ok((current, secret))
        })
        .await
}
