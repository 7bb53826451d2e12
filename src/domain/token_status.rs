//! Where a token stands at a given moment. [`TokenStatus::of`] is the one
//! rule: lists, the support console and verification all ask it (the token
//! search's SQL filter is its translation, tested against it).

use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenStatus {
    Active,
    Deactivated,
    Expired,
    Revoked,
}

impl TokenStatus {
    pub const ALL: [TokenStatus; 4] = [Self::Active, Self::Deactivated, Self::Expired, Self::Revoked];

    /// Revoked beats expired beats deactivated: a revoked token stays
    /// revoked whatever its expiry, and an expired one cannot be
    /// reactivated.
    pub fn of(revoked: bool, expires_at: Option<OffsetDateTime>, active: bool, now: OffsetDateTime) -> Self {
        if revoked {
            Self::Revoked
        } else if expires_at.is_some_and(|e| e <= now) {
            Self::Expired
        } else if !active {
            Self::Deactivated
        } else {
            Self::Active
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deactivated => "deactivated",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Deactivated => "Deactivated",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
        }
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    #[test]
    fn revoked_beats_expired_beats_deactivated() {
        let now = OffsetDateTime::now_utc();
        let past = Some(now - Duration::seconds(1));
        let future = Some(now + Duration::days(1));
        assert_eq!(TokenStatus::of(false, None, true, now), TokenStatus::Active);
        assert_eq!(TokenStatus::of(false, future, true, now), TokenStatus::Active);
        assert_eq!(TokenStatus::of(false, Some(now), true, now), TokenStatus::Expired, "expiry is inclusive");
        assert_eq!(TokenStatus::of(false, past, false, now), TokenStatus::Expired);
        assert_eq!(TokenStatus::of(false, future, false, now), TokenStatus::Deactivated);
        assert_eq!(TokenStatus::of(true, past, false, now), TokenStatus::Revoked);
        for s in TokenStatus::ALL {
            assert_eq!(TokenStatus::parse(s.as_str()), Some(s));
        }
    }
}
