//! The "keep the old token working for…" choice of every Regenerate form:
//! none (the seed's default), 1 hour, 1 day, 7 days, or a custom number of
//! hours up to 7 days. A leaf: it imports no screen.

use serde::Deserialize;
use time::Duration;

use crate::error::AppError;

/// The most hours a custom grace may last (7 days).
pub const HOURS_MAX: i64 = 168;

#[derive(Debug, Default, Deserialize)]
pub struct GraceForm {
    #[serde(default)]
    pub grace: String,
    #[serde(default)]
    pub grace_hours: String,
}

impl GraceForm {
    /// The grace asked for; an unknown choice or a custom time out of range
    /// is an error naming the field.
    pub fn duration(&self) -> Result<Duration, AppError> {
        match self.grace.trim() {
            "" | "0" => Ok(Duration::ZERO),
            "3600" => Ok(Duration::hours(1)),
            "86400" => Ok(Duration::days(1)),
            "604800" => Ok(Duration::days(7)),
            "custom" => match self.grace_hours.trim().parse::<i64>() {
                Ok(h) if (1..=HOURS_MAX).contains(&h) => Ok(Duration::hours(h)),
                _ => Err(AppError::invalid(
                    "grace_hours",
                    format!("Keep the old token working for 1 to {HOURS_MAX} hours (7 days) at most."),
                )),
            },
            _ => Err(AppError::invalid("grace", "Choose how long the old token keeps working.")),
        }
    }
}

/// How a page says what happened to the old token.
pub fn outcome(until: Option<time::OffsetDateTime>) -> String {
    match until {
        Some(u) => format!(
            "The old one keeps working until {} (the grace period), then stops: update your integrations before then.",
            crate::clock::display(u)
        ),
        None => "The old one stopped working at once: copy the new one and update your integration.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(grace: &str, hours: &str) -> GraceForm {
        GraceForm { grace: grace.into(), grace_hours: hours.into() }
    }

    #[test]
    fn the_choices_and_their_limits() {
        assert_eq!(form("", "").duration().unwrap(), Duration::ZERO);
        assert_eq!(form("86400", "").duration().unwrap(), Duration::days(1));
        assert_eq!(form("custom", "12").duration().unwrap(), Duration::hours(12));
        assert!(form("custom", "169").duration().is_err());
        assert!(form("custom", "0").duration().is_err());
        assert!(form("999999", "").duration().is_err());
    }
}
