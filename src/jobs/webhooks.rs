//! The webhook worker, on every instance: claims due deliveries (no two
//! instances claim the same attempt), sends up to
//! `KEYWARD_WEBHOOK_CONCURRENCY` at once, and records the batch's outcomes
//! in one transaction. Woken
//! by this instance's transactions that wrote events; otherwise it looks
//! every `KEYWARD_WEBHOOK_POLL_MS`.

use std::sync::Arc;

use futures_util::StreamExt as _;
use tokio::sync::watch;

use crate::services::{Services, events::webhooks};
use crate::webhook::Sender;

pub async fn run(svc: Services, sender: Sender, mut shutdown: watch::Receiver<bool>) {
    let wake = svc.webhook_wake();
    let concurrency = svc.settings.webhook_concurrency;
    let sender = Arc::new(sender);
    loop {
        // Work while there is work; then wait to be woken or for the poll.
        loop {
            if *shutdown.borrow() {
                return;
            }
            let due = match webhooks::claim(&svc, (concurrency * 8) as i64).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming webhook deliveries failed");
                    break;
                }
            };
            if due.is_empty() {
                break;
            }
            let done: Vec<_> = futures_util::stream::iter(due)
                .map(|d| {
                    let sender = sender.clone();
                    async move {
                        let outcome = sender.send(&d.delivery).await;
                        (d, outcome)
                    }
                })
                .buffer_unordered(concurrency)
                .collect()
                .await;
            if let Err(e) = webhooks::record_attempts(&svc, done).await {
                // The leases run out and the attempts are made again.
                tracing::warn!(error = %e, "recording webhook deliveries failed");
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(svc.settings.webhook_poll) => {}
            _ = shutdown.changed() => return,
        }
    }
}
