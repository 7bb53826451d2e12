//! Leak reports (the shape of GitHub's secret-scanning partner program):
//! a reporter, holding a token of its own kind, posts strings found in
//! public; each that is a live Keyward token is revoked at once (or only
//! flagged, per the organisation's setting) and its owner is mailed with
//! where it was found; the answer says which were valid.
//!
//! A reporter must not be able to probe tokens cheaply: every string costs
//! the same (one HMAC, one row of one batched lookup, whatever its shape),
//! and a reporter's strings are rate-limited.

use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::db::changes::Change;
use crate::domain::{Actor, AuditAction, Permission, RateLimit, TokenKind};
use crate::error::AppError;
use crate::mail::{self, messages};
use crate::models::{OrgSettings, Token, TokenLeak, TokenSearch};
use crate::services::audit::record;
use crate::services::context::Services;
use crate::services::credentials::lifecycle::{self, RevokedBy, issue_audited, revoke_with_notice};
use crate::services::credentials::token_info::{NewToken, TokenInfo};
use crate::tokens::{Principal, TokenSpec};

/// Strings one report may carry.
pub const REPORT_MAX: usize = 100;
/// Strings a reporter may send per minute (each costs the same, valid or not).
pub const STRINGS_PER_MINUTE: u32 = 600;
pub const DESCRIPTION_MAX: usize = 200;

/// One string found in public.
#[derive(Debug, Clone)]
pub struct Found {
    pub token: String,
    pub url: String,
    pub source: String,
}

/// What the reporter is told of one string.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// SHA-256 of the string, hex: the reporter can match it to its own.
    pub token_raw_hash: String,
    pub valid: bool,
}

/// Checks a report and acts on every live token in it.
pub async fn report(
    svc: &Services,
    reporter: &Principal,
    ip: &str,
    found: Vec<Found>,
) -> Result<Vec<Verdict>, AppError> {
    if reporter.kind != TokenKind::Reporter {
        return Err(AppError::InsufficientScope("leak reports need a reporter token (kw_rep_…)".into()));
    }
    if found.is_empty() {
        return Err(AppError::invalid("body", "Send a list of at least one {token, url, source}."));
    }
    if found.len() > REPORT_MAX {
        return Err(AppError::invalid("body", format!("Send at most {REPORT_MAX} strings per report.")));
    }
    // Every string is paid for before anything is looked at.
    let budget = RateLimit { per_second: None, per_minute: Some(STRINGS_PER_MINUTE) };
    svc.tokens
        .rates
        .check_n(-reporter.token_id, budget, found.len() as u32)
        .map_err(|l| AppError::TokenRateLimited { retry_after: l.retry_after, policy: l.policy, state: l.state })?;
    let digests: Vec<Vec<u8>> = found.iter().map(|f| svc.keys.token_digest(f.token.trim()).to_vec()).collect();
    let verdicts: Vec<Verdict> = found
        .iter()
        .map(|f| Verdict { token_raw_hash: hex(&Sha256::digest(f.token.as_bytes())), valid: false })
        .collect();
    let now = svc.now();
    let settings = svc.settings.clone();
    let reporter_label = reporter.display_key();
    let actor = Actor::anonymous(format!("leak reporter {reporter_label}"), Some(ip.to_owned()));
    svc.tx(move |tx| {
        let mut verdicts = verdicts;
        let rows = Token::by_digests_with_user(tx, &digests)?;
        let revoke = OrgSettings::leak_action(tx)? == "revoke";
        for (token, _) in rows {
            let Some(i) = digests.iter().position(|d| *d == token.digest) else { continue };
            if token.revoked_at.is_some() || token.status(now) != crate::domain::TokenStatus::Active {
                continue;
            }
            verdicts[i].valid = true;
            let f = &found[i];
            let action = if revoke { "revoked" } else { "flagged" };
            TokenLeak::insert(tx, token.id, now, &f.url, &f.source, action, &reporter_label)?;
            record(
                tx,
                now,
                &actor,
                AuditAction::TokenLeaked,
                &token.display_key(),
                json!({"kind": token.kind, "url": f.url, "source": f.source, "action": action}),
            )?;
            if revoke {
                revoke_with_notice(tx, &settings, now, &actor, &token, RevokedBy::Leaked)?;
            } else {
                tx.publish(Change::token(&token.digest))?;
            }
            let listing = crate::services::credentials::token_info::listing(tx, token.clone())?;
            for user in lifecycle::responsible(tx, token.user_id, token.campaign_id)? {
                mail::enqueue(
                    tx,
                    now,
                    &user.email,
                    &messages::TokenLeaked {
                        name: user.name().to_owned(),
                        key: token.display_key(),
                        kind: token.kind.label().to_owned(),
                        scope: lifecycle::scope_text(&listing),
                        url: f.url.clone(),
                        source: f.source.clone(),
                        action: action.to_owned(),
                        link: settings.link(&format!("/tokens/{}", token.display_key())),
                    },
                )?;
            }
        }
        let valid = verdicts.iter().filter(|v| v.valid).count();
        record(
            tx,
            now,
            &actor,
            AuditAction::LeakReported,
            &reporter_label,
            json!({"strings": verdicts.len(), "valid": valid}),
        )?;
        Ok(verdicts)
    })
    .await
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The leak action and the live reporter tokens, for the policy page.
pub async fn settings(svc: &Services, actor: &Actor) -> Result<(String, Vec<TokenInfo>), AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = svc.now();
    svc.run(move |conn| {
        let search = TokenSearch {
            kind: Some(TokenKind::Reporter),
            status: Some(crate::domain::TokenStatus::Active),
            limit: 100,
            ..TokenSearch::default()
        };
        let reporters = Token::search(conn, &search, now)?.into_iter().map(|r| TokenInfo::from(r.token)).collect();
        Ok((OrgSettings::leak_action(conn)?, reporters))
    })
    .await
}

pub async fn set_action(svc: &Services, actor: Actor, action: &str) -> Result<(), AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    if !matches!(action, "revoke" | "flag") {
        return Err(AppError::invalid("leak_action", "Choose revoke or flag."));
    }
    let action = action.to_owned();
    let now = svc.now();
    svc.tx(move |tx| {
        if OrgSettings::leak_action(tx)? == action {
            return Ok(());
        }
        OrgSettings::set_leak_action(tx, &action, now)?;
        record(tx, now, &actor, AuditAction::LeakActionChanged, "leak reports", json!({"action": action}))
    })
    .await
}

/// A reporter token, for a secret-scanning service (super admins, or the
/// command line).
pub async fn create_reporter(svc: &Services, actor: Actor, description: &str) -> Result<NewToken, AppError> {
    if actor.user_id.is_some() {
        actor.require(Permission::ManageOrgTokens)?;
    }
    let description = description.trim().to_owned();
    if description.is_empty() {
        return Err(AppError::invalid("description", "Say who reports with it, e.g. \"GitHub secret scanning\"."));
    }
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(AppError::invalid("description", format!("Use at most {DESCRIPTION_MAX} characters.")));
    }
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |tx| {
        let spec = TokenSpec { name: description.clone(), created_by: actor.user_id, ..TokenSpec::default() };
        let issued =
            issue_audited(tx, &s, &actor, TokenKind::Reporter, &spec, now, json!({"description": description}))?;
        Ok(issued.into())
    })
    .await
}
