//! Webhook events: written in the same transaction as the change that
//! causes them (a lead created or updated, a campaign token created,
//! revoked or about to expire), one row per destination that wants the
//! event and whose filter takes the lead; then claimed by a worker
//! (`jobs::webhooks`, on every instance), sent (`webhook::Sender`) and
//! recorded here: delivered, or retried with exponential backoff and
//! jitter up to a day. A destination failing for three days in a row is
//! paused and its owner mailed.

use std::collections::HashMap;

use diesel::PgConnection;
use rand::Rng as _;
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use crate::db::changes::Change;
use crate::domain::{Actor, AuditAction, TokenKind, WebhookEvent};
use crate::error::AppError;
use crate::mail::{self, messages};
use crate::models::destination::Destination;
use crate::models::webhook_event::{Attempt, NewAttempt, NewEvent, WebhookEventRow};
use crate::models::{Campaign, OrgSettings, Token, User};
use crate::services::audit;
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::context::Services;
use crate::webhook::{Delivery, Outcome};

/// How long a claimed attempt belongs to the instance that claimed it.
const LEASE: Duration = Duration::minutes(2);
/// The longest wait between two attempts.
const BACKOFF_MAX: Duration = Duration::hours(24);
/// Failing this long in a row pauses a destination.
pub const PAUSE_AFTER: Duration = Duration::days(3);

fn event_id() -> String {
    format!("evt_{}", crate::tokens::random_base62(24))
}

/// The body every delivery carries.
fn payload(id: &str, event: WebhookEvent, campaign: &str, now: OffsetDateTime, data: Value) -> Value {
    json!({
        "id": id,
        "type": event,
        "created_at": crate::clock::rfc3339(now),
        "campaign": campaign,
        "data": data,
    })
}

/// Whether any destination of the campaign wants `event` about a lead with
/// these selects (intake skips its transaction when none does).
pub(in crate::services) fn wanted(snap: &CampaignSnapshot, event: WebhookEvent, selects: &Map<String, Value>) -> bool {
    snap.destinations_for(event.as_str(), selects).next().is_some()
}

/// Queues `event` about a lead (`lead`: the lead as the API shows it) for
/// every destination of the campaign that wants it, in the caller's
/// transaction.
pub(in crate::services) fn lead_event(
    tx: &mut PgConnection,
    snap: &CampaignSnapshot,
    lead: &Value,
    event: WebhookEvent,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let empty = Map::new();
    let selects = lead["select_field_values"].as_object().unwrap_or(&empty);
    let events: Vec<NewEvent> = snap
        .destinations_for(event.as_str(), selects)
        .map(|d| {
            let id = event_id();
            NewEvent {
                payload: payload(&id, event, &snap.campaign.slug, now, lead.clone()),
                public_id: id,
                destination_id: d.destination.id,
                event: event.as_str().to_owned(),
                lead_id: lead["id"].as_i64(),
                next_attempt_at: now,
                created_at: now,
            }
        })
        .collect();
    if !events.is_empty() {
        WebhookEventRow::insert_all(tx, &events)?;
    }
    Ok(())
}

/// Queues many lead events at once (an import's batch).
pub(in crate::services) fn lead_events(
    tx: &mut PgConnection,
    snap: &CampaignSnapshot,
    leads: &[(WebhookEvent, Value)],
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let empty = Map::new();
    let mut events = Vec::new();
    for (event, lead) in leads {
        let selects = lead["select_field_values"].as_object().unwrap_or(&empty);
        for d in snap.destinations_for(event.as_str(), selects) {
            let id = event_id();
            events.push(NewEvent {
                payload: payload(&id, *event, &snap.campaign.slug, now, lead.clone()),
                public_id: id,
                destination_id: d.destination.id,
                event: event.as_str().to_owned(),
                lead_id: lead["id"].as_i64(),
                next_attempt_at: now,
                created_at: now,
            });
        }
    }
    if !events.is_empty() {
        WebhookEventRow::insert_all(tx, &events)?;
    }
    Ok(())
}

