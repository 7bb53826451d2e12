//! The JSON API: the route table, and the middleware that makes every
//! error answer JSON. Every error is `{"error": {"code", "message"}}`
//! through [`ApiError`]; a token comes through the [`auth::Bearer`]
//! extractor. Handlers parse, call a service, and answer.

pub mod account_tokens;
pub mod auth;
pub mod body;
pub mod campaigns;
pub mod data;
pub mod health;
pub mod intake;
pub mod leads;
pub mod me;
pub mod revocation;
pub mod token_admin;
pub mod users;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError as _, web};

use crate::error::{ApiError, AppError};

/// Largest JSON body the API reads.
pub const JSON_LIMIT: usize = 256 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().limit(JSON_LIMIT).error_handler(|e, _| json_error(e).into()))
        .app_data(
            web::QueryConfig::default().error_handler(|e, _| ApiError(AppError::bad_request(e.to_string())).into()),
        )
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError(AppError::NotFound).into()))
        .app_data(web::PayloadConfig::default().limit(JSON_LIMIT))
        .service(resource("/v1/me").route(web::get().to(me::show)))
        .service(resource("/v1/tokens/revoke").route(web::post().to(revocation::revoke)))
        // Lead intake.
        .service(resource("/v1/campaigns/{c}/sources/{s}/form").route(web::post().to(intake::form)))
        .service(resource("/v1/campaigns/{c}/sources/{s}/ping").route(web::post().to(intake::ping)))
        .service(resource("/v1/campaigns/{c}/sources/{s}/post").route(web::post().to(intake::post)))
        // Leads.
        .service(
            resource("/v1/campaigns/{c}/leads").route(web::get().to(leads::list)).route(web::post().to(leads::create)),
        )
        .service(
            resource("/v1/campaigns/{c}/leads/{id}")
                .route(web::get().to(leads::get))
                .route(web::patch().to(leads::update)),
        )
        .service(resource("/v1/campaigns/{c}/schema").route(web::get().to(leads::schema)))
        // Data services.
        .service(
            resource("/public/v1/campaigns/{c}/stats")
                .route(web::get().to(data::stats))
                .route(web::method(actix_web::http::Method::OPTIONS).to(data::stats_preflight)),
        )
        .service(resource("/v1/export/leads").route(web::get().to(data::export)))
        .service(resource("/v1/tokens/introspect").route(web::post().to(data::introspect)))
        // Users, tokens, account tokens.
        .service(resource("/v1/users").route(web::post().to(users::create)))
        .service(resource("/v1/users/{id}").route(web::patch().to(users::update)))
        .service(resource("/v1/users/{id}/tokens/revoke").route(web::post().to(users::revoke_tokens)))
        .service(resource("/v1/tokens").route(web::get().to(token_admin::list)))
        .service(resource("/v1/tokens/check").route(web::post().to(token_admin::check)))
        .service(resource("/v1/tokens/{key}/revoke").route(web::post().to(token_admin::revoke)))
        .service(
            resource("/v1/settings/account-tokens/public")
                .route(web::post().to(account_tokens::generate_public))
                .route(web::delete().to(account_tokens::delete_public)),
        )
        .service(resource("/v1/settings/account-tokens/private").route(web::post().to(account_tokens::create_private)))
        .service(
            resource("/v1/settings/account-tokens/private/{key}/reset")
                .route(web::post().to(account_tokens::reset_private)),
        )
        .service(
            resource("/v1/settings/account-tokens/private/{key}")
                .route(web::delete().to(account_tokens::delete_private)),
        )
        // Campaign management.
        .service(resource("/v1/campaigns").route(web::post().to(campaigns::create_campaign)))
        .service(resource("/v1/campaigns/{c}/sources").route(web::post().to(campaigns::create_source)))
        .service(resource("/v1/campaigns/{c}/fields").route(web::post().to(campaigns::create_field)))
        .service(resource("/v1/campaigns/{c}/selects").route(web::post().to(campaigns::create_select)))
        .service(resource("/v1/campaigns/{c}/statuses").route(web::post().to(campaigns::create_status)))
        .service(resource("/v1/campaigns/{c}/filters").route(web::post().to(campaigns::create_filter)))
        .service(resource("/v1/campaigns/{c}/api-tokens").route(web::post().to(campaigns::create_api_token)))
        .service(resource("/v1/campaigns/{c}/api-tokens/{id}").route(web::put().to(campaigns::update_api_token)))
        .service(resource("/v1/settings/global-token").route(web::put().to(campaigns::put_global)))
        .service(resource("/v1/settings/global-token/regenerate").route(web::post().to(campaigns::regenerate_global)))
        .service(resource("/v1/campaigns/{c}/token").route(web::put().to(campaigns::put_campaign_token)))
        .service(
            resource("/v1/campaigns/{c}/token/regenerate").route(web::post().to(campaigns::regenerate_campaign_token)),
        )
        .service(resource("/v1/campaigns/{c}/sources/{s}/tokens/{m}").route(web::put().to(campaigns::put_source_token)))
        .service(
            resource("/v1/campaigns/{c}/sources/{s}/tokens/{m}/regenerate")
                .route(web::post().to(campaigns::regenerate_source_token)),
        );
}

/// A resource whose other methods get 405 (not the scope's 404).
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError(AppError::MethodNotAllowed))
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
        E::ContentType => AppError::bad_request("send the body as JSON with `Content-Type: application/json`"),
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
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(v) = old.headers().get(&name) {
            new.headers_mut().insert(name, v.clone());
        }
    }
    Ok(ServiceResponse::new(req, new).map_into_right_body())
}
