//! Personal tokens: as many as a user wants, each with a
//! description, a key and a secret shown once; an activate/deactivate
//! switch; an optional organisation cap on their lifetime. A personal token
//! acts as its owner, with the owner's role.

use serde_json::json;
use time::Duration;

use crate::domain::{Actor, EmailAddress, Scope, TokenKind, UserId};
use crate::error::{AppError, FieldErrors};
use crate::models::{Token, TokenPolicy, User};
use crate::services::context::{Services, Tx};
use crate::services::credentials::lifecycle::{self, issue_audited};
use crate::services::credentials::token_info::{NewToken, TokenInfo};
use crate::tokens::TokenSpec;

pub const DESCRIPTION_MAX: usize = 200;

/// One of the actor's own personal tokens, locked; someone else's is 404.
fn own(tx: &mut Tx<'_>, actor: &Actor, id: i64) -> Result<Token, AppError> {
    let token = Token::find_for_update(tx, id)?;
    if token.kind != TokenKind::Personal || token.user_id != actor.user_id {
        return Err(AppError::NotFound);
    }
    Ok(token)
}

/// The organisation's maximum lifetime for new personal tokens, if any.
pub async fn policy(svc: &Services) -> Result<Option<i32>, AppError> {
    Ok(crate::services::credentials::token_policy::of(svc, TokenKind::Personal).await?.max_days)
}

/// A new personal token for `owner_id` (the actor, or the user named on
/// the command line). The secret is in the result and nowhere else.
pub async fn create(
    svc: &Services,
    actor: Actor,
    owner_id: i64,
    description: &str,
    expires_in_days: Option<i64>,
) -> Result<NewToken, AppError> {
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
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |tx| {
        let policy = TokenPolicy::of(tx, TokenKind::Personal)?.max_days.map(i64::from);
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
            // The policy's default lifetime, given when the token is issued.
            (None, _) => None,
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let owner = User::find(tx, owner_id)?;
        if !owner.active {
            return Err(AppError::conflict(format!("{} is deactivated.", owner.email)));
        }
        let spec = TokenSpec {
            name: description,
            scope: Scope::User(UserId(owner.id)),
            created_by: actor.user_id.or(Some(owner.id)),
            expires_at: days.map(|d| now + Duration::days(d)),
            ..TokenSpec::default()
        };
        let expires = spec.expires_at.map(crate::clock::rfc3339);
        let issued = issue_audited(
            tx,
            &s,
            &actor,
            TokenKind::Personal,
            &spec,
            now,
            json!({"owner": owner.email, "expires_at": expires}),
        )?;
        Ok(issued.into())
    })
    .await
}

/// The user's personal tokens, newest first (revoked ones included: they
/// show why a token stopped working).
pub async fn list(svc: &Services, user_id: i64) -> Result<Vec<TokenInfo>, AppError> {
    svc.run(move |conn| Ok(Token::personal_of(conn, user_id)?.into_iter().map(TokenInfo::from).collect())).await
}

/// One of the actor's own personal tokens.
pub async fn get(svc: &Services, actor: &Actor, id: i64) -> Result<TokenInfo, AppError> {
    let user_id = actor.own_user_id()?;
    list(svc, user_id).await?.into_iter().find(|t| t.id == id).ok_or(AppError::NotFound)
}

/// The switch on each personal token: a deactivated token is refused, and
/// works again once activated. A token someone else deactivated (support)
/// stays off until they reactivate it.
pub async fn set_active(svc: &Services, actor: Actor, id: i64, active: bool) -> Result<TokenInfo, AppError> {
    let now = svc.now();
    svc.tx(move |tx| {
        let token = own(tx, &actor, id)?;
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
            lifecycle::set_active(tx, now, &actor, &token, active, Some("deactivated by its owner"))?;
        }
        Ok(Token::find(tx, token.id)?.into())
    })
    .await
}

pub async fn delete(svc: &Services, actor: Actor, id: i64) -> Result<TokenInfo, AppError> {
    let now = svc.now();
    svc.tx(move |tx| {
        let token = own(tx, &actor, id)?;
        lifecycle::delete(tx, now, &actor, &token)?;
        Ok(token.into())
    })
    .await
}

/// `keyward token issue`: a personal token for the user with `email`,
/// printed once (break-glass and automation).
pub async fn issue_from_cli(svc: &Services, email: &str, description: &str) -> Result<NewToken, AppError> {
    let email = EmailAddress::parse(email).map_err(|m| AppError::invalid("user", m))?;
    let lookup = email.clone();
    let user = svc
        .run(move |conn| Ok(User::by_email(conn, lookup.as_str())?))
        .await?
        .ok_or_else(|| AppError::invalid("user", format!("No user has the email {email}.")))?;
    create(svc, Actor::command_line(), user.id, description, None).await
}
