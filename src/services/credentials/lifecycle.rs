//! What happens to a token of any kind, in one place each: issued (and
//! audited), revoked with notice, switched off and on, deleted, expired
//! (and warned about first), and revoked by whoever holds it (RFC 7009).
//! Every step is audited and published in the caller's transaction.

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::config::Settings;
use crate::db::changes::Change;
use crate::domain::{Actor, AuditAction, Role, TokenKind, WebhookEvent};
use crate::error::AppError;
use crate::mail::{self, messages};
use crate::models::{Session, Token, TokenPolicy, TokenUsage, User};
use crate::services::audit::record;
use crate::services::context::{Services, Tx};
use crate::tokens::{Issued, TokenSpec, format, issue};

/// Issues a token of `kind` and records `token.created` with `details`
/// (the kind is added): the one way a service makes a token.
pub(in crate::services) fn issue_audited(
    tx: &mut Tx<'_>,
    svc: &Services,
    actor: &Actor,
    kind: TokenKind,
    spec: &TokenSpec,
    now: OffsetDateTime,
    details: Value,
) -> Result<Issued, AppError> {
    issue_recorded(tx, svc, actor, kind, spec, now, AuditAction::TokenCreated, details)
}

/// As [`issue_audited`], recorded as `action` (a reset, a regeneration).
#[allow(clippy::too_many_arguments)]
pub(in crate::services) fn issue_recorded(
    tx: &mut Tx<'_>,
    svc: &Services,
    actor: &Actor,
    kind: TokenKind,
    spec: &TokenSpec,
    now: OffsetDateTime,
    action: AuditAction,
    details: Value,
) -> Result<Issued, AppError> {
    // The organisation's expiry policy for the kind, at creation and at
    // every regeneration.
    let expires_at = crate::services::credentials::token_policy::expiry(tx, kind, spec.expires_at, now, "expires_at")?;
    let spec = TokenSpec { expires_at, ..spec.clone() };
    let issued = issue(tx, &svc.keys, kind, &spec, now)?;
    let mut details = details;
    if let Value::Object(map) = &mut details {
        map.insert("kind".into(), json!(kind));
    } else {
        details = json!({"kind": kind});
    }
    record(tx, now, actor, action, &issued.token.display_key(), details)?;
    crate::services::events::webhooks::token_event(tx, &issued.token, WebhookEvent::TokenCreated, now)?;
    Ok(issued)
}

/// Who revoked a token, for the audit log and the owner's email.
#[derive(Debug, Clone)]
pub enum RevokedBy {
    Owner,
    /// A super admin switched "API token allowed" off.
    Administrator,
    Support(String),
    /// Whoever held the token, through RFC 7009.
    Holder,
    Expiry,
    /// Replaced by a new token of the same level.
    Regenerated,
    /// Revoked by an admin managing the campaign or organisation.
    Manager,
    /// Found in public and reported.
    Leaked,
}

impl RevokedBy {
    fn reason(&self) -> String {
        match self {
            Self::Owner => "revoked by its owner".to_owned(),
            Self::Administrator => "API token option disabled by an administrator".to_owned(),
            Self::Support(reason) => reason.clone(),
            Self::Holder => "revoked by its holder (RFC 7009)".to_owned(),
            Self::Expiry => "expired".to_owned(),
            Self::Regenerated => "regenerated".to_owned(),
            Self::Manager => "revoked by an administrator".to_owned(),
            Self::Leaked => "found in public (leak report)".to_owned(),
        }
    }

    /// How the owner's email names who did it.
    fn by(&self) -> &'static str {
        match self {
            Self::Owner => "you",
            Self::Administrator => "an administrator, who switched the API token option off for your account",
            Self::Support(_) => "Keyward support",
            Self::Holder => "someone holding the token, through the revocation endpoint",
            Self::Expiry => "expiry",
            Self::Regenerated => "regeneration",
            Self::Manager => "an administrator",
            Self::Leaked => "Keyward, because it was found in public",
        }
    }
}

