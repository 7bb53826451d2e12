//! Token use (last used at, from which IP, how often) is counted in memory
//! and written in one statement per flush, never once per request. It may
//! lag by a flush interval; it is flushed at shutdown too.

use std::collections::HashMap;
use std::sync::Mutex;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
use time::OffsetDateTime;

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
        let result = diesel::sql_query(
            "UPDATE tokens AS t SET \
                use_count = t.use_count + u.n, \
                last_used_ip = CASE WHEN t.last_used_at IS NULL OR u.at >= t.last_used_at THEN u.ip ELSE t.last_used_ip END, \
                last_used_at = GREATEST(t.last_used_at, u.at) \
             FROM unnest($1::int8[], $2::int8[], $3::timestamptz[], $4::text[]) AS u(id, n, at, ip) \
             WHERE t.id = u.id",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<BigInt>, _>(counts)
        .bind::<Array<Timestamptz>, _>(ats)
        .bind::<Array<Text>, _>(ips)
        .execute(conn);
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
