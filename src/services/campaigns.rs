//! Campaigns and their structure: create, edit, archive; sources; fields,
//! selects and options, statuses. Slugs are fixed at creation (leads store
//! them); labels can change. Every change is audited and published, so
//! caches of the structure follow.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection as _, PgConnection};
use serde::Deserialize;
use serde_json::json;

use super::{Actor, audit};
use crate::domain::{Ident, Permission, Slug};
use crate::error::{AppError, FieldErrors};
use crate::models::{
    Campaign, Field, FieldType, FilterCondition, Lead, Select, SelectOption, Source, SourceKind, Status,
};
use crate::state::AppState;
use crate::tokens::notify::{Change, publish};

const NAME_MAX: usize = 200;

fn is_unique_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}

fn check_name(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let v = value.trim().to_owned();
    if v.is_empty() {
        errors.insert(field.into(), "This is required.".into());
    } else if v.chars().count() > NAME_MAX {
        errors.insert(field.into(), format!("Use at most {NAME_MAX} characters."));
    }
    v
}

fn ident(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    match Ident::parse(value) {
        Ok(i) => i.into_string(),
        Err(m) => {
            errors.insert(field.into(), m);
            String::new()
        }
    }
}

fn changed(conn: &mut PgConnection, campaign_id: i64) -> Result<(), AppError> {
    publish(conn, &Change::Campaign(campaign_id))?;
    Ok(())
}

fn campaign_for_update(conn: &mut PgConnection, id: i64) -> Result<Campaign, AppError> {
    Campaign::find_for_update(conn, id).map_err(AppError::from)
}

// ------------------------------------------------------------ campaigns

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewCampaign {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub description: String,
}

/// Creates a campaign with a default status `new`. Without a slug, one is
/// made from the name (with `-2`, `-3`... if taken).
pub async fn create_campaign(state: &AppState, actor: Actor, input: NewCampaign) -> Result<Campaign, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let name = check_name(&mut errors, "name", &input.name);
    let description = input.description.trim().to_owned();
    if description.chars().count() > 2000 {
        errors.insert("description".into(), "Use at most 2000 characters.".into());
    }
    let explicit = input.slug.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let slug = match &explicit {
        Some(s) => Slug::parse(s).map_err(|m| errors.insert("slug".into(), m)).ok(),
        None => Slug::from_name(&name),
    };
    if slug.is_none() && !errors.contains_key("name") && !errors.contains_key("slug") {
        errors.insert("slug".into(), "Choose a slug: the name has no letters or digits to make one from.".into());
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let Some(slug) = slug else { return Err(AppError::invalid("slug", "A slug is required.")) };
    let now = state.now();
    state
        .tx(move |conn| {
            let public_id = crate::tokens::random_base62(16);
            let mut attempt = 1;
            let campaign = loop {
                let candidate = if attempt == 1 { slug.to_string() } else { format!("{slug}-{attempt}") };
                let inserted =
                    conn.transaction(|conn| Campaign::insert(conn, &public_id, &candidate, &name, &description, now));
                match inserted {
                    Ok(c) => break c,
                    Err(e) if is_unique_violation(&e) && explicit.is_none() && attempt < 50 => attempt += 1,
                    Err(e) if is_unique_violation(&e) => {
                        return Err(AppError::invalid(
                            "slug",
                            format!("The slug `{candidate}` is already used by another campaign."),
                        ));
                    }
                    Err(e) => return Err(e.into()),
                }
            };
            let status = Status::insert(conn, campaign.id, "new", "New")?;
            Status::set_default(conn, campaign.id, status.id)?;
            audit::record(conn, now, &actor, "campaign.created", &campaign.slug, json!({"name": campaign.name}))?;
            changed(conn, campaign.id)?;
            Ok(campaign)
        })
        .await
}

pub async fn update_campaign(
    state: &AppState,
    actor: Actor,
    id: i64,
    name: &str,
    description: &str,
) -> Result<Campaign, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let name = check_name(&mut errors, "name", name);
    let description = description.trim().to_owned();
    if description.chars().count() > 2000 {
        errors.insert("description".into(), "Use at most 2000 characters.".into());
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, id)?;
            Campaign::update_details(conn, id, &name, &description, now)?;
            audit::record(conn, now, &actor, "campaign.updated", &campaign.slug, json!({"name": name}))?;
            changed(conn, id)?;
            Ok(Campaign::find(conn, id)?)
        })
        .await
}

