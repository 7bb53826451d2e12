//! `/api/v1/campaigns/{c}/leads`: the leads API of a campaign, for
//! campaign API tokens (scoped by their permissions and filter) and for
//! admins' own tokens; lead intake (`intake`) and a lead's files
//! (`files`).

pub mod files;
pub mod intake;
pub mod views;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::api::auth::Bearer;
use crate::api::body;
use crate::api::contract::{Resource, Who, doc, on, resource};
use crate::api::view::{List, parse_cursor};
use crate::error::{ApiError, AppError};
use crate::services::Services;
use crate::services::leads::{self, ListQuery};

/// The document names every parameter: others are refused (400).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// the next_cursor of the previous page
    cursor: Option<String>,
    /// 1 to 500 items (default 100)
    limit: Option<i64>,
    /// only leads with this status slug
    status: Option<String>,
    /// RFC 3339: only leads changed since then
    updated_since: Option<String>,
}

pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    if params.cursor.as_deref() == Some("") {
        return Err(AppError::bad_request("cursor is not one this API gave").into());
    }
    let after = parse_cursor(params.cursor.as_deref())?;
    let updated_since = match params.updated_since.as_deref() {
        Some(s) => Some(OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|_| {
            AppError::bad_request("updated_since must be an RFC 3339 date-time, e.g. 2026-11-24T00:00:00Z")
        })?),
        None => None,
    };
    let query = ListQuery { status: params.status.clone(), updated_since, after, limit: params.limit.unwrap_or(100) };
    let (items, next_cursor) = leads::list(&svc, &bearer.principal, &path, query).await?;
    Ok(HttpResponse::Ok().json(List { items, next_cursor }))
}

pub async fn get(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (c, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(leads::get(&svc, &bearer.principal, &c, id).await?))
}

pub async fn create(
    req: HttpRequest,
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    leads::require_write(&svc, &bearer.principal, &path).await?;
    let key = body::idempotency_key(&req)?;
    let body = body::json(&req, &body)?;
    let (lead, replayed) = leads::create(&svc, &bearer.principal, &path, key, body).await?;
    Ok(body::answer(201, &lead, replayed))
}

/// `DELETE …/leads/{id}`: Write; 204.
pub async fn delete(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (c, id) = path.into_inner();
    leads::delete(&svc, &bearer.principal, &c, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn update(
    req: HttpRequest,
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (c, id) = path.into_inner();
    leads::require_write(&svc, &bearer.principal, &c).await?;
    let body = body::json(&req, &body)?;
    Ok(HttpResponse::Ok().json(leads::update(&svc, &bearer.principal, &c, id, body).await?))
}

/// Fields, allowed values, schemas, statuses, selects, and this token's
/// permissions and filter. Any token of the campaign may read it.
pub async fn schema(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let structure = leads::schema(&svc, &bearer.principal, &path).await?;
    Ok(HttpResponse::Ok().json(views::SchemaView::new(&structure)))
}

/// The routes of lead intake, the leads API and lead files.
pub fn routes() -> Vec<Resource> {
    use crate::services::leads::LeadJson;
    use crate::services::leads::intake::PingAnswer;
    use views::{FileView, LeadInput, PostedLead};
    const TAG: &str = "Leads";
    let lead =
        || json!({"fields": {"email": "ada@example.com"}, "select_field_values": {"select_partner": "PARTNER_ABC"}});
    vec![
        resource(
            "/v1/campaigns/{c}/sources/{s}/form",
            [on(
                Method::POST,
                intake::form,
                doc(TAG, "Submit a lead through a source's form (`Idempotency-Key` makes a retry safe)", Who::Intake)
                    .body::<LeadInput>(lead())
                    .answers::<LeadJson>(201),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/sources/{s}/ping",
            [on(
                Method::POST,
                intake::ping,
                doc(TAG, "Ping: offer part of a lead; the answer's ping_id goes with the post", Who::Intake)
                    .body::<LeadInput>(json!({"fields": {"email": "ada@example.com"}}))
                    .answers::<PingAnswer>(200),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/sources/{s}/post",
            [on(
                Method::POST,
                intake::post,
                doc(TAG, "Post the whole lead after its ping", Who::Intake)
                    .body::<PostedLead>(json!({"ping_id": crate::services::docs::api_doc::EXAMPLE_PING_ID, "fields": {"email": "ada@example.com"}}))
                    .answers::<LeadJson>(201),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/leads",
            [
                on(
                    Method::GET,
                    list,
                    doc(TAG, "The campaign's leads the token may read (its filter holds), oldest first", Who::Leads)
                        .query::<ListParams>()
                        .answers::<List<LeadJson>>(200),
                ),
                on(
                    Method::POST,
                    create,
                    doc(TAG, "Create a lead (`Idempotency-Key` makes a retry safe)", Who::Leads)
                        .body::<LeadInput>(lead())
                        .answers::<LeadJson>(201),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/leads/{id}",
            [
                on(Method::GET, get, doc(TAG, "One lead", Who::Leads).answers::<LeadJson>(200)),
                on(
                    Method::PATCH,
                    update,
                    doc(TAG, "Change a lead: only what is sent changes", Who::Leads)
                        .body::<LeadInput>(json!({"status": "sold"}))
                        .answers::<LeadJson>(200),
                ),
                on(Method::DELETE, delete, doc(TAG, "Delete a lead", Who::Leads).answers_nothing(204)),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/schema",
            [on(
                Method::GET,
                schema,
                doc(
                    TAG,
                    "The campaign's fields, selects, statuses, and this token's permissions and filter",
                    Who::Leads,
                )
                .answers::<views::SchemaView>(200),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/leads/{id}/files",
            [
                on(Method::GET, files::list, doc(TAG, "A lead's files", Who::Leads).answers::<List<FileView>>(200)),
                on(
                    Method::POST,
                    files::upload,
                    doc(
                        TAG,
                        "Attach a file: the raw body with its Content-Type and `?name=`, or multipart field `file`",
                        Who::Leads,
                    )
                    .query::<files::UploadParams>()
                    .raw_body("application/octet-stream")
                    .answers::<FileView>(201),
                ),
            ],
        ),
        resource(
            "/v1/campaigns/{c}/leads/{id}/files/{file_id}",
            [
                on(
                    Method::GET,
                    files::download,
                    doc(TAG, "Download a file (ETag, ranges)", Who::Leads).answers_raw(200, "application/octet-stream"),
                ),
                on(Method::DELETE, files::delete, doc(TAG, "Delete a file", Who::Leads).answers_nothing(204)),
            ],
        ),
    ]
}
