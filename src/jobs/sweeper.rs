//! Periodic clean-up: expired tokens (deleted, owners told), expiry
//! warnings, sessions past their expiry and stale sign-in failures. Also
//! run once by `keyward sweep`.

use tokio::sync::watch;

use crate::error::AppError;
use crate::services::{accounts, tokens};
use crate::state::AppState;

/// What one sweep did.
#[derive(Debug, Default)]
pub struct SweepReport {
    pub tokens: tokens::TokenSweep,
}

impl std::fmt::Display for SweepReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} expired token(s) deleted, {} expiry warning(s) queued; stale sessions removed",
            self.tokens.expired, self.tokens.warned
        )
    }
}

pub async fn sweep_once(state: &AppState) -> Result<SweepReport, AppError> {
    let now = state.now();
    let settings = state.settings.clone();
    let report = state
        .db(move |conn| {
            let tokens = tokens::sweep(conn, &settings, now)?;
            accounts::prune(conn, &settings, now)?;
            Ok(SweepReport { tokens })
        })
        .await?;
    if report.tokens.expired + report.tokens.warned > 0 {
        state.mail_wake.notify_one();
        tracing::info!(expired = report.tokens.expired, warned = report.tokens.warned, "sweep");
    }
    Ok(report)
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