/// Archives (intake refuses it; its data stays) or restores a campaign.
pub async fn set_archived(state: &AppState, actor: Actor, id: i64, archived: bool) -> Result<Campaign, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, id)?;
            if campaign.archived_at.is_some() != archived {
                Campaign::set_archived(conn, id, archived.then_some(now), now)?;
                let action = if archived { "campaign.archived" } else { "campaign.restored" };
                audit::record(conn, now, &actor, action, &campaign.slug, json!({}))?;
                changed(conn, id)?;
            }
            Ok(Campaign::find(conn, id)?)
        })
        .await
}

// -------------------------------------------------------------- sources

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewSource {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub slug: Option<String>,
}

fn source_kind(errors: &mut FieldErrors, kind: &str) -> Option<SourceKind> {
    kind.trim()
        .parse::<SourceKind>()
        .map_err(|_| {
            errors.insert(
                "kind".into(),
                "Choose CS (Custom Source), MP (Marketing Partner) or MC (Media Channel).".into(),
            )
        })
        .ok()
}

pub async fn create_source(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    input: NewSource,
) -> Result<Source, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let name = check_name(&mut errors, "name", &input.name);
    let kind = source_kind(&mut errors, &input.kind);
    let explicit = input.slug.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let slug = match &explicit {
        Some(s) => Slug::parse(s).map_err(|m| errors.insert("slug".into(), m)).ok(),
        None => Slug::from_name(&name),
    };
    if slug.is_none() && !errors.contains_key("name") && !errors.contains_key("slug") {
        errors.insert("slug".into(), "Choose a slug: the name has no letters or digits to make one from.".into());
    }
    let (Some(kind), Some(slug), true) = (kind, slug, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            let mut attempt = 1;
            let source = loop {
                let candidate = if attempt == 1 { slug.to_string() } else { format!("{slug}-{attempt}") };
                match conn.transaction(|conn| Source::insert(conn, campaign.id, &candidate, &name, kind, now)) {
                    Ok(s) => break s,
                    Err(e) if is_unique_violation(&e) && explicit.is_none() && attempt < 50 => attempt += 1,
                    Err(e) if is_unique_violation(&e) => {
                        return Err(AppError::invalid(
                            "slug",
                            format!("The slug `{candidate}` is already used in this campaign."),
                        ));
                    }
                    Err(e) => return Err(e.into()),
                }
            };
            audit::record(
                conn,
                now,
                &actor,
                "source.created",
                &format!("{}/{}", campaign.slug, source.slug),
                json!({"name": source.name, "kind": source.kind}),
            )?;
            changed(conn, campaign.id)?;
            Ok(source)
        })
        .await
}

pub async fn update_source(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    source_id: i64,
    name: &str,
    kind: &str,
) -> Result<Source, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let name = check_name(&mut errors, "name", name);
    let kind = source_kind(&mut errors, kind);
    let (Some(kind), true) = (kind, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            let source = Source::find(conn, campaign.id, source_id)?;
            Source::update_details(conn, source.id, &name, kind, now)?;
            audit::record(
                conn,
                now,
                &actor,
                "source.updated",
                &format!("{}/{}", campaign.slug, source.slug),
                json!({"name": name}),
            )?;
            changed(conn, campaign.id)?;
            Ok(Source::find(conn, campaign.id, source.id)?)
        })
        .await
}

// ---------------------------------------------------------------- fields

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewField {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub label: String,
    #[serde(default, rename = "type")]
    pub field_type: String,
    #[serde(default)]
    pub required: bool,
}

