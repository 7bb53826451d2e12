//! The support console's rules: find any token by its metadata, revoke or
//! deactivate it with a mandatory reason (the owner, or for organisation and
//! campaign tokens the admins, are told), revoke everything a user holds at
//! once, and identify a pasted (possibly leaked) token without storing it.
//! Support never sees a secret, and creates, reveals or regenerates nothing.

use diesel::prelude::*;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;

use super::tokens::{RevokedBy, revoke_with_notice};
use super::{Actor, audit};
use crate::config::Settings;
use crate::domain::{EmailAddress, Permission, Role};
use crate::error::AppError;
use crate::mail::{self, messages};
use crate::models::{Token, TokenRow, TokenSearch, TokenStatus, User};
use crate::schema::users;
use crate::state::AppState;
use crate::tokens::notify::{Change, publish};
use crate::tokens::{TokenKind, format};

pub const REASON_MAX: usize = 500;

fn reason(text: &str) -> Result<String, AppError> {
    let r = text.trim().to_owned();
    if r.is_empty() {
        return Err(AppError::invalid("reason", "A reason is required: the owner is told."));
    }
    if r.chars().count() > REASON_MAX {
        return Err(AppError::invalid("reason", format!("Use at most {REASON_MAX} characters.")));
    }
    Ok(r)
}

pub async fn search(state: &AppState, actor: &Actor, search: TokenSearch) -> Result<Vec<TokenRow>, AppError> {
    actor.require(Permission::SupportTokens)?;
    let now = state.now();
    state.db(move |conn| Ok(Token::search(conn, &search, now)?)).await
}

/// One token with the names a list shows.
fn row(conn: &mut PgConnection, token: Token) -> QueryResult<TokenRow> {
    TokenRow::label(conn, vec![token])?.pop().ok_or(diesel::result::Error::NotFound)
}

pub async fn find(state: &AppState, actor: &Actor, id: i64) -> Result<TokenRow, AppError> {
    actor.require(Permission::SupportTokens)?;
    state
        .db(move |conn| {
            let token = Token::find(conn, id)?;
            Ok(row(conn, token)?)
        })
        .await
}

/// Who hears of a support action on `token`: its owner or assigned user;
/// for campaign-level tokens the admins; for organisation tokens the super
/// admins.
fn recipients(conn: &mut PgConnection, token: &Token) -> QueryResult<Vec<User>> {
    if let Some(id) = token.user_id {
        return Ok(vec![User::find(conn, id)?]);
    }
    let roles: &[Role] = match token.kind {
        TokenKind::Campaign
        | TokenKind::SourceForm
        | TokenKind::SourcePing
        | TokenKind::SourcePost
        | TokenKind::CampaignApi => &[Role::Admin, Role::SuperAdmin],
        _ => &[Role::SuperAdmin],
    };
    users::table
        .filter(users::role.eq_any(roles))
        .filter(users::active.eq(true))
        .filter(users::password_hash.is_not_null())
        .select(User::as_select())
        .load(conn)
}

fn notify(
    conn: &mut PgConnection,
    settings: &Settings,
    now: time::OffsetDateTime,
    row: &TokenRow,
    action: &str,
    why: &str,
) -> Result<(), AppError> {
    let scope = match (&row.campaign_slug, &row.source_slug) {
        (Some(c), Some(s)) => format!("campaign {c}, source {s}"),
        (Some(c), None) => format!("campaign {c}"),
        _ => String::new(),
    };
    for user in recipients(conn, &row.token)? {
        mail::enqueue(
            conn,
            now,
            &user.email,
            &messages::TokenNotice {
                name: user.name().to_owned(),
                key: row.token.display_key(),
                kind: row.token.kind.label().to_owned(),
                scope: scope.clone(),
                action: action.to_owned(),
                reason: why.to_owned(),
                link: settings.link("/"),
            },
        )?;
    }
    Ok(())
}

/// Revokes any token with a reason; not reversible.
pub async fn revoke(state: &AppState, actor: Actor, id: i64, why: &str) -> Result<Token, AppError> {
    actor.require(Permission::SupportTokens)?;
    let why = reason(why)?;
    let now = state.now();
    let settings = state.settings.clone();
    state
        .tx(move |conn| {
            let token = Token::find_for_update(conn, id)?;
            if token.revoked_at.is_some() {
                return Err(AppError::conflict(format!("{} is already revoked.", token.display_key())));
            }
            revoke_with_notice(conn, &settings, now, &actor, &token, RevokedBy::Support(why.clone()))?;
            // Profile tokens' owners hear of it through their own email.
            if token.kind != TokenKind::Profile {
                let r = row(conn, token.clone())?;
                notify(conn, &settings, now, &r, "revoked", &why)?;
            }
            Ok(token)
        })
        .await
}

