//! Token use (last used at, from which IP, how often) is counted in memory
//! and written in one statement per flush, never once per request. It may
//! lag by a flush interval; it is flushed at shutdown too.

use std::collections::HashMap;
use std::sync::Mutex;

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::models::Token;

#[derive(Debug, Clone)]
struct Pending {
    count: i64,
    last_at: OffsetDateTime,
    ip: String,
}

#[derive(Default)]
pub struct UsageRecorder {
    pending: Mutex<HashMap<i64, Pending>>,
}

impl UsageRecorder {
    pub fn record(&self, token_id: i64, at: OffsetDateTime, ip: &str) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        pending
            .entry(token_id)
            .and_modify(|p| {
                p.count += 1;
                if at >= p.last_at {
                    p.last_at = at;
                    if p.ip != ip {
                        ip.clone_into(&mut p.ip);
                    }
                }
            })
            .or_insert_with(|| Pending { count: 1, last_at: at, ip: ip.to_owned() });
    }

    pub fn pending_tokens(&self) -> usize {
        self.pending.lock().map_or(0, |p| p.len())
    }

    /// Writes what was counted since the last flush; returns how many tokens
    /// it touched. On a database error the counts are kept for next time.
    pub fn flush(&self, conn: &mut PgConnection) -> QueryResult<usize> {
        let batch: Vec<(i64, Pending)> = match self.pending.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => return Ok(0),
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
        let counts: Vec<i64> = batch.iter().map(|(_, p)| p.count).collect();
        let ats: Vec<OffsetDateTime> = batch.iter().map(|(_, p)| p.last_at).collect();
        let ips: Vec<String> = batch.iter().map(|(_, p)| p.ip.clone()).collect();
        let result = Token::add_usage(conn, &ids, &counts, &ats, &ips);
        if result.is_err()
            && let Ok(mut pending) = self.pending.lock()
        {
            for (id, p) in batch {
                pending
                    .entry(id)
                    .and_modify(|q| {
                        q.count += p.count;
                        if p.last_at > q.last_at {
                            q.last_at = p.last_at;
                            q.ip = p.ip.clone();
                        }
                    })
                    .or_insert(p);
            }
        }
        result
    }
}
