//! Account tokens, super admins only: one public token for
//! public data services (retrievable, it may sit in a widget), and private
//! tokens for bulk export and introspection, each assigned to a user for
//! logging and shown once. Reset issues a new value and refuses the old one
//! at once; Delete removes the token.

use diesel::prelude::*;
use secrecy::SecretString;
use serde_json::json;

use crate::domain::{Actor, AuditAction, EmailAddress, Permission, Scope, TokenKind, UserId, normalise_key};
use crate::error::{AppError, FieldErrors};
use crate::models::{OrgSettings, Token, User};
use crate::services::accounts::UserInfo;
use crate::services::audit::record;
use crate::services::context::Services;
use crate::services::credentials::lifecycle::{self, RevokedBy, issue_audited, issue_recorded, revoke_with_notice};
use crate::services::credentials::token_info::{NewToken, TokenInfo};
use crate::tokens::{Principal, TokenSpec, reveal};

/// A private token with its assigned user, for the list.
pub struct PrivateRow {
    pub token: TokenInfo,
    pub assigned: String,
}

/// Everything Account Settings › Tokens shows: the public token, the live
/// private tokens, and the users a new private token may be assigned to.
pub struct Overview {
    pub public: Option<TokenInfo>,
    pub private: Vec<PrivateRow>,
    pub assignable: Vec<UserInfo>,
}

pub async fn overview(svc: &Services, actor: &Actor) -> Result<Overview, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    svc.run(|conn| {
        let public = Token::live_level(conn, TokenKind::AccountPublic, None, None)?.map(TokenInfo::from);
        let private = Token::live_private_with_assignee(conn)?
            .into_iter()
            .map(|(token, assigned)| PrivateRow { token: token.into(), assigned })
            .collect();
        let assignable =
            User::list(conn)?.into_iter().filter(|u| u.active && !u.pending()).map(UserInfo::from).collect();
        Ok(Overview { public, private, assignable })
    })
    .await
}

/// Generates the public token, or resets it: the old value is refused
/// from this commit on.
pub async fn generate_public(svc: &Services, actor: Actor) -> Result<NewToken, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |tx| {
        OrgSettings::lock(tx)?;
        let old = Token::live_level(tx, TokenKind::AccountPublic, None, None)?;
        if let Some(old) = &old {
            revoke_with_notice(tx, &s.settings, now, &actor, old, RevokedBy::Regenerated)?;
        }
        let spec = TokenSpec { name: "Account public token".into(), created_by: actor.user_id, ..TokenSpec::default() };
        let action = if old.is_some() { AuditAction::TokenReset } else { AuditAction::TokenCreated };
        let details = json!({"replaces": old.map(|t| t.display_key())});
        let issued = issue_recorded(tx, &s, &actor, TokenKind::AccountPublic, &spec, now, action, details)?;
        Ok(issued.into())
    })
    .await
}

pub async fn show_public(svc: &Services, actor: Actor) -> Result<(TokenInfo, SecretString), AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = svc.now();
    let keys = svc.keys.clone();
    svc.tx(move |tx| {
        let token = Token::live_level(tx, TokenKind::AccountPublic, None, None)?
            .ok_or_else(|| AppError::conflict("There is no public token: generate one first."))?;
        let secret = reveal(&keys, &token)?;
        record(tx, now, &actor, AuditAction::TokenShown, &token.display_key(), json!({"kind": token.kind}))?;
        Ok((token.into(), secret))
    })
    .await
}

pub async fn delete_public(svc: &Services, actor: Actor) -> Result<TokenInfo, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = svc.now();
    svc.tx(move |tx| {
        let token = Token::live_level(tx, TokenKind::AccountPublic, None, None)?
            .ok_or_else(|| AppError::conflict("There is no public token to delete."))?;
        lifecycle::delete(tx, now, &actor, &token)?;
        Ok(token.into())
    })
    .await
}

/// A private token for bulk export and introspection, assigned to the
/// active user with `user_email` (every use is logged with them).
pub async fn create_private(
    svc: &Services,
    actor: Actor,
    user_email: &str,
    description: &str,
) -> Result<NewToken, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let mut errors = FieldErrors::new();
    let email = EmailAddress::parse(user_email).map_err(|m| errors.insert("user".into(), m)).ok();
    let description = description.trim().to_owned();
    if description.is_empty() {
        errors.insert("description".into(), "Describe what the token is for, e.g. “nightly CRM export”.".into());
    } else if description.chars().count() > 200 {
        errors.insert("description".into(), "Use at most 200 characters.".into());
    }
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |conn| {
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
            scope: Scope::User(UserId(user.id)),
            created_by: actor.user_id,
            ..TokenSpec::default()
        };
        let details = json!({"assigned_to": user.email, "description": spec.name});
        let issued = issue_audited(conn, &s, &actor, TokenKind::AccountPrivate, &spec, now, details)?;
        Ok(issued.into())
    })
    .await
}

fn private_by_key(conn: &mut PgConnection, key: &str) -> Result<Token, AppError> {
    let key = normalise_key(key);
    Token::by_key(conn, key)?
        .filter(|t| t.kind == TokenKind::AccountPrivate && t.revoked_at.is_none())
        .ok_or_else(|| AppError::NoSuch(format!("no live private token has the key {key}")))
}

/// A new value for a private token (same assignment and description, a new
/// key); the old one is refused at once, or keeps working for `grace` (up
/// to 7 days) beside the new one.
pub async fn reset_private(
    svc: &Services,
    actor: Actor,
    key: String,
    grace: time::Duration,
) -> Result<(NewToken, Option<time::OffsetDateTime>), AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    crate::services::credentials::token_manage::check_grace(grace)?;
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |conn| {
        let old = private_by_key(conn, &key)?;
        if old.retiring_until.is_some() {
            return Err(AppError::conflict(
                "This token was already reset and is retiring: reset its successor instead.",
            ));
        }
        let (issued, until) = crate::services::credentials::token_manage::replace(
            conn,
            &s,
            &actor,
            &old,
            grace,
            now,
            AuditAction::TokenReset,
            json!({}),
        )?;
        Ok((issued.into(), until))
    })
    .await
}

pub async fn delete_private(svc: &Services, actor: Actor, key: String) -> Result<TokenInfo, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = svc.now();
    svc.tx(move |tx| {
        let token = private_by_key(tx, &key)?;
        lifecycle::delete(tx, now, &actor, &token)?;
        Ok(token.into())
    })
    .await
}

/// A private token's use goes into the audit log with the user it is
/// assigned to.
pub async fn log_private_use(
    svc: &Services,
    principal: &Principal,
    ip: &str,
    what: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    let assigned = principal.user.as_ref().map(|u| u.email.clone()).unwrap_or_default();
    // The user the token is assigned to, through the token: it does not
    // act with their role.
    let actor = Actor {
        user_id: principal.user.as_ref().map(|u| u.id),
        label: assigned.clone(),
        role: None,
        ip: Some(ip.to_owned()),
        via_token: Some(principal.display_key()),
    };
    let target = principal.display_key();
    let what = what.to_owned();
    let now = svc.now();
    // One insert: no transaction around it.
    svc.run(move |conn| {
        let mut details = details;
        details["used_for"] = json!(what);
        details["assigned_to"] = json!(assigned);
        record(conn, now, &actor, AuditAction::TokenUsed, &target, details)
    })
    .await
}
