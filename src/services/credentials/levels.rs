//! The intake levels: the global token, campaign tokens and
//! source tokens (form, ping, post). Each level has an enable switch on its
//! owner (organisation, campaign, source) and at most one live token.
//! Disabling keeps the token, enabling again restores it; Regenerate revokes
//! it and issues a new one in one transaction; Show is audit-logged.

use diesel::PgConnection;
use secrecy::SecretString;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::db::changes::Change;
use crate::domain::{Actor, AuditAction, IntakeMethod, Level, Permission};
use crate::error::AppError;
use crate::models::TokenSearch;
use crate::models::{OrgSettings, Source, Token};
use crate::services::audit::record;
use crate::services::campaigns::catalog::Campaign;
use crate::services::context::Services;
use crate::services::credentials::lifecycle::{issue_audited, issue_recorded};
use crate::services::credentials::token_info::search;
use crate::services::credentials::token_info::{NewToken, TokenInfo, TokenListing};
use crate::tokens::{TokenSpec, reveal};

/// Where a level stands: its switch and its live token.
#[derive(Debug, Clone)]
pub struct LevelState {
    pub level: Level,
    pub enabled: bool,
    pub token: Option<TokenInfo>,
    /// The token it replaced, while that one's grace period lasts.
    pub retiring: Option<TokenInfo>,
    /// What the audit log and messages call it: "global", "campaign spring",
    /// "source spring/partner-abc (ping)".
    pub label: String,
}

/// Every level change reaches the caches that decide intake.
fn change_of(level: Level) -> Change {
    match level.campaign_id() {
        None => Change::Org,
        Some(c) => Change::Campaign(c),
    }
}

/// Reads the level (and its live token row), locking its owner row when
/// `lock`, so that concurrent toggles and regenerations queue.
fn load(conn: &mut PgConnection, level: Level, lock: bool) -> Result<(LevelState, Option<Token>), AppError> {
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
        Level::Source { campaign_id, source_id, method } => {
            let c =
                if lock { Campaign::find_for_update(conn, campaign_id)? } else { Campaign::find(conn, campaign_id)? };
            let s = Source::find(conn, c.id, source_id)?;
            (s.method_enabled(method), format!("source {}/{} ({method})", c.slug, s.slug))
        }
    };
    let (campaign_id, source_id) = level.scope();
    let token = Token::live_level(conn, level.kind(), campaign_id, source_id)?;
    let retiring = Token::retiring_level(conn, level.kind(), campaign_id, source_id)?.map(TokenInfo::from);
    Ok((LevelState { level, enabled, token: token.clone().map(TokenInfo::from), retiring, label }, token))
}

fn state_only(conn: &mut PgConnection, level: Level) -> Result<LevelState, AppError> {
    Ok(load(conn, level, false)?.0)
}

/// The level's switch and token.
pub async fn state(svc: &Services, actor: &Actor, level: Level) -> Result<LevelState, AppError> {
    actor.require(level.permission())?;
    svc.run(move |conn| state_only(conn, level)).await
}

/// The three levels of a source's Tokens tab, in order (form, ping, post).
pub async fn source_states(
    svc: &Services,
    actor: &Actor,
    campaign_id: i64,
    source_id: i64,
) -> Result<Vec<LevelState>, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    svc.run(move |conn| {
        IntakeMethod::ALL
            .iter()
            .map(|&method| state_only(conn, Level::Source { campaign_id, source_id, method }))
            .collect()
    })
    .await
}

/// The source level of a source by the campaign's and source's id or slug
/// (the management API's `{c}` and `{s}`).
pub async fn source_level(
    svc: &Services,
    actor: &Actor,
    campaign: &str,
    source: &str,
    method: IntakeMethod,
) -> Result<Level, AppError> {
    let c = crate::services::campaigns::resolve(svc, actor, campaign).await?;
    let (source, slug) = (source.to_owned(), c.slug.clone());
    let s = svc
        .run(move |conn| {
            Source::by_ref(conn, c.id, &source)?
                .ok_or_else(|| AppError::NoSuch(format!("campaign `{slug}` has no source `{source}`")))
        })
        .await?;
    Ok(Level::Source { campaign_id: s.campaign_id, source_id: s.id, method })
}

