//! Delivers queued mail. Each message is leased while it is being sent; a
//! failure is retried with exponential backoff (capped at an hour) for as
//! long as it takes, so an SMTP outage delays mail and loses none, and a
//! restart of Keyward resumes where it stopped.

use std::time::Duration;

use tokio::sync::watch;

use super::transport::Transport;
use crate::models::OutboxMessage;
use crate::state::AppState;

const BATCH: i64 = 20;
const LEASE: Duration = Duration::from_secs(120);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

pub async fn run(state: AppState, transport: Transport, mut shutdown: watch::Receiver<bool>) {
    tracing::info!(transport = transport.describe(), "mail worker started");
    loop {
        if let Err(e) = deliver_due(&state, &transport).await {
            tracing::warn!(error = %e, "mail worker could not read the outbox");
        }
        tokio::select! {
            () = state.mail_wake.notified() => {}
            () = tokio::time::sleep(state.settings.mail_poll) => {}
            _ = shutdown.changed() => break,
        }
    }
    tracing::info!("mail worker stopped");
}

/// Sends everything due now; returns how many were sent.
pub async fn deliver_due(state: &AppState, transport: &Transport) -> Result<usize, crate::error::AppError> {
    let mut sent = 0;
    loop {
        let now = state.now();
        let lease_until = now + LEASE;
        let batch = state.db(move |conn| Ok(OutboxMessage::claim_due(conn, now, lease_until, BATCH)?)).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for msg in batch {
            let id = msg.id;
            match transport.send(&state.settings.mail_from, &msg).await {
                Ok(()) => {
                    let now = state.now();
                    state.db(move |conn| Ok(OutboxMessage::mark_sent(conn, id, now)?)).await?;
                    tracing::info!(outbox_id = id, template = %msg.template, "mail delivered");
                    sent += 1;
                }
                Err(e) => {
                    let delay = backoff(state.settings.mail_retry_base, msg.attempts);
                    let retry_at = state.now() + delay;
                    let error = format!("{e:#}");
                    tracing::warn!(outbox_id = id, attempt = msg.attempts, retry_in = ?delay, error = %error, "mail delivery failed");
                    state.db(move |conn| Ok(OutboxMessage::mark_failed(conn, id, retry_at, &error)?)).await?;
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
