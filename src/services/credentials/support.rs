//! The support console's rules: find any token by its metadata, revoke or
//! deactivate it with a mandatory reason (the owner, or for organisation and
//! campaign tokens the admins, are told), revoke everything a user holds at
//! once, and identify a pasted (possibly leaked) token without storing it.
//! Support never sees a secret, and creates, reveals or regenerates nothing.

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;

use crate::config::Settings;
use crate::domain::{Actor, AuditAction, EmailAddress, Permission, TokenKind, TokenStatus, normalise_key};
use crate::error::AppError;
use crate::mail::{self, messages};
use crate::models::TokenSearch;
use crate::models::{Token, User};
use crate::services::accounts::UserInfo;
use crate::services::audit::record;
use crate::services::context::Services;
use crate::services::context::Tx;
use crate::services::credentials::lifecycle::{self, RevokedBy, revoke_with_notice};
use crate::services::credentials::token_info::listing;
use crate::services::credentials::token_info::{TokenInfo, TokenListing};
use crate::services::credentials::token_manage::{self, Detail};
use crate::tokens::format;

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

/// A campaign by id or slug, to filter tokens by (support sees every
/// campaign's tokens, so may look campaigns up; others may not).
pub async fn campaign(
    svc: &Services,
    actor: &Actor,
    reference: &str,
) -> Result<crate::services::campaigns::catalog::Campaign, AppError> {
    actor.require(Permission::SupportTokens)?;
    crate::services::campaigns::catalog::campaign_by_ref(svc, reference).await
}

/// Token metadata, filtered and keyset-paginated, newest first.
pub async fn search(svc: &Services, actor: &Actor, filter: TokenSearch) -> Result<Vec<TokenListing>, AppError> {
    actor.require(Permission::SupportTokens)?;
    let now = svc.now();
    svc.run(move |conn| Ok(crate::services::credentials::token_info::search(conn, &filter, now)?)).await
}

pub async fn find(svc: &Services, actor: &Actor, id: i64) -> Result<TokenListing, AppError> {
    actor.require(Permission::SupportTokens)?;
    svc.run(move |conn| {
        let token = Token::find(conn, id)?;
        Ok(listing(conn, token)?)
    })
    .await
}

/// A page of [`search`] with each token's lifecycle settings: what the
/// tokens API answers for every token.
pub async fn search_details(svc: &Services, actor: &Actor, filter: TokenSearch) -> Result<Vec<Detail>, AppError> {
    actor.require(Permission::SupportTokens)?;
    let (now, actor) = (svc.now(), actor.clone());
    svc.run(move |conn| {
        let rows = crate::services::credentials::token_info::search(conn, &filter, now)?;
        token_manage::details_of(conn, &actor, rows)
    })
    .await
}

/// One token, by id, with its lifecycle settings (after an action on it).
pub async fn find_detail(svc: &Services, actor: &Actor, id: i64) -> Result<Detail, AppError> {
    actor.require(Permission::SupportTokens)?;
    let actor = actor.clone();
    svc.run(move |conn| {
        let token = Token::find(conn, id)?;
        let rows = vec![listing(conn, token)?];
        token_manage::details_of(conn, &actor, rows)?.pop().ok_or(AppError::NotFound)
    })
    .await
}

/// Who hears of a support action on `token`: its owner or assigned user;
/// for campaign-level tokens the admins; for organisation tokens the super
/// admins.
fn notify(
    conn: &mut Tx<'_>,
    settings: &Settings,
    now: time::OffsetDateTime,
    row: &TokenListing,
    action: &str,
    why: &str,
) -> Result<(), AppError> {
    let scope = lifecycle::scope_text(row);
    for user in lifecycle::responsible(conn, row.token.user_id, row.token.campaign_id)? {
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
pub async fn revoke(svc: &Services, actor: Actor, id: i64, why: &str) -> Result<TokenInfo, AppError> {
    actor.require(Permission::SupportTokens)?;
    let why = reason(why)?;
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |conn| {
        let token = Token::find_for_update(conn, id)?;
        if token.revoked_at.is_some() {
            return Err(AppError::conflict(format!("{} is already revoked.", token.display_key())));
        }
        revoke_with_notice(conn, &settings, now, &actor, &token, RevokedBy::Support(why.clone()))?;
        // Profile tokens' owners hear of it through their own email.
        if token.kind != TokenKind::Profile {
            let fresh = Token::find(conn, token.id)?;
            let r = listing(conn, fresh)?;
            notify(conn, &settings, now, &r, "revoked", &why)?;
        }
        Ok(token.into())
    })
    .await
}

/// Deactivates any token with a reason (reactivation is possible).
pub async fn deactivate(svc: &Services, actor: Actor, id: i64, why: &str) -> Result<TokenInfo, AppError> {
    actor.require(Permission::SupportTokens)?;
    let why = reason(why)?;
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |tx| {
        let token = Token::find_for_update(tx, id)?;
        if token.status(now) != TokenStatus::Active {
            return Err(AppError::conflict(format!("{} is not active.", token.display_key())));
        }
        lifecycle::set_active(tx, now, &actor, &token, false, Some(&why))?;
        let fresh = Token::find(tx, token.id)?;
        let r = listing(tx, fresh)?;
        notify(tx, &settings, now, &r, "deactivated", &why)?;
        Ok(r.token)
    })
    .await
}

