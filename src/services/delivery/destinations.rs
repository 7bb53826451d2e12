//! Destinations: a campaign's events delivered, signed, to a URL. Admins of
//! the campaign create one (name, URL, the events it wants, optionally one
//! of the campaign's filters); its signing secret is a token of its own
//! kind, shown once; Regenerate may keep the old secret signing beside the
//! new one for an overlap of up to seven days. Pause and Resume, a test
//! event, Redeliver, and the delivery log. Every change is audited.

use serde::Deserialize;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::db::changes::Change;
use crate::domain::{
    Actor, AuditAction, CampaignId, DestinationId, DestinationRules, DestinationUrl, Permission, Scope, TokenKind,
    UserId, WebhookEvent,
};
use crate::error::{AppError, FieldErrors};
pub use crate::models::destination::Destination;
use crate::models::destination::NewDestination;
pub use crate::models::webhook_event::{Attempt, WebhookEventRow};
use crate::models::{Campaign, Filter, OrgSettings, Token, User};
use crate::services::audit::record;
use crate::services::campaigns::campaign_for_update;
use crate::services::context::{Services, Tx};
use crate::services::credentials::lifecycle::{self, RevokedBy, issue_recorded};
use crate::services::credentials::token_info::{NewToken, TokenInfo};
use crate::tokens::TokenSpec;

/// The longest overlap a regenerated secret may have.
pub const OVERLAP_MAX: Duration = Duration::days(7);
const NAME_MAX: usize = 200;

/// What creating a destination takes (the console form and the API body).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDestinationInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub filter_id: Option<i64>,
}

/// A destination as pages and answers show it.
#[derive(Debug, Clone)]
pub struct DestinationInfo {
    pub destination: Destination,
    pub campaign_slug: String,
    pub campaign_name: String,
    pub owner: String,
    /// Its signing secrets: the live one first, then any retiring.
    pub tokens: Vec<TokenInfo>,
}

impl DestinationInfo {
    pub fn events(&self) -> Vec<&str> {
        self.destination.events.iter().flatten().map(String::as_str).collect()
    }
}

/// The organisation's rules for where destinations may point.
pub async fn rules(svc: &Services) -> Result<DestinationRules, AppError> {
    svc.run(|conn| Ok(OrgSettings::destination_rules(conn)?)).await
}

pub async fn set_rules(svc: &Services, actor: Actor, rules: DestinationRules) -> Result<(), AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = svc.now();
    svc.tx(move |tx| {
        OrgSettings::set_destination_rules(tx, rules, now)?;
        record(
            tx,
            now,
            &actor,
            AuditAction::DestinationRulesChanged,
            "destinations",
            json!({
                "allow_private": rules.allow_private,
                "allow_http": rules.allow_http,
                "allow_loopback": rules.allow_loopback,
            }),
        )
    })
    .await
}

/// Checks a URL against the rules, and that it is not Keyward itself.
fn check_url(svc: &Services, url: &str, rules: DestinationRules) -> Result<String, String> {
    let parsed = DestinationUrl::parse(url, rules)?;
    let own = url::Url::parse(&svc.settings.public_url).ok();
    let own_origin = own.as_ref().map(|u| (u.host_str().unwrap_or_default().to_owned(), u.port_or_known_default()));
    let local = parsed.is_loopback();
    let own_port = own.as_ref().and_then(url::Url::port_or_known_default);
    if own_origin == Some((parsed.host.clone(), Some(parsed.port))) || (local && own_port == Some(parsed.port)) {
        return Err("points at Keyward itself".to_owned());
    }
    Ok(parsed.url.to_string())
}

fn info(
    conn: &mut diesel::PgConnection,
    destination: Destination,
    now: OffsetDateTime,
) -> Result<DestinationInfo, AppError> {
    let campaign = Campaign::find(conn, destination.campaign_id)?;
    let owner = User::find(conn, destination.owner_id)?.label();
    let tokens = Token::of_destination(conn, destination.id)?
        .into_iter()
        .filter(|t| t.revoked_at.is_none() && t.retiring_until.is_none_or(|u| u > now))
        .map(TokenInfo::from)
        .collect();
    Ok(DestinationInfo { destination, campaign_slug: campaign.slug, campaign_name: campaign.name, owner, tokens })
}

fn signing_spec(d: &Destination, actor: &Actor) -> TokenSpec {
    TokenSpec {
        name: d.name.chars().take(200).collect(),
        scope: Scope::Destination {
            owner: UserId(d.owner_id),
            campaign: CampaignId(d.campaign_id),
            destination: DestinationId(d.id),
        },
        created_by: actor.user_id,
        ..TokenSpec::default()
    }
}

