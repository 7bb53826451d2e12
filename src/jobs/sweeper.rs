//! Periodic clean-up: sessions past their expiry and stale sign-in failures.

use tokio::sync::watch;

use crate::error::AppError;
use crate::services::accounts;
use crate::state::AppState;

/// What one sweep did.
#[derive(Debug, Default)]
pub struct SweepReport {}

impl std::fmt::Display for SweepReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("expired sessions and stale sign-in failures removed")
    }
}

pub async fn sweep_once(state: &AppState) -> Result<SweepReport, AppError> {
    let now = state.now();
    let settings = state.settings.clone();
    state
        .db(move |conn| accounts::prune(conn, &settings, now))
        .await?;
    Ok(SweepReport::default())
}

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(e) = sweep_once(&state).await {
            tracing::warn!(error = %e, "sweep failed");
        }
        tokio::select! {
            () = tokio::time::sleep(state.settings.sweep_interval) => {}
            _ = shutdown.changed() => break,
        }
    }
}
