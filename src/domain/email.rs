use std::fmt;

/// A syntactically valid email address, trimmed and lower-cased, so that two
/// spellings of one address are one user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err("Enter an email address.".to_owned());
        }
        if s.len() > 254 {
            return Err("An email address has at most 254 characters.".to_owned());
        }
        // The crate accepts RFC 5322 oddities (quoted local parts, IP
        // literals, no TLD) that no invitation should go to: require a dot
        // in the domain, too.
        let valid = email_address::EmailAddress::parse_with_options(
            &s,
            email_address::Options::default().without_display_text(),
        )
        .is_ok_and(|e| e.domain().contains('.') && !e.local_part().starts_with('"'));
        if !valid {
            return Err(format!("`{}` is not a valid email address.", input.trim()));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::EmailAddress;

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(EmailAddress::parse("  Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
    }

    #[test]
    fn bad_addresses_are_refused_with_a_message() {
        for bad in ["", "ann", "ann@", "@example.com", "ann@localhost", "a b@example.com", "\"q\"@example.com"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
