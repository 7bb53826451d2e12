//! The token lifecycle's API (SPEC §5): one token's metadata, limits and
//! expiry (`GET`/`PATCH /api/v1/tokens/{key}`), its usage per day, Regenerate
//! with a grace period for every regenerable kind, the organisation's token
//! policy, and leak reports from a reporter token.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::auth::Bearer;
use super::token_admin::token_json;
use crate::domain::{RateLimit, TokenKind};
use crate::error::{ApiError, AppError, FieldErrors};
use crate::services::leaks::{self, Found};
use crate::services::token_manage::{self, Changes, Detail};
use crate::services::token_policy::{self, TokenPolicy};
use crate::services::{Services, destinations};

fn rate_json(r: RateLimit) -> Value {
    json!({"per_second": r.per_second, "per_minute": r.per_minute})
}

/// A token's metadata with its lifecycle settings.
pub fn detail_json(d: &Detail, now: OffsetDateTime) -> Value {
    let mut v = token_json(&d.listing, now);
    if let Value::Object(map) = &mut v {
        let t = &d.listing.token;
        map.insert("allowed_ips".into(), json!(d.allowed_ips));
        map.insert("rate_limit".into(), rate_json(d.rate));
        map.insert("effective_rate_limit".into(), rate_json(d.effective_rate));
        map.insert("retiring_until".into(), json!(t.retiring_until.map(crate::clock::rfc3339)));
        map.insert(
            "leaks".into(),
            json!(d.leaks.iter().map(|l| json!({
                "reported_at": crate::clock::rfc3339(l.reported_at), "url": l.url, "source": l.source, "action": l.action,
            })).collect::<Vec<_>>()),
        );
    }
    v
}

/// `GET /api/v1/tokens/{key}`: managers and support.
pub async fn get(svc: web::Data<Services>, bearer: Bearer, key: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let d = token_manage::detail(&svc, &bearer.acting()?, &key).await?;
    Ok(HttpResponse::Ok().json(detail_json(&d, svc.now())))
}

/// A JSON field that may be absent (`None`), `null` (`Some(None)`), or a
/// value.
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    #[serde(default)]
    per_second: Option<i64>,
    #[serde(default)]
    per_minute: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    #[serde(default)]
    allowed_ips: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    rate_limit: Option<Option<RateBody>>,
    #[serde(default, deserialize_with = "double_option")]
    expires_at: Option<Option<String>>,
}

/// `PATCH /api/v1/tokens/{key}`: `{allowed_ips?, rate_limit?, expires_at?}`.
pub async fn patch(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let body = body.into_inner();
    let expires_at = match body.expires_at {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => {
            Some(Some(OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339).map_err(|_| {
                AppError::invalid("expires_at", "Give an RFC 3339 time, e.g. 2027-01-31T00:00:00Z, or null for never.")
            })?))
        }
    };
    let changes = Changes {
        allowed_ips: body.allowed_ips,
        rate: body.rate_limit.map(|r| r.map_or((None, None), |r| (r.per_second, r.per_minute))),
        expires_at,
    };
    let d = token_manage::update(&svc, actor, &key, changes).await?;
    Ok(HttpResponse::Ok().json(detail_json(&d, svc.now())))
}

#[derive(Deserialize)]
pub struct UsageQuery {
    days: Option<i64>,
}

