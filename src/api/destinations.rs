//! Destinations through the management API (SPEC §5): create one (its
//! signing secret answered once), its delivery log, Redeliver, a test
//! event; and `POST /api/v1/tokens/{key}/regenerate`, which for a
//! destination's secret rolls it with an overlap.

use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

use super::auth::Bearer;
use crate::error::ApiError;
use crate::services::destinations::{self, DestinationInfo, NewDestinationInput};
use crate::services::{Services, campaigns};

fn destination_json(d: &DestinationInfo) -> Value {
    let x = &d.destination;
    json!({
        "id": x.id,
        "campaign": d.campaign_slug,
        "name": x.name,
        "url": x.url,
        "events": d.events(),
        "filter_id": x.filter_id,
        "active": x.active,
        "paused_reason": x.paused_reason,
        "owner": d.owner,
        "keys": d.tokens.iter().map(|t| t.display_key()).collect::<Vec<_>>(),
    })
}

/// `POST /api/v1/campaigns/{c}/destinations`: 201 `{id, key, secret}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<String>,
    body: web::Json<NewDestinationInput>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let campaign = campaigns::resolve(&svc, &actor, &path).await?;
    let (d, token) = destinations::create(&svc, actor, campaign.id, body.into_inner()).await?;
    let mut answer = destination_json(&d);
    answer["key"] = json!(token.token.display_key());
    answer["secret"] = json!(token.secret.expose_secret());
    Ok(HttpResponse::Created().json(answer))
}

/// `GET /api/v1/destinations/{id}/deliveries`: the latest events and their attempts.
pub async fn deliveries(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let (events, attempts) = destinations::log(&svc, &actor, id.into_inner(), 100).await?;
    let items: Vec<Value> = events
        .iter()
        .map(|e| {
            let tries: Vec<Value> = attempts
                .iter()
                .filter(|a| a.event_id == e.id)
                .map(|a| {
                    json!({
                        "attempt": a.attempt,
                        "status_code": a.status_code,
                        "latency_ms": a.latency_ms,
                        "error": a.error,
                        "response": a.response,
                        "next_attempt_at": a.next_attempt_at.map(crate::clock::rfc3339),
                        "at": crate::clock::rfc3339(a.at),
                    })
                })
                .collect();
            json!({
                "id": e.id,
                "delivery": e.public_id,
                "event": e.event,
                "lead_id": e.lead_id,
                "state": e.state,
                "attempts": e.attempts,
                "next_attempt_at": (e.state == "pending").then(|| crate::clock::rfc3339(e.next_attempt_at)),
                "created_at": crate::clock::rfc3339(e.created_at),
                "delivered_at": e.delivered_at.map(crate::clock::rfc3339),
                "tries": tries,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

/// `POST /api/v1/destinations/{id}/deliveries/{did}/redeliver`: 202.
pub async fn redeliver(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, event) = path.into_inner();
    destinations::redeliver(&svc, bearer.acting()?, id, event).await?;
    Ok(HttpResponse::Accepted().json(json!({"redelivering": event})))
}

/// `POST /api/v1/destinations/{id}/test`: 202 with the test event's id.
pub async fn test(svc: web::Data<Services>, bearer: Bearer, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let event = destinations::send_test(&svc, bearer.acting()?, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(json!({"delivery": event})))
}