/// Creates a destination and its signing secret (shown once).
pub async fn create(
    svc: &Services,
    actor: Actor,
    campaign_id: i64,
    input: NewDestinationInput,
) -> Result<(DestinationInfo, NewToken), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let owner_id = actor.own_user_id()?;
    let rules = rules(svc).await?;
    let mut errors = FieldErrors::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        errors.insert("name".into(), "Name the destination, e.g. \"CRM\".".into());
    } else if name.chars().count() > NAME_MAX {
        errors.insert("name".into(), format!("Use at most {NAME_MAX} characters."));
    }
    let url = match check_url(svc, &input.url, rules) {
        Ok(u) => Some(u),
        Err(m) => {
            errors.insert("url".into(), format!("The URL {m}."));
            None
        }
    };
    let mut events: Vec<&'static str> = Vec::new();
    for e in &input.events {
        match e.trim().parse::<WebhookEvent>() {
            Ok(event) if WebhookEvent::SUBSCRIBABLE.contains(&event) => {
                if !events.contains(&event.as_str()) {
                    events.push(event.as_str());
                }
            }
            _ => {
                let known: Vec<&str> = WebhookEvent::SUBSCRIBABLE.iter().map(|e| e.as_str()).collect();
                errors.insert("events".into(), format!("`{e}` is not an event; choose from {}.", known.join(", ")));
            }
        }
    }
    if events.is_empty() && !errors.contains_key("events") {
        errors.insert("events".into(), "Choose at least one event.".into());
    }
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |tx| {
        let campaign = campaign_for_update(tx, campaign_id)?;
        if let Some(f) = input.filter_id
            && !Filter::of_campaign(tx, campaign.id)?.iter().any(|x| x.id == f)
        {
            errors.insert("filter_id".into(), format!("Filter {f} is not one of this campaign's."));
        }
        let (Some(url), true) = (url, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let d = Destination::insert(
            tx,
            &NewDestination {
                campaign_id: campaign.id,
                filter_id: input.filter_id,
                name: &name,
                url: &url,
                events: &events,
                owner_id,
                now,
            },
        )?;
        let issued = issue_recorded(
            tx,
            &s,
            &actor,
            TokenKind::Destination,
            &signing_spec(&d, &actor),
            now,
            AuditAction::TokenCreated,
            json!({"destination": d.name}),
        )?;
        record(
            tx,
            now,
            &actor,
            AuditAction::DestinationCreated,
            &format!("{}/{}", campaign.slug, d.name),
            json!({"url": d.url, "events": events, "filter_id": d.filter_id}),
        )?;
        tx.publish(Change::Campaign(campaign.id))?;
        Ok((info(tx, d, now)?, issued.into()))
    })
    .await
}

/// A campaign's destinations.
pub async fn of_campaign(svc: &Services, actor: &Actor, campaign_id: i64) -> Result<Vec<DestinationInfo>, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.run(move |conn| Destination::of_campaign(conn, campaign_id)?.into_iter().map(|d| info(conn, d, now)).collect())
        .await
}

/// The destinations a user owns, with their live secrets (their Tokens page).
pub async fn owned_by(svc: &Services, user_id: i64) -> Result<Vec<DestinationInfo>, AppError> {
    let now = svc.now();
    svc.run(move |conn| Destination::of_owner(conn, user_id)?.into_iter().map(|d| info(conn, d, now)).collect()).await
}

/// One destination (of `campaign_id`, when given).
pub async fn get(
    svc: &Services,
    actor: &Actor,
    campaign_id: Option<i64>,
    id: i64,
) -> Result<DestinationInfo, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let now = svc.now();
    svc.run(move |conn| {
        let d = Destination::find(conn, id)?
            .filter(|d| campaign_id.is_none_or(|c| c == d.campaign_id))
            .ok_or_else(|| AppError::NoSuch(format!("no destination {id}")))?;
        info(conn, d, now)
    })
    .await
}

/// A destination locked for a change, and the actor may make it.
fn locked(tx: &mut Tx<'_>, actor: &Actor, id: i64) -> Result<Destination, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    Destination::find_for_update(tx, id)?.ok_or_else(|| AppError::NoSuch(format!("no destination {id}")))
}

/// Pauses (events queue, nothing is sent) or resumes a destination.
pub async fn set_active(svc: &Services, actor: Actor, id: i64, active: bool) -> Result<Destination, AppError> {
    let now = svc.now();
    svc.tx(move |tx| {
        let d = locked(tx, &actor, id)?;
        if d.active != active {
            let reason = (!active).then_some("paused by an administrator");
            Destination::set_active(tx, d.id, active, reason, now)?;
            if active {
                // A fresh start: no failing streak carried over.
                Destination::record_result(tx, d.id, true, now)?;
            }
            let action = AuditAction::switched(active, AuditAction::DestinationResumed, AuditAction::DestinationPaused);
            let campaign = Campaign::find(tx, d.campaign_id)?;
            record(tx, now, &actor, action, &format!("{}/{}", campaign.slug, d.name), json!({}))?;
            tx.publish(Change::Campaign(d.campaign_id))?;
        }
        Ok(Destination::find(tx, d.id)?.unwrap_or(d))
    })
    .await
}

