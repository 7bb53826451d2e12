//! The JSON API: the route table, and the middleware that makes every
//! error answer JSON. Every error is `{"error": {"code", "message"}}`
//! through [`ApiError`]; a token comes through the [`auth::Bearer`]
//! extractor. Handlers parse, call a service, and answer.

pub mod audit;
pub mod auth;
pub mod body;
pub mod campaigns;
pub mod contract;
pub mod data;
pub mod destinations;
pub mod health;
pub mod leads;
pub mod public;
pub mod tokens;
pub mod users;
pub mod view;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError as _, web};

use crate::error::{ApiError, AppError};
use contract::{Resource, Who, doc, on, resource};

/// Largest JSON body the API reads.
pub const JSON_LIMIT: usize = 256 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().limit(JSON_LIMIT).error_handler(|e, _| json_error(e).into()))
        .app_data(
            web::QueryConfig::default().error_handler(|e, _| ApiError(AppError::bad_request(e.to_string())).into()),
        )
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError(AppError::NotFound).into()))
        .app_data(web::PayloadConfig::default().limit(JSON_LIMIT));
    for r in table() {
        cfg.service(r.service());
    }
}

/// The one route table: every route of the API with its docs. Order
/// matters where paths overlap: `/v1/tokens/introspect` (data) and
/// `/v1/tokens/check` come before `/v1/tokens/{key}`.
pub fn table() -> Vec<Resource> {
    let openapi = resource(
        "/v1/openapi.json",
        [on(Method::GET, openapi, doc("Meta", "This document", Who::Anyone).answers_raw(200, "application/json"))],
    );
    let mut table = vec![openapi];
    // In the order a newcomer meets them (the docs page shows this order,
    // and its examples, run in it, each find what the ones before made).
    table.extend(users::routes());
    table.extend(campaigns::routes());
    table.extend(leads::routes());
    table.extend(public::routes());
    table.extend(data::routes());
    table.extend(tokens::routes());
    table.extend(destinations::routes());
    table.extend(audit::routes());
    table
}

/// The API's OpenAPI document, served from `server`.
pub fn document(server: &str) -> utoipa::openapi::OpenApi {
    contract::document(&table(), server)
}

/// `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 document.
pub async fn openapi(document: web::Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(&**document)
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError(AppError::NotFound))
}

fn json_error(e: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    ApiError(match e {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            AppError::PayloadTooLarge { limit: Some(limit) }
        }
        E::ContentType => {
            AppError::UnsupportedMediaType("send the body as JSON with `Content-Type: application/json`".to_owned())
        }
        E::Deserialize(e) if e.is_data() => {
            AppError::bad_request(format!("the JSON does not have the expected shape: {e}"))
        }
        E::Deserialize(e) => AppError::bad_request(format!("the body is not valid JSON: {e}")),
        _ => AppError::bad_request("the request body could not be read"),
    })
}

/// Makes sure every API error is JSON, including those actix answers by
/// itself (a body over the limit, a malformed path): the status is mapped
/// to its `AppError`, whose code comes from the one table.
pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return Ok(res.map_into_left_body());
    }
    let (req, old) = res.into_parts();
    let mut new = ApiError(AppError::from_status(status)).error_response();
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::CONTENT_RANGE] {
        if let Some(v) = old.headers().get(&name) {
            new.headers_mut().insert(name, v.clone());
        }
    }
    Ok(ServiceResponse::new(req, new).map_into_right_body())
}
