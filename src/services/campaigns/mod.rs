//! Campaigns and their sources: create, edit, archive. Slugs are fixed at
//! creation (leads store them); names can change. Every change is audited
//! and published, so the caches of the structure follow on every instance.

pub mod catalog;
pub mod filters;
pub mod public_data;
pub mod relations;
pub mod structure;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection as _, PgConnection};
use serde::Deserialize;
use serde_json::json;

use crate::db::changes::Change;
use crate::domain::{Actor, AuditAction, FileType, Ident, Permission, Slug, SourceKind};
use crate::error::{AppError, FieldErrors};
use crate::models::{Lead, Status};
use crate::services::audit::record;
use crate::services::campaigns::catalog::{Campaign, CampaignSnapshot, Source};
use crate::services::context::{Services, Tx};

const NAME_MAX: usize = 200;

pub(in crate::services) fn is_unique_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}

/// The slug a new campaign or source gets: the one asked for, or one
/// made from its name (then [`insert_with_free_slug`] may add `-2`, `-3`…).
pub(in crate::services) struct ChosenSlug {
    slug: Slug,
    asked: bool,
}

pub(in crate::services) fn chosen_slug(
    errors: &mut FieldErrors,
    asked: Option<&str>,
    name: &str,
) -> Option<ChosenSlug> {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Slug::parse(s)
            .map_err(|m| errors.insert("slug".into(), m))
            .ok()
            .map(|slug| ChosenSlug { slug, asked: true }),
        None => {
            let made = Slug::from_name(name);
            if made.is_none() && !errors.contains_key("name") {
                errors
                    .insert("slug".into(), "Choose a slug: the name has no letters or digits to make one from.".into());
            }
            made.map(|slug| ChosenSlug { slug, asked: false })
        }
    }
}

/// Inserts with the chosen slug; when it was made from a name and is
/// taken, with `-2`, `-3`… (up to 50 tries). A slug asked for and taken
/// is refused naming it, "already used {where_}". The one home of the
/// slug retry: each try in a savepoint, so a taken one does not end the
/// transaction.
pub(in crate::services) fn insert_with_free_slug<T>(
    tx: &mut Tx<'_>,
    chosen: &ChosenSlug,
    where_: &str,
    mut insert: impl FnMut(&mut diesel::PgConnection, &str) -> diesel::QueryResult<T>,
) -> Result<T, AppError> {
    let mut attempt = 1;
    loop {
        let slug = &chosen.slug;
        let candidate = if attempt == 1 { slug.to_string() } else { format!("{slug}-{attempt}") };
        match tx.transaction(|conn| insert(conn, &candidate)) {
            Ok(row) => return Ok(row),
            Err(e) if is_unique_violation(&e) && !chosen.asked && attempt < 50 => attempt += 1,
            Err(e) if is_unique_violation(&e) => {
                return Err(AppError::invalid("slug", format!("The slug `{candidate}` is already used {where_}.")));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

pub(in crate::services) fn check_name(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let v = value.trim().to_owned();
    if v.is_empty() {
        errors.insert(field.into(), "This is required.".into());
    } else if v.chars().count() > NAME_MAX {
        errors.insert(field.into(), format!("Use at most {NAME_MAX} characters."));
    }
    v
}

pub(in crate::services) fn ident(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    match Ident::parse(value) {
        Ok(i) => i.into_string(),
        Err(m) => {
            errors.insert(field.into(), m);
            String::new()
        }
    }
}

/// Publishes that a campaign's structure or levels changed.
pub(in crate::services) fn changed(tx: &mut Tx<'_>, campaign_id: i64) -> Result<(), AppError> {
    tx.publish(Change::Campaign(campaign_id))
}

pub(in crate::services) fn campaign_for_update(conn: &mut PgConnection, id: i64) -> Result<Campaign, AppError> {
    Campaign::find_for_update(conn, id).map_err(AppError::from)
}

// ------------------------------------------------------------ campaigns

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
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
pub async fn create_campaign(svc: &Services, actor: Actor, input: NewCampaign) -> Result<Campaign, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let name = check_name(&mut errors, "name", &input.name);
    let description = input.description.trim().to_owned();
    if description.chars().count() > 2000 {
        errors.insert("description".into(), "Use at most 2000 characters.".into());
    }
    let slug = chosen_slug(&mut errors, input.slug.as_deref(), &name);
    let (Some(slug), true) = (slug, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let now = svc.now();
    svc.tx(move |conn| {
        let public_id = crate::tokens::random_base62(16);
        let campaign = insert_with_free_slug(conn, &slug, "by another campaign", |conn, candidate| {
            Campaign::insert(conn, &public_id, candidate, &name, &description, now)
        })?;
        let status = Status::insert(conn, campaign.id, "new", "New")?;
        Status::set_default(conn, campaign.id, status.id)?;
        record(conn, now, &actor, AuditAction::CampaignCreated, &campaign.slug, json!({"name": campaign.name}))?;
        changed(conn, campaign.id)?;
        Ok(campaign)
    })
    .await
}

pub async fn update_campaign(
    svc: &Services,
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
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, id)?;
        Campaign::update_details(conn, id, &name, &description, now)?;
        record(conn, now, &actor, AuditAction::CampaignUpdated, &campaign.slug, json!({"name": name}))?;
        changed(conn, id)?;
        Ok(Campaign::find(conn, id)?)
    })
    .await
}

/// The content types a campaign accepts as lead files (none: no files).
pub async fn set_file_types(svc: &Services, actor: Actor, id: i64, types: &[String]) -> Result<Campaign, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut chosen = Vec::new();
    for t in types {
        let t: FileType = t
            .parse()
            .map_err(|_| AppError::invalid("file_types", format!("`{t}` is not a file type Keyward recognises")))?;
        if !chosen.contains(&t) {
            chosen.push(t);
        }
    }
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, id)?;
        let names: Vec<&str> = chosen.iter().map(|t| t.as_str()).collect();
        Campaign::set_file_types(conn, id, &names, now)?;
        record(conn, now, &actor, AuditAction::CampaignUpdated, &campaign.slug, json!({"file_types": names}))?;
        changed(conn, id)?;
        Ok(Campaign::find(conn, id)?)
    })
    .await
}

