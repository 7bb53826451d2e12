//! The one source of "now". Production reads the system clock; tests move an
//! offset forward to reach expiry dates without waiting for them.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        // Microsecond precision: what PostgreSQL stores, so a value read
        // back compares equal to the one written.
        let now = now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now);
        now + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.whole_milliseconds() as i64, Ordering::Relaxed);
    }
}

/// A point in time, however many references away: lets templates pass
/// fields to the formatting functions below as they are.
pub trait Moment {
    fn moment(&self) -> OffsetDateTime;
}

impl Moment for OffsetDateTime {
    fn moment(&self) -> OffsetDateTime {
        *self
    }
}

impl<T: Moment + ?Sized> Moment for &T {
    fn moment(&self) -> OffsetDateTime {
        (**self).moment()
    }
}

/// How dates are shown in pages and emails: `27 Nov 2026 14:05 UTC`.
pub fn display(dt: impl Moment) -> String {
    let dt = dt.moment().to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!("[day padding:none] [month repr:short] [year] [hour]:[minute] UTC");
    dt.format(&format).unwrap_or_else(|_| dt.to_string())
}

/// Just the date: `27 Nov 2026`.
pub fn display_date(dt: impl Moment) -> String {
    let dt = dt.moment().to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!("[day padding:none] [month repr:short] [year]");
    dt.format(&format).unwrap_or_else(|_| dt.to_string())
}

/// RFC 3339, for CSV and JSON.
pub fn rfc3339(dt: impl Moment) -> String {
    let dt = dt.moment();
    dt.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| dt.to_string())
}