/// Queues a token event for the destinations of the token's campaign (a
/// campaign, source or campaign API token; never a destination's own
/// secret). What is sent is the token's metadata, never the token.
pub(in crate::services) fn token_event(
    tx: &mut PgConnection,
    token: &Token,
    event: WebhookEvent,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let Some(campaign_id) = token.campaign_id.filter(|_| token.kind != TokenKind::Destination) else {
        return Ok(());
    };
    let destinations: Vec<Destination> =
        Destination::of_campaign(tx, campaign_id)?.into_iter().filter(|d| d.wants(event.as_str())).collect();
    if destinations.is_empty() {
        return Ok(());
    }
    let campaign = Campaign::find(tx, campaign_id)?;
    let data = json!({
        "key": token.display_key(),
        "kind": token.kind,
        "name": token.name,
        "created_at": crate::clock::rfc3339(token.created_at),
        "expires_at": token.expires_at.map(crate::clock::rfc3339),
        "revoked_at": token.revoked_at.map(crate::clock::rfc3339),
        "revoked_reason": token.revoked_reason,
    });
    let events: Vec<NewEvent> = destinations
        .iter()
        .map(|d| {
            let id = event_id();
            NewEvent {
                payload: payload(&id, event, &campaign.slug, now, data.clone()),
                public_id: id,
                destination_id: d.id,
                event: event.as_str().to_owned(),
                lead_id: None,
                next_attempt_at: now,
                created_at: now,
            }
        })
        .collect();
    WebhookEventRow::insert_all(tx, &events)?;
    Ok(())
}

/// Queues a test event for one destination.
pub(in crate::services) fn test_event(
    tx: &mut PgConnection,
    d: &Destination,
    campaign: &str,
    now: OffsetDateTime,
) -> Result<String, AppError> {
    let id = event_id();
    let data = json!({"message": "A test event from Keyward: your destination receives and verifies deliveries."});
    WebhookEventRow::insert_all(
        tx,
        &[NewEvent {
            payload: payload(&id, WebhookEvent::Test, campaign, now, data),
            public_id: id.clone(),
            destination_id: d.id,
            event: WebhookEvent::Test.as_str().to_owned(),
            lead_id: None,
            next_attempt_at: now,
            created_at: now,
        }],
    )?;
    Ok(id)
}

/// A destination's secrets that sign now: the live one and any retiring
/// one still inside its overlap, newest first.
pub(in crate::services) fn signing_secrets(
    conn: &mut PgConnection,
    svc: &Services,
    destination_id: i64,
    now: OffsetDateTime,
) -> Result<Vec<SecretString>, AppError> {
    Token::signing_of_destination(conn, destination_id, now)?
        .iter()
        .map(|t| crate::tokens::reveal(&svc.keys, t))
        .collect()
}

// ---------------------------------------------------------------- the worker

/// An attempt claimed for sending.
pub struct Due {
    pub event_id: i64,
    pub destination_id: i64,
    pub attempt: i32,
    pub delivery: Delivery,
}

/// Claims up to `limit` due attempts for this instance (see
/// `WebhookEventRow::claim`), with what sending each needs.
pub async fn claim(svc: &Services, limit: i64) -> Result<Vec<Due>, AppError> {
    let now = svc.now();
    let s = svc.clone();
    svc.run(move |conn| {
        let (rows, rules) = diesel::Connection::transaction(conn, |tx| {
            let rows = WebhookEventRow::claim(tx, now, now + LEASE, limit)?;
            let rules = OrgSettings::destination_rules(tx)?;
            Ok::<_, AppError>((rows, rules))
        })?;
        let mut destinations: HashMap<i64, (Destination, Vec<SecretString>)> = HashMap::new();
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            if !destinations.contains_key(&row.destination_id) {
                let Some(d) = Destination::find(conn, row.destination_id)? else { continue };
                let secrets = signing_secrets(conn, &s, d.id, now)?;
                destinations.insert(d.id, (d, secrets));
            }
            let (d, secrets) = &destinations[&row.destination_id];
            due.push(Due {
                event_id: row.id,
                destination_id: d.id,
                attempt: row.attempts,
                delivery: Delivery {
                    url: d.url.clone(),
                    event: row.event.clone(),
                    delivery_id: row.public_id.clone(),
                    body: serde_json::to_vec(&row.payload).unwrap_or_default(),
                    secrets: secrets.clone(),
                    timestamp: now.unix_timestamp(),
                    rules,
                },
            });
        }
        Ok(due)
    })
    .await
}

/// The wait before attempt `attempt + 1`: doubling from `base`, at most a
/// day, with ±25% jitter so that retries of many events spread out.
fn backoff(base: std::time::Duration, attempt: i32) -> Duration {
    let base = Duration::try_from(base).unwrap_or(Duration::seconds(10));
    let doubled = base * 2f64.powi(attempt.saturating_sub(1).min(30));
    let capped = if doubled > BACKOFF_MAX { BACKOFF_MAX } else { doubled };
    let jitter = rand::rng().random_range(0.75..1.25);
    let waited = capped * jitter;
    if waited > BACKOFF_MAX { BACKOFF_MAX } else { waited }
}

