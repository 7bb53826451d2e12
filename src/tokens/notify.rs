//! Changes that disable or narrow tokens are published with PostgreSQL
//! NOTIFY inside the transaction that makes them, so every instance hears
//! of them exactly when they commit (and never if they roll back).

use std::cell::RefCell;

use diesel::prelude::*;
use diesel::sql_types::Text;

pub const CHANNEL: &str = "keyward_changes";

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// One token, by its digest (hex).
    Token(String),
    /// Everything tied to a user (deactivated, role changed, switch off).
    User(i64),
    /// A campaign's structure, levels or filters.
    Campaign(i64),
    /// Organisation-wide settings (the global level).
    Org,
}

impl Change {
    pub fn token(digest: &[u8]) -> Self {
        Self::Token(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn encode(&self) -> String {
        match self {
            Self::Token(hex) => format!("t:{hex}"),
            Self::User(id) => format!("u:{id}"),
            Self::Campaign(id) => format!("c:{id}"),
            Self::Org => "o".to_owned(),
        }
    }

    pub fn decode(payload: &str) -> Option<Self> {
        match payload.split_once(':') {
            Some(("t", hex)) if hex.len() == 64 => Some(Self::Token(hex.to_owned())),
            Some(("u", id)) => id.parse().ok().map(Self::User),
            Some(("c", id)) => id.parse().ok().map(Self::Campaign),
            None if payload == "o" => Some(Self::Org),
            _ => None,
        }
    }
}

thread_local! {
    /// Changes published by the database work running on this thread, to be
    /// applied to this instance's caches as soon as it returns (see
    /// `AppState::db`): the instance that makes a change is right at once,
    /// without waiting for its own notification.
    static PENDING: RefCell<Vec<Change>> = const { RefCell::new(Vec::new()) };
}

/// Queues the notification in the current transaction, and remembers the
/// change for this instance's caches.
pub fn publish(conn: &mut PgConnection, change: &Change) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(CHANNEL)
        .bind::<Text, _>(change.encode())
        .execute(conn)?;
    PENDING.with(|p| p.borrow_mut().push(change.clone()));
    Ok(())
}

/// The changes published on this thread since the last call. Applying a
/// change whose transaction rolled back only costs a cache miss.
pub fn take_published() -> Vec<Change> {
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
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
        assert_eq!(Change::decode("x:1"), None);
    }
}
