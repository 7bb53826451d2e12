//! Keys derived from the master key, and the few primitives built on them.
//!
//! The master key (32 bytes, `KEYWARD_MASTER_KEY` or a key file created with
//! mode 0600 at first start) never touches the database. Each purpose gets
//! its own subkey through HKDF-SHA256, so a subkey leaking says nothing of
//! the others:
//! - token pepper: HMAC-SHA256 digests of tokens, the only form stored for
//!   lookup, so a stolen database alone cannot confirm a guessed token;
//! - seal: XChaCha20-Poly1305 for retrievable tokens, bound to the token key;
//! - csrf and cookie keys for the console.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::TryRngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Settings;

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 24;

pub struct Keys {
    token_mac: HmacSha256,
    /// Identifies the master key without revealing it (see [`Keys::check_value`]).
    check: [u8; 32],
    seal: XChaCha20Poly1305,
    csrf_mac: HmacSha256,
    cookie: actix_web::cookie::Key,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

fn hmac(key: &[u8]) -> HmacSha256 {
    #[allow(clippy::expect_used)]
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

impl Keys {
    pub fn from_master(master: &[u8; 32]) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"keyward"), master);
        let derive = |info: &str, out: &mut [u8]| {
            #[allow(clippy::expect_used)]
            hk.expand(info.as_bytes(), out).expect("HKDF output of at most 255 blocks");
        };
        let mut pepper = [0u8; 32];
        derive("token-digest-v1", &mut pepper);
        let mut seal = [0u8; 32];
        derive("token-seal-v1", &mut seal);
        let mut csrf = [0u8; 32];
        derive("console-csrf-v1", &mut csrf);
        let mut cookie = [0u8; 64];
        derive("console-cookie-v1", &mut cookie);
        let mut check = [0u8; 32];
        derive("master-key-check-v1", &mut check);
        Self {
            token_mac: hmac(&pepper),
            seal: XChaCha20Poly1305::new(&seal.into()),
            csrf_mac: hmac(&csrf),
            check,
            cookie: actix_web::cookie::Key::from(&cookie),
        }
    }

    /// From `KEYWARD_MASTER_KEY`, else from `data_dir/master.key`, which is
    /// created (mode 0600) on first start.
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(key) = &settings.master_key {
            return Ok(Self::from_master(key.expose_secret()));
        }
        let path = settings.data_dir.join("master.key");
        let master = load_or_create_key_file(&path)?;
        Ok(Self::from_master(&master))
    }

    /// HMAC-SHA256 of a token under the pepper: the lookup key of the
    /// `tokens` table.
    pub fn token_digest(&self, token: &str) -> [u8; 32] {
        let mut mac = self.token_mac.clone();
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Seals a retrievable token; `aad` (the token key) binds the ciphertext
    /// to its row, so a sealed value copied to another row does not open.
    pub fn seal(&self, aad: &str, secret: &SecretString) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let payload = Payload { msg: secret.expose_secret().as_bytes(), aad: aad.as_bytes() };
        #[allow(clippy::expect_used)]
        let ciphertext = self
            .seal
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("XChaCha20-Poly1305 encryption of a short message");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        out
    }

    pub fn unseal(&self, aad: &str, sealed: &[u8]) -> anyhow::Result<SecretString> {
        anyhow::ensure!(sealed.len() > NONCE_LEN, "sealed token too short");
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plain = self
            .seal
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: aad.as_bytes() })
            .map_err(|_| anyhow::anyhow!("sealed token does not open under this master key"))?;
        let s = String::from_utf8(plain).context("sealed token is not UTF-8")?;
        Ok(SecretString::from(s))
    }

    /// The CSRF token for a browser: a MAC of its binding (the CSRF cookie
    /// and, when signed in, the session cookie).
    /// A value that tells two master keys apart and says nothing of either
    /// (an HKDF output of its own): stored in the database by the first
    /// instance, so that an instance with another key refuses to start.
    pub fn check_value(&self) -> [u8; 32] {
        self.check
    }

    pub fn csrf_token(&self, binding: &[u8]) -> String {
        let mut mac = self.csrf_mac.clone();
        mac.update(binding);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn csrf_matches(&self, binding: &[u8], presented: &str) -> bool {
        let expected = self.csrf_token(binding);
        expected.as_bytes().ct_eq(presented.as_bytes()).into()
    }

    pub fn cookie_key(&self) -> &actix_web::cookie::Key {
        &self.cookie
    }
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

pub fn fill_random(buf: &mut [u8]) {
    #[allow(clippy::expect_used)]
    OsRng.try_fill_bytes(buf).expect("the operating system's random number generator failed");
}

/// 32 random bytes as URL-safe base64: session ids, one-time link codes.
pub fn random_url_token() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn load_or_create_key_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "master key file is readable by others: chmod 600 it");
            }
            crate::config::parse_master_key(&text).map_err(|m| anyhow::anyhow!("{}: {m}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let mut key = [0u8; 32];
            fill_random(&mut key);
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            file.write_all(format!("{hex}\n").as_bytes())?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "created a new master key: back it up, retrievable tokens cannot be shown without it");
            Ok(key)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_open_only_with_their_key() {
        let keys = Keys::from_master(&[1u8; 32]);
        let secret = SecretString::from("kw_glb_secret".to_owned());
        let sealed = keys.seal("AbCd1234", &secret);
        assert_eq!(keys.unseal("AbCd1234", &sealed).unwrap().expose_secret(), "kw_glb_secret");
        assert!(keys.unseal("Other123", &sealed).is_err());
        assert!(Keys::from_master(&[2u8; 32]).unseal("AbCd1234", &sealed).is_err());
    }

    #[test]
    fn digests_depend_on_the_master_key() {
        let a = Keys::from_master(&[1u8; 32]);
        let b = Keys::from_master(&[2u8; 32]);
        assert_eq!(a.token_digest("t"), a.token_digest("t"));
        assert_ne!(a.token_digest("t"), b.token_digest("t"));
        assert_ne!(a.token_digest("t"), sha256(b"t"));
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("kw-key-{}", random_url_token()));
        let path = dir.join("master.key");
        let first = load_or_create_key_file(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(load_or_create_key_file(&path).unwrap(), first);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn csrf_tokens_are_bound() {
        let keys = Keys::from_master(&[3u8; 32]);
        let t = keys.csrf_token(b"cookie-a");
        assert!(keys.csrf_matches(b"cookie-a", &t));
        assert!(!keys.csrf_matches(b"cookie-b", &t));
        assert!(!keys.csrf_matches(b"cookie-a", ""));
    }
}