pub async fn create_field(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    input: NewField,
) -> Result<Field, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let slug = ident(&mut errors, "slug", &input.slug);
    let label = check_name(&mut errors, "label", &input.label);
    let field_type = input
        .field_type
        .trim()
        .parse::<FieldType>()
        .map_err(|_| errors.insert("type".into(), "Choose one of: text, email, phone, number, date.".into()))
        .ok();
    let (Some(field_type), true) = (field_type, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            let field = match conn
                .transaction(|conn| Field::insert(conn, campaign.id, &slug, &label, field_type, input.required))
            {
                Ok(f) => f,
                Err(e) if is_unique_violation(&e) => {
                    return Err(AppError::invalid("slug", format!("The campaign already has a field `{slug}`.")));
                }
                Err(e) => return Err(e.into()),
            };
            audit::record(
                conn,
                now,
                &actor,
                "field.created",
                &format!("{}/{}", campaign.slug, field.slug),
                json!({"type": field.field_type, "required": field.required}),
            )?;
            changed(conn, campaign.id)?;
            Ok(field)
        })
        .await
}

pub async fn update_field(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    field_id: i64,
    label: &str,
    required: bool,
) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let label = check_name(&mut errors, "label", label);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            if Field::update(conn, campaign.id, field_id, &label, required)? == 0 {
                return Err(AppError::NotFound);
            }
            audit::record(
                conn,
                now,
                &actor,
                "field.updated",
                &campaign.slug,
                json!({"field_id": field_id, "label": label, "required": required}),
            )?;
            changed(conn, campaign.id)
        })
        .await
}

pub async fn delete_field(state: &AppState, actor: Actor, campaign_id: i64, field_id: i64) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            if Field::delete(conn, campaign.id, field_id)? == 0 {
                return Err(AppError::NotFound);
            }
            audit::record(conn, now, &actor, "field.deleted", &campaign.slug, json!({"field_id": field_id}))?;
            changed(conn, campaign.id)
        })
        .await
}

// --------------------------------------------------------------- selects

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewOption {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewSelect {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub options: Vec<NewOption>,
}

pub async fn create_select(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    input: NewSelect,
) -> Result<Select, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let slug = ident(&mut errors, "slug", &input.slug);
    let label = check_name(&mut errors, "label", &input.label);
    let mut options = Vec::new();
    for (i, o) in input.options.iter().enumerate() {
        let s = ident(&mut errors, &format!("options[{i}].slug"), &o.slug);
        let l = check_name(&mut errors, &format!("options[{i}].label"), &o.label);
        if options.iter().any(|(existing, _): &(String, String)| *existing == s) {
            errors.insert(format!("options[{i}].slug"), format!("`{s}` appears twice."));
        }
        options.push((s, l));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            let select = match conn.transaction(|conn| Select::insert(conn, campaign.id, &slug, &label)) {
                Ok(s) => s,
                Err(e) if is_unique_violation(&e) => {
                    return Err(AppError::invalid("slug", format!("The campaign already has a select `{slug}`.")));
                }
                Err(e) => return Err(e.into()),
            };
            for (s, l) in &options {
                SelectOption::insert(conn, select.id, s, l)?;
            }
            audit::record(
                conn,
                now,
                &actor,
                "select.created",
                &format!("{}/{}", campaign.slug, select.slug),
                json!({"options": options.iter().map(|(s, _)| s).collect::<Vec<_>>()}),
            )?;
            changed(conn, campaign.id)?;
            Ok(select)
        })
        .await
}

pub async fn add_option(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    select_id: i64,
    input: NewOption,
) -> Result<SelectOption, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let slug = ident(&mut errors, "option_slug", &input.slug);
    let label = check_name(&mut errors, "option_label", &input.label);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            let select = Select::find(conn, campaign.id, select_id)?;
            let option = match conn.transaction(|conn| SelectOption::insert(conn, select.id, &slug, &label)) {
                Ok(o) => o,
                Err(e) if is_unique_violation(&e) => {
                    return Err(AppError::invalid(
                        "option_slug",
                        format!("`{}` already has an option `{slug}`.", select.slug),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            audit::record(
                conn,
                now,
                &actor,
                "select.option_added",
                &format!("{}/{}", campaign.slug, select.slug),
                json!({"option": option.slug, "label": option.label}),
            )?;
            changed(conn, campaign.id)?;
            Ok(option)
        })
        .await
}

pub async fn delete_option(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    select_id: i64,
    option_id: i64,
) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            let select = Select::find(conn, campaign.id, select_id)?;
            let option = SelectOption::find(conn, select.id, option_id)?;
            if FilterCondition::count_using_option(conn, option.id)? > 0 {
                return Err(AppError::conflict(format!(
                    "`{}` is used by a filter: change or delete the filter first.",
                    option.slug
                )));
            }
            SelectOption::delete(conn, option.id)?;
            audit::record(
                conn,
                now,
                &actor,
                "select.option_deleted",
                &format!("{}/{}", campaign.slug, select.slug),
                json!({"option": option.slug}),
            )?;
            changed(conn, campaign.id)
        })
        .await
}

