//! Token use, written in batches, and this instance's heartbeat: both on
//! the usage job's timer (and once more at shutdown).

use crate::domain::{Actor, AuditAction};
use crate::models::Instance;
use crate::services::audit::record;
use crate::services::context::Services;

/// Writes the token use counted since the last flush (one statement); on
/// a database error the counts are kept for the next flush.
pub async fn flush_usage(svc: &Services) {
    let refusals = svc.tokens.take_ip_refusals();
    if !refusals.is_empty() {
        let now = svc.now();
        let written = svc
            .tx(move |tx| {
                for r in &refusals {
                    let actor = Actor::anonymous(format!("holder of {}", r.key), Some(r.ip.clone()));
                    let details =
                        serde_json::json!({"ip": r.ip, "refusals": r.count, "first_at": crate::clock::rfc3339(r.at)});
                    record(tx, now, &actor, AuditAction::IpRefused, &r.key, details)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = written {
            tracing::warn!(error = ?e, "could not audit refused addresses");
        }
    }
    if svc.tokens.usage.pending_tokens() == 0 {
        return;
    }
    let tokens = svc.tokens.clone();
    match svc.run(move |conn| Ok(tokens.usage.flush(conn)?)).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(tokens = n, "token usage written"),
        Err(e) => tracing::warn!(error = ?e, "could not write token usage; keeping it for the next flush"),
    }
}

/// Tells the other instances this one is alive and learns how many share
/// the database: per-token rate limits are shared out among them. An
/// instance is counted while its last heartbeat is under three intervals
/// old (at least 30 s).
pub async fn heartbeat(svc: &Services, every: std::time::Duration, leaving: bool) {
    let id = svc.instance_id.clone();
    let now = svc.now();
    let started = svc.started_at;
    let window =
        time::Duration::try_from(every * 3).unwrap_or(time::Duration::seconds(30)).max(time::Duration::seconds(30));
    let result = svc
        .run(move |conn| {
            if leaving {
                Instance::leave(conn, &id)?;
                return Ok(1);
            }
            Ok(Instance::heartbeat(conn, &id, started, now, now - window)?)
        })
        .await;
    match result {
        Ok(n) => svc.tokens.rates.set_instances(u32::try_from(n).unwrap_or(1)),
        Err(e) => tracing::warn!(error = ?e, "could not record this instance's heartbeat"),
    }
}