/// `GET /api/v1/tokens/{key}/usage?days=90`.
pub async fn usage(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, ApiError> {
    let u = token_manage::usage(&svc, &bearer.acting()?, &key, query.days.unwrap_or(90)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "days": u.days.iter().map(|d| json!({
            "date": d.date.to_string(), "uses": d.uses, "refused": d.refused,
        })).collect::<Vec<_>>(),
        "ips": u.ips.iter().map(|(ip, at)| json!({"ip": ip, "last_seen": crate::clock::rfc3339(*at)})).collect::<Vec<_>>(),
        "refused": u.refused_by_reason(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regenerate {
    #[serde(default)]
    grace_seconds: i64,
}

/// `POST /api/v1/tokens/{key}/regenerate` `{grace_seconds}`: a new token;
/// the old one works until `old_valid_until` (`null`: it stopped now).
/// For a destination this rolls its signing secret.
pub async fn regenerate(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
    body: Option<web::Json<Regenerate>>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let grace = Duration::seconds(body.map_or(0, |b| b.grace_seconds));
    token_manage::check_grace(grace)?;
    let (new, old_key, until) = match destinations::by_token_key(&svc, &actor, &key).await.ok().flatten() {
        Some(id) => {
            let r = destinations::regenerate(&svc, actor, id, grace).await?;
            (r.new, r.old_key, r.old_valid_until)
        }
        None => {
            let r = token_manage::regenerate(&svc, actor, &key, grace).await?;
            (r.new, Some(r.old_key), r.old_valid_until)
        }
    };
    Ok(HttpResponse::Ok().json(json!({
        "key": new.token.display_key(),
        "token": new.secret.expose_secret(),
        "old_key": old_key,
        "old_valid_until": until.map(crate::clock::rfc3339),
    })))
}

fn policy_json(p: &TokenPolicy) -> Value {
    json!({
        "max_days": p.max_days, "default_days": p.default_days, "never_allowed": p.never_allowed,
        "retention_days": p.retention_days,
        "rate_limit": {"per_second": p.rate_per_second, "per_minute": p.rate_per_minute},
    })
}

/// `GET /api/v1/settings/token-policy`.
pub async fn get_policy(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    actor.require(crate::domain::Permission::ManageOrgTokens)?;
    let all = token_policy::all(&svc).await?;
    let kinds: BTreeMap<&str, Value> = all.iter().map(|p| (p.kind.as_str(), policy_json(p))).collect();
    Ok(HttpResponse::Ok().json(json!({"kinds": kinds})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    kinds: BTreeMap<String, KindPolicyBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindPolicyBody {
    #[serde(default)]
    max_days: Option<i32>,
    #[serde(default)]
    default_days: Option<i32>,
    #[serde(default = "yes")]
    never_allowed: bool,
    #[serde(default)]
    retention_days: i32,
    #[serde(default)]
    rate_limit: Option<RateBody>,
}

fn yes() -> bool {
    true
}

/// `PUT /api/v1/settings/token-policy`: the kinds named get the policy
/// given (absent fields take their defaults); others keep theirs.
pub async fn put_policy(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<PolicyBody>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let now = svc.now();
    let mut policies = Vec::new();
    let mut errors = FieldErrors::new();
    for (name, p) in body.into_inner().kinds {
        let Ok(kind) = name.parse::<TokenKind>() else {
            errors.insert(format!("kinds.{name}"), format!("`{name}` is not a token kind."));
            continue;
        };
        let clamp = |v: Option<i64>| v.map(|v| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
        policies.push(TokenPolicy {
            kind,
            max_days: p.max_days,
            default_days: p.default_days,
            never_allowed: p.never_allowed,
            retention_days: p.retention_days,
            rate_per_second: clamp(p.rate_limit.as_ref().and_then(|r| r.per_second)),
            rate_per_minute: clamp(p.rate_limit.as_ref().and_then(|r| r.per_minute)),
            updated_at: now,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    token_policy::save(&svc, actor, policies).await?;
    get_policy(svc, bearer).await
}

#[derive(Deserialize)]
pub struct LeakItem {
    #[serde(default)]
    token: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    source: String,
    /// GitHub also sends the type it matched; Keyward reads the prefix.
    #[serde(default, rename = "type")]
    _kind: Option<String>,
}

/// `POST /api/v1/tokens/leaked` with a reporter token:
/// `[{token, url, source}]` → `[{token_raw_hash, label, valid}]`.
pub async fn leaked(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<Vec<LeakItem>>,
) -> Result<HttpResponse, ApiError> {
    let found: Vec<Found> =
        body.into_inner().into_iter().map(|i| Found { token: i.token, url: i.url, source: i.source }).collect();
    let verdicts = leaks::report(&svc, &bearer.principal, &bearer.ip, found).await?;
    Ok(HttpResponse::Ok().json(
        verdicts
            .iter()
            .map(|v| {
                json!({
                    "token_raw_hash": v.token_raw_hash,
                    "label": if v.valid { "true_positive" } else { "false_positive" },
                    "valid": v.valid,
                })
            })
            .collect::<Vec<_>>(),
    ))
}
