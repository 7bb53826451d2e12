//! Group work: concurrent requests for the same kind of database work (a
//! token lookup, a lead insert) are gathered and done together, one round
//! trip and one commit for the whole batch instead of one each.
//!
//! No timer: a request joins the queue and, when fewer than
//! `max_in_flight` batches are running, starts one. A batch takes whatever
//! waits (up to `max_rows`), and while it runs the next requests queue up
//! for the batch after it. Alone, a request goes at once; under load the
//! batches grow with the load. Every request is answered only when its
//! batch is done, so a write's answer means it committed.
//!
//! A batch runs in a task of its own, so a client that hangs up while its
//! batch is running (its request's future dropped) never strands the
//! others.

use std::sync::{Arc, Mutex};

use diesel::PgConnection;
use tokio::sync::oneshot;

use super::Db;
use crate::error::{AppError, Cause};

/// Does one batch: one result per item, in order; or the error that failed
/// the whole batch (which tells the pool to check the connection).
pub type BatchFn<I, O> = dyn Fn(&mut PgConnection, Vec<I>) -> Result<Vec<Result<O, AppError>>, AppError> + Send + Sync;

type Waiting<I, O> = (I, oneshot::Sender<Result<O, AppError>>);

pub struct Batcher<I, O> {
    inner: Arc<Inner<I, O>>,
}

struct Inner<I, O> {
    name: &'static str,
    db: Db,
    work: Arc<BatchFn<I, O>>,
    max_rows: usize,
    max_in_flight: usize,
    state: Mutex<State<I, O>>,
}

struct State<I, O> {
    queue: Vec<Waiting<I, O>>,
    running: usize,
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    pub fn new(name: &'static str, db: Db, max_rows: usize, max_in_flight: usize, work: Arc<BatchFn<I, O>>) -> Self {
        let state = Mutex::new(State { queue: Vec::new(), running: 0 });
        Self { inner: Arc::new(Inner { name, db, work, max_rows, max_in_flight: max_in_flight.max(1), state }) }
    }

    /// Queues `item` and waits for its batch.
    pub async fn submit(&self, item: I) -> Result<O, AppError> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut state = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
            state.queue.push((item, reply));
            let start = state.running < self.inner.max_in_flight;
            if start {
                state.running += 1;
            }
            start
        };
        if start {
            tokio::spawn(Inner::drain(self.inner.clone()));
        }
        answer.await.unwrap_or_else(|_| {
            Err(AppError::Internal(Cause::new(anyhow::anyhow!(
                "the {} batch ended without an answer",
                self.inner.name
            ))))
        })
    }
}

impl<I: Send + 'static, O: Send + 'static> Inner<I, O> {
    /// Runs batches until the queue is empty, then gives its slot back.
    async fn drain(self: Arc<Self>) {
        let mut slot = Slot { inner: &self, held: true };
        loop {
            let batch: Vec<Waiting<I, O>> = {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if state.queue.is_empty() {
                    state.running -= 1;
                    slot.held = false;
                    return;
                }
                let n = state.queue.len().min(self.max_rows);
                state.queue.drain(..n).collect()
            };
            let (items, replies): (Vec<I>, Vec<_>) = batch.into_iter().unzip();
            let rows = items.len();
            let work = self.work.clone();
            let results = self.db.run(move |conn| work(conn, items)).await;
            tracing::debug!(batch = self.name, rows, "batch done");
            match results {
                Ok(results) => {
                    let mut results = results.into_iter();
                    for reply in replies {
                        let result = results.next().unwrap_or_else(|| {
                            Err(AppError::Internal(Cause::new(anyhow::anyhow!("the {} batch lost a row", self.name))))
                        });
                        let _ = reply.send(result);
                    }
                }
                Err(e) => {
                    for reply in replies {
                        let _ = reply.send(Err(e.clone()));
                    }
                }
            }
        }
    }
}

/// Gives a running batch's slot back if its task ends without doing so (a
/// panic), so later requests still start batches.
struct Slot<'a, I, O> {
    inner: &'a Inner<I, O>,
    held: bool,
}

impl<I, O> Drop for Slot<'_, I, O> {
    fn drop(&mut self) {
        if self.held {
            let mut state = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
            state.running -= 1;
        }
    }
}
