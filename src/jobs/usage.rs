//! Writes batched token usage (last used, IP, count, per day) on a timer,
//! and once more at shutdown so nothing counted is lost; beats this
//! instance's heartbeat at the same pace (rate limits are shared out among
//! the live instances).

use tokio::sync::watch;

use crate::services::{self, Services};

pub async fn run(svc: Services, mut shutdown: watch::Receiver<bool>) {
    let every = svc.settings.usage_flush_interval;
    services::heartbeat(&svc, every, false).await;
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {
                services::flush_usage(&svc).await;
                services::heartbeat(&svc, every, false).await;
            }
            _ = shutdown.changed() => break,
        }
    }
    services::flush_usage(&svc).await;
    services::heartbeat(&svc, every, true).await;
}
