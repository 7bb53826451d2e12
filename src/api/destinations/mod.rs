//! Destinations through the management API (SPEC §5): create one (its
//! signing secret answered once), pause or resume it, its delivery log,
//! Redeliver, a test event, and the organisation's destination rules.
//! `POST /api/v1/tokens/{key}/regenerate` rolls a destination's secret.

pub mod views;

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{List, accepted, created, ok};
use crate::domain::{DeliveryId, DestinationId, DestinationRules};
use crate::error::ApiError;
use crate::services::delivery::destinations::{self, NewDestinationInput};
use crate::services::{Services, campaigns};
use views::{AcceptedView, DeliveryView, DestinationView, RulesView};

/// `POST /api/v1/campaigns/{c}/destinations` `{name, url, events, filter_id?}`:
/// 201, the destination with its `key` and signing `secret` (shown once).
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<NewDestinationInput>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let campaign = campaigns::resolve(&svc, &actor, &c).await?;
    let (d, token) = destinations::create(&svc, actor, campaign.id, body.into_inner()).await?;
    Ok(created(&DestinationView::new(&d).with_secret(&token)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Active {
    active: bool,
}

/// `PATCH /api/v1/destinations/{id}` `{active}`: pause or resume.
pub async fn patch(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<DestinationId>,
    body: Json<Active>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let id = id.into_inner().get();
    destinations::set_active(&svc, actor.clone(), id, body.active).await?;
    let d = destinations::get(&svc, &actor, None, id).await?;
    Ok(ok(&DestinationView::new(&d)))
}

/// `GET /api/v1/destinations/{id}/deliveries`: the latest events and
/// their attempts.
pub async fn deliveries(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<DestinationId>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let (events, attempts) = destinations::log(&svc, &actor, id.into_inner().get(), 100).await?;
    let items = events.iter().map(|e| DeliveryView::new(e, &attempts)).collect();
    Ok(ok(&List::whole(items)))
}

/// `POST /api/v1/destinations/{id}/deliveries/{did}/redeliver`: 202.
pub async fn redeliver(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(DestinationId, DeliveryId)>,
) -> Result<HttpResponse, ApiError> {
    let (id, event) = path.into_inner();
    destinations::redeliver(&svc, bearer.acting()?, id.get(), event.get()).await?;
    Ok(accepted(&AcceptedView { redelivering: Some(event), delivery: None }))
}

/// `POST /api/v1/destinations/{id}/test`: 202 with the test event's id.
pub async fn test(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<DestinationId>,
) -> Result<HttpResponse, ApiError> {
    let event = destinations::send_test(&svc, bearer.acting()?, id.into_inner().get()).await?;
    Ok(accepted(&AcceptedView { redelivering: None, delivery: Some(event) }))
}

/// `PUT /api/v1/settings/destination-rules` `{allow_private, allow_http}`.
pub async fn put_rules(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<RulesView>,
) -> Result<HttpResponse, ApiError> {
    let rules = DestinationRules { allow_private: body.allow_private, allow_http: body.allow_http };
    destinations::set_rules(&svc, bearer.acting()?, rules).await?;
    Ok(ok(&*body))
}