/// Who hears of what happens to a token: its owner (or assigned user);
/// for campaign-scoped tokens the admins; for organisation tokens the
/// super admins.
pub(in crate::services) fn responsible(
    conn: &mut diesel::PgConnection,
    user_id: Option<i64>,
    campaign_id: Option<i64>,
) -> diesel::QueryResult<Vec<User>> {
    if let Some(id) = user_id {
        return Ok(vec![User::find(conn, id)?]);
    }
    let roles: &[Role] = if campaign_id.is_some() { &[Role::Admin, Role::SuperAdmin] } else { &[Role::SuperAdmin] };
    User::active_with_roles(conn, roles)
}

/// "campaign spring, source web" (empty for organisation tokens).
pub(in crate::services) fn scope_text(row: &crate::services::credentials::token_info::TokenListing) -> String {
    match (&row.campaign_slug, &row.source_slug) {
        (Some(c), Some(s)) => format!("campaign {c}, source {s}"),
        (Some(c), None) => format!("campaign {c}"),
        _ => String::new(),
    }
}

/// Revokes `token` now: the row records who and why, the change is
/// published, the audit log and (for a profile token) the owner hear of it.
pub(in crate::services) fn revoke_with_notice(
    tx: &mut Tx<'_>,
    settings: &Settings,
    now: OffsetDateTime,
    actor: &Actor,
    token: &Token,
    by: RevokedBy,
) -> Result<(), AppError> {
    revoke_recorded(tx, now, actor, token, &by.reason())?;
    if token.kind == TokenKind::Profile {
        notify_profile_revoked(tx, settings, now, token, &by)?;
    }
    Ok(())
}

/// The revocation without the owner's notice (a caller that tells the
/// owner itself, once for many tokens): the row, the change published to
/// every instance, the audit log and the `token.revoked` event.
pub(in crate::services) fn revoke_recorded(
    tx: &mut Tx<'_>,
    now: OffsetDateTime,
    actor: &Actor,
    token: &Token,
    reason: &str,
) -> Result<(), AppError> {
    Token::revoke(tx, token.id, now, actor.user_id, reason)?;
    tx.publish(Change::token(&token.digest))?;
    record(
        tx,
        now,
        actor,
        AuditAction::TokenRevoked,
        &token.display_key(),
        json!({"kind": token.kind, "reason": reason}),
    )?;
    let revoked = Token { revoked_at: Some(now), revoked_reason: Some(reason.to_owned()), ..token.clone() };
    crate::services::events::webhooks::token_event(tx, &revoked, WebhookEvent::TokenRevoked, now)
}

fn notify_profile_revoked(
    tx: &mut Tx<'_>,
    settings: &Settings,
    now: OffsetDateTime,
    token: &Token,
    by: &RevokedBy,
) -> Result<(), AppError> {
    let Some(user_id) = token.user_id else {
        return Ok(());
    };
    let owner = User::find(tx, user_id)?;
    let reason = match by {
        RevokedBy::Support(reason) => Some(reason.clone()),
        _ => None,
    };
    mail::enqueue(
        tx,
        now,
        &owner.email,
        &messages::ProfileTokenRevoked {
            name: owner.name().to_owned(),
            key: token.display_key(),
            by: by.by().to_owned(),
            reason,
            profile_link: settings.link("/profile"),
        },
    )?;
    Ok(())
}

/// Turns a token off (refused until turned on again) or on, recording who
/// and why.
pub(in crate::services) fn set_active(
    tx: &mut Tx<'_>,
    now: OffsetDateTime,
    actor: &Actor,
    token: &Token,
    active: bool,
    reason: Option<&str>,
) -> Result<(), AppError> {
    Token::set_active(tx, token.id, active, now, actor.user_id, reason)?;
    tx.publish(Change::token(&token.digest))?;
    let action = AuditAction::switched(active, AuditAction::TokenActivated, AuditAction::TokenDeactivated);
    let details = match reason {
        Some(r) if !active => json!({"kind": token.kind, "reason": r}),
        _ => json!({"kind": token.kind}),
    };
    record(tx, now, actor, action, &token.display_key(), details)
}

