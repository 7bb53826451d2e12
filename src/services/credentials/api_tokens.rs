//! Campaign API tokens: a name, Read and/or Write, an optional
//! campaign filter. Retrievable (Show, audit-logged), permissions and filter
//! editable, revoked with a confirmation, refused on every other campaign.

use diesel::prelude::*;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use crate::db::changes::Change;
use crate::domain::{Actor, AuditAction, CampaignId, FilterId, Permission, Scope, TokenKind, normalise_key};
use crate::error::{AppError, FieldErrors};
use crate::models::{Campaign, Filter, Token};
use crate::services::audit::record;
use crate::services::context::Services;
use crate::services::credentials::lifecycle::{RevokedBy, issue_audited, revoke_with_notice};
use crate::services::credentials::token_info::{NewToken, TokenInfo};
use crate::tokens::{TokenSpec, reveal};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewApiToken {
    #[serde(default)]
    pub name: String,
    #[serde(flatten)]
    pub access: ApiTokenAccess,
}

/// What an API token may do: set at creation, editable after.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
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
    pub token: TokenInfo,
    pub created_by: Option<String>,
}

/// The campaign's API tokens, live ones first.
pub async fn list(svc: &Services, actor: &Actor, campaign_id: i64) -> Result<Vec<ApiTokenRow>, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    svc.run(move |conn| {
        let rows = Token::campaign_api_with_creator(conn, campaign_id)?;
        Ok(rows.into_iter().map(|(token, created_by)| ApiTokenRow { token: token.into(), created_by }).collect())
    })
    .await
}

/// One live API token of the campaign.
pub async fn get(svc: &Services, actor: &Actor, campaign_id: i64, token_id: i64) -> Result<TokenInfo, AppError> {
    list(svc, actor, campaign_id)
        .await?
        .into_iter()
        .map(|r| r.token)
        .find(|t| t.id == token_id && t.revoked_at.is_none())
        .ok_or(AppError::NotFound)
}

pub async fn create(svc: &Services, actor: Actor, campaign_id: i64, input: NewApiToken) -> Result<NewToken, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        errors.insert("name".into(), "Name the token clearly, e.g. “Partner ABC – read only”.".into());
    } else if name.chars().count() > 200 {
        errors.insert("name".into(), "Use at most 200 characters.".into());
    }
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |conn| {
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
            scope: Scope::CampaignApi {
                campaign: CampaignId(campaign.id),
                read: input.access.read,
                write: input.access.write,
                filter: filter.as_ref().map(|f| FilterId(f.id)),
            },
            created_by: actor.user_id,
            ..TokenSpec::default()
        };
        let details = json!({
            "campaign": campaign.slug,
            "name": spec.name,
            "read": input.access.read,
            "write": input.access.write,
            "filter": filter.map(|f| f.name),
        });
        let issued = issue_audited(conn, &s, &actor, TokenKind::CampaignApi, &spec, now, details)?;
        Ok(issued.into())
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
    svc: &Services,
    actor: Actor,
    campaign_id: i64,
    token_id: i64,
    input: ApiTokenAccess,
) -> Result<TokenInfo, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.tx(move |conn| {
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
            return Ok(token.into());
        }
        let before_filter = match token.filter_id {
            Some(id) => Filter::find(conn, campaign_id, id).optional()?.map(|f| f.name),
            None => None,
        };
        let updated = Token::set_access(conn, token.id, input.read, input.write, input.filter_id)?;
        conn.publish(Change::token(&token.digest))?;
        record(
            conn,
            now,
            &actor,
            AuditAction::TokenAccessChanged,
            &token.display_key(),
            json!({
                "kind": token.kind,
                "before": {"read": token.can_read, "write": token.can_write, "filter": before_filter},
                "after": {"read": input.read, "write": input.write, "filter": filter.map(|f| f.name)},
            }),
        )?;
        Ok(updated.into())
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
    svc: &Services,
    actor: Actor,
    campaign_id: i64,
    token_id: i64,
) -> Result<(TokenInfo, SecretString), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    let keys = svc.keys.clone();
    svc.tx(move |conn| {
        let token = campaign_token(conn, campaign_id, token_id)?;
        if token.revoked_at.is_some() {
            return Err(AppError::conflict("This token was revoked; it cannot be shown."));
        }
        let secret = reveal(&keys, &token)?;
        record(conn, now, &actor, AuditAction::TokenShown, &token.display_key(), json!({"kind": token.kind}))?;
        Ok((token.into(), secret))
    })
    .await
}

pub async fn revoke(svc: &Services, actor: Actor, campaign_id: i64, token_id: i64) -> Result<TokenInfo, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |conn| {
        let token = campaign_token(conn, campaign_id, token_id)?;
        if token.revoked_at.is_none() {
            revoke_with_notice(conn, &settings, now, &actor, &token, RevokedBy::Manager)?;
        }
        Ok(token.into())
    })
    .await
}

/// The token with this key, if it is a campaign API token of the campaign
/// (public documentation: metadata only).
pub(in crate::services) fn by_key(
    conn: &mut PgConnection,
    campaign_id: i64,
    key: &str,
) -> Result<Option<TokenInfo>, AppError> {
    let key = normalise_key(key);
    Ok(Token::by_key(conn, key)?
        .filter(|t| t.kind == TokenKind::CampaignApi && t.campaign_id == Some(campaign_id))
        .map(TokenInfo::from))
}
