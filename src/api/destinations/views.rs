//! Destinations and their delivery log as the API answers them.

use serde::{Deserialize, Serialize};

use crate::api::view::{At, at};
use crate::domain::{DeliveryId, DestinationId, FilterId, LeadId};
use crate::services::NewToken;
use crate::services::delivery::destinations::{Attempt, DestinationInfo, WebhookEventRow};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DestinationView {
    pub id: DestinationId,
    /// The campaign's slug.
    pub campaign: String,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub filter_id: Option<FilterId>,
    pub active: bool,
    pub paused_reason: Option<String>,
    /// The email of the admin who made it.
    pub owner: String,
    /// Its signing secrets' keys: the live one first, then any retiring.
    pub keys: Vec<String>,
    /// The signing secret's key and value: only in the answer that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl DestinationView {
    pub fn new(d: &DestinationInfo) -> Self {
        let x = &d.destination;
        Self {
            id: DestinationId(x.id),
            campaign: d.campaign_slug.clone(),
            name: x.name.clone(),
            url: x.url.clone(),
            events: d.events().into_iter().map(str::to_owned).collect(),
            filter_id: x.filter_id.map(FilterId),
            active: x.active,
            paused_reason: x.paused_reason.clone(),
            owner: d.owner.clone(),
            keys: d.tokens.iter().map(|t| t.display_key()).collect(),
            key: None,
            secret: None,
        }
    }

    pub fn with_secret(self, token: &NewToken) -> Self {
        Self {
            key: Some(token.token.display_key()),
            secret: Some(secrecy::ExposeSecret::expose_secret(&token.secret).to_owned()),
            ..self
        }
    }
}

/// One try at delivering an event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TryView {
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<String>,
    pub response: Option<String>,
    pub next_attempt_at: Option<At>,
    pub at: At,
}

/// An event of the delivery log, with its tries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: DeliveryId,
    /// The id the receiver sees (`Keyward-Delivery`).
    pub delivery: String,
    pub event: String,
    pub lead_id: Option<LeadId>,
    /// pending, delivered or failed.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<At>,
    pub created_at: At,
    pub delivered_at: Option<At>,
    pub tries: Vec<TryView>,
}

impl DeliveryView {
    pub fn new(e: &WebhookEventRow, attempts: &[Attempt]) -> Self {
        Self {
            id: DeliveryId(e.id),
            delivery: e.public_id.clone(),
            event: e.event.clone(),
            lead_id: e.lead_id.map(LeadId),
            state: e.state.clone(),
            attempts: e.attempts,
            next_attempt_at: (e.state == "pending").then_some(At(e.next_attempt_at)),
            created_at: At(e.created_at),
            delivered_at: at(e.delivered_at),
            tries: attempts
                .iter()
                .filter(|a| a.event_id == e.id)
                .map(|a| TryView {
                    attempt: a.attempt,
                    status_code: a.status_code,
                    latency_ms: a.latency_ms,
                    error: a.error.clone(),
                    response: a.response.clone(),
                    next_attempt_at: at(a.next_attempt_at),
                    at: At(a.at),
                })
                .collect(),
        }
    }
}

/// 202 to Redeliver (`redelivering`: the event) or a test (`delivery`:
/// the test event's id).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AcceptedView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redelivering: Option<DeliveryId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
}

/// Where destinations may point beyond public HTTPS.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesView {
    /// Private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).
    pub allow_private: bool,
    /// Plain `http://` to any host.
    pub allow_http: bool,
    /// This machine (127.0.0.0/8, ::1, `localhost`), over `http://` too.
    /// Left out: false.
    #[serde(default)]
    pub allow_loopback: bool,
}
