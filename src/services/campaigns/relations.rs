//! A campaign's relations and their options: a named link from its leads to leads of a target campaign (the same or
//! another), to one lead or to many, required or not, and what deleting a
//! linked-to lead does (refuse, or unlink).

use diesel::Connection as _;
use serde::Deserialize;
use serde_json::json;

use crate::domain::{Actor, AuditAction, OnDelete, Permission};
use crate::error::{AppError, FieldErrors};
use crate::models::Campaign;
use crate::models::relation::{NewRelation as NewRow, Relation};
use crate::services::audit::record;
use crate::services::campaigns::catalog::RelationSpec;
use crate::services::campaigns::{campaign_for_update, changed, check_name, ident, is_unique_violation};
use crate::services::context::Services;

/// What creating a relation takes (the console form and the API body).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRelation {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub label: String,
    /// The target campaign's id or slug.
    #[serde(default)]
    pub target_campaign: String,
    #[serde(default)]
    pub many: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub on_delete: Option<String>,
}

pub async fn create(
    svc: &Services,
    actor: Actor,
    campaign_id: i64,
    input: NewRelation,
) -> Result<RelationSpec, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let slug = ident(&mut errors, "slug", &input.slug);
    let label = check_name(&mut errors, "label", &input.label);
    let on_delete = match input.on_delete.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => OnDelete::Restrict,
        Some(s) => s
            .parse::<OnDelete>()
            .map_err(|_| errors.insert("on_delete".into(), "Choose restrict or unlink.".into()))
            .unwrap_or(OnDelete::Restrict),
    };
    let target = input.target_campaign.trim().to_owned();
    if target.is_empty() {
        errors.insert("target_campaign".into(), "Choose the campaign whose leads this relation links to.".into());
    }
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, campaign_id)?;
        let target = match Campaign::by_ref(conn, &target)? {
            Some(t) => Some(t),
            None if target.is_empty() => None,
            None => {
                errors.insert("target_campaign".into(), format!("There is no campaign `{target}`."));
                None
            }
        };
        let (Some(target), true) = (target, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let row = NewRow {
            campaign_id: campaign.id,
            slug: &slug,
            label: &label,
            target_campaign_id: target.id,
            many: input.many,
            required: input.required,
            on_delete,
        };
        let relation = match conn.transaction(|conn| Relation::insert(conn, &row)) {
            Ok(r) => r,
            Err(e) if is_unique_violation(&e) => {
                return Err(AppError::invalid("slug", format!("The campaign already has a relation `{slug}`.")));
            }
            Err(e) => return Err(e.into()),
        };
        record(
            conn,
            now,
            &actor,
            AuditAction::RelationCreated,
            &format!("{}/{}", campaign.slug, relation.slug),
            json!({"target": target.slug, "many": relation.many, "required": relation.required, "on_delete": on_delete}),
        )?;
        changed(conn, campaign.id)?;
        Ok(RelationSpec { relation, target_slug: target.slug, target_name: target.name })
    })
    .await
}

/// Deletes a relation and every link made through it.
pub async fn delete(svc: &Services, actor: Actor, campaign_id: i64, relation_id: i64) -> Result<(), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, campaign_id)?;
        let relation = Relation::of_campaign(conn, campaign.id)?
            .into_iter()
            .map(|(r, _, _)| r)
            .find(|r| r.id == relation_id)
            .ok_or(AppError::NotFound)?;
        Relation::delete(conn, campaign.id, relation.id)?;
        record(
            conn,
            now,
            &actor,
            AuditAction::RelationDeleted,
            &format!("{}/{}", campaign.slug, relation.slug),
            json!({}),
        )?;
        changed(conn, campaign.id)
    })
    .await
}
