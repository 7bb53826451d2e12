//! One token's lifecycle: its metadata, limits and expiry
//! (`GET`/`PATCH /api/v1/tokens/{key}`), its usage per day, and Regenerate
//! with a grace period for every regenerable kind.

use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Deserializer};
use time::{Duration, OffsetDateTime};

use super::views::{RegeneratedView, TokenView, UsageDay, UsageIp, UsageView};
use crate::api::auth::Bearer;
use crate::api::body::{Json, OptionalJson};
use crate::api::view::{At, at, ok};
use crate::error::{ApiError, AppError};
use crate::services::credentials::token_manage::{self, Changes};
use crate::services::{Services, delivery::destinations};

/// `GET /api/v1/tokens/{key}`: managers and support.
pub async fn get(svc: web::Data<Services>, bearer: Bearer, key: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let d = token_manage::detail(&svc, &bearer.acting()?, &key).await?;
    Ok(ok(&TokenView::new(&d, svc.now())))
}

/// A JSON field that may be absent (`None`), `null` (`Some(None)`), or a
/// value.
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `{per_second?, per_minute?}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    #[serde(default)]
    pub per_second: Option<i64>,
    #[serde(default)]
    pub per_minute: Option<i64>,
}

#[derive(Deserialize, utoipa::ToSchema)]
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
    body: Json<PatchBody>,
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
    Ok(ok(&TokenView::new(&d, svc.now())))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// 1 to 90 (default 90)
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
    Ok(ok(&UsageView {
        refused: u.refused_by_reason(),
        days: u
            .days
            .into_iter()
            .map(|d| UsageDay { date: d.date.to_string(), uses: d.uses, refused: d.refused })
            .collect(),
        ips: u.ips.into_iter().map(|(ip, at)| UsageIp { ip, last_seen: At(at) }).collect(),
    }))
}

/// `{grace_seconds}`: how long the old token keeps working (0 to 604800).
/// A misspelt field is refused: taking it for "no grace" would stop the
/// old token at once on every instance.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Regenerate {
    grace_seconds: i64,
}

/// `POST /api/v1/tokens/{key}/regenerate` `{grace_seconds}` (an empty
/// body: no grace): a new token; the old one works until
/// `old_valid_until` (`null`: it stopped now). For a destination this rolls
/// its signing secret.
pub async fn regenerate(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
    body: OptionalJson<Regenerate>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let grace = Duration::seconds(body.0.map_or(0, |b| b.grace_seconds));
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
    Ok(ok(&RegeneratedView {
        key: new.token.display_key(),
        token: new.secret.expose_secret().to_owned(),
        old_key,
        old_valid_until: at(until),
    }))
}
