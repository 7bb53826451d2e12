//! Account tokens (seed 004), super admins only: one public token for
//! public data services (retrievable, it may sit in a widget), and private
//! tokens for bulk export and introspection, each assigned to a user for
//! logging and shown once. Reset issues a new value and refuses the old one
//! at once; Delete removes the token.

use diesel::prelude::*;
use secrecy::SecretString;
use serde_json::json;

use super::tokens::{RevokedBy, revoke_with_notice};
use super::{Actor, audit};
use crate::domain::{EmailAddress, Permission};
use crate::error::{AppError, FieldErrors};
use crate::models::{Token, User};
use crate::schema::{tokens, users};
use crate::state::AppState;
use crate::tokens::notify::{Change, publish};
use crate::tokens::{Issued, TokenKind, TokenSpec, format, issue, reveal};

/// A private token with its assigned user, for the list.
pub struct PrivateRow {
    pub token: Token,
    pub assigned: String,
}

pub async fn public_token(state: &AppState) -> Result<Option<Token>, AppError> {
    state.db(|conn| Ok(Token::live_level(conn, TokenKind::AccountPublic, None, None)?)).await
}

pub async fn private_tokens(state: &AppState) -> Result<Vec<PrivateRow>, AppError> {
    state
        .db(|conn| {
            let rows: Vec<(Token, String)> = tokens::table
                .inner_join(users::table.on(users::id.nullable().eq(tokens::user_id)))
                .filter(tokens::kind.eq(TokenKind::AccountPrivate))
                .filter(tokens::revoked_at.is_null())
                .order(tokens::id.desc())
                .select((Token::as_select(), users::email))
                .load(conn)?;
            Ok(rows.into_iter().map(|(token, assigned)| PrivateRow { token, assigned }).collect())
        })
        .await
}

/// Generates the public token, or resets it: the old value is refused
/// from this commit on.
pub async fn generate_public(state: &AppState, actor: Actor) -> Result<Issued, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = state.now();
    let st = state.clone();
    state
        .tx(move |conn| {
            crate::models::org_settings::OrgSettings::lock(conn)?;
            let old = Token::live_level(conn, TokenKind::AccountPublic, None, None)?;
            if let Some(old) = &old {
                revoke_with_notice(conn, &st.settings, now, &actor, old, RevokedBy::Regenerated)?;
            }
            let spec =
                TokenSpec { name: "Account public token".into(), created_by: actor.user_id, ..TokenSpec::default() };
            let issued = issue(conn, &st.keys, TokenKind::AccountPublic, &spec, now)?;
            let action = if old.is_some() { "token.reset" } else { "token.created" };
            audit::record(
                conn,
                now,
                &actor,
                action,
                &issued.token.display_key(),
                json!({"kind": TokenKind::AccountPublic, "replaces": old.map(|t| t.display_key())}),
            )?;
            Ok(issued)
        })
        .await
}

pub async fn show_public(state: &AppState, actor: Actor) -> Result<(Token, SecretString), AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = state.now();
    let keys = state.keys.clone();
    state
        .tx(move |conn| {
            let token = Token::live_level(conn, TokenKind::AccountPublic, None, None)?
                .ok_or_else(|| AppError::conflict("There is no public token: generate one first."))?;
            let secret = reveal(&keys, &token)?;
            audit::record(conn, now, &actor, "token.shown", &token.display_key(), json!({"kind": token.kind}))?;
            Ok((token, secret))
        })
        .await
}

fn delete_token(
    conn: &mut PgConnection,
    now: time::OffsetDateTime,
    actor: &Actor,
    token: &Token,
) -> Result<(), AppError> {
    publish(conn, &Change::token(&token.digest))?;
    Token::delete(conn, token.id)?;
    audit::record(conn, now, actor, "token.deleted", &token.display_key(), json!({"kind": token.kind}))?;
    Ok(())
}

pub async fn delete_public(state: &AppState, actor: Actor) -> Result<Token, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = state.now();
    state
        .tx(move |conn| {
            let token = Token::live_level(conn, TokenKind::AccountPublic, None, None)?
                .ok_or_else(|| AppError::conflict("There is no public token to delete."))?;
            delete_token(conn, now, &actor, &token)?;
            Ok(token)
        })
        .await
}