/// Deletes a token (its key stays in the audit log).
pub(in crate::services) fn delete(
    tx: &mut Tx<'_>,
    now: OffsetDateTime,
    actor: &Actor,
    token: &Token,
) -> Result<(), AppError> {
    tx.publish(Change::token(&token.digest))?;
    Token::delete(tx, token.id)?;
    let gone = Token { revoked_at: Some(now), revoked_reason: Some("deleted".into()), ..token.clone() };
    crate::services::events::webhooks::token_event(tx, &gone, WebhookEvent::TokenRevoked, now)?;
    record(tx, now, actor, AuditAction::TokenDeleted, &token.display_key(), json!({"kind": token.kind}))
}

/// Deletes an expired token, telling the audit log and (profile) the owner.
pub(in crate::services) fn expire(
    tx: &mut Tx<'_>,
    settings: &Settings,
    now: OffsetDateTime,
    token: &Token,
) -> Result<(), AppError> {
    record(
        tx,
        now,
        &Actor::system(),
        AuditAction::TokenExpired,
        &token.display_key(),
        json!({"kind": token.kind, "expired_at": token.expires_at.map(crate::clock::rfc3339)}),
    )?;
    if token.kind == TokenKind::Profile {
        notify_profile_revoked(tx, settings, now, token, &RevokedBy::Expiry)?;
    }
    tx.publish(Change::token(&token.digest))?;
    Token::delete(tx, token.id)?;
    let gone = Token { revoked_at: Some(now), revoked_reason: Some("expired".into()), ..token.clone() };
    crate::services::events::webhooks::token_event(tx, &gone, WebhookEvent::TokenRevoked, now)
}

/// RFC 7009: whoever holds a token may revoke it, unless many hold it (an
/// intake level token, the account public token): those answer
/// `unsupported_token_type`, decided by the prefix alone, so the answer
/// tells nothing about whether the token is valid. Unknown, malformed and
/// already revoked tokens are not an error (the answer is the same).
pub async fn revoke_by_holder(svc: &Services, presented: SecretString, ip: String) -> Result<(), AppError> {
    let Ok(parsed) = format::parse(presented.expose_secret()) else {
        return Ok(());
    };
    if parsed.kind.is_shared() {
        return Err(AppError::UnsupportedTokenType(format!(
            "this {} token is shared by everyone who uses it, so its holder may not revoke it: an admin regenerates it or turns it off",
            parsed.kind.label().to_lowercase()
        )));
    }
    let digest = svc.keys.token_digest(parsed.token);
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |tx| {
        let Some((token, _)) = Token::by_digest_with_user(tx, &digest)? else {
            return Ok(());
        };
        if token.revoked_at.is_some() {
            return Ok(());
        }
        let actor = Actor::anonymous(format!("holder of {}", token.display_key()), Some(ip));
        revoke_with_notice(tx, &settings, now, &actor, &token, RevokedBy::Holder)
    })
    .await
}

// ------------------------------------------------------------------ sweep

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy)]
pub struct SweepReport {
    pub tokens: TokenSweep,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct TokenSweep {
    pub expired: usize,
    pub warned: usize,
}

impl std::fmt::Display for SweepReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
        write!(
            f,
            "{} deleted, {} queued; stale sessions removed",
            plural(self.tokens.expired, "expired token", "expired tokens"),
            plural(self.tokens.warned, "expiry warning", "expiry warnings")
        )
    }
}

const SWEEP_BATCH: i64 = 100;

