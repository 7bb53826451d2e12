//! The context every service works in ([`Services`]) and the transaction
//! it hands its helpers ([`Tx`]): the one way into the database.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use diesel::PgConnection;
use diesel::connection::Connection as _;
use time::OffsetDateTime;
use tokio::sync::{Notify, Semaphore};

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::Keys;
use crate::db::Db;
use crate::db::changes::{self, Change, ChangeSink};
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::services::caches::Caches;
use crate::services::lead_writer::{LeadWriter, lead_writer};
use crate::tokens::Verifier;

/// What every service needs, shared by every request and background job.
/// Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct Services {
    pub settings: Arc<Settings>,
    pub(in crate::services) db: Db,
    pub keys: Arc<Keys>,
    pub clock: Clock,
    /// Wakes the outbox worker after a transaction queued mail.
    mail_wake: Arc<Notify>,
    /// Wakes this instance's webhook worker after a transaction wrote
    /// events (the others find them on their next poll).
    webhook_wake: Arc<Notify>,
    /// Bounds concurrent argon2 work, so a burst of sign-ins cannot take
    /// every blocking thread from token checks.
    pub(in crate::services) password_slots: Arc<Semaphore>,
    /// Token verification, usage counting and failed-check limiting: the
    /// API's bearer extractor calls it directly.
    pub tokens: Arc<Verifier>,
    pub(in crate::services) caches: Arc<Caches>,
    /// New leads that are one row each, written in groups.
    pub(in crate::services) lead_writer: Arc<LeadWriter>,
    pub metrics: Arc<Metrics>,
    /// This process, among the instances sharing the database.
    pub instance_id: Arc<str>,
    pub started_at: OffsetDateTime,
}

/// The parts [`Services`] is made of, built by `startup`.
pub struct Parts {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub keys: Arc<Keys>,
    pub clock: Clock,
    pub mail_wake: Arc<Notify>,
    pub metrics: Arc<Metrics>,
}

impl Services {
    pub fn new(parts: Parts) -> Self {
        let Parts { settings, db, keys, clock, mail_wake, metrics } = parts;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let caches = Arc::new(Caches::new(settings.cache, metrics.clone()));
        let tokens = Arc::new(Verifier::new(
            keys.clone(),
            db.clone(),
            clock.clone(),
            settings.failed_token_limit,
            caches.tokens.clone(),
            metrics.clone(),
        ));
        let lead_writer = Arc::new(lead_writer(db.clone()));
        Self {
            settings,
            db,
            keys,
            clock,
            mail_wake,
            webhook_wake: Arc::new(Notify::new()),
            password_slots: Arc::new(Semaphore::new(cores)),
            tokens,
            caches,
            lead_writer,
            metrics,
            instance_id: Arc::from(crate::tokens::random_base62(8)),
            started_at: OffsetDateTime::now_utc(),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// What wakes the mail worker: every committed transaction notifies it.
    pub fn mail_wake(&self) -> Arc<Notify> {
        self.mail_wake.clone()
    }

    /// What wakes the webhook worker.
    pub fn webhook_wake(&self) -> Arc<Notify> {
        self.webhook_wake.clone()
    }

    /// What the change listener hands every change it hears of.
    pub fn change_sink(&self) -> Arc<dyn ChangeSink> {
        self.caches.clone()
    }

    /// Threads that may block at once: database calls (gated at the pool
    /// size) and password hashing (gated at the core count).
    pub fn blocking_threads(&self) -> usize {
        self.settings.db_pool_size as usize + self.password_slots.available_permits() + 2
    }

    /// Runs `f` with a pooled connection on the blocking pool, outside an
    /// explicit transaction: for reads, and for a single statement (which
    /// is a transaction of its own), one round trip instead of three.
    pub(in crate::services) async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.db.run(f).await
    }

    /// Runs `f` in one transaction: everything it writes (the change, its
    /// audit entry, its mail, its notifications) commits together or not
    /// at all. The changes it published are applied to this instance's
    /// caches as soon as it commits, so the instance that makes a change is
    /// right at once; other instances hear of it through NOTIFY.
    pub(in crate::services) async fn tx<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let caches = self.caches.clone();
        let result = self
            .db
            .run(move |conn| {
                let (value, changes) = conn.transaction(|conn| {
                    let mut tx = Tx { conn, changes: Vec::new() };
                    let value = f(&mut tx)?;
                    Ok::<_, AppError>((value, tx.changes))
                })?;
                for change in &changes {
                    caches.apply(change);
                }
                Ok(value)
            })
            .await;
        // Whatever the transaction queued can go now.
        if result.is_ok() {
            self.mail_wake.notify_one();
            self.webhook_wake.notify_one();
        }
        result
    }
}

/// A transaction in progress: the connection, and the changes published so
/// far, which [`Services::tx`] applies to this instance's caches once the
/// transaction commits (and drops if it rolls back).
pub struct Tx<'c> {
    conn: &'c mut PgConnection,
    changes: Vec<Change>,
}

impl Tx<'_> {
    /// Publishes `change` to every instance (NOTIFY, delivered at commit)
    /// and notes it for this one.
    pub(in crate::services) fn publish(&mut self, change: Change) -> Result<(), AppError> {
        changes::notify(self.conn, &change)?;
        self.changes.push(change);
        Ok(())
    }
}

impl Deref for Tx<'_> {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn
    }
}
