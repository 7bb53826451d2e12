//! The organisation's token policy, per kind: the longest lifetime a token
//! may be given, the lifetime it gets when none is asked for, whether it
//! may never expire, how long an expired token is kept before it is
//! deleted, and a default rate limit. Enforced wherever a token is made,
//! regenerated or has its expiry changed. The profile token is not here:
//! it always lives 180 days.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::db::changes::Change;
use crate::domain::{Actor, AuditAction, Permission, RateLimit, TokenKind};
use crate::error::{AppError, FieldErrors};
pub use crate::models::TokenPolicy;
use crate::services::audit::record;
use crate::services::context::{Services, Tx};

pub const DAYS_MAX: i32 = 3650;

/// The kinds a policy governs, in the order pages list them.
pub fn kinds() -> impl Iterator<Item = TokenKind> {
    TokenKind::ALL.iter().copied().filter(|k| *k != TokenKind::Profile)
}

/// Every governed kind's policy (defaults where none is saved).
pub async fn all(svc: &Services) -> Result<Vec<TokenPolicy>, AppError> {
    svc.run(|conn| {
        let saved = TokenPolicy::all(conn)?;
        Ok(kinds()
            .map(|k| saved.iter().find(|p| p.kind == k).cloned().unwrap_or_else(|| TokenPolicy::default_for(k)))
            .collect())
    })
    .await
}

pub async fn of(svc: &Services, kind: TokenKind) -> Result<TokenPolicy, AppError> {
    svc.run(move |conn| Ok(TokenPolicy::of(conn, kind)?)).await
}

/// A policy as asked for: checked before anything is saved. Errors are
/// keyed `{kind}.{field}`.
pub fn check(policy: &TokenPolicy, errors: &mut FieldErrors) {
    let field = |name: &str| format!("{}.{name}", policy.kind);
    let days = |v: Option<i32>| v.is_none_or(|d| (1..=DAYS_MAX).contains(&d));
    if policy.kind == TokenKind::Profile {
        errors.insert(field("kind"), "The profile API token always lives 180 days; it has no policy.".into());
    }
    if !days(policy.max_days) {
        errors
            .insert(field("max_days"), format!("Choose from 1 to {DAYS_MAX} days, or leave it empty for no maximum."));
    }
    if !days(policy.default_days) {
        errors.insert(field("default_days"), format!("Choose from 1 to {DAYS_MAX} days, or leave it empty."));
    }
    if let (Some(d), Some(m)) = (policy.default_days, policy.max_days)
        && d > m
    {
        errors.insert(
            field("default_days"),
            format!("The default lifetime cannot be longer than the maximum ({m} days)."),
        );
    }
    if !policy.never_allowed && policy.max_days.is_none() && policy.default_days.is_none() {
        errors.insert(
            field("never_allowed"),
            "A kind whose tokens must expire needs a maximum or a default lifetime.".into(),
        );
    }
    if !(0..=DAYS_MAX).contains(&policy.retention_days) {
        errors.insert(field("retention_days"), format!("Choose from 0 to {DAYS_MAX} days."));
    }
    if let Err((f, message)) =
        RateLimit::new(policy.rate_per_second.map(i64::from), policy.rate_per_minute.map(i64::from))
    {
        errors.insert(field(f), message);
    }
}

/// Saves the policies given (kinds not named keep theirs), all or none.
pub async fn save(svc: &Services, actor: Actor, policies: Vec<TokenPolicy>) -> Result<(), AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let mut errors = FieldErrors::new();
    for p in &policies {
        check(p, &mut errors);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = svc.now();
    svc.tx(move |tx| {
        for p in &policies {
            let before = TokenPolicy::of(tx, p.kind)?;
            let p = TokenPolicy { updated_at: now, ..p.clone() };
            if (TokenPolicy { updated_at: before.updated_at, ..p.clone() }) == before {
                continue;
            }
            TokenPolicy::save(tx, &p)?;
            record(
                tx,
                now,
                &actor,
                AuditAction::TokenPolicyChanged,
                &format!("{} tokens", p.kind.label().to_lowercase()),
                json!({
                    "kind": p.kind, "max_days": p.max_days, "default_days": p.default_days,
                    "never_allowed": p.never_allowed, "retention_days": p.retention_days,
                    "rate_per_second": p.rate_per_second, "rate_per_minute": p.rate_per_minute,
                }),
            )?;
        }
        tx.publish(Change::Policy)
    })
    .await
}

/// The expiry a new (or regenerated) token of `kind` gets: `asked` if the
/// policy allows it, else the policy's default. `field` names the input in
/// the error.
pub(in crate::services) fn expiry(
    tx: &mut Tx<'_>,
    kind: TokenKind,
    asked: Option<OffsetDateTime>,
    now: OffsetDateTime,
    field: &str,
) -> Result<Option<OffsetDateTime>, AppError> {
    if kind == TokenKind::Profile {
        return Ok(asked);
    }
    let policy = TokenPolicy::of(tx, kind)?;
    match asked {
        Some(at) => {
            check_expiry(&policy, Some(at), now, field)?;
            Ok(Some(at))
        }
        // The default lifetime, else the longest allowed: a maximum binds
        // every token that does not ask for less.
        None => Ok(policy.default_days.or(policy.max_days).map(|d| now + Duration::days(i64::from(d)))),
    }
}

/// Whether `at` (None: never) is an expiry the policy allows.
pub(in crate::services) fn check_expiry(
    policy: &TokenPolicy,
    at: Option<OffsetDateTime>,
    now: OffsetDateTime,
    field: &str,
) -> Result<(), AppError> {
    let kind = policy.kind.label().to_lowercase();
    match at {
        None if !policy.never_allowed => Err(AppError::invalid(
            field,
            format!(
                "The organisation's policy requires {kind} tokens to expire{}.",
                policy.max_days.map(|m| format!(" within {m} days")).unwrap_or_default()
            ),
        )),
        None => Ok(()),
        Some(at) if at <= now => Err(AppError::invalid(field, "Choose a time in the future.")),
        Some(at) => match policy.max_days {
            // A minute of slack for the time the form took.
            Some(max) if at > now + Duration::days(i64::from(max)) + Duration::minutes(1) => Err(AppError::invalid(
                field,
                format!("The organisation allows {kind} tokens a lifetime of at most {max} days."),
            )),
            _ => Ok(()),
        },
    }
}