/// Deletes expired tokens once their kind's retention is over, sends the
/// 14-day and 1-day expiry warnings of every kind, forgets usage older than
/// 90 days, and removes sessions and sign-in
/// failures that can no longer matter. Batched, one transaction per batch,
/// and safe on several instances at once (rows are locked, busy ones
/// skipped).
pub async fn sweep(svc: &Services) -> Result<SweepReport, AppError> {
    let now = svc.now();
    let mut report = SweepReport::default();
    loop {
        let settings = svc.settings.clone();
        let done = svc
            .tx(move |tx| {
                // Expired tokens are refused at once (the check reads the
                // expiry); they are deleted once the kind's retention is over.
                let mut done = 0;
                for kind in TokenKind::ALL {
                    let retention = TokenPolicy::of(tx, *kind)?.retention_days;
                    let due = Token::expired(tx, &[*kind], now - Duration::days(i64::from(retention)), SWEEP_BATCH)?;
                    for token in &due {
                        expire(tx, &settings, now, token)?;
                    }
                    done = done.max(due.len());
                }
                Ok(done)
            })
            .await?;
        report.tokens.expired += done;
        if done < SWEEP_BATCH as usize {
            break;
        }
    }
    // The 14-day warning covers what expires after tomorrow; what expires
    // within a day gets the 1-day warning only.
    for (after, before, one_day) in
        [(now + Duration::days(1), now + Duration::days(14), false), (now, now + Duration::days(1), true)]
    {
        loop {
            let settings = svc.settings.clone();
            let done = svc
                .tx(move |tx| {
                    let due = Token::due_warning(tx, after, before, one_day, SWEEP_BATCH)?;
                    for token in &due {
                        warn_expiry(tx, &settings, now, token)?;
                        Token::mark_warned(tx, token.id, now, one_day)?;
                        if one_day {
                            Token::mark_warned(tx, token.id, now, false)?;
                        }
                    }
                    Ok(due.len())
                })
                .await?;
            report.tokens.warned += done;
            if done < SWEEP_BATCH as usize {
                break;
            }
        }
    }
    let idle = Duration::try_from(svc.settings.session_idle).unwrap_or(Duration::hours(2));
    let settings = svc.settings.clone();
    svc.tx(move |tx| {
        // Regenerated tokens whose overlap has ended stop working now.
        for token in Token::retired(tx, now, SWEEP_BATCH)? {
            revoke_with_notice(tx, &settings, now, &Actor::system(), &token, RevokedBy::Regenerated)?;
        }
        Session::delete_expired(tx, now, now - idle)?;
        TokenUsage::prune(tx, (now - Duration::days(crate::models::token_usage::DAYS_KEPT)).date())?;
        crate::models::LoginFailure::prune(tx, now - crate::services::accounts::THROTTLE_WINDOW)?;
        crate::services::idempotency::prune(tx, now)?;
        Ok(())
    })
    .await?;
    Ok(report)
}

fn warn_expiry(tx: &mut Tx<'_>, settings: &Settings, now: OffsetDateTime, token: &Token) -> Result<(), AppError> {
    crate::services::events::webhooks::token_event(tx, token, WebhookEvent::TokenExpiring, now)?;
    let days = token.days_left(now).unwrap_or(0);
    let expires = token.expires_at.map(crate::clock::display).unwrap_or_default();
    if token.kind == TokenKind::Profile {
        let Some(user_id) = token.user_id else {
            return Ok(());
        };
        let owner = User::find(tx, user_id)?;
        mail::enqueue(
            tx,
            now,
            &owner.email,
            &messages::ProfileTokenExpiring {
                name: owner.name().to_owned(),
                key: token.display_key(),
                expires,
                days,
                profile_link: settings.link("/profile"),
            },
        )?;
    } else {
        let listing = crate::services::credentials::token_info::listing(tx, token.clone())?;
        for user in responsible(tx, token.user_id, token.campaign_id)? {
            mail::enqueue(
                tx,
                now,
                &user.email,
                &messages::TokenExpiring {
                    name: user.name().to_owned(),
                    key: token.display_key(),
                    kind: token.kind.label().to_owned(),
                    scope: scope_text(&listing),
                    expires: expires.clone(),
                    days,
                    link: settings.link(&format!("/tokens/{}", token.display_key())),
                },
            )?;
        }
    }
    record(tx, now, &Actor::system(), AuditAction::ExpiryWarningSent, &token.display_key(), json!({"days_left": days}))
}