pub async fn delete_select(state: &AppState, actor: Actor, campaign_id: i64, select_id: i64) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            let select = Select::find(conn, campaign.id, select_id)?;
            if FilterCondition::count_using_select(conn, select.id)? > 0 {
                return Err(AppError::conflict(format!(
                    "`{}` is used by a filter: change or delete the filter first.",
                    select.slug
                )));
            }
            Select::delete(conn, select.id)?;
            audit::record(
                conn,
                now,
                &actor,
                "select.deleted",
                &format!("{}/{}", campaign.slug, select.slug),
                json!({}),
            )?;
            changed(conn, campaign.id)
        })
        .await
}

// -------------------------------------------------------------- statuses

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewStatus {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub default: bool,
}

pub async fn create_status(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    input: NewStatus,
) -> Result<Status, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let slug = ident(&mut errors, "slug", &input.slug);
    let label = check_name(&mut errors, "label", &input.label);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            let status = match conn.transaction(|conn| Status::insert(conn, campaign.id, &slug, &label)) {
                Ok(s) => s,
                Err(e) if is_unique_violation(&e) => {
                    return Err(AppError::invalid("slug", format!("The campaign already has a status `{slug}`.")));
                }
                Err(e) => return Err(e.into()),
            };
            let first = Status::of_campaign(conn, campaign.id)?.len() == 1;
            if input.default || first {
                Status::set_default(conn, campaign.id, status.id)?;
            }
            audit::record(
                conn,
                now,
                &actor,
                "status.created",
                &format!("{}/{}", campaign.slug, status.slug),
                json!({"default": input.default || first}),
            )?;
            changed(conn, campaign.id)?;
            Ok(Status::of_campaign(conn, campaign.id)?.into_iter().find(|s| s.id == status.id).unwrap_or(status))
        })
        .await
}

pub async fn set_default_status(
    state: &AppState,
    actor: Actor,
    campaign_id: i64,
    status_id: i64,
) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            if Status::set_default(conn, campaign.id, status_id)? == 0 {
                return Err(AppError::NotFound);
            }
            audit::record(
                conn,
                now,
                &actor,
                "status.default_changed",
                &campaign.slug,
                json!({"status_id": status_id}),
            )?;
            changed(conn, campaign.id)
        })
        .await
}

pub async fn delete_status(state: &AppState, actor: Actor, campaign_id: i64, status_id: i64) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = state.now();
    state
        .tx(move |conn| {
            let campaign = campaign_for_update(conn, campaign_id)?;
            let status = Status::of_campaign(conn, campaign.id)?
                .into_iter()
                .find(|s| s.id == status_id)
                .ok_or(AppError::NotFound)?;
            if status.is_default {
                return Err(AppError::conflict(
                    "This is the default status for new leads: make another status the default first.",
                ));
            }
            let used = Lead::count_with_status(conn, campaign.id, &status.slug)?;
            if used > 0 {
                return Err(AppError::conflict(format!(
                    "{used} lead(s) have the status `{}`: it cannot be deleted.",
                    status.slug
                )));
            }
            Status::delete(conn, campaign.id, status.id)?;
            audit::record(
                conn,
                now,
                &actor,
                "status.deleted",
                &format!("{}/{}", campaign.slug, status.slug),
                json!({}),
            )?;
            changed(conn, campaign.id)
        })
        .await
}

/// Campaigns for the list page.
pub async fn list(state: &AppState) -> Result<Vec<Campaign>, AppError> {
    state.db(|conn| Ok(Campaign::list(conn)?)).await
}
