//! `/api/v1/tokens`: tokens of every kind by key, for their managers and
//! support: the list (metadata only), one token and its lifecycle
//! (`lifecycle`), revoke, switch off or on, show a retrievable value, and
//! "which token is this?" for a pasted one. Tokens made at a level, for a
//! campaign, for the account or by a reporter have their modules;
//! `revocation` is RFC 7009's revocation by the token alone.

pub mod account;
pub mod api_tokens;
pub mod leaks;
pub mod levels;
pub mod lifecycle;
pub mod policy;
pub mod revocation;
pub mod views;

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::contract::{Resource, Who, doc, on, resource};
use crate::api::view::{List, Secret, no_content, ok};
use crate::domain::{Permission, TokenKind, TokenStatus};
use crate::error::{ApiError, AppError};
use crate::services::credentials::support::{self, Checked};
use crate::services::credentials::token_manage;
use crate::services::{Services, TokenSearch};
use views::{CheckedView, TokenView};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TokenParams {
    /// a token kind (personal, campaign_api, …)
    kind: Option<String>,
    /// a campaign, by slug or id
    campaign: Option<String>,
    /// part of the owner's email
    owner: Option<String>,
    /// active, deactivated, expired or revoked
    status: Option<String>,
    /// the start of a token's key
    key: Option<String>,
    /// the next_cursor of the previous page
    cursor: Option<String>,
    /// 1 to 500 items (default 100)
    limit: Option<i64>,
}

/// `GET /api/v1/tokens?kind=&campaign=&owner=&status=&key=`: metadata
/// only, newest first, `{items, next_cursor}`.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    params: web::Query<TokenParams>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let paging = crate::api::view::Paging { cursor: params.cursor.clone(), limit: params.limit };
    let (limit, before) = (paging.limit()?, paging.cursor()?);
    let kind = match params.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(k.parse().map_err(|_| AppError::bad_request(format!("`{k}` is not a token kind")))?),
        None => None,
    };
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            TokenStatus::parse(s)
                .ok_or_else(|| AppError::bad_request("status is one of active, deactivated, expired, revoked"))?,
        ),
        None => None,
    };
    let campaign_id = match params.campaign.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(support::campaign(&svc, &actor, c).await?.id),
        None => None,
    };
    let search = TokenSearch {
        kind,
        campaign_id,
        status,
        key_prefix: params.key.clone().filter(|k| !k.is_empty()),
        owner: params.owner.clone().filter(|o| !o.is_empty()),
        before,
        limit: limit + 1,
        ..TokenSearch::default()
    };
    let rows = support::search_details(&svc, &actor, search).await?;
    let now = svc.now();
    Ok(ok(&List::from_probe(rows, limit, |r| r.listing.token.id, |r| TokenView::new(&r, now))))
}

/// `{reason}`: why a token is revoked or switched off; its owner is told.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[serde(default)]
    pub reason: String,
}

/// The token by key, as its listing, after an action.
async fn view(svc: &Services, bearer: &Bearer, id: i64) -> Result<TokenView, AppError> {
    let detail = support::find_detail(svc, &bearer.acting()?, id).await?;
    Ok(TokenView::new(&detail, svc.now()))
}

/// `POST /api/v1/tokens/{key}/revoke` `{reason}`: support or a manager
/// revokes any token; its owner is told why.
pub async fn revoke(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
    body: Json<Reason>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let token = support::by_key(&svc, &actor, key.into_inner()).await?;
    let token = support::revoke(&svc, actor, token.id, &body.reason).await?;
    Ok(ok(&view(&svc, &bearer, token.id).await?))
}

/// `DELETE /api/v1/tokens/{key}`: its manager revokes it (204).
pub async fn delete(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    token_manage::revoke(&svc, bearer.acting()?, &key).await?;
    Ok(no_content())
}

