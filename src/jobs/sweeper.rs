//! Periodic clean-up (see `services::sweep`). Also run once by
//! `keyward sweep`.

use tokio::sync::watch;

use crate::error::AppError;
use crate::services::{self, Services, SweepReport};

pub async fn sweep_once(svc: &Services) -> Result<SweepReport, AppError> {
    let report = services::sweep(svc).await?;
    let interrupted = services::leads::imports::fail_stale(svc).await?;
    if interrupted > 0 {
        tracing::warn!(imports = interrupted, "imports interrupted by a stop were marked failed");
    }
    if report.tokens.expired + report.tokens.warned > 0 {
        tracing::info!(expired = report.tokens.expired, warned = report.tokens.warned, "sweep");
    }
    Ok(report)
}

pub async fn run(svc: Services, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(e) = sweep_once(&svc).await {
            tracing::warn!(error = ?e, "sweep failed");
        }
        tokio::select! {
            () = tokio::time::sleep(svc.settings.sweep_interval) => {}
            _ = shutdown.changed() => break,
        }
    }
}
