//! The JSON API. Every error is `{"error": {"code", "message"}}` through
//! [`ApiError`].

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::error::{ApiError, AppError};
use crate::state::AppState;

/// Largest JSON body the API reads.
pub const JSON_LIMIT: usize = 256 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_LIMIT)
            .error_handler(|e, _| json_error(e).into()),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| ApiError(AppError::bad_request(e.to_string())).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|_, _| ApiError(AppError::NotFound).into()));
}

fn json_error(e: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    ApiError(match e {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            AppError::PayloadTooLarge { limit }
        }
        E::ContentType => {
            AppError::bad_request("send the body as JSON with `Content-Type: application/json`")
        }
        E::Deserialize(e) if e.is_data() => {
            AppError::bad_request(format!("the JSON does not have the expected shape: {e}"))
        }
        E::Deserialize(e) => AppError::bad_request(format!("the body is not valid JSON: {e}")),
        other => AppError::bad_request(other.to_string()),
    })
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError(AppError::NotFound))
}

/// Liveness: 200 once the database answers.
pub async fn healthz(
    state: web::Data<AppState>,
    _req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state
        .db(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
        .map_err(|e| ApiError(AppError::Unavailable(format!("database unreachable: {e}"))))?;
    Ok(HttpResponse::Ok().json(json!({"status": "ok"})))
}
