//! Token use is counted in memory and written in a few statements per
//! flush, never once per request: for each token the count, when and from
//! where it was last used, its uses and refusals per day (90 days are
//! kept, for its chart) and the addresses it was used from. It may lag by
//! a flush interval; it is flushed at shutdown too.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use diesel::prelude::*;
use time::{Date, OffsetDateTime};

use crate::models::{Token, TokenUsage};

/// Distinct addresses remembered per token between two flushes.
const IPS_PER_FLUSH: usize = 16;

#[derive(Debug, Clone, Default)]
struct Pending {
    count: i64,
    /// The latest use: when, and from where.
    last: Option<(OffsetDateTime, String)>,
    /// Uses and refusals (by reason) per day.
    days: BTreeMap<Date, (i64, BTreeMap<&'static str, i64>)>,
    ips: HashMap<String, OffsetDateTime>,
}

impl Pending {
    fn merge(&mut self, other: Pending) {
        self.count += other.count;
        if let Some((at, ip)) = other.last
            && self.last.as_ref().is_none_or(|(mine, _)| at > *mine)
        {
            self.last = Some((at, ip));
        }
        for (day, (uses, refused)) in other.days {
            let slot = self.days.entry(day).or_default();
            slot.0 += uses;
            for (reason, n) in refused {
                *slot.1.entry(reason).or_default() += n;
            }
        }
        for (ip, at) in other.ips {
            self.note_ip(ip, at);
        }
    }

    fn note_ip(&mut self, ip: String, at: OffsetDateTime) {
        if let Some(seen) = self.ips.get_mut(&ip) {
            *seen = (*seen).max(at);
            return;
        }
        if self.ips.len() >= IPS_PER_FLUSH
            && let Some(oldest) = self.ips.iter().min_by_key(|(_, at)| **at).map(|(ip, _)| ip.clone())
        {
            self.ips.remove(&oldest);
        }
        self.ips.insert(ip, at);
    }
}

#[derive(Default)]
pub struct UsageRecorder {
    pending: Mutex<HashMap<i64, Pending>>,
}

impl UsageRecorder {
    /// A use of `token_id` at `at` from `ip`.
    pub fn record(&self, token_id: i64, at: OffsetDateTime, ip: &str) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        let p = pending.entry(token_id).or_default();
        p.count += 1;
        match &mut p.last {
            Some((last, last_ip)) if at >= *last => {
                *last = at;
                if last_ip != ip {
                    ip.clone_into(last_ip);
                }
            }
            Some(_) => {}
            None => p.last = Some((at, ip.to_owned())),
        }
        p.days.entry(at.date()).or_default().0 += 1;
        match p.ips.get_mut(ip) {
            Some(seen) => *seen = (*seen).max(at),
            None => p.note_ip(ip.to_owned(), at),
        }
    }

    /// A refused use of a known token, by reason (`revoked`, `expired`,
    /// `ip_not_allowed`, `rate_limited`…).
    pub fn refuse(&self, token_id: i64, at: OffsetDateTime, reason: &'static str) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        let day = pending.entry(token_id).or_default().days.entry(at.date()).or_default();
        *day.1.entry(reason).or_default() += 1;
    }

    pub fn pending_tokens(&self) -> usize {
        self.pending.lock().map_or(0, |p| p.len())
    }

    /// Writes what was counted since the last flush, in one transaction;
    /// returns how many tokens it touched. On a database error the counts
    /// are kept for next time.
    pub fn flush(&self, conn: &mut PgConnection) -> QueryResult<usize> {
        let batch: Vec<(i64, Pending)> = match self.pending.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => return Ok(0),
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let touched = batch.len();
        let result = conn.transaction(|conn| write(conn, &batch));
        if result.is_err()
            && let Ok(mut pending) = self.pending.lock()
        {
            for (id, p) in batch {
                pending.entry(id).or_default().merge(p);
            }
        }
        result.map(|()| touched)
    }
}

fn write(conn: &mut PgConnection, batch: &[(i64, Pending)]) -> QueryResult<()> {
    let (mut ids, mut counts, mut ats, mut last_ips) = (vec![], vec![], vec![], vec![]);
    let (mut day_ids, mut days, mut uses, mut refused) = (vec![], vec![], vec![], vec![]);
    let (mut ip_ids, mut ips, mut seen) = (vec![], vec![], vec![]);
    for (id, p) in batch {
        if let Some((at, ip)) = &p.last {
            ids.push(*id);
            counts.push(p.count);
            ats.push(*at);
            last_ips.push(ip.clone());
        }
        for (day, (n, reasons)) in &p.days {
            day_ids.push(*id);
            days.push(*day);
            uses.push(*n);
            refused.push(serde_json::json!(reasons));
        }
        for (ip, at) in &p.ips {
            ip_ids.push(*id);
            ips.push(ip.clone());
            seen.push(*at);
        }
    }
    if !ids.is_empty() {
        Token::add_usage(conn, &ids, &counts, &ats, &last_ips)?;
    }
    if !day_ids.is_empty() {
        TokenUsage::add_daily(conn, &day_ids, &days, &uses, &refused)?;
    }
    if !ip_ids.is_empty() {
        TokenUsage::touch_ips(conn, &ip_ids, &ips, &seen)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    #[test]
    fn uses_and_refusals_gather_per_token_and_day() {
        let r = UsageRecorder::default();
        let now = OffsetDateTime::now_utc();
        r.record(1, now, "10.0.0.1");
        r.record(1, now + Duration::seconds(1), "10.0.0.2");
        r.record(1, now - Duration::days(1), "10.0.0.3");
        r.refuse(1, now, "ip_not_allowed");
        r.refuse(2, now, "revoked");
        let pending = r.pending.lock().unwrap();
        let p = &pending[&1];
        assert_eq!(p.count, 3);
        assert_eq!(p.last.as_ref().unwrap().1, "10.0.0.2");
        assert_eq!(p.days[&now.date()].0, 2);
        assert_eq!(p.days[&now.date()].1["ip_not_allowed"], 1);
        assert_eq!(p.ips.len(), 3);
        assert!(pending[&2].last.is_none());
    }

    #[test]
    fn addresses_are_bounded_between_flushes() {
        let r = UsageRecorder::default();
        let now = OffsetDateTime::now_utc();
        for i in 0..100 {
            r.record(1, now + Duration::seconds(i), &format!("10.0.0.{i}"));
        }
        let pending = r.pending.lock().unwrap();
        assert_eq!(pending[&1].ips.len(), IPS_PER_FLUSH);
        assert!(pending[&1].ips.contains_key("10.0.0.99"));
    }
}
