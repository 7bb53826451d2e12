//! Delivers queued mail. Each message is leased while it is being sent; a
//! failure is retried with exponential backoff (capped at an hour) for as
//! long as it takes, so an SMTP outage delays mail and loses none, and a
//! restart of Keyward resumes where it stopped.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::transport::Transport;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::models::OutboxMessage;

const BATCH: i64 = 20;
const LEASE: Duration = Duration::from_secs(120);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// What the worker needs: the outbox's database, the time, the settings
/// (sender, retry delays), and the signal that a transaction queued mail.
pub struct Worker {
    pub db: Db,
    pub clock: Clock,
    pub settings: Arc<Settings>,
    pub wake: Arc<Notify>,
    pub transport: Transport,
}

pub async fn run(worker: Worker, mut shutdown: watch::Receiver<bool>) {
    tracing::info!(transport = worker.transport.describe(), "mail worker started");
    loop {
        if let Err(e) = deliver_due(&worker).await {
            tracing::warn!(error = ?e, "mail worker could not read the outbox");
        }
        tokio::select! {
            () = worker.wake.notified() => {}
            () = tokio::time::sleep(worker.settings.mail_poll) => {}
            _ = shutdown.changed() => break,
        }
    }
    tracing::info!("mail worker stopped");
}

/// Sends everything due now; returns how many were sent.
pub async fn deliver_due(worker: &Worker) -> Result<usize, AppError> {
    let Worker { db, clock, settings, transport, .. } = worker;
    let mut sent = 0;
    loop {
        let now = clock.now();
        let lease_until = now + LEASE;
        let batch = db.run(move |conn| Ok(OutboxMessage::claim_due(conn, now, lease_until, BATCH)?)).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for msg in batch {
            let id = msg.id;
            match transport.send(&settings.mail_from, &msg).await {
                Ok(()) => {
                    let now = clock.now();
                    db.run(move |conn| Ok(OutboxMessage::mark_sent(conn, id, now)?)).await?;
                    tracing::info!(outbox_id = id, template = %msg.template, "mail delivered");
                    sent += 1;
                }
                Err(e) => {
                    let delay = backoff(settings.mail_retry_base, msg.attempts);
                    let retry_at = clock.now() + delay;
                    let error = format!("{e:#}");
                    tracing::warn!(outbox_id = id, attempt = msg.attempts, retry_in = ?delay, error = %error, "mail delivery failed");
                    db.run(move |conn| Ok(OutboxMessage::mark_failed(conn, id, retry_at, &error)?)).await?;
                }
            }
        }
    }
}

/// `base`, doubled per earlier attempt, at most an hour.
fn backoff(base: Duration, attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
    base.saturating_mul(2u32.saturating_pow(exp)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(5);
        assert_eq!(backoff(base, 1), Duration::from_secs(5));
        assert_eq!(backoff(base, 2), Duration::from_secs(10));
        assert_eq!(backoff(base, 4), Duration::from_secs(40));
        assert_eq!(backoff(base, 40), MAX_BACKOFF);
    }
}
