//! Writes batched token usage (last used, IP, count) on a timer, and once
//! more at shutdown so nothing counted is lost.

use tokio::sync::watch;

use crate::state::AppState;

pub async fn flush(state: &AppState) {
    if state.tokens.usage.pending_tokens() == 0 {
        return;
    }
    let tokens = state.tokens.clone();

    match state.db(move |conn| Ok(tokens.usage.flush(conn)?)).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(tokens = n, "token usage written"),
        Err(e) => tracing::warn!(error = %e, "could not write token usage; keeping it for the next flush"),
    }
}

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(state.settings.usage_flush_interval) => flush(&state).await,
            _ = shutdown.changed() => break,
        }
    }
    flush(&state).await;
}
