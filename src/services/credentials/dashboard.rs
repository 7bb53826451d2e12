//! The dashboard's numbers: live tokens by kind, tokens expiring within 14
//! days, recent audit events, and (for roles that oversee tokens) the
//! organisation's uses per day, its most used tokens and those unused for
//! 30 days. Roles that oversee tokens see the whole organisation; members
//! see their own.

use time::Duration;

use crate::domain::{Actor, Permission, Role, TokenKind};
use crate::error::AppError;
use crate::models::{AuditEvent, Token, TokenUsage, UsageDay, User};
use crate::services::context::Services;
use crate::services::credentials::token_info::TokenInfo;
use crate::services::credentials::token_manage::{DayUse, fill_days};

pub struct Dashboard {
    /// Whether the numbers are the organisation's (else the viewer's own).
    pub whole_org: bool,
    pub users: i64,
    /// Live tokens per kind, every kind listed.
    pub counts: Vec<(TokenKind, i64)>,
    pub expiring: Vec<TokenInfo>,
    /// Recent audit events, for roles that may read the log.
    pub events: Option<Vec<AuditEvent>>,
    /// The organisation's use (roles that oversee tokens only).
    pub usage: Option<OrgUsage>,
}

/// Uses per day across the organisation, the most used tokens and the
/// live ones unused for 30 days (candidates to revoke).
pub struct OrgUsage {
    pub days: Vec<DayUse>,
    pub most_used: Vec<(TokenInfo, i64)>,
    pub unused: Vec<TokenInfo>,
}

/// The days the dashboard draws.
pub const DAYS: i64 = 30;

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
        let usage = if whole_org {
            let since = now - Duration::days(DAYS);
            let stored = TokenUsage::org_daily(conn, (now - Duration::days(DAYS - 1)).date())?
                .into_iter()
                .map(|(day, uses)| UsageDay { day, uses, refused: serde_json::json!({}) })
                .collect();
            let ranked = TokenUsage::most_used(conn, since.date(), 5)?;
            let tokens = Token::find_many(conn, &ranked.iter().map(|(id, _)| *id).collect::<Vec<_>>())?;
            let most_used = ranked
                .iter()
                .filter_map(|(id, n)| tokens.iter().find(|t| t.id == *id).map(|t| (TokenInfo::from(t.clone()), *n)))
                .collect();
            let unused_ids = TokenUsage::unused_since(conn, since, 10)?;
            let unused = Token::find_many(conn, &unused_ids)?;
            Some(OrgUsage {
                days: fill_days(stored, now.date(), DAYS),
                most_used,
                unused: unused.into_iter().map(TokenInfo::from).collect(),
            })
        } else {
            None
        };
        let counts =
            TokenKind::ALL.iter().map(|k| (*k, live.iter().find(|(c, _)| c == k).map_or(0, |(_, n)| *n))).collect();
        Ok(Dashboard {
            whole_org,
            users,
            counts,
            expiring: expiring.into_iter().map(TokenInfo::from).collect(),
            events,
            usage,
        })
    })
    .await
}
