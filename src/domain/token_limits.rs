//! What may narrow a token's use beyond its scope: the networks it may be
//! used from (an allowlist of CIDRs, see `netlist`) and its rate limits,
//! parsed once, so a stored value is always one these types accepted.

pub use crate::netlist::{ALLOWLIST_MAX, Allowlist};
/// Rate limits above these are not limits (and would overflow nothing, but
/// a typo of three zeros should be caught).
pub const PER_SECOND_MAX: u32 = 10_000;
pub const PER_MINUTE_MAX: u32 = 600_000;

/// Requests a token may make per second and per minute (either, both or
/// neither).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: Option<u32>,
    pub per_minute: Option<u32>,
}

impl RateLimit {
    /// Checks both values; the error is (field, message).
    pub fn new(per_second: Option<i64>, per_minute: Option<i64>) -> Result<Self, (&'static str, String)> {
        fn check(
            value: Option<i64>,
            max: u32,
            field: &'static str,
            unit: &str,
        ) -> Result<Option<u32>, (&'static str, String)> {
            match value {
                None => Ok(None),
                Some(v) if v >= 1 && v <= i64::from(max) => Ok(Some(v as u32)),
                Some(_) => {
                    Err((field, format!("Choose from 1 to {max} requests per {unit}, or leave it empty for no limit.")))
                }
            }
        }
        Ok(Self {
            per_second: check(per_second, PER_SECOND_MAX, "per_second", "second")?,
            per_minute: check(per_minute, PER_MINUTE_MAX, "per_minute", "minute")?,
        })
    }

    /// From stored columns (checked on the way in).
    pub fn stored(per_second: Option<i32>, per_minute: Option<i32>) -> Self {
        let positive = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok()).filter(|v| *v > 0);
        Self { per_second: positive(per_second), per_minute: positive(per_minute) }
    }

    pub fn is_none(&self) -> bool {
        self.per_second.is_none() && self.per_minute.is_none()
    }

    /// The token's own limit where it has one, else the kind's default.
    pub fn or(self, default: RateLimit) -> RateLimit {
        if self.is_none() { default } else { self }
    }

    pub fn columns(self) -> (Option<i32>, Option<i32>) {
        (self.per_second.map(|v| v as i32), self.per_minute.map(|v| v as i32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_refuse_zero_and_absurd_values() {
        assert_eq!(RateLimit::new(Some(10), None).unwrap().per_second, Some(10));
        assert_eq!(RateLimit::new(Some(0), None).unwrap_err().0, "per_second");
        assert_eq!(RateLimit::new(None, Some(10_000_000)).unwrap_err().0, "per_minute");
        assert_eq!(RateLimit::new(Some(-1), None).unwrap_err().0, "per_second");
    }
}