/// Archives (intake refuses it; its data stays) or restores a campaign.
pub async fn set_archived(svc: &Services, actor: Actor, id: i64, archived: bool) -> Result<Campaign, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, id)?;
        if campaign.archived_at.is_some() != archived {
            Campaign::set_archived(conn, id, archived.then_some(now), now)?;
            let action = if archived { AuditAction::CampaignArchived } else { AuditAction::CampaignRestored };
            record(conn, now, &actor, action, &campaign.slug, json!({}))?;
            changed(conn, id)?;
        }
        Ok(Campaign::find(conn, id)?)
    })
    .await
}

// -------------------------------------------------------------- sources

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
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
    svc: &Services,
    actor: Actor,
    campaign_id: i64,
    input: NewSource,
) -> Result<Source, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let mut errors = FieldErrors::new();
    let name = check_name(&mut errors, "name", &input.name);
    let kind = source_kind(&mut errors, &input.kind);
    let slug = chosen_slug(&mut errors, input.slug.as_deref(), &name);
    let (Some(kind), Some(slug), true) = (kind, slug, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, campaign_id)?;
        let source = insert_with_free_slug(conn, &slug, "in this campaign", |conn, candidate| {
            Source::insert(conn, campaign.id, candidate, &name, kind, now)
        })?;
        record(
            conn,
            now,
            &actor,
            AuditAction::SourceCreated,
            &format!("{}/{}", campaign.slug, source.slug),
            json!({"name": source.name, "kind": source.kind}),
        )?;
        changed(conn, campaign.id)?;
        Ok(source)
    })
    .await
}

pub async fn update_source(
    svc: &Services,
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
    let now = svc.now();
    svc.tx(move |conn| {
        let campaign = campaign_for_update(conn, campaign_id)?;
        let source = Source::find(conn, campaign.id, source_id)?;
        Source::update_details(conn, source.id, &name, kind, now)?;
        record(
            conn,
            now,
            &actor,
            AuditAction::SourceUpdated,
            &format!("{}/{}", campaign.slug, source.slug),
            json!({"name": name}),
        )?;
        changed(conn, campaign.id)?;
        Ok(Source::find(conn, campaign.id, source.id)?)
    })
    .await
}

/// Campaigns for the list page.
pub async fn list(svc: &Services, actor: &Actor) -> Result<Vec<Campaign>, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    crate::services::campaigns::catalog::campaigns(svc).await
}

/// The campaign with this id or slug, for someone who manages campaigns:
/// the permission is checked first, so others cannot learn which exist.
pub async fn resolve(svc: &Services, actor: &Actor, reference: &str) -> Result<Campaign, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    crate::services::campaigns::catalog::campaign_by_ref(svc, reference).await
}

/// A campaign's structure and how many leads it holds (its overview page).
pub async fn overview(svc: &Services, actor: &Actor, id: i64) -> Result<(CampaignSnapshot, i64), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    svc.run(move |conn| {
        let snap = CampaignSnapshot::load_id(conn, id)?;
        let leads = Lead::count_of_campaign(conn, id)?;
        Ok((snap, leads))
    })
    .await
}

/// A campaign's structure, for its console pages.
pub async fn structure(svc: &Services, actor: &Actor, id: i64) -> Result<CampaignSnapshot, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    crate::services::campaigns::catalog::load(svc, id).await
}
