//! What every handler and background job shares, passed as `web::Data`.
//! Cheap to clone: every field is a handle.

use std::sync::Arc;

use diesel::PgConnection;
use diesel::connection::Connection as _;
use time::OffsetDateTime;
use tokio::sync::{Notify, Semaphore};

use crate::cache::Caches;
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::Keys;
use crate::db::Db;
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::tokens::Verifier;
use crate::tokens::notify::take_published;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub database: Db,
    pub keys: Arc<Keys>,
    pub clock: Clock,
    /// Wakes the outbox worker after a transaction queued mail.
    pub mail_wake: Arc<Notify>,
    /// Bounds concurrent argon2 work, so a burst of sign-ins cannot take
    /// every blocking thread from token checks.
    pub password_slots: Arc<Semaphore>,
    /// Token verification, usage counting and failed-check limiting.
    pub tokens: Arc<Verifier>,
    pub caches: Arc<Caches>,
    pub metrics: Arc<Metrics>,
    /// This process, among the instances sharing the database.
    pub instance_id: Arc<str>,
}

impl AppState {
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Runs `f` with a pooled connection on the blocking pool. The changes
    /// it published are applied to this instance's caches before it
    /// returns, so the instance that makes a change is right at once.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let caches = self.caches.clone();
        self.database
            .run(move |conn| {
                take_published();
                let result = f(conn);
                for change in take_published() {
                    caches.apply(&change);
                }
                result
            })
            .await
    }

    /// Like [`db`](Self::db), inside one transaction: everything `f` writes
    /// (the change, its audit entry, its mail, its notification) commits
    /// together or not at all.
    pub async fn tx<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let result = self.db(move |conn| conn.transaction(f)).await;
        // Whatever the transaction queued can go now.
        if result.is_ok() {
            self.mail_wake.notify_one();
        }
        result
    }
}
