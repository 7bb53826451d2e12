//! The token string: `kw_pat_` + 36 base62 characters of OS randomness
//! (214 bits) + a 6-character base62 CRC32 of everything before it, as
//! GitHub's tokens do. The checksum lets a scanner find leaked tokens and lets
//! the server refuse a mistyped or made-up token without touching the
//! database. The first 8 random characters are the public token key.

use rand::TryRngCore;
use rand::rngs::OsRng;
use secrecy::SecretString;

pub use crate::domain::PREFIX_LEN;
use crate::domain::TokenKind;
use crate::error::TokenError;

pub const RANDOM_LEN: usize = 36;
pub const KEY_LEN: usize = 8;
pub const CHECKSUM_LEN: usize = 6;
pub const TOKEN_LEN: usize = PREFIX_LEN + RANDOM_LEN + CHECKSUM_LEN;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` base62 characters from the operating system's CSPRNG, without modulo
/// bias (bytes of 248 and above are drawn again).
pub fn random_base62(n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        // The OS generator failing is not something to limp on from.
        #[allow(clippy::expect_used)]
        OsRng.try_fill_bytes(&mut buf).expect("the operating system's random number generator failed");
        for &b in &buf {
            if b < 248 && out.len() < n {
                out.push(BASE62[usize::from(b % 62)] as char);
            }
        }
    }
    out
}

fn checksum(body: &str) -> [u8; CHECKSUM_LEN] {
    let mut n = crc32fast::hash(body.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// A freshly generated token. The secret leaves this process once: to the
/// person who asked for it (and, for retrievable kinds, sealed at rest).
pub struct NewToken {
    pub kind: TokenKind,
    pub key: String,
    pub secret: SecretString,
}

pub fn generate(kind: TokenKind) -> NewToken {
    let random = random_base62(RANDOM_LEN);
    let mut token = String::with_capacity(TOKEN_LEN);
    token.push_str(kind.prefix());
    token.push_str(&random);
    let sum = checksum(&token);
    token.extend(sum.iter().map(|&b| b as char));
    NewToken { kind, key: random[..KEY_LEN].to_owned(), secret: SecretString::from(token) }
}

/// A token string whose prefix and checksum are right. It may still be
/// unknown, revoked or expired: that takes the database (or the cache).
#[derive(Clone, Copy)]
pub struct Parsed<'a> {
    pub kind: TokenKind,
    pub key: &'a str,
    pub token: &'a str,
}

impl std::fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parsed").field("kind", &self.kind).field("key", &self.key).finish_non_exhaustive()
    }
}

pub fn parse(token: &str) -> Result<Parsed<'_>, TokenError> {
    if token.len() != TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let kind = TokenKind::from_prefix(token).ok_or(TokenError::Malformed)?;
    let (body, sum) = token.split_at(PREFIX_LEN + RANDOM_LEN);
    if !body[PREFIX_LEN..].bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(TokenError::Malformed);
    }
    if sum.as_bytes() != checksum(body) {
        return Err(TokenError::Malformed);
    }
    Ok(Parsed { kind, key: &body[PREFIX_LEN..PREFIX_LEN + KEY_LEN], token })
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn generated_tokens_parse_back() {
        for kind in TokenKind::ALL {
            let new = generate(*kind);
            let s = new.secret.expose_secret();
            assert_eq!(s.len(), TOKEN_LEN);
            assert!(s.starts_with(kind.prefix()));
            let parsed = parse(s).unwrap();
            assert_eq!(parsed.kind, *kind);
            assert_eq!(parsed.key, new.key);
        }
    }

    #[test]
    fn one_changed_character_fails_the_checksum() {
        let new = generate(TokenKind::Personal);
        let s = new.secret.expose_secret();
        for i in PREFIX_LEN..TOKEN_LEN {
            let mut bytes = s.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let changed = String::from_utf8(bytes).unwrap();
            assert_eq!(parse(&changed).unwrap_err(), TokenError::Malformed, "position {i}");
        }
    }

    #[test]
    fn malformed_strings_are_refused() {
        let good = generate(TokenKind::Global);
        let good = good.secret.expose_secret();
        for bad in [
            String::new(),
            "kw_pat_".to_owned(),
            good[..TOKEN_LEN - 1].to_owned(),
            format!("{good}x"),
            format!("kw_zzz_{}", &good[PREFIX_LEN..]),
            format!("{}é{}", &good[..10], &good[12..]),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn randomness_uses_the_whole_alphabet_evenly() {
        let sample = random_base62(62 * 200);
        for c in BASE62 {
            let n = sample.bytes().filter(|b| b == c).count();
            assert!((100..=330).contains(&n), "{} appeared {n} times", *c as char);
        }
    }
}