pub async fn reactivate(svc: &Services, actor: Actor, id: i64) -> Result<TokenInfo, AppError> {
    actor.require(Permission::SupportTokens)?;
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |tx| {
        let token = Token::find_for_update(tx, id)?;
        if token.status(now) != TokenStatus::Deactivated {
            return Err(AppError::conflict(format!("{} is not deactivated.", token.display_key())));
        }
        // Support does not undo an owner's choice.
        if owner_switched_off(token.kind, token.user_id, token.deactivated_by) && actor.user_id != token.user_id {
            return Err(AppError::forbidden(format!(
                "{}'s owner deactivated it: only the owner may turn it back on.",
                token.display_key()
            )));
        }
        lifecycle::set_active(tx, now, &actor, &token, true, None)?;
        let fresh = Token::find(tx, token.id)?;
        let r = listing(tx, fresh)?;
        notify(tx, &settings, now, &r, "reactivated", "reactivated by support")?;
        Ok(r.token)
    })
    .await
}

/// A personal token its owner switched off: only the owner may turn it on.
pub fn owner_switched_off(kind: TokenKind, owner: Option<i64>, deactivated_by: Option<i64>) -> bool {
    kind == TokenKind::Personal && owner.is_some() && deactivated_by == owner
}

/// Revokes every live token a user owns or is assigned (a person leaving),
/// with one email to them listing the keys.
pub async fn revoke_all_of_user(
    svc: &Services,
    actor: Actor,
    user_id: i64,
    why: &str,
) -> Result<Vec<TokenInfo>, AppError> {
    actor.require(Permission::SupportTokens)?;
    let why = reason(why)?;
    let now = svc.now();
    svc.tx(move |conn| {
        let user = User::find_for_update(conn, user_id)?;
        let tokens = Token::live_of_user(conn, user.id)?;
        for token in &tokens {
            // The one email below replaces the per-token ones.
            lifecycle::revoke_recorded(conn, now, &actor, token, &why)?;
        }
        record(
            conn,
            now,
            &actor,
            AuditAction::UserTokensRevoked,
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
        Ok(tokens.into_iter().map(TokenInfo::from).collect())
    })
    .await
}

/// A user by email, and the keys of the live tokens they own or are
/// assigned (what "revoke every token of a user" would revoke).
pub async fn user_by_email(svc: &Services, actor: &Actor, email: &str) -> Result<(UserInfo, Vec<String>), AppError> {
    actor.require(Permission::SupportTokens)?;
    let email = EmailAddress::parse(email).map_err(|m| AppError::invalid("email", m))?;
    svc.run(move |conn| {
        let user = User::by_email(conn, email.as_str())?
            .ok_or(AppError::invalid("email", format!("No user has the email {email}.")))?;
        let keys = Token::live_of_user(conn, user.id)?.iter().map(Token::display_key).collect();
        Ok((user.into(), keys))
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
    Known(Box<TokenListing>),
}

/// Identifies a pasted token by its digest. The value itself is neither
/// stored nor logged.
pub async fn check(svc: &Services, actor: &Actor, pasted: SecretString) -> Result<Checked, AppError> {
    actor.require(Permission::SupportTokens)?;
    let Ok(parsed) = format::parse(pasted.expose_secret().trim()) else {
        return Ok(Checked::Malformed);
    };
    let (kind, key) = (parsed.kind, parsed.key.to_owned());
    let digest = svc.keys.token_digest(parsed.token);
    let now = svc.now();
    let who = actor.clone();
    svc.tx(move |tx| {
        let found = Token::by_digest_with_user(tx, &digest)?;
        record(
            tx,
            now,
            &who,
            AuditAction::TokenChecked,
            &format!("{}{key}", kind.prefix()),
            json!({"known": found.is_some()}),
        )?;
        match found {
            Some((token, _)) => Ok(Checked::Known(Box::new(listing(tx, token)?))),
            None => Ok(Checked::Unknown { kind, key }),
        }
    })
    .await
}

/// The token with a key (for the API's revoke by key).
pub async fn by_key(svc: &Services, actor: &Actor, key: String) -> Result<TokenInfo, AppError> {
    actor.require(Permission::SupportTokens)?;
    svc.run(move |conn| {
        let k = normalise_key(&key);
        Ok(Token::by_key(conn, k)?.ok_or_else(|| AppError::NoSuch(format!("no token has the key {k}")))?.into())
    })
    .await
}
