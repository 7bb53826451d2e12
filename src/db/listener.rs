//! Listens for changes published by every instance (PostgreSQL LISTEN on a
//! dedicated connection, not from the pool) and hands them to this
//! instance's [`ChangeSink`] (its caches). When the connection is lost it
//! reconnects and clears every cache first, since notifications may have
//! been missed meanwhile.
//!
//! diesel reads notifications without blocking, so the thread polls every
//! few milliseconds: a change reaches every instance well within a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::prelude::*;

use super::changes::{CHANNEL, Change, ChangeSink};
use crate::metrics::Metrics;

const POLL: Duration = Duration::from_millis(20);
const RETRY_MAX: Duration = Duration::from_secs(5);

pub struct Listener {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Starts listening. `application_name` names the connection, so an
    /// operator (or a test) can find it in `pg_stat_activity`.
    pub fn start(
        database_url: String,
        application_name: String,
        caches: Arc<dyn ChangeSink>,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("keyward-listener".into())
            .spawn(move || run(&database_url, &application_name, caches.as_ref(), &metrics, &flag))?;
        Ok(Self { stop, thread: Some(thread) })
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop();
    }
}

fn connect(url: &str, application_name: &str) -> QueryResult<PgConnection> {
    let mut conn = PgConnection::establish(url).map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
    diesel::sql_query(format!("SET application_name = '{application_name}'")).execute(&mut conn)?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
    Ok(conn)
}

/// Sleeps for `duration`, or less if asked to stop meanwhile.
fn pause(duration: Duration, stop: &AtomicBool) {
    let until = std::time::Instant::now() + duration;
    while !stop.load(Ordering::Acquire) && std::time::Instant::now() < until {
        std::thread::sleep(POLL);
    }
}

fn run(url: &str, application_name: &str, caches: &dyn ChangeSink, metrics: &Metrics, stop: &AtomicBool) {
    let mut retry = Duration::from_millis(50);
    while !stop.load(Ordering::Acquire) {
        let mut conn = match connect(url, application_name) {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?retry, "change listener cannot connect");
                pause(retry, stop);
                retry = (retry * 2).min(RETRY_MAX);
                continue;
            }
        };
        // Whatever happened while we were not listening is unknown.
        caches.clear();
        metrics.listener_reconnects.inc();
        retry = Duration::from_millis(50);
        tracing::debug!("change listener connected");
        'listening: while !stop.load(Ordering::Acquire) {
            for notification in conn.notifications_iter() {
                match notification {
                    Ok(n) => {
                        metrics.notifications.inc();
                        match Change::decode(&n.payload) {
                            Some(change) => caches.apply(&change),
                            None => tracing::warn!(payload = %n.payload, "unknown change notification"),
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener lost its connection; reconnecting");
                        break 'listening;
                    }
                }
            }
            std::thread::sleep(POLL);
        }
    }
}
