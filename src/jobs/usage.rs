//! Writes batched token usage (last used, IP, count) on a timer, and once
//! more at shutdown so nothing counted is lost.

use tokio::sync::watch;

use crate::services::{self, Services};

pub async fn run(svc: Services, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(svc.settings.usage_flush_interval) => services::flush_usage(&svc).await,
            _ = shutdown.changed() => break,
        }
    }
    services::flush_usage(&svc).await;
}
