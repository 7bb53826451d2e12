//! Making a token row: generate, digest, seal (retrievable kinds), insert.
//! The one way any kind of token comes to exist.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection as _, PgConnection};
use secrecy::{ExposeSecret as _, SecretString};
use time::OffsetDateTime;

use super::format;
use crate::crypto::Keys;
use crate::domain::{Scope, TokenKind};
use crate::error::AppError;
use crate::models::{NewTokenRow, Token};

/// What a new token is: its name, scope (which must fit its kind), who
/// made it, when it expires and its limits.
#[derive(Debug, Clone, Default)]
pub struct TokenSpec {
    pub name: String,
    pub scope: Scope,
    pub created_by: Option<i64>,
    pub expires_at: Option<OffsetDateTime>,
    pub allowed_ips: Vec<String>,
    pub rate_per_second: Option<i32>,
    pub rate_per_minute: Option<i32>,
}

/// A token just made: its row, and the secret to show once (or, for
/// retrievable kinds, also later through Show).
pub struct Issued {
    pub token: Token,
    pub secret: SecretString,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").field("token", &self.token).finish_non_exhaustive()
    }
}

/// Inserts a new token of `kind`. A key that collides with an existing one
/// (a one-in-2^47 event) is simply drawn again; a violated one-per-scope
/// index comes back as `Conflict`.
pub fn issue(
    conn: &mut PgConnection,
    keys: &Keys,
    kind: TokenKind,
    spec: &TokenSpec,
    now: OffsetDateTime,
) -> Result<Issued, AppError> {
    if !spec.scope.fits(kind) {
        return Err(AppError::internal(anyhow::anyhow!("a {kind:?} token cannot have the scope {:?}", spec.scope)));
    }
    let scope = spec.scope.columns();
    for _ in 0..5 {
        let new = format::generate(kind);
        let digest = keys.token_digest(new.secret.expose_secret());
        let sealed = kind.retrievable().then(|| keys.seal(&new.key, &new.secret));
        let row = NewTokenRow {
            kind,
            key: &new.key,
            digest: &digest,
            sealed: sealed.as_deref(),
            name: &spec.name,
            user_id: scope.user_id,
            campaign_id: scope.campaign_id,
            source_id: scope.source_id,
            can_read: scope.can_read,
            can_write: scope.can_write,
            filter_id: scope.filter_id,
            created_by: spec.created_by,
            created_at: now,
            expires_at: spec.expires_at,
            destination_id: scope.destination_id,
            allowed_ips: &spec.allowed_ips,
            rate_per_second: spec.rate_per_second,
            rate_per_minute: spec.rate_per_minute,
        };
        // A savepoint, so that a collision does not abort the caller's transaction.
        let inserted = conn.transaction::<_, DieselError, _>(|conn| Token::insert(conn, &row));
        match inserted {
            Ok(token) => {
                return Ok(Issued { token, secret: new.secret });
            }
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
                if info.constraint_name().is_some_and(|c| c == "tokens_key_key" || c == "tokens_digest_key") =>
            {
                continue;
            }
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(AppError::conflict(match kind {
                    TokenKind::Profile => "You already have an API token: revoke it before you generate a new one.",
                    _ => "This scope already has a live token of this kind.",
                }));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal(anyhow::anyhow!("could not draw a unique token key")))
}

/// The secret of a retrievable token, opened from its sealed form.
pub fn reveal(keys: &Keys, token: &Token) -> Result<SecretString, AppError> {
    let sealed = token.sealed.as_deref().ok_or_else(|| {
        AppError::forbidden("This kind of token is shown once, at creation, and cannot be shown again.")
    })?;
    keys.unseal(&token.key, sealed).map_err(AppError::internal)
}
