//! The JSON API: the route table, and the middleware that makes every
//! error answer JSON. Every error is `{"error": {"code", "message"}}`
//! through [`ApiError`]; a token comes through the [`auth::Bearer`]
//! extractor. Handlers parse, call a service, and answer.

pub mod audit;
pub mod auth;
pub mod body;
pub mod campaigns;
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
use crate::services::Services;

/// Largest JSON body the API reads.
pub const JSON_LIMIT: usize = 256 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().limit(JSON_LIMIT).error_handler(|e, _| json_error(e).into()))
        .app_data(
            web::QueryConfig::default().error_handler(|e, _| ApiError(AppError::bad_request(e.to_string())).into()),
        )
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError(AppError::NotFound).into()))
        .app_data(web::PayloadConfig::default().limit(JSON_LIMIT))
        // The token's own user.
        .service(resource("/v1/me", [on(Method::GET, users::me::show), on(Method::PATCH, users::me::patch)]))
        .service(resource("/v1/me/tokens", [on(Method::POST, users::me::create_token)]))
        .service(resource("/v1/openapi.json", [on(Method::GET, openapi)]))
        // Lead intake.
        .service(resource("/v1/campaigns/{c}/sources/{s}/form", [on(Method::POST, leads::intake::form)]))
        .service(resource("/v1/campaigns/{c}/sources/{s}/ping", [on(Method::POST, leads::intake::ping)]))
        .service(resource("/v1/campaigns/{c}/sources/{s}/post", [on(Method::POST, leads::intake::post)]))
        // Leads and their files.
        .service(resource("/v1/campaigns/{c}/leads", [on(Method::GET, leads::list), on(Method::POST, leads::create)]))
        .service(resource(
            "/v1/campaigns/{c}/leads/{id}",
            [on(Method::GET, leads::get), on(Method::PATCH, leads::update), on(Method::DELETE, leads::delete)],
        ))
        .service(resource("/v1/campaigns/{c}/schema", [on(Method::GET, leads::schema)]))
        .service(resource(
            "/v1/campaigns/{c}/leads/{id}/files",
            [on(Method::GET, leads::files::list), on(Method::POST, leads::files::upload)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/leads/{id}/files/{file_id}",
            [on(Method::GET, leads::files::download), on(Method::DELETE, leads::files::delete)],
        ))
        // The public token's data.
        .service(resource(
            "/public/v1/campaigns/{c}/stats",
            [on(Method::GET, public::stats::stats), on(Method::OPTIONS, public::preflight)],
        ))
        .service(resource(
            "/public/v1/campaigns/{c}/counts",
            [on(Method::GET, public::counts), on(Method::OPTIONS, public::preflight)],
        ))
        .service(resource(
            "/public/v1/campaigns/{c}/leads",
            [on(Method::GET, public::records), on(Method::OPTIONS, public::preflight)],
        ))
        // Private tokens' data: export, import, introspection.
        .service(resource("/v1/export/leads", [on(Method::GET, data::export)]))
        .service(resource("/v1/import/leads", [on(Method::POST, data::imports::import)]))
        .service(resource("/v1/imports/{id}", [on(Method::GET, data::imports::show)]))
        .service(resource("/v1/campaigns/{c}/imports", [on(Method::GET, data::imports::of_campaign)]))
        .service(resource("/v1/tokens/introspect", [on(Method::POST, data::introspect)]))
        // Users.
        .service(resource("/v1/users", [on(Method::GET, users::list), on(Method::POST, users::create)]))
        .service(resource("/v1/users/{id}", [on(Method::GET, users::get), on(Method::PATCH, users::update)]))
        .service(resource("/v1/users/{id}/invitation", [on(Method::POST, users::resend_invitation)]))
        .service(resource("/v1/users/{id}/tokens/revoke", [on(Method::POST, users::revoke_tokens)]))
        .service(resource(
            "/v1/api-users",
            [on(Method::GET, users::api_users::list), on(Method::POST, users::api_users::create)],
        ))
        .service(resource("/v1/api-users/{id}/tokens", [on(Method::POST, users::api_users::issue_token)]))
        .service(resource("/v1/outbox", [on(Method::GET, users::outbox::show)]))
        .service(resource("/v1/audit", [on(Method::GET, audit::list)]))
        // Tokens of every kind, by key.
        .service(resource("/v1/tokens", [on(Method::GET, tokens::list)]))
        .service(resource("/v1/tokens/check", [on(Method::POST, tokens::check)]))
        .service(resource("/v1/tokens/revoke", [on(Method::POST, tokens::revocation::revoke)]))
        .service(resource("/v1/tokens/leaked", [on(Method::POST, tokens::leaks::report)]))
        .service(resource(
            "/v1/tokens/{key}",
            [
                on(Method::GET, tokens::lifecycle::get),
                on(Method::PATCH, tokens::lifecycle::patch),
                on(Method::DELETE, tokens::delete),
            ],
        ))
        .service(resource("/v1/tokens/{key}/show", [on(Method::POST, tokens::show)]))
        .service(resource("/v1/tokens/{key}/active", [on(Method::POST, tokens::set_active)]))
        .service(resource("/v1/tokens/{key}/revoke", [on(Method::POST, tokens::revoke)]))
        .service(resource("/v1/tokens/{key}/usage", [on(Method::GET, tokens::lifecycle::usage)]))
        .service(resource("/v1/tokens/{key}/regenerate", [on(Method::POST, tokens::lifecycle::regenerate)]))
        // Organisation settings of tokens.
        .service(resource(
            "/v1/settings/token-policy",
            [on(Method::GET, tokens::policy::get), on(Method::PUT, tokens::policy::put)],
        ))
        .service(resource("/v1/settings/leak-action", [on(Method::PUT, tokens::leaks::put_action)]))
        .service(resource("/v1/settings/reporters", [on(Method::POST, tokens::leaks::create_reporter)]))
        .service(resource("/v1/settings/destination-rules", [on(Method::PUT, destinations::put_rules)]))
        .service(resource(
            "/v1/settings/account-tokens/public",
            [on(Method::POST, tokens::account::generate_public), on(Method::DELETE, tokens::account::delete_public)],
        ))
        .service(resource("/v1/settings/account-tokens/private", [on(Method::POST, tokens::account::create_private)]))
        .service(resource(
            "/v1/settings/account-tokens/private/{key}/reset",
            [on(Method::POST, tokens::account::reset_private)],
        ))
        .service(resource(
            "/v1/settings/account-tokens/private/{key}",
            [on(Method::DELETE, tokens::account::delete_private)],
        ))
        // Level tokens.
        .service(resource("/v1/settings/global-token", [on(Method::PUT, tokens::levels::put_global)]))
        .service(resource(
            "/v1/settings/global-token/regenerate",
            [on(Method::POST, tokens::levels::regenerate_global)],
        ))
        .service(resource("/v1/campaigns/{c}/token", [on(Method::PUT, tokens::levels::put_campaign)]))
        .service(resource(
            "/v1/campaigns/{c}/token/regenerate",
            [on(Method::POST, tokens::levels::regenerate_campaign)],
        ))
        .service(resource("/v1/campaigns/{c}/sources/{s}/tokens/{m}", [on(Method::PUT, tokens::levels::put_source)]))
        .service(resource(
            "/v1/campaigns/{c}/sources/{s}/tokens/{m}/regenerate",
            [on(Method::POST, tokens::levels::regenerate_source)],
        ))
        // Campaign API tokens.
        .service(resource("/v1/campaigns/{c}/api-tokens", [on(Method::POST, tokens::api_tokens::create)]))
        .service(resource("/v1/campaigns/{c}/api-tokens/{id}", [on(Method::PUT, tokens::api_tokens::update)]))
        // Campaigns and their structure.
        .service(resource("/v1/campaigns", [on(Method::GET, campaigns::list), on(Method::POST, campaigns::create)]))
        .service(resource("/v1/campaigns/{c}", [on(Method::GET, campaigns::get), on(Method::PATCH, campaigns::patch)]))
        .service(resource(
            "/v1/campaigns/{c}/sources",
            [on(Method::GET, campaigns::sources::list), on(Method::POST, campaigns::sources::create)],
        ))
        .service(resource("/v1/campaigns/{c}/sources/{s}", [on(Method::PATCH, campaigns::sources::patch)]))
        .service(resource(
            "/v1/campaigns/{c}/fields",
            [on(Method::GET, campaigns::fields::list), on(Method::POST, campaigns::fields::create)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/fields/{item}",
            [on(Method::PATCH, campaigns::fields::patch), on(Method::DELETE, campaigns::fields::delete)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/selects",
            [on(Method::GET, campaigns::selects::list), on(Method::POST, campaigns::selects::create)],
        ))
        .service(resource("/v1/campaigns/{c}/selects/{item}", [on(Method::DELETE, campaigns::selects::delete)]))
        .service(resource(
            "/v1/campaigns/{c}/selects/{item}/options",
            [on(Method::POST, campaigns::selects::add_option)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/selects/{item}/options/{option}",
            [on(Method::DELETE, campaigns::selects::delete_option)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/statuses",
            [on(Method::GET, campaigns::statuses::list), on(Method::POST, campaigns::statuses::create)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/statuses/{item}",
            [on(Method::PATCH, campaigns::statuses::patch), on(Method::DELETE, campaigns::statuses::delete)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/filters",
            [on(Method::GET, campaigns::filters::list), on(Method::POST, campaigns::filters::create)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/filters/{item}",
            [on(Method::PATCH, campaigns::filters::patch), on(Method::DELETE, campaigns::filters::delete)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/relations",
            [on(Method::GET, campaigns::relations::list), on(Method::POST, campaigns::relations::create)],
        ))
        .service(resource("/v1/campaigns/{c}/relations/{item}", [on(Method::DELETE, campaigns::relations::delete)]))
        // Destinations.
        .service(resource("/v1/campaigns/{c}/destinations", [on(Method::POST, destinations::create)]))
        .service(resource("/v1/destinations/{id}", [on(Method::PATCH, destinations::patch)]))
        .service(resource("/v1/destinations/{id}/deliveries", [on(Method::GET, destinations::deliveries)]))
        .service(resource(
            "/v1/destinations/{id}/deliveries/{did}/redeliver",
            [on(Method::POST, destinations::redeliver)],
        ))
        .service(resource("/v1/destinations/{id}/test", [on(Method::POST, destinations::test)]));
}

/// One method of a resource and its handler.
fn on<F, Args>(method: Method, handler: F) -> (Method, actix_web::Route)
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    (method.clone(), web::method(method).to(handler))
}

/// A resource with its methods; any other method gets 405 with `Allow`
/// naming these (HEAD wherever GET is), not the scope's 404.
fn resource<const N: usize>(path: &str, routes: [(Method, actix_web::Route); N]) -> actix_web::Resource {
    let mut methods: Vec<&str> = routes.iter().map(|(m, _)| m.as_str()).collect();
    if methods.contains(&"GET") {
        methods.push("HEAD");
    }
    let allow = methods.join(", ");
    let mut resource = web::resource(path);
    for (_, route) in routes {
        resource = resource.route(route);
    }
    resource.default_service(web::to(move || {
        let allow = allow.clone();
        async move {
            let mut res = ApiError(AppError::MethodNotAllowed).error_response();
            if let Ok(v) = header::HeaderValue::from_str(&allow) {
                res.headers_mut().insert(header::ALLOW, v);
            }
            res
        }
    }))
}

/// `GET /api/v1/openapi.json`: the management API's OpenAPI 3.1 document.
pub async fn openapi(svc: web::Data<Services>) -> HttpResponse {
    HttpResponse::Ok().json(crate::services::docs::api_doc::openapi(&svc.settings.public_url))
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
