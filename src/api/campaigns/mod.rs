//! `/api/v1/campaigns`: a campaign and its structure (sources, fields,
//! selects, statuses, filters, relations), the JSON twins of the console's
//! campaign screens, for user tokens whose role manages campaigns. Same
//! services, rules and audit entries as the console. Each part has its
//! module; every answer is a view of `views`.

pub mod fields;
pub mod filters;
pub mod relations;
pub mod selects;
pub mod sources;
pub mod statuses;
pub mod views;

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::auth::Bearer;
use super::body::Json;
use super::contract::{Resource, Who, doc, on, resource};
use super::view::{List, Paging, created, ok};
use crate::domain::Permission;
use crate::error::{ApiError, AppError};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::{Services, campaigns};
use views::CampaignView;

/// A campaign's structure, fresh, once the caller is known to manage
/// campaigns; `reference` is an id or a slug.
pub(super) async fn structure_of(
    svc: &Services,
    bearer: &Bearer,
    reference: &str,
) -> Result<CampaignSnapshot, AppError> {
    let actor = bearer.acting()?;
    let c = campaigns::resolve(svc, &actor, reference).await?;
    campaigns::structure(svc, &actor, c.id).await
}

/// One page of a part of a campaign's structure (`part` gives each item
/// with its id): every list of a campaign's parts.
pub(super) async fn page_of<T: serde::Serialize>(
    svc: &Services,
    bearer: &Bearer,
    reference: &str,
    paging: &Paging,
    part: impl FnOnce(&CampaignSnapshot) -> Vec<(i64, T)>,
) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(svc, bearer, reference).await?;
    Ok(ok(&List::page(part(&snap), paging)?))
}

/// The acting user and the campaign's id, for a change to its structure.
pub(super) async fn acting_in(
    svc: &Services,
    bearer: &Bearer,
    reference: &str,
) -> Result<(crate::domain::Actor, i64), AppError> {
    let actor = bearer.acting()?;
    let campaign = campaigns::resolve(svc, &actor, reference).await?;
    Ok((actor, campaign.id))
}

/// "campaign `spring` has no field `x`".
pub(super) fn no_such(what: &str, item: &str, snap: &CampaignSnapshot) -> AppError {
    AppError::NoSuch(format!("campaign `{}` has no {what} `{item}`", snap.campaign.slug))
}

/// A filter of the campaign by its id, as a path gives it.
pub(super) fn filter_id(snap: &CampaignSnapshot, item: &str) -> Result<i64, AppError> {
    item.parse::<i64>()
        .ok()
        .filter(|id| snap.filters.iter().any(|f| f.filter.id == *id))
        .ok_or_else(|| no_such("filter", item, snap))
}

/// `GET /api/v1/campaigns`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let list = campaigns::list(&svc, &bearer.acting()?).await?;
    let items = list.iter().map(|c| (c.id, CampaignView::from(c))).collect();
    Ok(ok(&List::page(items, &paging)?))
}

/// `POST /api/v1/campaigns` `{name, slug?, description?}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<campaigns::NewCampaign>,
) -> Result<HttpResponse, ApiError> {
    let c = campaigns::create_campaign(&svc, bearer.acting()?, body.into_inner()).await?;
    Ok(created(&CampaignView::from(&c)))
}

