//! What a check needs of a token row (who it is, its scope, and the state
//! that decides whether it is valid at a given moment), and the decision
//! itself: pure, so every rule is unit-tested. This is what the cache
//! holds; expiry is judged at every use, not when it was cached.

use std::net::IpAddr;

use time::OffsetDateTime;

use crate::domain::{Actor, Allowlist, RateLimit, Role, TokenKind, TokenStatus};
use crate::error::TokenError;
use crate::models::{Token, User};

/// The user a token acts as, or is assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// How the audit log names them (an API user by its name).
    pub label: String,
    pub role: Role,
}

/// What a verified token may do: who it is and the scope it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    pub kind: TokenKind,
    pub key: String,
    pub user: Option<PrincipalUser>,
    pub campaign_id: Option<i64>,
    pub source_id: Option<i64>,
    pub can_read: bool,
    pub can_write: bool,
    pub filter_id: Option<i64>,
    pub issued_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
}

impl Principal {
    pub fn display_key(&self) -> String {
        format!("{}{}", self.kind.prefix(), self.key)
    }

    /// The user whose role applies: set for personal and profile tokens only.
    pub fn acting_user(&self) -> Option<&PrincipalUser> {
        self.user.as_ref().filter(|_| self.kind.acts_as_user())
    }

    /// The actor for the audit log: the user a token acts as, or the token.
    pub fn actor(&self, ip: &str) -> Actor {
        match self.acting_user() {
            Some(u) => Actor {
                user_id: Some(u.id),
                label: u.label.clone(),
                role: Some(u.role),
                ip: Some(ip.to_owned()),
                via_token: Some(self.display_key()),
            },
            None => Actor {
                user_id: None,
                label: format!("token {}", self.display_key()),
                role: None,
                ip: Some(ip.to_owned()),
                via_token: None,
            },
        }
    }
}

/// What a check needs of a token row: who it is, its scope, and the state
/// that decides whether it is valid at a given moment. This is what the
/// cache holds; expiry is judged on every use, not when it was cached.
#[derive(Debug, Clone)]
pub struct TokenState {
    pub principal: Principal,
    user_id: Option<i64>,
    revoked: bool,
    active: bool,
    /// The owner's (or assigned user's) state, when the token has one.
    owner: Option<(bool, bool)>,
    /// A regenerated token works until then.
    retiring_until: Option<OffsetDateTime>,
    allowlist: Allowlist,
    /// The token's own limit (the kind's default applies when it has none).
    pub rate: RateLimit,
}

impl TokenState {
    pub fn from_row(token: Token, user: Option<User>) -> Self {
        Self {
            user_id: token.user_id,
            revoked: token.revoked_at.is_some(),
            active: token.active,
            owner: user.as_ref().map(|u| (u.active, u.api_token_allowed)),
            retiring_until: token.retiring_until,
            allowlist: Allowlist::stored(&token.allowed_ips),
            rate: RateLimit::stored(token.rate_per_second, token.rate_per_minute),
            principal: Principal {
                token_id: token.id,
                kind: token.kind,
                key: token.key,
                user: user.map(|u| PrincipalUser {
                    id: u.id,
                    name: u.name().to_owned(),
                    label: u.label(),
                    email: u.email,
                    role: u.role,
                }),
                campaign_id: token.campaign_id,
                source_id: token.source_id,
                can_read: token.can_read,
                can_write: token.can_write,
                filter_id: token.filter_id,
                issued_at: token.created_at,
                expires_at: token.expires_at,
            },
        }
    }

    /// The user the token belongs to (for invalidation when the user changes).
    pub fn user_id(&self) -> Option<i64> {
        self.user_id
    }

    /// Whether the token is valid now for a request from `ip` that
    /// presented a token of `kind`. Pure, so every rule is unit-tested.
    pub fn check(&self, kind: TokenKind, now: OffsetDateTime, ip: Option<IpAddr>) -> Result<Principal, TokenError> {
        let p = &self.principal;
        if p.kind != kind {
            return Err(TokenError::Unknown);
        }
        // A regenerated token's grace period is over.
        if self.retiring_until.is_some_and(|until| until <= now) {
            return Err(TokenError::Revoked);
        }
        match TokenStatus::of(self.revoked, p.expires_at, self.active, now) {
            TokenStatus::Active => {}
            TokenStatus::Revoked => return Err(TokenError::Revoked),
            TokenStatus::Expired => return Err(TokenError::Expired),
            TokenStatus::Deactivated => return Err(TokenError::Deactivated),
        }
        // A token tied to a user stops with the user.
        match self.owner {
            Some((false, _)) => return Err(TokenError::Deactivated),
            Some((true, false)) if kind == TokenKind::Profile => return Err(TokenError::Revoked),
            None if self.user_id.is_some() => return Err(TokenError::Unknown),
            _ => {}
        }
        // Last: only someone holding a valid token learns that their
        // address is the problem.
        if !self.allowlist.allows(ip) {
            return Err(TokenError::IpNotAllowed);
        }
        Ok(p.clone())
    }
}

