//! The dashboard's numbers: live tokens by kind, tokens expiring within 14
//! days, recent audit events. Roles that oversee tokens see the whole
//! organisation; members see their own.

use time::Duration;

use super::context::Services;
use super::token_info::TokenInfo;
use crate::domain::{Actor, Permission, Role, TokenKind};
use crate::error::AppError;
use crate::models::{AuditEvent, Token, User};

pub struct Dashboard {
    /// Whether the numbers are the organisation's (else the viewer's own).
    pub whole_org: bool,
    pub users: i64,
    /// Live tokens per kind, every kind listed.
    pub counts: Vec<(TokenKind, i64)>,
    pub expiring: Vec<TokenInfo>,
    /// Recent audit events, for roles that may read the log.
    pub events: Option<Vec<AuditEvent>>,
}

pub async fn dashboard(svc: &Services, actor: &Actor) -> Result<Dashboard, AppError> {
    let user_id = actor.own_user_id()?;
    let whole_org = actor.role.is_some_and(|r| r != Role::Member);
    let show_audit = actor.allows(Permission::ViewAudit);
    let scope = (!whole_org).then_some(user_id);
    let now = svc.now();
    svc.run(move |conn| {
        let users = User::count(conn)?;
        let live = Token::live_counts(conn, scope)?;
        let expiring = Token::expiring(conn, now, now + Duration::days(14), scope, 20)?;
        let events = if show_audit { Some(AuditEvent::recent(conn, 10)?) } else { None };
        let counts =
            TokenKind::ALL.iter().map(|k| (*k, live.iter().find(|(c, _)| c == k).map_or(0, |(_, n)| *n))).collect();
        Ok(Dashboard {
            whole_org,
            users,
            counts,
            expiring: expiring.into_iter().map(TokenInfo::from).collect(),
            events,
        })
    })
    .await
}
