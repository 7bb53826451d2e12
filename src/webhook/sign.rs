//! `Keyward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`,
//! one `v1` per signing secret (two while a regenerated secret overlaps the
//! old one), newest first, as Stripe's receivers already know how to read.

use hmac::{Hmac, Mac as _};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The header's value for `body` sent at `timestamp` (unix seconds).
pub fn signature_header(secrets: &[SecretString], timestamp: i64, body: &[u8]) -> String {
    let mut value = format!("t={timestamp}");
    for secret in secrets {
        value.push_str(",v1=");
        value.push_str(&hex(&mac(secret.expose_secret(), timestamp, body)));
    }
    value
}

/// What a receiver does: whether `header` holds a valid signature of
/// `body` by `secret`, made within `tolerance` seconds of `now`.
pub fn verify(header: &str, secret: &str, body: &[u8], now: i64, tolerance: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.push(s.to_owned()),
            _ => {}
        }
    }
    let Some(t) = timestamp else { return false };
    if (now - t).abs() > tolerance {
        return false;
    }
    let expected = hex(&mac(secret, t, body));
    signatures.iter().any(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_each_of_its_secrets_and_only_in_time() {
        let (old, new) = (SecretString::from("kw_whk_old"), SecretString::from("kw_whk_new"));
        let header = signature_header(&[new.clone(), old.clone()], 1_700_000_000, b"{\"a\":1}");
        assert_eq!(header.matches("v1=").count(), 2);
        assert!(verify(&header, "kw_whk_new", b"{\"a\":1}", 1_700_000_100, 300));
        assert!(verify(&header, "kw_whk_old", b"{\"a\":1}", 1_700_000_100, 300));
        assert!(!verify(&header, "kw_whk_other", b"{\"a\":1}", 1_700_000_100, 300));
        assert!(!verify(&header, "kw_whk_new", b"{\"a\":2}", 1_700_000_100, 300), "another body");
        assert!(!verify(&header, "kw_whk_new", b"{\"a\":1}", 1_700_000_301, 300), "too late");
    }
}