/// Deactivates any token with a reason (reactivation is possible).
pub async fn deactivate(state: &AppState, actor: Actor, id: i64, why: &str) -> Result<Token, AppError> {
    actor.require(Permission::SupportTokens)?;
    let why = reason(why)?;
    let now = state.now();
    let settings = state.settings.clone();
    state
        .tx(move |conn| {
            let token = Token::find_for_update(conn, id)?;
            if token.status(now) != TokenStatus::Active {
                return Err(AppError::conflict(format!("{} is not active.", token.display_key())));
            }
            Token::set_active(conn, token.id, false, now, actor.user_id, Some(&why))?;
            publish(conn, &Change::token(&token.digest))?;
            audit::record(
                conn,
                now,
                &actor,
                "token.deactivated",
                &token.display_key(),
                json!({"kind": token.kind, "reason": why}),
            )?;
            let r = row(conn, token.clone())?;
            notify(conn, &settings, now, &r, "deactivated", &why)?;
            Ok(token)
        })
        .await
}

pub async fn reactivate(state: &AppState, actor: Actor, id: i64) -> Result<Token, AppError> {
    actor.require(Permission::SupportTokens)?;
    let now = state.now();
    let settings = state.settings.clone();
    state
        .tx(move |conn| {
            let token = Token::find_for_update(conn, id)?;
            if token.status(now) != TokenStatus::Deactivated {
                return Err(AppError::conflict(format!("{} is not deactivated.", token.display_key())));
            }
            Token::set_active(conn, token.id, true, now, actor.user_id, None)?;
            publish(conn, &Change::token(&token.digest))?;
            audit::record(conn, now, &actor, "token.activated", &token.display_key(), json!({"kind": token.kind}))?;
            let r = row(conn, token.clone())?;
            notify(conn, &settings, now, &r, "reactivated", "reactivated by support")?;
            Ok(token)
        })
        .await
}

/// Revokes every live token a user owns or is assigned (a person leaving),
/// with one email to them listing the keys.
pub async fn revoke_all_of_user(
    state: &AppState,
    actor: Actor,
    user_id: i64,
    why: &str,
) -> Result<Vec<Token>, AppError> {
    actor.require(Permission::SupportTokens)?;
    let why = reason(why)?;
    let now = state.now();
    state
        .tx(move |conn| {
            let user = User::find_for_update(conn, user_id)?;
            let tokens = Token::live_of_user(conn, user.id)?;
            for token in &tokens {
                // The one email below replaces the per-token ones.
                Token::revoke(conn, token.id, now, actor.user_id, &why)?;
                publish(conn, &Change::token(&token.digest))?;
                audit::record(
                    conn,
                    now,
                    &actor,
                    "token.revoked",
                    &token.display_key(),
                    json!({"kind": token.kind, "reason": why}),
                )?;
            }
            audit::record(
                conn,
                now,
                &actor,
                "user.tokens_revoked",
                &user.email,
                json!({"revoked": tokens.len(), "reason": why}),
            )?;
            if !tokens.is_empty() {
                mail::enqueue(
                    conn,
                    now,
                    &user.email,
                    &messages::TokensRevokedBulk {
                        name: user.name().to_owned(),
                        keys: tokens.iter().map(Token::display_key).collect(),
                        reason: why.clone(),
                    },
                )?;
            }
            Ok(tokens)
        })
        .await
}

pub async fn user_by_email(state: &AppState, actor: &Actor, email: &str) -> Result<User, AppError> {
    actor.require(Permission::SupportTokens)?;
    let email = EmailAddress::parse(email).map_err(|m| AppError::invalid("email", m))?;
    state
        .db(move |conn| {
            User::by_email(conn, email.as_str())?
                .ok_or(AppError::invalid("email", format!("No user has the email {email}.")))
        })
        .await
}

/// What a pasted token string is.
pub enum Checked {
    /// Not a Keyward token: wrong prefix, length or checksum.
    Malformed,
    /// Well-formed, but no token of this Keyward has it (never issued
    /// here, or deleted).
    Unknown {
        kind: TokenKind,
        key: String,
    },
    Known(Box<TokenRow>),
}

/// Identifies a pasted token by its digest. The value itself is neither
/// stored nor logged.
pub async fn check(state: &AppState, actor: &Actor, pasted: SecretString) -> Result<Checked, AppError> {
    actor.require(Permission::SupportTokens)?;
    let Ok(parsed) = format::parse(pasted.expose_secret().trim()) else {
        return Ok(Checked::Malformed);
    };
    let (kind, key) = (parsed.kind, parsed.key.to_owned());
    let digest = state.keys.token_digest(parsed.token);
    let now = state.now();
    let who = actor.clone();
    state
        .db(move |conn| {
            let found = Token::by_digest_with_user(conn, &digest)?;
            audit::record(
                conn,
                now,
                &who,
                "token.checked",
                &format!("{}{key}", kind.prefix()),
                json!({"known": found.is_some()}),
            )?;
            match found {
                Some((token, _)) => Ok(Checked::Known(Box::new(row(conn, token)?))),
                None => Ok(Checked::Unknown { kind, key }),
            }
        })
        .await
}

/// The token with a key (for the API's revoke by key).
pub async fn by_key(state: &AppState, actor: &Actor, key: String) -> Result<Token, AppError> {
    actor.require(Permission::SupportTokens)?;
    state
        .db(move |conn| {
            let k = format::normalise_key(&key);
            Token::by_key(conn, k)?.ok_or_else(|| AppError::NoSuch(format!("no token has the key {k}")))
        })
        .await
}
