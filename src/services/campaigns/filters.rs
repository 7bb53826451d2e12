//! Campaign filters: a name and conditions "select = option",
//! ANDed, that restrict a campaign API token to a slice of the leads.

use crate::services::campaigns::is_unique_violation;
use diesel::Connection as _;
use serde::Deserialize;
use serde_json::json;

use crate::db::changes::Change;
use crate::domain::{Actor, AuditAction, Permission};
use crate::error::{AppError, FieldErrors};
use crate::models::{FilterCondition, Token};
use crate::services::audit::record;
use crate::services::campaigns::catalog::{Campaign, CampaignSnapshot, Filter};
use crate::services::context::Services;

/// A condition by slugs, as the API and forms give it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ConditionInput {
    pub select: String,
    pub option: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct FilterInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub conditions: Vec<ConditionInput>,
}

/// Checks a filter against the structure: a name, at least one condition,
/// known selects and options, one condition per select.
fn resolve(snap: &CampaignSnapshot, input: &FilterInput) -> Result<(String, Vec<(i64, i64)>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        errors.insert("name".into(), "Give the filter a clear name, e.g. “Partner ABC – API access”.".into());
    } else if name.chars().count() > 200 {
        errors.insert("name".into(), "Use at most 200 characters.".into());
    }
    if input.conditions.is_empty() {
        errors.insert("conditions".into(), "Add at least one condition: select field = option.".into());
    }
    let mut resolved: Vec<(i64, i64)> = Vec::new();
    for (i, c) in input.conditions.iter().enumerate() {
        let key = format!("conditions[{i}]");
        let Some(select) = snap.select(c.select.trim()) else {
            errors.insert(key, format!("`{}` is not a select of this campaign", c.select));
            continue;
        };
        let Some(option) = select.option(c.option.trim()) else {
            errors.insert(key, format!("`{}` is not an option of {}", c.option, select.select.slug));
            continue;
        };
        if resolved.iter().any(|(s, _)| *s == select.select.id) {
            errors.insert(key, format!("{} has two conditions; a lead has one value per select", select.select.slug));
            continue;
        }
        resolved.push((select.select.id, option.id));
    }
    if errors.is_empty() { Ok((name, resolved)) } else { Err(errors) }
}

pub async fn create(svc: &Services, actor: Actor, campaign_id: i64, input: FilterInput) -> Result<Filter, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc
        .tx(move |conn| {
            let campaign = Campaign::find_for_update(conn, campaign_id)?;
            let snap = CampaignSnapshot::load(conn, campaign)?;
            let (name, conditions) = resolve(&snap, &input).map_err(AppError::Validation)?;
            let filter = match conn.transaction(|conn| Filter::insert(conn, campaign_id, &name, now)) {
                Ok(f) => f,
                Err(e) if is_unique_violation(&e) => return Err(AppError::invalid("name", "The campaign already has a filter with this name.")),
                Err(e) => return Err(e.into()),
            };
            FilterCondition::replace(conn, filter.id, &conditions)?;
            record(
                conn,
                now,
                &actor,
                AuditAction::FilterCreated,
                &format!("{}/{}", snap.campaign.slug, filter.name),
                json!({"conditions": input.conditions.iter().map(|c| format!("{} = {}", c.select, c.option)).collect::<Vec<_>>()}),
            )?;
            conn.publish(Change::Campaign(campaign_id))?;
            Ok(filter)
        })
        .await
}

/// Renames a filter and replaces its conditions. Tokens using it are
/// narrowed (or widened) from the commit on.
pub async fn update(
    svc: &Services,
    actor: Actor,
    campaign_id: i64,
    filter_id: i64,
    input: FilterInput,
) -> Result<Filter, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc
        .tx(move |conn| {
            let campaign = Campaign::find_for_update(conn, campaign_id)?;
            let filter = Filter::find(conn, campaign_id, filter_id)?;
            let snap = CampaignSnapshot::load(conn, campaign)?;
            let (name, conditions) = resolve(&snap, &input).map_err(AppError::Validation)?;
            match conn.transaction(|conn| Filter::rename(conn, filter.id, &name, now)) {
                Ok(()) => {}
                Err(e) if is_unique_violation(&e) => return Err(AppError::invalid("name", "The campaign already has a filter with this name.")),
                Err(e) => return Err(e.into()),
            }
            FilterCondition::replace(conn, filter.id, &conditions)?;
            record(
                conn,
                now,
                &actor,
                AuditAction::FilterUpdated,
                &format!("{}/{}", snap.campaign.slug, name),
                json!({"conditions": input.conditions.iter().map(|c| format!("{} = {}", c.select, c.option)).collect::<Vec<_>>()}),
            )?;
            conn.publish(Change::Campaign(campaign_id))?;
            Ok(Filter::find(conn, campaign_id, filter.id)?)
        })
        .await
}

/// Deletes a filter, unless a live API token uses it.
pub async fn delete(svc: &Services, actor: Actor, campaign_id: i64, filter_id: i64) -> Result<Filter, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = Campaign::find_for_update(conn, campaign_id)?;
        let filter = Filter::find(conn, campaign_id, filter_id)?;
        let users = Token::live_names_using_filter(conn, filter.id)?;
        if !users.is_empty() {
            return Err(AppError::conflict(format!(
                "The filter “{}” is used by {} ({}): revoke {} first.",
                filter.name,
                if users.len() == 1 { "1 API token".to_owned() } else { format!("{} API tokens", users.len()) },
                users.join(", "),
                if users.len() == 1 { "it" } else { "them" }
            )));
        }
        // Revoked tokens keep pointing at it; let them point at nothing.
        Token::clear_filter(conn, filter.id)?;
        Filter::delete(conn, filter.id)?;
        record(
            conn,
            now,
            &actor,
            AuditAction::FilterDeleted,
            &format!("{}/{}", campaign.slug, filter.name),
            json!({}),
        )?;
        conn.publish(Change::Campaign(campaign_id))?;
        Ok(filter)
    })
    .await
}