/// A regenerated secret, and the one it replaces.
pub struct Regenerated {
    pub new: NewToken,
    pub old_key: Option<String>,
    /// Until when the old secret still signs (`None`: it stopped now).
    pub old_valid_until: Option<OffsetDateTime>,
}

/// A new signing secret (shown once); the old one keeps signing beside it
/// for `overlap` (0 to 7 days), then stops.
pub async fn regenerate(svc: &Services, actor: Actor, id: i64, overlap: Duration) -> Result<Regenerated, AppError> {
    if overlap < Duration::ZERO || overlap > OVERLAP_MAX {
        return Err(AppError::invalid("grace_seconds", "Choose an overlap from 0 to 7 days (604800 seconds)."));
    }
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |tx| {
        let d = locked(tx, &actor, id)?;
        let current: Vec<Token> = Token::of_destination(tx, d.id)?
            .into_iter()
            .filter(|t| t.revoked_at.is_none() && t.retiring_until.is_none())
            .collect();
        let issued = issue_recorded(
            tx,
            &s,
            &actor,
            TokenKind::Destination,
            &signing_spec(&d, &actor),
            now,
            AuditAction::TokenRegenerated,
            json!({"destination": d.name, "overlap_seconds": overlap.whole_seconds()}),
        )?;
        let until = (overlap > Duration::ZERO).then(|| now + overlap);
        for old in &current {
            match until {
                Some(u) => Token::set_retiring(tx, old.id, u)?,
                None => lifecycle::revoke_with_notice(tx, &s.settings, now, &actor, old, RevokedBy::Regenerated)?,
            }
        }
        Ok(Regenerated {
            new: issued.into(),
            old_key: current.first().map(Token::display_key),
            old_valid_until: until.filter(|_| !current.is_empty()),
        })
    })
    .await
}

/// Queues a test event; its public id.
pub async fn send_test(svc: &Services, actor: Actor, id: i64) -> Result<String, AppError> {
    let now = svc.now();
    svc.tx(move |tx| {
        let d = locked(tx, &actor, id)?;
        let campaign = Campaign::find(tx, d.campaign_id)?;
        let event = crate::services::events::webhooks::test_event(tx, &d, &campaign.slug, now)?;
        record(
            tx,
            now,
            &actor,
            AuditAction::DestinationTested,
            &format!("{}/{}", campaign.slug, d.name),
            json!({"event": event}),
        )?;
        Ok(event)
    })
    .await
}

/// Sends an event again now, delivered or not.
pub async fn redeliver(svc: &Services, actor: Actor, id: i64, event_id: i64) -> Result<(), AppError> {
    let now = svc.now();
    svc.tx(move |tx| {
        let d = locked(tx, &actor, id)?;
        if WebhookEventRow::redeliver(tx, d.id, event_id, now)? == 0 {
            return Err(AppError::NoSuch(format!("no event {event_id} for this destination")));
        }
        let campaign = Campaign::find(tx, d.campaign_id)?;
        record(
            tx,
            now,
            &actor,
            AuditAction::DeliveryRedelivered,
            &format!("{}/{}", campaign.slug, d.name),
            json!({"event": event_id}),
        )
    })
    .await
}

/// A destination's delivery log: its latest events and attempts.
pub async fn log(
    svc: &Services,
    actor: &Actor,
    id: i64,
    limit: i64,
) -> Result<(Vec<WebhookEventRow>, Vec<Attempt>), AppError> {
    actor.require(Permission::ManageCampaigns)?;
    svc.run(move |conn| {
        Destination::find(conn, id)?.ok_or_else(|| AppError::NoSuch(format!("no destination {id}")))?;
        Ok((WebhookEventRow::of_destination(conn, id, limit)?, Attempt::of_destination(conn, id, limit * 3)?))
    })
    .await
}

/// The destination a signing secret (by key) belongs to.
pub async fn by_token_key(svc: &Services, actor: &Actor, key: &str) -> Result<Option<i64>, AppError> {
    actor.require(Permission::ManageCampaigns)?;
    let key = crate::domain::normalise_key(key).to_owned();
    svc.run(move |conn| Ok(Token::by_key(conn, &key)?.and_then(|t| t.destination_id))).await
}
