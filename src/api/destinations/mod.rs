//! Destinations through the management API: create one (its
//! signing secret answered once), pause or resume it, its delivery log,
//! Redeliver, a test event, and the organisation's destination rules.
//! `POST /api/v1/tokens/{key}/regenerate` rolls a destination's secret.

pub mod views;

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::contract::{Resource, Who, doc, on, resource};
use crate::api::view::{List, accepted, created, ok};
use crate::domain::{DeliveryId, DestinationId, DestinationRules, Permission};
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

#[derive(Deserialize, utoipa::ToSchema)]
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

/// `PUT /api/v1/settings/destination-rules` `{allow_private, allow_http,
/// allow_loopback}`.
pub async fn put_rules(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<RulesView>,
) -> Result<HttpResponse, ApiError> {
    let rules = DestinationRules {
        allow_private: body.allow_private,
        allow_http: body.allow_http,
        allow_loopback: body.allow_loopback,
    };
    destinations::set_rules(&svc, bearer.acting()?, rules).await?;
    Ok(ok(&*body))
}

/// The routes of destinations and the destination rules.
pub fn routes() -> Vec<Resource> {
    const TAG: &str = "Destinations";
    const WHO: Who = Who::Role(Permission::ManageCampaigns);
    vec![
        resource(
            "/v1/campaigns/{c}/destinations",
            [on(
                Method::POST,
                create,
                doc(TAG, "Add a webhook destination (its signing secret is shown once)", WHO)
                    .body::<NewDestinationInput>(json!({"name": "CRM", "url": "https://crm.example.com/hooks/keyward", "events": ["lead.created"]}))
                    .answers::<DestinationView>(201),
            )],
        ),
        resource(
            "/v1/destinations/{id}",
            [on(
                Method::PATCH,
                patch,
                doc(TAG, "Pause or resume a destination", WHO).body::<Active>(json!({"active": false})).answers::<DestinationView>(200),
            )],
        ),
        resource(
            "/v1/destinations/{id}/test",
            [on(Method::POST, test, doc(TAG, "Send a test event", WHO).answers::<AcceptedView>(202))],
        ),
        resource(
            "/v1/destinations/{id}/deliveries",
            [on(Method::GET, deliveries, doc(TAG, "A destination's delivery log", WHO).answers::<List<DeliveryView>>(200))],
        ),
        resource(
            "/v1/destinations/{id}/deliveries/{did}/redeliver",
            [on(Method::POST, redeliver, doc(TAG, "Deliver an event again", WHO).answers::<AcceptedView>(202))],
        ),
        resource(
            "/v1/settings/destination-rules",
            [on(
                Method::PUT,
                put_rules,
                doc("Settings", "Where destinations may point beyond public HTTPS", Who::Role(Permission::ManageOrgTokens))
                    .body::<RulesView>(json!({"allow_private": false, "allow_http": false, "allow_loopback": false}))
                    .answers::<RulesView>(200),
            )],
        ),
    ]
}
