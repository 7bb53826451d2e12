//! The rules of tokens that users hold: personal tokens (seed 002) and the
//! profile API token (seed 003), plus what applies to every kind: revoking
//! with notice, revocation by the holder (RFC 7009), expiry and its
//! warnings. Every change is audited and published (NOTIFY) in its own
//! transaction.

use diesel::prelude::*;
use secrecy::ExposeSecret as _;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::{Actor, audit};
use crate::config::Settings;
use crate::error::{AppError, FieldErrors};
use crate::mail::{self, messages};
use crate::models::org_settings::OrgSettings;
use crate::models::{Token, User};
use crate::state::AppState;
use crate::tokens::notify::{Change, publish};
use crate::tokens::{Issued, TokenKind, TokenSpec, format, issue};

pub const DESCRIPTION_MAX: usize = 200;

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
        }
    }
}

/// Revokes `token` now, in the caller's transaction: the row records who
/// and why, the change is published, the audit log and (for a profile
/// token) the owner hear of it.
pub fn revoke_with_notice(
    conn: &mut PgConnection,
    settings: &Settings,
    now: OffsetDateTime,
    actor: &Actor,
    token: &Token,
    by: RevokedBy,
) -> Result<(), AppError> {
    let reason = by.reason();
    Token::revoke(conn, token.id, now, actor.user_id, &reason)?;
    publish(conn, &Change::token(&token.digest))?;
    audit::record(
        conn,
        now,
        actor,
        "token.revoked",
        &token.display_key(),
        json!({"kind": token.kind, "reason": reason}),
    )?;
    if token.kind == TokenKind::Profile {
        notify_profile_revoked(conn, settings, now, token, &by)?;
    }
    Ok(())
}

