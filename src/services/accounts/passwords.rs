//! Console passwords: argon2id with OWASP's parameters (19 MiB, 2 passes,
//! 1 lane). Hashing runs on the blocking pool behind a semaphore, so a
//! burst of sign-ins waits for a slot instead of starving token checks.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{AppError, FieldErrors};
use crate::services::context::Services;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;

fn argon2() -> Argon2<'static> {
    #[allow(clippy::expect_used)]
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    crate::crypto::fill_random(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::internal(anyhow::anyhow!("salt: {e}")))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
}

/// A hash of a password nobody knows, checked when the email is unknown so
/// that the answer takes as long as for a known one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now(&crate::crypto::random_url_token()).unwrap_or_default())
}

fn verify_now(hash: Option<&str>, password: &str) -> bool {
    let hash = hash.unwrap_or_else(|| dummy_hash());
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

pub async fn hash(svc: &Services, password: SecretString) -> Result<String, AppError> {
    let _slot = svc
        .password_slots
        .acquire()
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("password slots closed: {e}")))?;
    crate::db::blocking(move || hash_now(password.expose_secret())).await
}

/// Checks `password` against `hash`, or against a dummy hash when there is
/// no user, taking the same time either way.
pub async fn verify(svc: &Services, hash: Option<String>, password: SecretString) -> Result<bool, AppError> {
    let _slot = svc
        .password_slots
        .acquire()
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("password slots closed: {e}")))?;
    crate::db::blocking(move || Ok(verify_now(hash.as_deref(), password.expose_secret()))).await
}

/// The rules for a new password, as per-field messages.
pub fn check_new(password: &str, confirm: &str, email: &str) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let len = password.chars().count();
    if len < MIN_LEN {
        errors.insert("password".into(), format!("Use at least {MIN_LEN} characters."));
    } else if len > MAX_LEN {
        errors.insert("password".into(), format!("Use at most {MAX_LEN} characters."));
    } else if password.eq_ignore_ascii_case(email) {
        errors.insert("password".into(), "Do not use your email address as your password.".into());
    }
    if password != confirm {
        errors.insert("confirm".into(), "The two passwords do not match.".into());
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let h = hash_now("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_now(Some(&h), "correct horse battery"));
        assert!(!verify_now(Some(&h), "wrong"));
        assert!(!verify_now(None, "anything"));
        assert!(!verify_now(Some("not a hash"), "anything"));
    }

    #[test]
    fn new_passwords_are_checked() {
        assert!(check_new("long enough pw", "long enough pw", "a@b.co").is_ok());
        let e = check_new("short", "other", "a@b.co").unwrap_err();
        assert!(e.contains_key("password") && e.contains_key("confirm"));
        assert!(check_new("ann@example.com", "ann@example.com", "ann@example.com").is_err());
    }
}
