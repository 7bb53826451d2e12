//! `/api/v1/settings/token-policy`: the organisation's token policy per
//! kind (longest and default lifetime, whether "never expires" is allowed,
//! how long expired tokens are kept, a default rate limit). Super admins.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::lifecycle::RateBody;
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::ok;
use crate::domain::{Permission, TokenKind};
use crate::error::{ApiError, AppError, FieldErrors};
use crate::services::Services;
use crate::services::credentials::token_policy::{self, TokenPolicy};

/// A default rate limit of a kind (`null`: none).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyRateView {
    pub per_second: Option<i32>,
    pub per_minute: Option<i32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KindPolicyView {
    pub max_days: Option<i32>,
    pub default_days: Option<i32>,
    pub never_allowed: bool,
    pub retention_days: i32,
    pub rate_limit: PolicyRateView,
}

/// `{kinds: {kind: {...}}}`, every kind.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    pub kinds: BTreeMap<&'static str, KindPolicyView>,
}

impl From<&TokenPolicy> for KindPolicyView {
    fn from(p: &TokenPolicy) -> Self {
        Self {
            max_days: p.max_days,
            default_days: p.default_days,
            never_allowed: p.never_allowed,
            retention_days: p.retention_days,
            rate_limit: PolicyRateView { per_second: p.rate_per_second, per_minute: p.rate_per_minute },
        }
    }
}

async fn current(svc: &Services) -> Result<PolicyView, AppError> {
    let all = token_policy::all(svc).await?;
    Ok(PolicyView { kinds: all.iter().map(|p| (p.kind.as_str(), KindPolicyView::from(p))).collect() })
}

/// `GET /api/v1/settings/token-policy`.
pub async fn get(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    bearer.acting()?.require(Permission::ManageOrgTokens)?;
    Ok(ok(&current(&svc).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    kinds: BTreeMap<String, KindPolicyBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
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
pub async fn put(svc: web::Data<Services>, bearer: Bearer, body: Json<PolicyBody>) -> Result<HttpResponse, ApiError> {
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
    Ok(ok(&current(&svc).await?))
}