fn notify_profile_revoked(
    conn: &mut PgConnection,
    settings: &Settings,
    now: OffsetDateTime,
    token: &Token,
    by: &RevokedBy,
) -> Result<(), AppError> {
    let Some(user_id) = token.user_id else {
        return Ok(());
    };
    let owner = User::find(conn, user_id)?;
    let reason = match by {
        RevokedBy::Support(reason) => Some(reason.clone()),
        _ => None,
    };
    mail::enqueue(
        conn,
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

fn owner_id(actor: &Actor) -> Result<i64, AppError> {
    actor.user_id.ok_or_else(|| AppError::forbidden("Only a signed-in user holds tokens."))
}

/// One of the actor's own personal tokens, locked; someone else's is 404.
fn own_personal(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<Token, AppError> {
    let token = Token::find_for_update(conn, id)?;
    if token.kind != TokenKind::Personal || token.user_id != actor.user_id {
        return Err(AppError::NotFound);
    }
    Ok(token)
}

// ------------------------------------------------------- personal tokens

/// The organisation's maximum lifetime for new personal tokens, if any.
pub async fn personal_policy(state: &AppState) -> Result<Option<i32>, AppError> {
    state.db(|conn| Ok(OrgSettings::personal_token_max_days(conn)?)).await
}

pub async fn set_personal_policy(state: &AppState, actor: Actor, max_days: Option<i32>) -> Result<(), AppError> {
    actor.require(crate::domain::Permission::ManageOrgTokens)?;
    if let Some(d) = max_days
        && !(1..=3650).contains(&d)
    {
        return Err(AppError::invalid("max_days", "Choose a number of days from 1 to 3650, or no limit."));
    }
    let now = state.now();
    state
        .tx(move |conn| {
            OrgSettings::set_personal_token_max_days(conn, max_days, now)?;
            audit::record(
                conn,
                now,
                &actor,
                "settings.token_policy_changed",
                "personal tokens",
                json!({"max_days": max_days}),
            )?;
            Ok(())
        })
        .await
}

/// A new personal token for `owner_id` (the actor, or the user named on
/// the command line). The secret is in the result and nowhere else.
pub async fn create_personal(
    state: &AppState,
    actor: Actor,
    owner_id: i64,
    description: &str,
    expires_in_days: Option<i64>,
) -> Result<Issued, AppError> {
    let description = description.trim().to_owned();
    let mut errors = FieldErrors::new();
    if description.is_empty() {
        errors.insert(
            "description".into(),
            "Describe what the token is for, e.g. \"receive leads from RDStation\".".into(),
        );
    } else if description.chars().count() > DESCRIPTION_MAX {
        errors.insert("description".into(), format!("Use at most {DESCRIPTION_MAX} characters."));
    }
    let now = state.now();
    let keys = state.keys.clone();
    state
        .tx(move |conn| {
            let policy = OrgSettings::personal_token_max_days(conn)?.map(i64::from);
            let days = match (expires_in_days, policy) {
                (Some(d), _) if !(1..=3650).contains(&d) => {
                    errors.insert("expires_in_days".into(), "Choose from 1 to 3650 days.".into());
                    None
                }
                (Some(d), Some(max)) if d > max => {
                    errors.insert(
                        "expires_in_days".into(),
                        format!("The organisation allows personal tokens of at most {max} days."),
                    );
                    None
                }
                (Some(d), _) => Some(d),
                (None, max) => max,
            };
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            let owner = User::find(conn, owner_id)?;
            if !owner.active {
                return Err(AppError::conflict(format!("{} is deactivated.", owner.email)));
            }
            let spec = TokenSpec {
                name: description,
                user_id: Some(owner.id),
                created_by: actor.user_id.or(Some(owner.id)),
                expires_at: days.map(|d| now + Duration::days(d)),
                ..TokenSpec::default()
            };
            let issued = issue(conn, &keys, TokenKind::Personal, &spec, now)?;
            audit::record(
                conn,
                now,
                &actor,
                "token.created",
                &issued.token.display_key(),
                json!({"kind": TokenKind::Personal, "owner": owner.email, "expires_at": issued.token.expires_at.map(crate::clock::rfc3339)}),
            )?;
            Ok(issued)
        })
        .await
}

pub async fn personal_tokens(state: &AppState, user_id: i64) -> Result<Vec<Token>, AppError> {
    state.db(move |conn| Ok(Token::personal_of(conn, user_id)?)).await
}

/// The switch on each personal token: a deactivated token is refused, and
/// works again once activated.
pub async fn set_personal_active(state: &AppState, actor: Actor, id: i64, active: bool) -> Result<Token, AppError> {
    let now = state.now();
    state
        .tx(move |conn| {
            let token = own_personal(conn, &actor, id)?;
            if token.revoked_at.is_some() {
                return Err(AppError::conflict("This token was revoked; revoked tokens cannot be activated."));
            }
            if active && !token.active && token.deactivated_by != actor.user_id {
                return Err(AppError::conflict(format!(
                    "This token was deactivated by Keyward support ({}); ask support to reactivate it.",
                    token.deactivated_reason.as_deref().unwrap_or("no reason given")
                )));
            }

            if token.active != active {
                Token::set_active(conn, token.id, active, now, actor.user_id, Some("deactivated by its owner"))?;
                publish(conn, &Change::token(&token.digest))?;
                let action = if active { "token.activated" } else { "token.deactivated" };
                audit::record(conn, now, &actor, action, &token.display_key(), json!({"kind": token.kind}))?;
            }
            Ok(Token::find(conn, token.id)?)
        })
        .await
}

pub async fn delete_personal(state: &AppState, actor: Actor, id: i64) -> Result<Token, AppError> {
    let now = state.now();
    state
        .tx(move |conn| {
            let token = own_personal(conn, &actor, id)?;
            Token::delete(conn, token.id)?;
            publish(conn, &Change::token(&token.digest))?;
            audit::record(conn, now, &actor, "token.deleted", &token.display_key(), json!({"kind": token.kind}))?;
            Ok(token)
        })
        .await
}

// ---------------------------------------------------- profile API token

/// The user's current profile token, if any.
pub async fn profile_token(state: &AppState, user_id: i64) -> Result<Option<Token>, AppError> {
    state.db(move |conn| Ok(Token::live_profile_of(conn, user_id)?)).await
}

/// Generates the actor's profile API token: one per user at a time (a
/// unique index enforces it; the user row is locked so two concurrent
/// requests queue), 180 days (configurable), confirmed by email.
pub async fn generate_profile(state: &AppState, actor: Actor) -> Result<Issued, AppError> {
    let user_id = owner_id(&actor)?;
    let now = state.now();
    let keys = state.keys.clone();
    let settings = state.settings.clone();
    state
        .tx(move |conn| {
            let user = User::find_for_update(conn, user_id)?;
            if !user.api_token_allowed {
                return Err(AppError::forbidden(
                    "The API token option is disabled for your account. Contact your administrator.",
                ));
            }
            if let Some(existing) = Token::live_profile_of(conn, user.id)? {
                if existing.expires_at.is_some_and(|e| e <= now) {
                    expire(conn, &settings, now, &existing)?;
                } else {
                    return Err(AppError::conflict(
                        "You already have an API token: revoke it before you generate a new one.",
                    ));
                }
            }
            let spec = TokenSpec {
                name: "Profile API token".to_owned(),
                user_id: Some(user.id),
                created_by: Some(user.id),
                expires_at: Some(now + Duration::days(settings.profile_token_days)),
                ..TokenSpec::default()
            };
            let issued = issue(conn, &keys, TokenKind::Profile, &spec, now)?;
            audit::record(
                conn,
                now,
                &actor,
                "token.created",
                &issued.token.display_key(),
                json!({"kind": TokenKind::Profile}),
            )?;
            mail::enqueue(
                conn,
                now,
                &user.email,
                &messages::ProfileTokenCreated {
                    name: user.name().to_owned(),
                    key: issued.token.display_key(),
                    expires: issued.token.expires_at.map(crate::clock::display).unwrap_or_default(),
                    profile_link: settings.link("/profile"),
                },
            )?;
            Ok(issued)
        })
        .await
}

/// Revokes the actor's own profile token (not reversible).
pub async fn revoke_own_profile(state: &AppState, actor: Actor) -> Result<Token, AppError> {
    let user_id = owner_id(&actor)?;
    let now = state.now();
    let settings = state.settings.clone();
    state
        .tx(move |conn| {
            let token = Token::live_profile_of(conn, user_id)?
                .ok_or_else(|| AppError::conflict("You have no API token to revoke."))?;
            revoke_with_notice(conn, &settings, now, &actor, &token, RevokedBy::Owner)?;
            Ok(token)
        })
        .await
}

/// When "API token allowed" goes off: the user's profile token goes too.
pub fn revoke_profile_on_switch_off(
    conn: &mut PgConnection,
    settings: &Settings,
    now: OffsetDateTime,
    actor: &Actor,
    user_id: i64,
) -> Result<(), AppError> {
    if let Some(token) = Token::live_profile_of(conn, user_id)? {
        revoke_with_notice(conn, settings, now, actor, &token, RevokedBy::Administrator)?;
    }
    Ok(())
}

// ------------------------------------------------------------ any kind

/// RFC 7009: whoever holds a token may revoke it. Unknown, malformed and
/// already revoked tokens are not an error (the answer is the same).
pub async fn revoke_by_holder(state: &AppState, presented: String, ip: String) -> Result<(), AppError> {
    let Ok(parsed) = format::parse(&presented) else {
        return Ok(());
    };
    let digest = state.keys.token_digest(parsed.token);
    let now = state.now();
    let settings = state.settings.clone();
    state
        .tx(move |conn| {
            let Some((token, _)) = Token::by_digest_with_user(conn, &digest)? else {
                return Ok(());
            };
            if token.revoked_at.is_some() {
                return Ok(());
            }
            let actor = Actor::anonymous(format!("holder of {}", token.display_key()), Some(ip));
            revoke_with_notice(conn, &settings, now, &actor, &token, RevokedBy::Holder)
        })
        .await
}

/// Deletes an expired token, telling the audit log and (profile) the owner.
fn expire(conn: &mut PgConnection, settings: &Settings, now: OffsetDateTime, token: &Token) -> Result<(), AppError> {
    audit::record(
        conn,
        now,
        &Actor::system(),
        "token.expired",
        &token.display_key(),
        json!({"kind": token.kind, "expired_at": token.expires_at.map(crate::clock::rfc3339)}),
    )?;
    if token.kind == TokenKind::Profile {
        notify_profile_revoked(conn, settings, now, token, &RevokedBy::Expiry)?;
    }
    publish(conn, &Change::token(&token.digest))?;
    Token::delete(conn, token.id)?;
    Ok(())
}

/// What one sweep of tokens did.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokenSweep {
    pub expired: usize,
    pub warned: usize,
}

const SWEEP_BATCH: i64 = 100;

/// Deletes expired personal and profile tokens and sends the 14-day and
/// 1-day expiry warnings of profile tokens. Batched, and safe to run on
/// several instances at once (rows are locked, busy ones skipped).
pub fn sweep(conn: &mut PgConnection, settings: &Settings, now: OffsetDateTime) -> Result<TokenSweep, AppError> {
    let mut report = TokenSweep::default();
    loop {
        let done = conn.transaction(|conn| {
            let due = Token::expired(conn, &[TokenKind::Profile, TokenKind::Personal], now, SWEEP_BATCH)?;
            for token in &due {
                expire(conn, settings, now, token)?;
            }
            Ok::<_, AppError>(due.len())
        })?;
        report.expired += done;
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
            let done = conn.transaction(|conn| {
                let due = Token::due_warning(conn, after, before, one_day, SWEEP_BATCH)?;
                for token in &due {
                    warn_expiry(conn, settings, now, token)?;
                    Token::mark_warned(conn, token.id, now, one_day)?;
                    if one_day {
                        Token::mark_warned(conn, token.id, now, false)?;
                    }
                }
                Ok::<_, AppError>(due.len())
            })?;
            report.warned += done;
            if done < SWEEP_BATCH as usize {
                break;
            }
        }
    }
    Ok(report)
}

fn warn_expiry(
    conn: &mut PgConnection,
    settings: &Settings,
    now: OffsetDateTime,
    token: &Token,
) -> Result<(), AppError> {
    let Some(user_id) = token.user_id else {
        return Ok(());
    };
    let owner = User::find(conn, user_id)?;
    let days = token.days_left(now).unwrap_or(0);
    mail::enqueue(
        conn,
        now,
        &owner.email,
        &messages::ProfileTokenExpiring {
            name: owner.name().to_owned(),
            key: token.display_key(),
            expires: token.expires_at.map(crate::clock::display).unwrap_or_default(),
            days,
            profile_link: settings.link("/profile"),
        },
    )?;
    audit::record(
        conn,
        now,
        &Actor::system(),
        "token.expiry_warning_sent",
        &token.display_key(),
        json!({"days_left": days}),
    )?;
    Ok(())
}

/// `keyward token issue`: a personal token for the user with `email`,
/// printed once (break-glass and automation).
pub async fn issue_personal_from_cli(
    state: &AppState,
    email: &str,
    description: &str,
) -> Result<(Token, String), AppError> {
    let email = crate::domain::EmailAddress::parse(email).map_err(|m| AppError::invalid("user", m))?;
    let lookup = email.clone();
    let user = state
        .db(move |conn| Ok(User::by_email(conn, lookup.as_str())?))
        .await?
        .ok_or_else(|| AppError::invalid("user", format!("No user has the email {email}.")))?;
    let actor = Actor { user_id: None, label: "command line".to_owned(), role: None, ip: None };
    let issued = create_personal(state, actor, user.id, description, None).await?;
    Ok((issued.token, issued.secret.expose_secret().to_owned()))
}
