use std::fmt;

/// A URL slug for campaigns and sources: lower-case letters, digits and
/// single dashes, at most 64 characters. Never all digits, so that a path
/// segment is unambiguously an id or a slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let valid = !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--")
            && !s.bytes().all(|b| b.is_ascii_digit());
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "`{s}` is not a valid slug: use lower-case letters, digits and single dashes (at most 64), not only digits"
            ))
        }
    }

    /// The slug a name suggests: "Partner ABC – EU" becomes "partner-abc-eu".
    pub fn from_name(name: &str) -> Option<Self> {
        let mut out = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= 60 {
                break;
            }
        }
        let out = out.trim_end_matches('-');
        Self::parse(out).or_else(|_| Self::parse(&format!("c-{out}"))).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An identifier inside a campaign: a field, select, option or status slug
/// (`select_partner`, `SELECT_PARTNER`, `new`). A letter, then letters,
/// digits or underscores; at most 64.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident(String);

impl Ident {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let mut bytes = s.bytes();
        let valid = s.len() <= 64
            && bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "`{s}` is not a valid slug: start with a letter, then letters, digits or underscores (at most 64)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(Slug::from_name("Partner ABC – EU").unwrap().as_str(), "partner-abc-eu");
        assert_eq!(Slug::from_name("2024").unwrap().as_str(), "c-2024");
        assert!(Slug::from_name("–").is_none());
    }

    #[test]
    fn bad_slugs_are_refused() {
        for bad in ["", "A", "a--b", "-a", "a-", "123", "a b"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
        assert!(Ident::parse("select_partner").is_ok());
        assert!(Ident::parse("SELECT_PARTNER").is_ok());
        for bad in ["", "1a", "a-b", "a b"] {
            assert!(Ident::parse(bad).is_err(), "{bad}");
        }
    }
}
