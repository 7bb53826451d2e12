//! Lead intake: a lead submitted to a source of a campaign as a
//! form post, or as a ping and then its post. The first level that is on
//! (the source's token for the method, the campaign token, the global
//! token) decides which token the request must carry; with none on, no
//! token is needed.

use std::sync::Arc;

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::domain::{IntakeMethod, Level, LevelSwitches};
use crate::error::AppError;
use crate::models::{Lead, Ping};
use crate::services::campaigns::catalog::{Campaign, CampaignSnapshot, Source};
use crate::services::context::{Services, Tx};
use crate::services::idempotency::{self, Claim, Idempotency};
use crate::services::lead_writer::PendingLead;
use crate::services::leads::{LeadData, Mode, insert_lead, lead_json, lead_json_read, lead_row, plain, validate};
use crate::tokens::Principal;

/// Where a submission goes and which level decides it.
#[derive(Debug, Clone)]
pub struct Decision {
    snap: Arc<CampaignSnapshot>,
    source: Source,
    method: IntakeMethod,
    /// The deciding level, `None` when no level is on.
    pub level: Option<Level>,
}

impl Decision {
    /// The `Keyward-Auth-Level` header value.
    pub fn level_name(&self) -> &'static str {
        self.level.map_or("none", Level::name)
    }

    /// An archived campaign accepts no leads.
    pub fn open(&self) -> Result<(), AppError> {
        match self.snap.campaign.archived_at {
            Some(_) => {
                Err(AppError::Gone(format!("campaign `{}` is archived and accepts no leads", self.snap.campaign.slug)))
            }
            None => Ok(()),
        }
    }

    /// Whether a verified token is the one the deciding level requires. A
    /// valid token of another level (or another campaign or source) is
    /// refused, saying which token is expected.
    pub fn authorize(&self, principal: &Principal) -> Result<(), AppError> {
        let Some(level) = self.level else { return Ok(()) };
        if level.accepts(principal.kind, principal.campaign_id, principal.source_id) {
            return Ok(());
        }
        let expected = level.kind();
        let (campaign, source) = (&self.snap.campaign, &self.source);
        Err(AppError::InsufficientScope(format!(
            "{} accepts only {}; the token presented is a {} token{}",
            scope_name(level, campaign, source),
            describe_required(level, campaign),
            principal.kind.label().to_lowercase(),
            if principal.kind == expected { " of another scope" } else { "" }
        )))
    }
}

/// What the deciding level is called in messages.
fn scope_name(level: Level, campaign: &Campaign, source: &Source) -> String {
    match level {
        Level::Source { method, .. } => format!("the {method} endpoint of source `{}`", source.slug),
        Level::Campaign(_) => format!("campaign `{}`", campaign.slug),
        Level::Global => "this organisation".to_owned(),
    }
}

fn describe_required(level: Level, campaign: &Campaign) -> String {
    let kind = level.kind();
    match level {
        Level::Source { .. } => format!("its own {} token ({}…)", kind.label().to_lowercase(), kind.prefix()),
        Level::Campaign(_) => format!("the campaign token of `{}` ({}…)", campaign.slug, kind.prefix()),
        Level::Global => format!("the organisation-wide token ({}…)", kind.prefix()),
    }
}

/// Finds the campaign and source (by id or slug, from the cache) and the
/// level that decides a submission with `method`.
pub async fn decide(svc: &Services, campaign: &str, source: &str, method: IntakeMethod) -> Result<Decision, AppError> {
    let snap = crate::services::campaigns::catalog::snapshot(svc, campaign).await?;
    let source = snap
        .source_ref(source)
        .cloned()
        .ok_or_else(|| AppError::NoSuch(format!("campaign `{}` has no source `{source}`", snap.campaign.slug)))?;
    let switches = LevelSwitches {
        source: source.method_enabled(method),
        campaign: snap.campaign.token_enabled,
        global: crate::services::campaigns::catalog::global_enabled(svc).await?,
    };
    let level = Level::deciding(switches, snap.campaign.id, source.id, method);
    Ok(Decision { snap, source, method, level })
}

