//! The profile API token: one per user at a time, 180 days
//! (configurable) then deleted, generated with a one-time reveal, revoked
//! with a confirmation; emails on both; a super admin can switch the option
//! off per user, which revokes the token.

use serde_json::json;
use time::Duration;

use crate::config::Settings;
use crate::domain::{Actor, Scope, TokenKind, UserId};
use crate::error::AppError;
use crate::mail::{self, messages};
use crate::models::{Token, User};
use crate::services::context::{Services, Tx};
use crate::services::credentials::lifecycle::{RevokedBy, expire, issue_audited, revoke_with_notice};
use crate::services::credentials::token_info::{NewToken, TokenInfo};
use crate::tokens::TokenSpec;

/// The user's current profile token, if any.
pub async fn current(svc: &Services, user_id: i64) -> Result<Option<TokenInfo>, AppError> {
    svc.run(move |conn| Ok(Token::live_profile_of(conn, user_id)?.map(TokenInfo::from))).await
}

/// Generates the actor's profile API token: one per user at a time (a
/// unique index enforces it; the user row is locked so two concurrent
/// requests queue), confirmed by email.
pub async fn generate(svc: &Services, actor: Actor) -> Result<NewToken, AppError> {
    let user_id = actor.own_user_id()?;
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |tx| {
        let settings = s.settings.clone();
        let user = User::find_for_update(tx, user_id)?;
        if !user.api_token_allowed {
            return Err(AppError::forbidden(
                "The API token option is disabled for your account. Contact your administrator.",
            ));
        }
        if let Some(existing) = Token::live_profile_of(tx, user.id)? {
            if existing.expires_at.is_some_and(|e| e <= now) {
                expire(tx, &settings, now, &existing)?;
            } else {
                return Err(AppError::conflict(
                    "You already have an API token: revoke it before you generate a new one.",
                ));
            }
        }
        let spec = TokenSpec {
            name: "Profile API token".to_owned(),
            scope: Scope::User(UserId(user.id)),
            created_by: Some(user.id),
            expires_at: Some(now + Duration::days(settings.profile_token_days)),
            ..TokenSpec::default()
        };
        let issued = issue_audited(tx, &s, &actor, TokenKind::Profile, &spec, now, json!({}))?;
        mail::enqueue(
            tx,
            now,
            &user.email,
            &messages::ProfileTokenCreated {
                name: user.name().to_owned(),
                key: issued.token.display_key(),
                expires: issued.token.expires_at.map(crate::clock::display).unwrap_or_default(),
                profile_link: settings.link("/profile"),
            },
        )?;
        Ok(issued.into())
    })
    .await
}

/// Revokes the actor's own profile token (not reversible).
pub async fn revoke_own(svc: &Services, actor: Actor) -> Result<TokenInfo, AppError> {
    let user_id = actor.own_user_id()?;
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |tx| {
        let token = Token::live_profile_of(tx, user_id)?
            .ok_or_else(|| AppError::conflict("You have no API token to revoke."))?;
        revoke_with_notice(tx, &settings, now, &actor, &token, RevokedBy::Owner)?;
        Ok(token.into())
    })
    .await
}

/// When "API token allowed" goes off: the user's profile token goes too.
pub(in crate::services) fn revoke_on_switch_off(
    tx: &mut Tx<'_>,
    settings: &Settings,
    now: time::OffsetDateTime,
    actor: &Actor,
    user_id: i64,
) -> Result<(), AppError> {
    if let Some(token) = Token::live_profile_of(tx, user_id)? {
        revoke_with_notice(tx, settings, now, actor, &token, RevokedBy::Administrator)?;
    }
    Ok(())
}
