//! Probes and metrics, outside `/api`: `/livez` (the process answers),
//! `/healthz` (the database answers), `/metrics` (Prometheus text).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::error::ApiError;
use crate::services::{Services, health};

/// `GET /livez`: the process answers; no work at all (the benchmarks'
/// ceiling of the HTTP stack).
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// `GET /healthz`: readiness, 200 once the database answers; 503 (without
/// the cause, which goes to the log) while it does not.
pub async fn healthz(svc: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    health::ready(&svc).await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}

/// `/healthz`'s answer.
#[derive(Serialize)]
struct Health {
    status: &'static str,
}

/// `GET /metrics`: Prometheus text. Expose it to the scraper only.
pub async fn metrics(svc: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    let text = health::metrics(&svc).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text))
}