/// What a submission answers: 201 with the lead, or 200 with a ping; and
/// whether it is the answer to an earlier request with the same
/// Idempotency-Key, given again.
pub struct Submitted {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

/// The database part of a submission: its status and answer.
type Work = Box<dyn FnOnce(&mut Tx<'_>) -> Result<(u16, Value), AppError> + Send>;

/// Validates and stores a submission the caller has authorized (`token`:
/// the id of the token it carried, if any). With an Idempotency-Key, the
/// same request again answers the first answer and stores nothing.
/// What a ping answers: the id its post must carry, and until when.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PingAnswer {
    pub ping_id: String,
    pub accepted: bool,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

pub async fn submit(
    svc: &Services,
    decision: Decision,
    token: Option<i64>,
    key: Option<String>,
    body: Value,
) -> Result<Submitted, AppError> {
    let Decision { snap, source, method, .. } = decision;
    // Relations and webhook events are written beside the lead: one transaction.
    let linked = method != IntakeMethod::Ping
        && (!snap.relations.is_empty() || snap.destinations.iter().any(|d| d.destination.wants("lead.created")));
    let now = svc.now();
    let scope = format!("intake:{}:{}:{method}:{}", snap.campaign.id, source.id, token.map_or(0, |t| t));
    let key = key.map(|k| Idempotency::new(&k, scope, &body)).transpose()?;
    // Validation first: a refused request claims no key.
    let work: Work = match method {
        IntakeMethod::Form => {
            let data = validate(&snap, &body, Mode::Full, &[]).map_err(AppError::Validation)?;
            if key.is_none() && !linked && plain(&snap, &data) {
                let row = lead_row(&snap, Some(source.id), data, now)?;
                let answer = Box::new(move |lead: &Lead| lead_json(lead, &snap, &[]));
                let body = svc.lead_writer.submit(PendingLead { row, answer }).await?;
                return Ok(Submitted { status: 201, body, replayed: false });
            }
            Box::new(move |conn| {
                let lead = insert_lead(conn, &snap, None, Some(source.id), data, now)?;
                Ok((201, lead_json_read(conn, &lead, &snap)?))
            })
        }
        IntakeMethod::Ping => {
            let data = validate(&snap, &body, Mode::Partial, &[]).map_err(AppError::Validation)?;
            let ttl = time::Duration::try_from(svc.settings.ping_ttl).unwrap_or(time::Duration::minutes(10));
            Box::new(move |conn| {
                let ping = record_ping(conn, &snap, &source, &data, now, ttl)?;
                let answer = PingAnswer {
                    ping_id: ping.public_id,
                    accepted: true,
                    expires_at: crate::clock::rfc3339(ping.expires_at),
                };
                Ok((200, serde_json::to_value(answer).map_err(AppError::internal)?))
            })
        }
        IntakeMethod::Post => {
            let ping_id = match body.get("ping_id") {
                Some(Value::String(id)) if !id.is_empty() => id.clone(),
                _ => return Err(AppError::invalid("ping_id", "is required: the ping_id the ping answered")),
            };
            let data = validate(&snap, &body, Mode::Full, &["ping_id"]).map_err(AppError::Validation)?;
            Box::new(move |conn| {
                let lead = post(conn, &snap, &source, &ping_id, data, now)?;
                let mut json = lead_json_read(conn, &lead, &snap)?;
                json["ping_id"] = Value::String(ping_id);
                Ok((201, json))
            })
        }
    };
    let fresh = |(status, body): (u16, Value)| Submitted { status, body, replayed: false };
    match key {
        Some(key) => {
            svc.tx(move |tx| match idempotency::claim(tx, &key, now)? {
                Claim::Replay { status, body } => Ok(Submitted { status, body, replayed: true }),
                Claim::Ours(id) => {
                    let (status, body) = work(tx)?;
                    idempotency::record(tx, id, status, &body)?;
                    Ok(fresh((status, body)))
                }
            })
            .await
        }
        // A post spends its ping with the lead, a lead with relations writes
        // its links: each in one transaction (a ping's one insert too).
        None => svc.tx(move |tx| work(tx).map(fresh)).await,
    }
}

/// A ping: the partial lead is kept for `ttl`, waiting for its post.
fn record_ping(
    conn: &mut diesel::PgConnection,
    snap: &CampaignSnapshot,
    source: &Source,
    data: &LeadData,
    now: OffsetDateTime,
    ttl: time::Duration,
) -> diesel::QueryResult<Ping> {
    let public_id = format!("png_{}", crate::tokens::random_base62(24));
    let stored = json!({"fields": data.fields, "select_field_values": data.selects, "status": data.status});
    Ping::insert(conn, &public_id, snap.campaign.id, source.id, &stored, now, now + ttl)
}

/// A post: the full lead with the `ping_id` of an unexpired, unused ping
/// from the same source. The ping is locked and spent with the insert, in
/// the caller's transaction.
fn post(
    conn: &mut Tx<'_>,
    snap: &CampaignSnapshot,
    source: &Source,
    ping_id: &str,
    data: LeadData,
    now: OffsetDateTime,
) -> Result<Lead, AppError> {
    let ping = Ping::by_public_id_for_update(conn, ping_id)?
        .ok_or_else(|| AppError::invalid("ping_id", "no ping has this id"))?;
    if ping.source_id != source.id || ping.campaign_id != snap.campaign.id {
        return Err(AppError::invalid(
            "ping_id",
            "this ping was made by another source; post from the source that pinged",
        ));
    }
    if ping.used_at.is_some() {
        return Err(AppError::invalid("ping_id", "this ping has already been used by a post"));
    }
    if ping.expires_at <= now {
        return Err(AppError::invalid(
            "ping_id",
            format!("this ping expired at {}; ping again", crate::clock::rfc3339(ping.expires_at)),
        ));
    }
    let lead = insert_lead(conn, snap, None, Some(source.id), data, now)?;
    Ping::mark_used(conn, ping.id, lead.id, now)?;
    Ok(lead)
}