/// The level's switch. Turning it on the first time issues its token;
/// turning it off keeps the token for when it comes back on.
pub async fn set_enabled(svc: &Services, actor: Actor, level: Level, enabled: bool) -> Result<LevelState, AppError> {
    actor.require(level.permission())?;
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |tx| {
        let (current, _) = load(tx, level, true)?;
        if current.enabled == enabled && (current.token.is_some() || !enabled) {
            return Ok(current);
        }
        match level {
            Level::Global => OrgSettings::set_global_token_enabled(tx, enabled, now)?,
            Level::Campaign(id) => Campaign::set_token_enabled(tx, id, enabled, now)?,
            Level::Source { source_id, method, .. } => Source::set_method_enabled(tx, source_id, method, enabled, now)?,
        }
        if enabled && current.token.is_none() {
            issue_audited(tx, &s, &actor, level.kind(), &spec(level, &actor), now, json!({"level": current.label}))?;
        }
        tx.publish(change_of(level))?;
        let action = AuditAction::switched(enabled, AuditAction::LevelEnabled, AuditAction::LevelDisabled);
        record(tx, now, &actor, action, &current.label, json!({"kind": level.kind()}))?;
        state_only(tx, level)
    })
    .await
}

fn spec(level: Level, actor: &Actor) -> TokenSpec {
    TokenSpec { scope: level.token_scope(), created_by: actor.user_id, ..TokenSpec::default() }
}

/// Replaces the level's token: the old one is refused from this commit on,
/// or keeps working for `grace` (up to 7 days) beside the new one.
pub async fn regenerate(
    svc: &Services,
    actor: Actor,
    level: Level,
    grace: Duration,
) -> Result<(LevelState, NewToken, Option<OffsetDateTime>), AppError> {
    actor.require(level.permission())?;
    crate::services::credentials::token_manage::check_grace(grace)?;
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |tx| {
        let (current, old) = load(tx, level, true)?;
        let (issued, until) = match &old {
            Some(old) => crate::services::credentials::token_manage::replace(
                tx,
                &s,
                &actor,
                old,
                grace,
                now,
                AuditAction::TokenRegenerated,
                json!({"level": current.label}),
            )?,
            None => {
                let issued = issue_recorded(
                    tx,
                    &s,
                    &actor,
                    level.kind(),
                    &spec(level, &actor),
                    now,
                    AuditAction::TokenRegenerated,
                    json!({"level": current.label}),
                )?;
                (issued, None)
            }
        };
        tx.publish(change_of(level))?;
        Ok((state_only(tx, level)?, issued.into(), until))
    })
    .await
}

/// Show: the level's token, opened from its sealed form. Every reveal is
/// audit-logged with who and when.
pub async fn show(svc: &Services, actor: Actor, level: Level) -> Result<(LevelState, SecretString), AppError> {
    actor.require(level.permission())?;
    let now = svc.now();
    let keys = svc.keys.clone();
    svc.tx(move |tx| {
        let (current, token) = load(tx, level, false)?;
        let token =
            token.ok_or_else(|| AppError::conflict("There is no token yet: turn the level on to generate one."))?;
        let secret = reveal(&keys, &token)?;
        record(
            tx,
            now,
            &actor,
            AuditAction::TokenShown,
            &token.display_key(),
            json!({"kind": token.kind, "level": current.label}),
        )?;
        Ok((current, secret))
    })
    .await
}

/// Settings › Token Management: the global level, one page of every token
/// of the organisation (metadata only), and the campaigns to filter by.
pub async fn token_management(
    svc: &Services,
    actor: &Actor,
    filter: TokenSearch,
) -> Result<(LevelState, Vec<TokenListing>, Vec<Campaign>), AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = svc.now();
    // One trip to the blocking pool for the whole page.
    svc.run(move |conn| Ok((state_only(conn, Level::Global)?, search(conn, &filter, now)?, Campaign::list(conn)?)))
        .await
}