/// `GET /api/v1/campaigns/{c}`.
pub async fn get(svc: web::Data<Services>, bearer: Bearer, c: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(&svc, &bearer, &c).await?;
    Ok(ok(&CampaignView::from(&snap.campaign)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    name: Option<String>,
    description: Option<String>,
    archived: Option<bool>,
    file_types: Option<Vec<String>>,
}

/// `PATCH /api/v1/campaigns/{c}`: each field given is changed.
pub async fn patch(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<CampaignPatch>,
) -> Result<HttpResponse, ApiError> {
    let snap = structure_of(&svc, &bearer, &c).await?;
    let actor = bearer.acting()?;
    let body = body.into_inner();
    let id = snap.campaign.id;
    let mut after = snap.campaign;
    if body.name.is_some() || body.description.is_some() {
        let name = body.name.as_deref().unwrap_or(&after.name).to_owned();
        let description = body.description.as_deref().unwrap_or(&after.description).to_owned();
        after = campaigns::update_campaign(&svc, actor.clone(), id, &name, &description).await?;
    }
    if let Some(types) = &body.file_types {
        after = campaigns::set_file_types(&svc, actor.clone(), id, types).await?;
    }
    if let Some(archived) = body.archived {
        after = campaigns::set_archived(&svc, actor, id, archived).await?;
    }
    Ok(ok(&CampaignView::from(&after)))
}

/// The routes of campaigns and their structure.
pub fn routes() -> Vec<Resource> {
    use crate::services::campaigns::{filters::FilterInput, relations::NewRelation, structure};
    use views::{FieldView, FilterView, OptionView, RelationView, SelectView, SourceView, StatusView};
    const TAG: &str = "Campaigns";
    const WHO: Who = Who::Role(Permission::ManageCampaigns);
    let partner_filter =
        || json!({"name": "Partner ABC", "conditions": [{"select": "select_partner", "option": "PARTNER_ABC"}]});
    vec![
        resource(
            "/v1/campaigns",
            [
                on(Method::GET, list, doc(TAG, "Campaigns", WHO).query::<Paging>().answers::<List<CampaignView>>(200)),
                on(
                    Method::POST,
                    create,
                    doc(TAG, "Create a campaign", WHO)
                        .body::<campaigns::NewCampaign>(json!({"name": "Spring", "slug": "spring"}))
                        .answers::<CampaignView>(201),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}",
            [
                on(Method::GET, get, doc(TAG, "One campaign, by slug or id", WHO).answers::<CampaignView>(200)),
                on(
                    Method::PATCH,
                    patch,
                    doc(TAG, "Rename, describe, archive or restore a campaign, or set its lead file types", WHO)
                        .body::<CampaignPatch>(json!({"name": "Spring 2027", "archived": false, "file_types": ["application/pdf", "image/png"]}))
                        .answers::<CampaignView>(200),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/sources",
            [
                on(
                    Method::GET,
                    sources::list,
                    doc(TAG, "A campaign's sources and which of their tokens are on", WHO)
                        .query::<Paging>()
                        .answers::<List<SourceView>>(200),
                ),
                on(
                    Method::POST,
                    sources::create,
                    doc(TAG, "Add a source", WHO)
                        .body::<campaigns::NewSource>(json!({"name": "Web", "kind": "CS", "slug": "web"}))
                        .answers::<SourceView>(201),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/sources/{s}",
            [on(
                Method::PATCH,
                sources::patch,
                doc(TAG, "Rename a source or change its kind", WHO)
                    .body::<sources::SourcePatch>(json!({"name": "Web form"}))
                    .answers::<SourceView>(200),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/fields",
            [
                on(Method::GET, fields::list, doc(TAG, "A campaign's fields", WHO).query::<Paging>().answers::<List<FieldView>>(200)),
                on(
                    Method::POST,
                    fields::create,
                    doc(TAG, "Add a field", WHO)
                        .body::<structure::NewField>(json!({"slug": "email", "label": "Email", "type": "email", "required": true}))
                        .answers::<FieldView>(201),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/fields/{item}",
            [
                on(
                    Method::PATCH,
                    fields::patch,
                    doc(TAG, "Change a field's label or whether it is required or public", WHO)
                        .body::<fields::FieldPatch>(json!({"label": "E-mail", "required": true}))
                        .answers::<FieldView>(200),
                ),
                on(
                    Method::DELETE,
                    fields::delete,
                    doc(TAG, "Delete a field, by slug (its values go with it)", WHO).answers_nothing(204),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/selects",
            [
                on(
                    Method::GET,
                    selects::list,
                    doc(TAG, "A campaign's select lists and their options", WHO).query::<Paging>().answers::<List<SelectView>>(200),
                ),
                on(
                    Method::POST,
                    selects::create,
                    doc(TAG, "Add a select list with its options", WHO)
                        .body::<structure::NewSelect>(json!({"slug": "select_partner", "label": "Lead source", "options": [{"slug": "PARTNER_ABC", "label": "Partner ABC"}]}))
                        .answers::<SelectView>(201),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/selects/{item}",
            [on(Method::DELETE, selects::delete, doc(TAG, "Delete a select list, by slug", WHO).answers_nothing(204))],
        ),
        resource(
            "/v1/campaigns/{c}/selects/{item}/options",
            [on(
                Method::POST,
                selects::add_option,
                doc(TAG, "Add an option to a select list", WHO)
                    .body::<structure::NewOption>(json!({"slug": "VENDOR_NORTH", "label": "Vendor North"}))
                    .answers::<OptionView>(201),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/selects/{item}/options/{option}",
            [on(
                Method::DELETE,
                selects::delete_option,
                doc(TAG, "Remove an option from a select list", WHO).answers_nothing(204),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/statuses",
            [
                on(Method::GET, statuses::list, doc(TAG, "A campaign's statuses", WHO).query::<Paging>().answers::<List<StatusView>>(200)),
                on(
                    Method::POST,
                    statuses::create,
                    doc(TAG, "Add a status", WHO)
                        .body::<structure::NewStatus>(json!({"slug": "sold", "label": "Sold"}))
                        .answers::<StatusView>(201),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/statuses/{item}",
            [
                on(
                    Method::PATCH,
                    statuses::patch,
                    doc(TAG, "Make a status the default of new leads", WHO)
                        .body::<statuses::StatusPatch>(json!({"default": true}))
                        .answers::<StatusView>(200),
                ),
                on(
                    Method::DELETE,
                    statuses::delete,
                    doc(TAG, "Delete a status, by slug (refused while leads have it)", WHO).answers_nothing(204),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/filters",
            [
                on(
                    Method::GET,
                    filters::list,
                    doc(TAG, "A campaign's filters and their conditions", WHO).query::<Paging>().answers::<List<FilterView>>(200),
                ),
                on(
                    Method::POST,
                    filters::create,
                    doc(TAG, "Add a filter (its conditions all hold)", WHO)
                        .body::<FilterInput>(partner_filter())
                        .answers::<FilterView>(201),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/filters/{item}",
            [
                on(
                    Method::PATCH,
                    filters::patch,
                    doc(TAG, "Rename a filter or change its conditions", WHO)
                        .body::<FilterInput>(partner_filter())
                        .answers::<FilterView>(200),
                ),
                on(
                    Method::DELETE,
                    filters::delete,
                    doc(TAG, "Delete a filter, by id (refused while a live token uses it)", WHO).answers_nothing(204),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/relations",
            [
                on(
                    Method::GET,
                    relations::list,
                    doc(TAG, "A campaign's relations to other campaigns", WHO).query::<Paging>().answers::<List<RelationView>>(200),
                ),
                on(
                    Method::POST,
                    relations::create,
                    doc(TAG, "Relate this campaign's leads to another's", WHO)
                        .body::<NewRelation>(json!({"slug": "account", "label": "Account", "target_campaign": "accounts", "many": false, "required": false}))
                        .answers::<RelationView>(201),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/relations/{item}",
            [on(Method::DELETE, relations::delete, doc(TAG, "Delete a relation, by slug", WHO).answers_nothing(204))],
        ),
    ]
}
