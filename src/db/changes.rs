//! Changes that disable or narrow what the caches hold (a token revoked, a
//! user deactivated, a campaign's structure or levels changed) are published
//! with PostgreSQL NOTIFY inside the transaction that makes them, so every
//! instance hears of them exactly when they commit, and never if they roll
//! back. The instance that makes a change applies it itself, from the list
//! its transaction returns (see `services::Tx`), without waiting for its own
//! notification.

use diesel::prelude::*;
use diesel::sql_types::Text;

pub const CHANNEL: &str = "keyward_changes";

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// One token, by its digest.
    Token([u8; 32]),
    /// Everything tied to a user (deactivated, role changed, switch off).
    User(i64),
    /// A campaign's structure, levels or filters.
    Campaign(i64),
    /// Organisation-wide settings (the global level).
    Org,
    /// The token policy (default rate limits per kind).
    Policy,
}

impl Change {
    /// A token's change, from its stored digest (any other length is not a
    /// digest Keyward wrote, and names no cached token).
    pub fn token(digest: &[u8]) -> Self {
        let mut d = [0u8; 32];
        if digest.len() == 32 {
            d.copy_from_slice(digest);
        }
        Self::Token(d)
    }

    pub fn encode(&self) -> String {
        match self {
            Self::Token(digest) => {
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                format!("t:{hex}")
            }
            Self::User(id) => format!("u:{id}"),
            Self::Campaign(id) => format!("c:{id}"),
            Self::Org => "o".to_owned(),
            Self::Policy => "p".to_owned(),
        }
    }

    pub fn decode(payload: &str) -> Option<Self> {
        match payload.split_once(':') {
            Some(("t", hex)) => decode_hex(hex).map(Self::Token),
            Some(("u", id)) => id.parse().ok().map(Self::User),
            Some(("c", id)) => id.parse().ok().map(Self::Campaign),
            None if payload == "o" => Some(Self::Org),
            None if payload == "p" => Some(Self::Policy),
            _ => None,
        }
    }
}

fn decode_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Queues the notification in the current transaction.
pub fn notify(conn: &mut PgConnection, change: &Change) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(CHANNEL)
        .bind::<Text, _>(change.encode())
        .execute(conn)
        .map(drop)
}

/// Whatever keeps state that a [`Change`] makes stale: the caches of an
/// instance. The listener hands it every change it hears of.
pub trait ChangeSink: Send + Sync {
    /// Forgets what `change` makes stale. May block briefly: never called
    /// on an async worker thread.
    fn apply(&self, change: &Change);
    /// Forgets everything: notifications may have been missed.
    fn clear(&self);
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn changes_round_trip() {
        for c in [Change::token(&[0xab; 32]), Change::User(3), Change::Campaign(9), Change::Org] {
            assert_eq!(Change::decode(&c.encode()), Some(c));
        }
        assert_eq!(Change::decode("t:short"), None);
        assert_eq!(Change::decode("t:zz"), None);
        assert_eq!(Change::decode("x:1"), None);
    }
}