/// Decides on a looked-up row (or its absence).
pub fn evaluate(
    kind: TokenKind,
    found: Option<(Token, Option<User>)>,
    now: OffsetDateTime,
) -> Result<Principal, TokenError> {
    match found {
        Some((token, user)) => TokenState::from_row(token, user).check(kind, now, None),
        None => Err(TokenError::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    fn token(kind: TokenKind, user_id: Option<i64>) -> Token {
        let now = OffsetDateTime::now_utc();
        Token {
            id: 1,
            kind,
            key: "AbCd1234".into(),
            digest: vec![0; 32],
            sealed: None,
            name: String::new(),
            user_id,
            campaign_id: None,
            source_id: None,
            can_read: false,
            can_write: false,
            filter_id: None,
            active: true,
            deactivated_at: None,
            deactivated_by: None,
            deactivated_reason: None,
            created_by: None,
            created_at: now,
            expires_at: None,
            last_used_at: None,
            last_used_ip: None,
            use_count: 0,
            revoked_at: None,
            revoked_by: None,
            revoked_reason: None,
            warned_14d_at: None,
            warned_1d_at: None,
            destination_id: None,
            retiring_until: None,
            allowed_ips: Vec::new(),
            rate_per_second: None,
            rate_per_minute: None,
        }
    }

    fn user(active: bool, allowed: bool) -> User {
        let now = OffsetDateTime::now_utc();
        User {
            id: 7,
            email: "u@example.com".into(),
            display_name: String::new(),
            password_hash: None,
            role: Role::Member,
            active,
            api_token_allowed: allowed,
            created_at: now,
            updated_at: now,
            last_sign_in_at: None,
            kind: crate::domain::UserKind::Person,
            owner_id: None,
        }
    }

    #[test]
    fn a_live_token_yields_its_principal() {
        let now = OffsetDateTime::now_utc();
        let p = evaluate(TokenKind::Personal, Some((token(TokenKind::Personal, Some(7)), Some(user(true, true)))), now)
            .unwrap();
        assert_eq!(p.acting_user().unwrap().email, "u@example.com");
        assert_eq!(p.display_key(), "kw_pat_AbCd1234");
    }

    #[test]
    fn each_dead_state_has_its_reason() {
        let now = OffsetDateTime::now_utc();
        let k = TokenKind::Personal;
        let with = |t: Token, u: User| evaluate(k, Some((t, Some(u))), now).unwrap_err();

        assert_eq!(evaluate(k, None, now).unwrap_err(), TokenError::Unknown);
        let mut t = token(k, Some(7));
        t.revoked_at = Some(now);
        assert_eq!(with(t, user(true, true)), TokenError::Revoked);
        let mut t = token(k, Some(7));
        t.expires_at = Some(now - Duration::seconds(1));
        assert_eq!(with(t, user(true, true)), TokenError::Expired);
        let mut t = token(k, Some(7));
        t.active = false;
        assert_eq!(with(t, user(true, true)), TokenError::Deactivated);
        assert_eq!(with(token(k, Some(7)), user(false, true)), TokenError::Deactivated);
        assert_eq!(
            evaluate(TokenKind::Profile, Some((token(TokenKind::Profile, Some(7)), Some(user(true, false)))), now)
                .unwrap_err(),
            TokenError::Revoked
        );
        // A grace period that has ended.
        let mut t = token(k, Some(7));
        t.retiring_until = Some(now);
        assert_eq!(with(t, user(true, true)), TokenError::Revoked);
        let mut t = token(k, Some(7));
        t.retiring_until = Some(now + Duration::hours(1));
        assert!(evaluate(k, Some((t, Some(user(true, true)))), now).is_ok());
        // An allowlist: checked against the caller's address.
        let mut t = token(k, Some(7));
        t.allowed_ips = vec!["203.0.113.0/24".into()];
        let state = TokenState::from_row(t, Some(user(true, true)));
        assert!(state.check(k, now, Some("203.0.113.5".parse().unwrap())).is_ok());
        assert_eq!(state.check(k, now, Some("198.51.100.1".parse().unwrap())).unwrap_err(), TokenError::IpNotAllowed);
        assert_eq!(state.check(k, now, None).unwrap_err(), TokenError::IpNotAllowed);
        // A row of another kind (cannot happen with distinct prefixes, but
        // the check costs nothing).
        assert_eq!(
            evaluate(TokenKind::Global, Some((token(k, Some(7)), Some(user(true, true)))), now).unwrap_err(),
            TokenError::Unknown
        );
    }
}
