//! The JSON API: the route table, and the middleware that makes every
//! error answer JSON. Every error is `{"error": {"code", "message"}}`
//! through [`ApiError`]; a token comes through the [`auth::Bearer`]
//! extractor. Handlers parse, call a service, and answer.

pub mod account_tokens;
pub mod api_users;
pub mod auth;
pub mod body;
pub mod campaigns;
pub mod data;
pub mod destinations;
pub mod files;
pub mod health;
pub mod imports;
pub mod intake;
pub mod items;
pub mod leads;
pub mod lifecycle;
pub mod listing;
pub mod me;
pub mod public;
pub mod revocation;
pub mod token_admin;
pub mod users;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
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
        .service(resource("/v1/me", [on(Method::GET, me::show), on(Method::PATCH, items::patch_me)]))
        .service(resource("/v1/me/tokens", [on(Method::POST, items::create_own_token)]))
        .service(resource("/v1/settings/leak-action", [on(Method::PUT, items::put_leak_action)]))
        .service(resource("/v1/settings/reporters", [on(Method::POST, items::create_reporter)]))
        .service(resource("/v1/settings/destination-rules", [on(Method::PUT, items::put_destination_rules)]))
        .service(resource("/v1/openapi.json", [on(Method::GET, listing::openapi)]))
        .service(resource("/v1/tokens/revoke", [on(Method::POST, revocation::revoke)]))
        // Lead intake.
        .service(resource("/v1/campaigns/{c}/sources/{s}/form", [on(Method::POST, intake::form)]))
        .service(resource("/v1/campaigns/{c}/sources/{s}/ping", [on(Method::POST, intake::ping)]))
        .service(resource("/v1/campaigns/{c}/sources/{s}/post", [on(Method::POST, intake::post)]))
        // Leads.
        .service(resource("/v1/campaigns/{c}/leads", [on(Method::GET, leads::list), on(Method::POST, leads::create)]))
        .service(resource(
            "/v1/campaigns/{c}/leads/{id}",
            [on(Method::GET, leads::get), on(Method::PATCH, leads::update), on(Method::DELETE, leads::delete)],
        ))
        .service(resource("/v1/campaigns/{c}/schema", [on(Method::GET, leads::schema)]))
        .service(resource(
            "/v1/campaigns/{c}/leads/{id}/files",
            [on(Method::GET, files::list), on(Method::POST, files::upload)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/leads/{id}/files/{file_id}",
            [on(Method::GET, files::download), on(Method::DELETE, files::delete)],
        ))
        // Data services.
        .service(resource(
            "/public/v1/campaigns/{c}/stats",
            [on(Method::GET, data::stats), on(Method::OPTIONS, data::stats_preflight)],
        ))
        .service(resource(
            "/public/v1/campaigns/{c}/counts",
            [on(Method::GET, public::counts), on(Method::OPTIONS, public::preflight)],
        ))
        .service(resource(
            "/public/v1/campaigns/{c}/leads",
            [on(Method::GET, public::records), on(Method::OPTIONS, public::preflight)],
        ))
        .service(resource("/v1/export/leads", [on(Method::GET, data::export)]))
        .service(resource("/v1/tokens/introspect", [on(Method::POST, data::introspect)]))
        .service(resource("/v1/import/leads", [on(Method::POST, imports::import)]))
        .service(resource("/v1/imports/{id}", [on(Method::GET, imports::show)]))
        // Users, tokens, account tokens.
        .service(resource("/v1/users", [on(Method::GET, listing::users), on(Method::POST, users::create)]))
        .service(resource("/v1/audit", [on(Method::GET, listing::audit)]))
        .service(resource("/v1/users/{id}", [on(Method::GET, listing::user), on(Method::PATCH, users::update)]))
        .service(resource("/v1/users/{id}/tokens/revoke", [on(Method::POST, users::revoke_tokens)]))
        .service(resource("/v1/api-users", [on(Method::GET, api_users::list), on(Method::POST, api_users::create)]))
        .service(resource("/v1/api-users/{id}/tokens", [on(Method::POST, api_users::issue_token)]))
        .service(resource("/v1/tokens", [on(Method::GET, token_admin::list)]))
        .service(resource("/v1/tokens/check", [on(Method::POST, token_admin::check)]))
        .service(resource("/v1/tokens/leaked", [on(Method::POST, lifecycle::leaked)]))
        .service(resource(
            "/v1/tokens/{key}",
            [
                on(Method::GET, lifecycle::get),
                on(Method::PATCH, lifecycle::patch),
                on(Method::DELETE, items::delete_token),
            ],
        ))
        .service(resource("/v1/tokens/{key}/show", [on(Method::POST, items::show_token)]))
        .service(resource("/v1/tokens/{key}/active", [on(Method::POST, items::set_token_active)]))
        .service(resource("/v1/tokens/{key}/usage", [on(Method::GET, lifecycle::usage)]))
        .service(resource(
            "/v1/settings/token-policy",
            [on(Method::GET, lifecycle::get_policy), on(Method::PUT, lifecycle::put_policy)],
        ))
        .service(resource("/v1/tokens/{key}/revoke", [on(Method::POST, token_admin::revoke)]))
        .service(resource(
            "/v1/settings/account-tokens/public",
            [on(Method::POST, account_tokens::generate_public), on(Method::DELETE, account_tokens::delete_public)],
        ))
        .service(resource("/v1/settings/account-tokens/private", [on(Method::POST, account_tokens::create_private)]))
        .service(resource(
            "/v1/settings/account-tokens/private/{key}/reset",
            [on(Method::POST, account_tokens::reset_private)],
        ))
        .service(resource(
            "/v1/settings/account-tokens/private/{key}",
            [on(Method::DELETE, account_tokens::delete_private)],
        ))
        // Campaign management.
        .service(resource(
            "/v1/campaigns",
            [on(Method::GET, listing::campaigns), on(Method::POST, campaigns::create_campaign)],
        ))
        .service(resource(
            "/v1/campaigns/{c}",
            [on(Method::GET, listing::campaign), on(Method::PATCH, items::patch_campaign)],
        ))
        .service(resource("/v1/campaigns/{c}/sources/{s}", [on(Method::PATCH, items::patch_source)]))
        .service(resource(
            "/v1/campaigns/{c}/sources",
            [on(Method::GET, listing::sources), on(Method::POST, campaigns::create_source)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/fields",
            [on(Method::GET, listing::fields), on(Method::POST, campaigns::create_field)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/selects",
            [on(Method::GET, listing::selects), on(Method::POST, campaigns::create_select)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/statuses",
            [on(Method::GET, listing::statuses), on(Method::POST, campaigns::create_status)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/filters",
            [on(Method::GET, listing::filters), on(Method::POST, campaigns::create_filter)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/fields/{item}",
            [on(Method::PATCH, items::patch_field), on(Method::DELETE, listing::delete_field)],
        ))
        .service(resource("/v1/campaigns/{c}/selects/{item}", [on(Method::DELETE, listing::delete_select)]))
        .service(resource("/v1/campaigns/{c}/selects/{item}/options", [on(Method::POST, items::add_option)]))
        .service(resource(
            "/v1/campaigns/{c}/selects/{item}/options/{option}",
            [on(Method::DELETE, items::delete_option)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/statuses/{item}",
            [on(Method::PATCH, items::patch_status), on(Method::DELETE, listing::delete_status)],
        ))
        .service(resource(
            "/v1/campaigns/{c}/filters/{item}",
            [on(Method::PATCH, items::patch_filter), on(Method::DELETE, listing::delete_filter)],
        ))
        .service(resource("/v1/users/{id}/invitation", [on(Method::POST, items::resend_invitation)]))
        .service(resource("/v1/campaigns/{c}/relations/{item}", [on(Method::DELETE, items::delete_relation)]))
        .service(resource("/v1/campaigns/{c}/imports", [on(Method::GET, items::imports)]))
        .service(resource("/v1/destinations/{id}", [on(Method::PATCH, items::patch_destination)]))
        .service(resource("/v1/outbox", [on(Method::GET, items::outbox)]))
        .service(resource("/v1/campaigns/{c}/relations", [on(Method::POST, campaigns::create_relation)]))
        .service(resource("/v1/campaigns/{c}/destinations", [on(Method::POST, destinations::create)]))
        .service(resource("/v1/destinations/{id}/deliveries", [on(Method::GET, destinations::deliveries)]))
        .service(resource(
            "/v1/destinations/{id}/deliveries/{did}/redeliver",
            [on(Method::POST, destinations::redeliver)],
        ))
        .service(resource("/v1/destinations/{id}/test", [on(Method::POST, destinations::test)]))
        .service(resource("/v1/tokens/{key}/regenerate", [on(Method::POST, lifecycle::regenerate)]))
        .service(resource("/v1/campaigns/{c}/api-tokens", [on(Method::POST, campaigns::create_api_token)]))
        .service(resource("/v1/campaigns/{c}/api-tokens/{id}", [on(Method::PUT, campaigns::update_api_token)]))
        .service(resource("/v1/settings/global-token", [on(Method::PUT, campaigns::put_global)]))
        .service(resource("/v1/settings/global-token/regenerate", [on(Method::POST, campaigns::regenerate_global)]))
        .service(resource("/v1/campaigns/{c}/token", [on(Method::PUT, campaigns::put_campaign_token)]))
        .service(resource(
            "/v1/campaigns/{c}/token/regenerate",
            [on(Method::POST, campaigns::regenerate_campaign_token)],
        ))
        .service(resource("/v1/campaigns/{c}/sources/{s}/tokens/{m}", [on(Method::PUT, campaigns::put_source_token)]))
        .service(resource(
            "/v1/campaigns/{c}/sources/{s}/tokens/{m}/regenerate",
            [on(Method::POST, campaigns::regenerate_source_token)],
        ));
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
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::CONTENT_RANGE] {
        if let Some(v) = old.headers().get(&name) {
            new.headers_mut().insert(name, v.clone());
        }
    }
    Ok(ServiceResponse::new(req, new).map_into_right_body())
}
