//! `Idempotency-Key` for lead intake and `POST …/leads`: a client that
//! retries a request with the same key (a timeout, a lost answer) gets the
//! first answer again, and no second lead. The key is claimed in the same
//! transaction as the write, so a retry that races the first request waits
//! for it and then replays its answer; a request that fails leaves no key
//! behind. The same key with another request body is refused (422). Keys
//! live for a day.

use diesel::PgConnection;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};

use crate::error::AppError;
use crate::models::idempotency_key::IdempotencyKey;

/// How long a key is remembered.
pub const TTL: Duration = Duration::hours(24);
const FIELD: &str = "Idempotency-Key";

/// A request's key: where it applies (an endpoint, and who is calling),
/// the key, and a digest of the request it names.
#[derive(Debug, Clone)]
pub struct Idempotency {
    scope: String,
    key: String,
    request_hash: [u8; 32],
}

impl Idempotency {
    /// The key of a request, checked (1 to 255 printable ASCII characters).
    /// The body is compared by its JSON value, so that spacing and key
    /// order do not make a retry "another request".
    pub fn new(key: &str, scope: String, body: &Value) -> Result<Self, AppError> {
        let key = key.trim();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(AppError::invalid(FIELD, "must be 1 to 255 printable ASCII characters"));
        }
        let request_hash = Sha256::digest(serde_json::to_vec(body).unwrap_or_default()).into();
        Ok(Self { scope, key: key.to_owned(), request_hash })
    }
}

/// What claiming a key found.
pub(in crate::services) enum Claim {
    /// The key is this request's: answer it, then [`record`] the answer.
    Ours(i64),
    /// An earlier request had it: its answer, to give again.
    Replay { status: u16, body: Value },
}

/// Claims the key in the caller's transaction (see the module comment).
pub(in crate::services) fn claim(
    conn: &mut PgConnection,
    key: &Idempotency,
    now: OffsetDateTime,
) -> Result<Claim, AppError> {
    if let Some(id) = IdempotencyKey::claim(conn, &key.scope, &key.key, &key.request_hash, now, now - TTL)? {
        return Ok(Claim::Ours(id));
    }
    let stored = IdempotencyKey::find(conn, &key.scope, &key.key)?.ok_or_else(|| {
        AppError::conflict("this Idempotency-Key is being used by a request in progress: retry in a moment")
    })?;
    if stored.request_hash != key.request_hash {
        return Err(AppError::invalid(
            FIELD,
            "was used within the last 24 hours with another request: use a new key for a new request",
        ));
    }
    Ok(Claim::Replay { status: u16::try_from(stored.status).unwrap_or(200), body: stored.response })
}

/// Keeps the answer of the request that claimed the key.
pub(in crate::services) fn record(conn: &mut PgConnection, id: i64, status: u16, body: &Value) -> Result<(), AppError> {
    IdempotencyKey::record(conn, id, i16::try_from(status).unwrap_or(200), body)?;
    Ok(())
}

/// Forgets keys older than a day (the sweeper).
pub(in crate::services) fn prune(conn: &mut PgConnection, now: OffsetDateTime) -> Result<usize, AppError> {
    Ok(IdempotencyKey::prune(conn, now - TTL)?)
}
