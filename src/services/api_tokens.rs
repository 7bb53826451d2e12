//! Campaign API tokens (seed 001): a name, Read and/or Write, an optional
//! campaign filter. Retrievable (Show, audit-logged), permissions and filter
//! editable, revoked with a confirmation, refused on every other campaign.

use diesel::prelude::*;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use super::tokens::{RevokedBy, revoke_with_notice};
use super::{Actor, audit};
use crate::domain::Permission;
use crate::error::{AppError, FieldErrors};
use crate::models::{Campaign, Filter, Token};
use crate::schema::{tokens, users};
use crate::state::AppState;
use crate::tokens::notify::{Change, publish};
use crate::tokens::{Issued, TokenKind, TokenSpec, issue, reveal};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewApiToken {
    #[serde(default)]
    pub name: String,
    #[serde(flatten)]
    pub access: ApiTokenAccess,
}

/// What an API token may do: set at creation, editable after.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApiTokenAccess {
    #[serde(default)]
    pub read: bool,
    #[serde(default)]
    pub write: bool,
    #[serde(default)]
    pub filter_id: Option<i64>,
}

/// A campaign API token with who created it, for the list.
pub struct ApiTokenRow {
    pub token: Token,
    pub created_by: Option<String>,
}

pub async fn list(state: &AppState, campaign_id: i64) -> Result<Vec<ApiTokenRow>, AppError> {
    state
        .db(move |conn| {
            let rows: Vec<(Token, Option<String>)> = tokens::table
                .left_join(users::table.on(users::id.nullable().eq(tokens::created_by)))
                .filter(tokens::kind.eq(TokenKind::CampaignApi))
                .filter(tokens::campaign_id.eq(campaign_id))
                .order((tokens::revoked_at.is_not_null(), tokens::id.desc()))
                .select((Token::as_select(), users::email.nullable()))
                .load(conn)?;
            Ok(rows.into_iter().map(|(token, created_by)| ApiTokenRow { token, created_by }).collect())
        })
        .await
}

pub async fn create(state: &AppState, actor: Actor, campaign_id: i64, input: NewApiToken) -> Result<Issued, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        errors.insert("name".into(), "Name the token clearly, e.g. “Partner ABC – read only”.".into());
    } else if name.chars().count() > 200 {
        errors.insert("name".into(), "Use at most 200 characters.".into());
    }
    let now = state.now();
    let keys = state.keys.clone();
    state
        .tx(move |conn| {
            let campaign = Campaign::find_for_update(conn, campaign_id)?;
            let filter = check_access(conn, campaign.id, &input.access, &mut errors)?;
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            if campaign.archived_at.is_some() {
                return Err(AppError::conflict("The campaign is archived: restore it before you issue tokens for it."));
            }
            let spec = TokenSpec {
                name,
                campaign_id: Some(campaign.id),
                can_read: input.access.read,
                can_write: input.access.write,
                filter_id: filter.as_ref().map(|f| f.id),
                created_by: actor.user_id,
                ..TokenSpec::default()
            };
            let issued = issue(conn, &keys, TokenKind::CampaignApi, &spec, now)?;
            audit::record(
                conn,
                now,
                &actor,
                "token.created",
                &issued.token.display_key(),
                json!({
                    "kind": TokenKind::CampaignApi,
                    "campaign": campaign.slug,
                    "name": issued.token.name,
                    "read": input.access.read,
                    "write": input.access.write,
                    "filter": filter.map(|f| f.name),
                }),
            )?;
            Ok(issued)
        })
        .await
}

/// At least one permission, and a filter of this campaign if any: the
/// filter, or the complaints in `errors`.
fn check_access(
    conn: &mut PgConnection,
    campaign_id: i64,
    access: &ApiTokenAccess,
    errors: &mut FieldErrors,
) -> Result<Option<Filter>, AppError> {
    if !access.read && !access.write {
        errors.insert("permissions".into(), "Choose Read, Write or both.".into());
    }
    let Some(id) = access.filter_id else { return Ok(None) };
    let filter = Filter::find(conn, campaign_id, id).optional()?;
    if filter.is_none() {
        errors.insert("filter_id".into(), "Choose one of this campaign's filters.".into());
    }
    Ok(filter)
}

/// Changes what a token may do. Applied at once on every instance: the
/// token's cached state is dropped whether the change widens or narrows it.
pub async fn update_access(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    token_id: i64,
    input: ApiTokenAccess,
) -> Result<Token, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = state.now();
    state
        .tx(move |conn| {
            let token = campaign_token(conn, campaign_id, token_id)?;
            if token.revoked_at.is_some() {
                return Err(AppError::conflict("This token was revoked; its permissions cannot change."));
            }
            let mut errors = FieldErrors::new();
            let filter = check_access(conn, campaign_id, &input, &mut errors)?;
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            let unchanged =
                (token.can_read, token.can_write, token.filter_id) == (input.read, input.write, input.filter_id);
            if unchanged {
                return Ok(token);
            }
            let before_filter = match token.filter_id {
                Some(id) => Filter::find(conn, campaign_id, id).optional()?.map(|f| f.name),
                None => None,
            };
            let updated = Token::set_access(conn, token.id, input.read, input.write, input.filter_id)?;
            publish(conn, &Change::token(&token.digest))?;
            audit::record(
                conn,
                now,
                &actor,
                "token.access_changed",
                &token.display_key(),
                json!({
                    "kind": token.kind,
                    "before": {"read": token.can_read, "write": token.can_write, "filter": before_filter},
                    "after": {"read": input.read, "write": input.write, "filter": filter.map(|f| f.name)},
                }),
            )?;
            Ok(updated)
        })
        .await
}

fn campaign_token(conn: &mut PgConnection, campaign_id: i64, token_id: i64) -> Result<Token, AppError> {
    let token = Token::find_for_update(conn, token_id)?;
    if token.kind != TokenKind::CampaignApi || token.campaign_id != Some(campaign_id) {
        return Err(AppError::NotFound);
    }
    Ok(token)
}

/// Show: the token, audit-logged with who and when.
pub async fn show(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    token_id: i64,
) -> Result<(Token, SecretString), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = state.now();
    let keys = state.keys.clone();
    state
        .tx(move |conn| {
            let token = campaign_token(conn, campaign_id, token_id)?;
            if token.revoked_at.is_some() {
                return Err(AppError::conflict("This token was revoked; it cannot be shown."));
            }
            let secret = reveal(&keys, &token)?;
            audit::record(conn, now, &actor, "token.shown", &token.display_key(), json!({"kind": token.kind}))?;
            Ok((token, secret))
        })
        .await
}

pub async fn revoke(state: &AppState, actor: Actor, campaign_id: i64, token_id: i64) -> Result<Token, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = state.now();
    let settings = state.settings.clone();
    state
        .tx(move |conn| {
            let token = campaign_token(conn, campaign_id, token_id)?;
            if token.revoked_at.is_none() {
                revoke_with_notice(conn, &settings, now, &actor, &token, RevokedBy::Manager)?;
            }
            Ok(token)
        })
        .await
}

/// The token with this key, if it is a campaign API token of the campaign
/// (public documentation: metadata only).
pub fn by_key(conn: &mut PgConnection, campaign_id: i64, key: &str) -> Result<Option<Token>, AppError> {
    let key = crate::tokens::format::normalise_key(key);
    Ok(Token::by_key(conn, key)?.filter(|t| t.kind == TokenKind::CampaignApi && t.campaign_id == Some(campaign_id)))
}