/// `POST /api/v1/tokens/{key}/show`: a retrievable token's value (level,
/// campaign API and account public tokens), audited.
pub async fn show(svc: web::Data<Services>, bearer: Bearer, key: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (key, secret) = token_manage::reveal(&svc, bearer.acting()?, &key).await?;
    Ok(ok(&Secret::new(key, &secret)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    active: bool,
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/tokens/{key}/active` `{active, reason}`: support switches
/// any token off (with a reason its owner is told) or back on.
pub async fn set_active(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
    body: Json<Switch>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let token = support::by_key(&svc, &actor, key.into_inner()).await?;
    let t = if body.active {
        support::reactivate(&svc, actor, token.id).await?
    } else {
        support::deactivate(&svc, actor, token.id, &body.reason).await?
    };
    Ok(ok(&view(&svc, &bearer, t.id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    token: String,
}

/// `POST /api/v1/tokens/check` `{token}`: which token a pasted (possibly
/// leaked) value is. The value is not stored.
pub async fn check(svc: web::Data<Services>, bearer: Bearer, body: Json<CheckBody>) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let pasted = SecretString::from(body.into_inner().token);
    let now = svc.now();
    let unknown = CheckedView {
        known: false,
        well_formed: false,
        kind: None,
        key: None,
        owner: None,
        campaign: None,
        source: None,
        status: None,
    };
    let answer = match support::check(&svc, &actor, pasted).await? {
        Checked::Malformed => unknown,
        Checked::Unknown { kind, key } => {
            CheckedView { well_formed: true, kind: Some(kind), key: Some(format!("{}{key}", kind.prefix())), ..unknown }
        }
        Checked::Known(row) => CheckedView {
            known: true,
            well_formed: true,
            kind: Some(row.token.kind),
            key: Some(row.token.display_key()),
            owner: row.owner_email.clone(),
            campaign: row.campaign_slug.clone(),
            source: row.source_slug.clone(),
            status: Some(row.token.status(now).as_str()),
        },
    };
    Ok(ok(&answer))
}

/// The routes of tokens by key, level tokens, campaign API tokens, account
/// tokens, leak reports and the token policy.
pub fn routes() -> Vec<Resource> {
    use views::{IssuedView, RegeneratedView, TokenView, UsageView};
    const TAG: &str = "Tokens";
    const SETTINGS: &str = "Settings";
    const CAMPAIGNS: &str = "Campaigns";
    const SUPPORT: Who = Who::Role(Permission::SupportTokens);
    const ORG: Who = Who::Role(Permission::ManageOrgTokens);
    const MANAGE: Who = Who::Role(Permission::ManageCampaigns);
    let enabled = || json!({"enabled": true});
    vec![
        resource(
            "/v1/tokens",
            [on(
                Method::GET,
                list,
                doc(TAG, "Tokens of every kind, metadata only, newest first", SUPPORT)
                    .query::<TokenParams>()
                    .answers::<List<TokenView>>(200),
            )],
        ),
        resource(
            "/v1/tokens/check",
            [on(
                Method::POST,
                check,
                doc(TAG, "Which token is this pasted (possibly leaked) value? It is not stored", SUPPORT)
                    .body::<CheckBody>(json!({"token": "kw_pat_…"}))
                    .answers::<CheckedView>(200),
            )],
        ),
        resource(
            "/v1/tokens/revoke",
            [on(
                Method::POST,
                revocation::revoke,
                doc(TAG, "RFC 7009: revoke the token sent (200 whether or not it was valid; a shared intake or public token is refused)", Who::Anyone)
                    .form::<crate::api::body::TokenParam>(json!({"token": "kw_pat_…"}))
                    .answers_nothing(200)
                    .refuses::<revocation::OAuthError>(400),
            )],
        ),
        resource(
            "/v1/tokens/leaked",
            [on(
                Method::POST,
                leaks::report,
                doc(TAG, "Report strings found in public (GitHub's secret-scanning shape)", Who::Kinds(&[TokenKind::Reporter]))
                    .body_array::<leaks::LeakItem>(json!([{"token": "kw_pat_…", "url": "https://github.com/o/r/blob/main/.env", "source": "commit"}]))
                    .answers_array::<leaks::VerdictView>(200),
            )],
        ),
        resource(
            "/v1/tokens/{key}",
            [
                on(
                    Method::GET,
                    lifecycle::get,
                    doc(TAG, "One token: metadata, allowlist, rate limit, expiry, grace, leak reports", Who::AnyUser)
                        .answers::<TokenView>(200),
                ),
                on(
                    Method::PATCH,
                    lifecycle::patch,
                    doc(TAG, "Change a token's allowlist, rate limit or expiry", Who::AnyUser)
                        .body::<lifecycle::PatchBody>(json!({"allowed_ips": ["203.0.113.0/24"], "rate_limit": {"per_second": 10, "per_minute": 600}}))
                        .answers::<TokenView>(200),
                ),
                on(Method::DELETE, delete, doc(TAG, "Revoke a token you manage", Who::AnyUser).answers_nothing(204)),
            ],
        ),
        resource(
            "/v1/tokens/{key}/show",
            [on(
                Method::POST,
                show,
                doc(TAG, "The value of a token that can be shown again (level, campaign API, public); audited", Who::AnyUser)
                    .answers::<Secret>(200),
            )],
        ),
        resource(
            "/v1/tokens/{key}/active",
            [on(
                Method::POST,
                set_active,
                doc(TAG, "Switch a token off (with a reason its owner is told) or back on", SUPPORT)
                    .body::<Switch>(json!({"active": false, "reason": "suspicious traffic"}))
                    .answers::<TokenView>(200),
            )],
        ),
        resource(
            "/v1/tokens/{key}/revoke",
            [on(
                Method::POST,
                revoke,
                doc(TAG, "Revoke any token; its owner is told why", SUPPORT)
                    .body::<Reason>(json!({"reason": "found in a public gist"}))
                    .answers::<TokenView>(200),
            )],
        ),
        resource(
            "/v1/tokens/{key}/usage",
            [on(
                Method::GET,
                lifecycle::usage,
                doc(TAG, "Uses and refusals per day, and the last addresses", Who::AnyUser)
                    .query::<lifecycle::UsageQuery>()
                    .answers::<UsageView>(200),
            )],
        ),
        resource(
            "/v1/tokens/{key}/regenerate",
            [on(
                Method::POST,
                lifecycle::regenerate,
                doc(TAG, "Regenerate; the old token keeps working for the grace (none: it stops at once)", Who::AnyUser)
                    .body::<lifecycle::Regenerate>(json!({"grace_seconds": 86400}))
                    .answers::<RegeneratedView>(200),
            )],
        ),
        resource(
            "/v1/settings/token-policy",
            [
                on(Method::GET, policy::get, doc(SETTINGS, "The token policy per kind", ORG).answers::<policy::PolicyView>(200)),
                on(
                    Method::PUT,
                    policy::put,
                    doc(SETTINGS, "Set the policy of the kinds named", ORG)
                        .body::<policy::PolicyBody>(json!({"kinds": {"personal": {"max_days": 90, "default_days": 30, "never_allowed": false, "retention_days": 7, "rate_limit": {"per_minute": 600}}}}))
                        .answers::<policy::PolicyView>(200),
                ),
            ],
        ),
        resource(
            "/v1/settings/leak-action",
            [on(
                Method::PUT,
                leaks::put_action,
                doc(SETTINGS, "What a leak report does: revoke or flag", ORG)
                    .body::<leaks::LeakAction>(json!({"action": "revoke"}))
                    .answers::<leaks::LeakAction>(200),
            )],
        ),
        resource(
            "/v1/settings/reporters",
            [on(
                Method::POST,
                leaks::create_reporter,
                doc(SETTINGS, "Issue a leak reporter token (shown once)", ORG)
                    .body::<leaks::Described>(json!({"description": "GitHub secret scanning"}))
                    .answers::<IssuedView>(201),
            )],
        ),
        resource(
            "/v1/settings/account-tokens/public",
            [
                on(
                    Method::POST,
                    account::generate_public,
                    doc(SETTINGS, "Generate or reset the account public token", ORG).answers::<Secret>(200),
                ),
                on(
                    Method::DELETE,
                    account::delete_public,
                    doc(SETTINGS, "Delete the account public token", ORG).answers_nothing(204),
                ),
            ],
        ),
        resource(
            "/v1/settings/account-tokens/private",
            [on(
                Method::POST,
                account::create_private,
                doc(SETTINGS, "Create an account private token for a user (shown once)", ORG)
                    .body::<account::NewPrivate>(json!({"user": "analyst@example.com", "description": "nightly export"}))
                    .answers::<IssuedView>(201),
            )],
        ),
        resource(
            "/v1/settings/account-tokens/private/{key}/reset",
            [on(
                Method::POST,
                account::reset_private,
                doc(SETTINGS, "Reset a private token (the old value stops at once)", ORG).answers::<Secret>(200),
            )],
        ),
        resource(
            "/v1/settings/account-tokens/private/{key}",
            [on(
                Method::DELETE,
                account::delete_private,
                doc(SETTINGS, "Delete a private token", ORG).answers_nothing(204),
            )],
        ),
        resource(
            "/v1/settings/global-token",
            [on(
                Method::PUT,
                levels::put_global,
                doc(SETTINGS, "Turn Global Token Authentication on or off", ORG)
                    .body::<levels::Enabled>(enabled())
                    .answers::<levels::LevelView>(200),
            )],
        ),
        resource(
            "/v1/settings/global-token/regenerate",
            [on(
                Method::POST,
                levels::regenerate_global,
                doc(SETTINGS, "Regenerate the global token (the old one stops at once)", ORG).answers::<Secret>(200),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/token",
            [on(
                Method::PUT,
                levels::put_campaign,
                doc(CAMPAIGNS, "Turn the campaign's token authentication on or off", MANAGE)
                    .body::<levels::Enabled>(enabled())
                    .answers::<levels::LevelView>(200),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/token/regenerate",
            [on(
                Method::POST,
                levels::regenerate_campaign,
                doc(CAMPAIGNS, "Regenerate the campaign token (the old one stops at once)", MANAGE).answers::<Secret>(200),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/sources/{s}/tokens/{m}",
            [on(
                Method::PUT,
                levels::put_source,
                doc(CAMPAIGNS, "Turn a source's form, ping or post token on or off", MANAGE)
                    .body::<levels::Enabled>(enabled())
                    .answers::<levels::LevelView>(200),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/sources/{s}/tokens/{m}/regenerate",
            [on(
                Method::POST,
                levels::regenerate_source,
                doc(CAMPAIGNS, "Regenerate a source token (the old one stops at once)", MANAGE).answers::<Secret>(200),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/api-tokens",
            [on(
                Method::POST,
                api_tokens::create,
                doc(CAMPAIGNS, "Create a campaign API token (its value is in the answer)", MANAGE)
                    .body::<crate::services::credentials::api_tokens::NewApiToken>(json!({"name": "Partner ABC", "read": true, "write": false}))
                    .answers::<api_tokens::ApiTokenView>(201),
            )],
        ),
        resource(
            "/v1/campaigns/{c}/api-tokens/{id}",
            [on(
                Method::PUT,
                api_tokens::update,
                doc(CAMPAIGNS, "Change a campaign API token's permissions or filter", MANAGE)
                    .body::<crate::services::credentials::api_tokens::ApiTokenAccess>(json!({"read": true, "write": true}))
                    .answers::<api_tokens::ApiTokenView>(200),
            )],
        ),
    ]
}