/// A private token for bulk export and introspection, assigned to the
/// active user with `user_email` (every use is logged with them).
pub async fn create_private(
    state: &AppState,
    actor: Actor,
    user_email: &str,
    description: &str,
) -> Result<Issued, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let mut errors = FieldErrors::new();
    let email = EmailAddress::parse(user_email).map_err(|m| errors.insert("user".into(), m)).ok();
    let description = description.trim().to_owned();
    if description.is_empty() {
        errors.insert("description".into(), "Describe what the token is for, e.g. “nightly CRM export”.".into());
    } else if description.chars().count() > 200 {
        errors.insert("description".into(), "Use at most 200 characters.".into());
    }
    let now = state.now();
    let keys = state.keys.clone();
    state
        .tx(move |conn| {
            let user = match &email {
                Some(e) => match User::by_email(conn, e.as_str())? {
                    Some(u) if u.active && !u.pending() => Some(u),
                    Some(_) => {
                        errors.insert("user".into(), format!("{e} is not an active user."));
                        None
                    }
                    None => {
                        errors.insert("user".into(), format!("No user has the email {e}."));
                        None
                    }
                },
                None => None,
            };
            let (Some(user), true) = (user, errors.is_empty()) else {
                return Err(AppError::Validation(errors));
            };
            let spec = TokenSpec {
                name: description,
                user_id: Some(user.id),
                created_by: actor.user_id,
                ..TokenSpec::default()
            };
            let issued = issue(conn, &keys, TokenKind::AccountPrivate, &spec, now)?;
            audit::record(
                conn,
                now,
                &actor,
                "token.created",
                &issued.token.display_key(),
                json!({"kind": TokenKind::AccountPrivate, "assigned_to": user.email, "description": issued.token.name}),
            )?;
            Ok(issued)
        })
        .await
}

fn private_by_key(conn: &mut PgConnection, key: &str) -> Result<Token, AppError> {
    let key = format::normalise_key(key);
    Token::by_key(conn, key)?
        .filter(|t| t.kind == TokenKind::AccountPrivate && t.revoked_at.is_none())
        .ok_or_else(|| AppError::NoSuch(format!("no live private token has the key {key}")))
}

/// A new value for a private token (same assignment and description, a new
/// key); the old one is refused at once.
pub async fn reset_private(state: &AppState, actor: Actor, key: String) -> Result<Issued, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = state.now();
    let st = state.clone();
    state
        .tx(move |conn| {
            let old = private_by_key(conn, &key)?;
            revoke_with_notice(conn, &st.settings, now, &actor, &old, RevokedBy::Regenerated)?;
            let spec = TokenSpec {
                name: old.name.clone(),
                user_id: old.user_id,
                created_by: actor.user_id,
                ..TokenSpec::default()
            };
            let issued = issue(conn, &st.keys, TokenKind::AccountPrivate, &spec, now)?;
            audit::record(
                conn,
                now,
                &actor,
                "token.reset",
                &issued.token.display_key(),
                json!({"kind": TokenKind::AccountPrivate, "replaces": old.display_key()}),
            )?;
            Ok(issued)
        })
        .await
}

pub async fn delete_private(state: &AppState, actor: Actor, key: String) -> Result<Token, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = state.now();
    state
        .tx(move |conn| {
            let token = private_by_key(conn, &key)?;
            delete_token(conn, now, &actor, &token)?;
            Ok(token)
        })
        .await
}

/// A private token's use goes into the audit log with the user it is
/// assigned to.
pub async fn log_private_use(
    state: &AppState,
    principal: &crate::tokens::Principal,
    ip: &str,
    what: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    let assigned = principal.user.as_ref().map(|u| u.email.clone()).unwrap_or_default();
    let actor = Actor {
        user_id: principal.user.as_ref().map(|u| u.id),
        label: format!("token {} (assigned to {assigned})", principal.display_key()),
        role: None,
        ip: Some(ip.to_owned()),
    };
    let target = principal.display_key();
    let what = what.to_owned();
    let now = state.now();
    state
        .db(move |conn| {
            let mut details = details;
            details["used_for"] = json!(what);
            details["assigned_to"] = json!(assigned);
            audit::record(conn, now, &actor, "token.used", &target, details)?;
            Ok(())
        })
        .await
}