/// Records how a batch of attempts went, in one transaction: the delivery
/// log's lines; each event delivered, or its next attempt; each
/// destination's failing streak (any success in the batch ends it), and its
/// pause (and the owner's mail) after three days of failures.
pub async fn record_attempts(svc: &Services, done: Vec<(Due, Outcome)>) -> Result<(), AppError> {
    if done.is_empty() {
        return Ok(());
    }
    let now = svc.now();
    let base = svc.settings.webhook_retry_base;
    let settings = svc.settings.clone();
    svc.tx(move |tx| {
        let mut attempts = Vec::with_capacity(done.len());
        let (mut delivered, mut retries) = (Vec::new(), Vec::new());
        // Per destination: whether any attempt succeeded, and the last error.
        let mut results: HashMap<i64, (bool, Option<String>)> = HashMap::new();
        for (due, outcome) in &done {
            let ok = outcome.delivered();
            let next = (!ok).then(|| now + backoff(base, due.attempt));
            attempts.push(NewAttempt {
                event_id: due.event_id,
                destination_id: due.destination_id,
                attempt: due.attempt,
                status_code: outcome.status.map(i32::from),
                latency_ms: i32::try_from(outcome.latency.as_millis()).unwrap_or(i32::MAX),
                error: outcome.error.as_deref(),
                response: Some(outcome.answer.as_str()).filter(|a| !a.is_empty()),
                next_attempt_at: next,
                at: now,
            });
            match next {
                None => delivered.push(due.event_id),
                Some(at) => retries.push((due.event_id, at)),
            }
            let entry = results.entry(due.destination_id).or_insert((false, None));
            entry.0 |= ok;
            if !ok {
                entry.1.clone_from(&outcome.error);
            }
        }
        Attempt::insert_all(tx, &attempts)?;
        WebhookEventRow::delivered_all(tx, &delivered, now)?;
        WebhookEventRow::retry_all(tx, &retries)?;
        for (destination_id, (ok, last_error)) in results {
            let failing_since = Destination::record_result(tx, destination_id, ok, now)?;
            if let Some(since) = failing_since
                && since <= now - PAUSE_AFTER
            {
                pause_failing(tx, &settings, destination_id, since, last_error.unwrap_or_default(), now)?;
            }
        }
        Ok(())
    })
    .await
}

/// Pauses a destination that has failed for three days, and tells its owner.
fn pause_failing(
    tx: &mut crate::services::context::Tx<'_>,
    settings: &crate::config::Settings,
    destination_id: i64,
    since: OffsetDateTime,
    last_error: String,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let Some(d) = Destination::find_for_update(tx, destination_id)?.filter(|d| d.active) else {
        return Ok(());
    };
    let reason = format!("every delivery failed since {}", crate::clock::display(since));
    Destination::set_active(tx, d.id, false, Some(&reason), now)?;
    tx.publish(Change::Campaign(d.campaign_id))?;
    let campaign = Campaign::find(tx, d.campaign_id)?;
    let owner = User::find(tx, d.owner_id)?;
    let target = format!("{}/{}", campaign.slug, d.name);
    audit::record(tx, now, &Actor::system(), AuditAction::DestinationPaused, &target, json!({"reason": reason}))?;
    if owner.kind == crate::domain::UserKind::Person {
        mail::enqueue(
            tx,
            now,
            &owner.email,
            &messages::DestinationPaused {
                name: owner.name().to_owned(),
                destination: d.name.clone(),
                campaign: campaign.name.clone(),
                url: d.url.clone(),
                since: crate::clock::display(since),
                last_error,
                link: settings.link(&format!("/campaigns/{}/destinations/{}", campaign.id, d.id)),
            },
        )?;
    }
    Ok(())
}

/// Events not yet delivered, across all destinations.
pub async fn pending(svc: &Services) -> Result<i64, AppError> {
    svc.run(|conn| Ok(WebhookEventRow::pending_count(conn)?)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_with_jitter_up_to_a_day() {
        let base = std::time::Duration::from_secs(10);
        let first = backoff(base, 1);
        assert!(first >= Duration::milliseconds(7500) && first <= Duration::milliseconds(12_500), "{first}");
        let fourth = backoff(base, 4);
        assert!(fourth >= Duration::seconds(60) && fourth <= Duration::seconds(100), "{fourth}");
        assert!(backoff(base, 40) <= BACKOFF_MAX);
        assert!(backoff(base, 40) >= BACKOFF_MAX * 0.75);
    }
}
