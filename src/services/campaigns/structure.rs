//! A campaign's structure: fields (text, email, phone, number, date;
//! required or not), select lists and their options, statuses (one the
//! default for new leads). Slugs are fixed; labels can change. A change
//! that would strand data or a filter is refused with the reason.

use diesel::Connection as _;
use serde::Deserialize;
use serde_json::json;

use crate::domain::{Actor, AuditAction, FieldType, Permission};
use crate::error::{AppError, FieldErrors};
use crate::models::{FilterCondition, Lead};
use crate::services::audit::record;
use crate::services::campaigns::catalog::{Field, Select, SelectOption, Status};
use crate::services::campaigns::{campaign_for_update, changed, check_name, ident, is_unique_violation};
use crate::services::context::Services;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
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

pub async fn create_field(svc: &Services, actor: Actor, campaign_id: i64, input: NewField) -> Result<Field, AppError> {
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
    let now = svc.now();
    svc.tx(move |conn| {
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
        record(
            conn,
            now,
            &actor,
            AuditAction::FieldCreated,
            &format!("{}/{}", campaign.slug, field.slug),
            json!({"type": field.field_type, "required": field.required}),
        )?;
        changed(conn, campaign.id)?;
        Ok(field)
    })
    .await
}

pub async fn update_field(
    svc: &Services,
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
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, campaign_id)?;
        if Field::update(conn, campaign.id, field_id, &label, required)? == 0 {
            return Err(AppError::NotFound);
        }
        record(
            conn,
            now,
            &actor,
            AuditAction::FieldUpdated,
            &campaign.slug,
            json!({"field_id": field_id, "label": label, "required": required}),
        )?;
        changed(conn, campaign.id)
    })
    .await
}

pub async fn delete_field(svc: &Services, actor: Actor, campaign_id: i64, field_id: i64) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, campaign_id)?;
        if Field::delete(conn, campaign.id, field_id)? == 0 {
            return Err(AppError::NotFound);
        }
        record(conn, now, &actor, AuditAction::FieldDeleted, &campaign.slug, json!({"field_id": field_id}))?;
        changed(conn, campaign.id)
    })
    .await
}

// --------------------------------------------------------------- selects

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewOption {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewSelect {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub options: Vec<NewOption>,
}

pub async fn create_select(
    svc: &Services,
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
    let now = svc.now();
    svc.tx(move |conn| {
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
        record(
            conn,
            now,
            &actor,
            AuditAction::SelectCreated,
            &format!("{}/{}", campaign.slug, select.slug),
            json!({"options": options.iter().map(|(s, _)| s).collect::<Vec<_>>()}),
        )?;
        changed(conn, campaign.id)?;
        Ok(select)
    })
    .await
}

pub async fn add_option(
    svc: &Services,
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
    let now = svc.now();
    svc.tx(move |conn| {
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
        record(
            conn,
            now,
            &actor,
            AuditAction::OptionAdded,
            &format!("{}/{}", campaign.slug, select.slug),
            json!({"option": option.slug, "label": option.label}),
        )?;
        changed(conn, campaign.id)?;
        Ok(option)
    })
    .await
}

pub async fn delete_option(
    svc: &Services,
    actor: Actor,
    campaign_id: i64,
    select_id: i64,
    option_id: i64,
) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.tx(move |conn| {
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
        record(
            conn,
            now,
            &actor,
            AuditAction::OptionDeleted,
            &format!("{}/{}", campaign.slug, select.slug),
            json!({"option": option.slug}),
        )?;
        changed(conn, campaign.id)
    })
    .await
}

pub async fn delete_select(svc: &Services, actor: Actor, campaign_id: i64, select_id: i64) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, campaign_id)?;
        let select = Select::find(conn, campaign.id, select_id)?;
        if FilterCondition::count_using_select(conn, select.id)? > 0 {
            return Err(AppError::conflict(format!(
                "`{}` is used by a filter: change or delete the filter first.",
                select.slug
            )));
        }
        Select::delete(conn, select.id)?;
        record(
            conn,
            now,
            &actor,
            AuditAction::SelectDeleted,
            &format!("{}/{}", campaign.slug, select.slug),
            json!({}),
        )?;
        changed(conn, campaign.id)
    })
    .await
}

// -------------------------------------------------------------- statuses

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewStatus {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub default: bool,
}

pub async fn create_status(
    svc: &Services,
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
    let now = svc.now();
    svc.tx(move |conn| {
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
        record(
            conn,
            now,
            &actor,
            AuditAction::StatusCreated,
            &format!("{}/{}", campaign.slug, status.slug),
            json!({"default": input.default || first}),
        )?;
        changed(conn, campaign.id)?;
        Ok(Status::of_campaign(conn, campaign.id)?.into_iter().find(|s| s.id == status.id).unwrap_or(status))
    })
    .await
}

pub async fn set_default_status(
    svc: &Services,
    actor: Actor,
    campaign_id: i64,
    status_id: i64,
) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, campaign_id)?;
        if Status::set_default(conn, campaign.id, status_id)? == 0 {
            return Err(AppError::NotFound);
        }
        record(conn, now, &actor, AuditAction::DefaultStatusChanged, &campaign.slug, json!({"status_id": status_id}))?;
        changed(conn, campaign.id)
    })
    .await
}

pub async fn delete_status(svc: &Services, actor: Actor, campaign_id: i64, status_id: i64) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.tx(move |conn| {
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
        record(
            conn,
            now,
            &actor,
            AuditAction::StatusDeleted,
            &format!("{}/{}", campaign.slug, status.slug),
            json!({}),
        )?;
        changed(conn, campaign.id)
    })
    .await
}
