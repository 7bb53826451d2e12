//! `/api/v1/users`: people and API users (`api_users`), the token's own
//! user (`me`), and the mail outbox (`outbox`). Invite, change, resend an
//! invitation, and revoke everything a user holds: the JSON twins of
//! `/users` and support's "revoke every token of a user".

pub mod api_users;
pub mod me;
pub mod outbox;
pub mod views;

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::contract::{Resource, Who, doc, on, resource};
use crate::api::tokens::Reason;
use crate::api::view::{List, Paging, accepted, created, ok};
use crate::domain::{Permission, Role, UserId};
use crate::error::{ApiError, AppError};
use crate::services::users::{self, UserChanges};
use crate::services::{Services, credentials::support};
use views::UserView;

fn parse_role(role: &str) -> Result<Role, AppError> {
    role.parse().map_err(|_| AppError::invalid("role", "Choose one of: super_admin, admin, support, member."))
}

/// `GET /api/v1/users`: people and API users.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let list = users::list(&svc, &bearer.acting()?).await?;
    let items = list.iter().map(|u| (u.id, UserView::from(u))).collect();
    Ok(ok(&List::page(items, &paging)?))
}

/// `GET /api/v1/users/{id}`.
pub async fn get(svc: web::Data<Services>, bearer: Bearer, id: web::Path<UserId>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let u = users::list(&svc, &bearer.acting()?)
        .await?
        .into_iter()
        .find(|u| u.id == id.get())
        .ok_or_else(|| AppError::NoSuch(format!("no user has the id {id}")))?;
    Ok(ok(&UserView::from(&u)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    email: String,
    role: Option<String>,
}

/// `POST /api/v1/users` `{email, role}`: invites them (the mail goes out).
pub async fn create(svc: web::Data<Services>, bearer: Bearer, body: Json<NewUser>) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let role = parse_role(body.role.as_deref().unwrap_or("member"))?;
    let user = users::invite(&svc, actor, &body.email, role).await?;
    Ok(created(&UserView::from(&user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    role: Option<String>,
    active: Option<bool>,
    api_token_allowed: Option<bool>,
}

/// `PATCH /api/v1/users/{id}`: every change in one transaction.
pub async fn update(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<UserId>,
    body: Json<Changes>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let changes = UserChanges {
        role: body.role.as_deref().map(parse_role).transpose()?,
        active: body.active,
        api_token_allowed: body.api_token_allowed,
    };
    let user = users::update(&svc, actor, id.into_inner().get(), changes).await?;
    Ok(ok(&UserView::from(&user)))
}

/// `POST /api/v1/users/{id}/invitation`: a new invitation link, mailed.
pub async fn resend_invitation(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    let u = users::resend_invitation(&svc, bearer.acting()?, id.into_inner().get()).await?;
    Ok(accepted(&UserView::from(&u)))
}

/// How many tokens were revoked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevokedView {
    pub revoked: usize,
}

/// `POST /api/v1/users/{id}/tokens/revoke` `{reason}`: every token the
/// user owns or is assigned; one mail.
pub async fn revoke_tokens(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<UserId>,
    body: Json<Reason>,
) -> Result<HttpResponse, ApiError> {
    let revoked = support::revoke_all_of_user(&svc, bearer.acting()?, id.into_inner().get(), &body.reason).await?;
    Ok(ok(&RevokedView { revoked: revoked.len() }))
}

/// The routes of users, the token's own user and the outbox.
pub fn routes() -> Vec<Resource> {
    use crate::api::tokens::leaks::Described;
    use crate::api::tokens::views::IssuedView;
    const TAG: &str = "Users";
    const USERS: Who = Who::Role(Permission::ManageUsers);
    vec![
        resource(
            "/v1/me",
            [
                on(
                    Method::GET,
                    me::show,
                    doc(TAG, "Who the token acts as, and the token itself", Who::AnyUser).answers::<me::MeView>(200),
                ),
                on(
                    Method::PATCH,
                    me::patch,
                    doc(TAG, "Change your display name", Who::AnyUser)
                        .body::<me::MePatch>(json!({"name": "Ada"}))
                        .answers_nothing(204),
                ),
            ],
        ),
        resource(
            "/v1/me/tokens",
            [on(
                Method::POST,
                me::create_token,
                doc(TAG, "Create a personal token for yourself (shown once)", Who::AnyUser)
                    .body::<Described>(json!({"description": "CI deploys", "expires_in_days": 90}))
                    .answers::<IssuedView>(201),
            )],
        ),
        resource(
            "/v1/users",
            [
                on(
                    Method::GET,
                    list,
                    doc(TAG, "Users, people and API users", USERS).query::<Paging>().answers::<List<UserView>>(200),
                ),
                on(
                    Method::POST,
                    create,
                    doc(TAG, "Invite a user (the invitation is mailed)", USERS)
                        .body::<NewUser>(json!({"email": "sam@example.com", "role": "member"}))
                        .answers::<UserView>(201),
                ),
            ],
        ),
        resource(
            "/v1/users/{id}",
            [
                on(Method::GET, get, doc(TAG, "One user", USERS).answers::<UserView>(200)),
                on(
                    Method::PATCH,
                    update,
                    doc(TAG, "Change a user's role, switch them off or on, or their API token option", USERS)
                        .body::<Changes>(json!({"role": "support", "active": true, "api_token_allowed": true}))
                        .answers::<UserView>(200),
                ),
            ],
        ),
        resource(
            "/v1/users/{id}/invitation",
            [on(
                Method::POST,
                resend_invitation,
                doc(TAG, "Send a user a new invitation link", USERS).answers::<UserView>(202),
            )],
        ),
        resource(
            "/v1/users/{id}/tokens/revoke",
            [on(
                Method::POST,
                revoke_tokens,
                doc(
                    TAG,
                    "Revoke every token a user owns or is assigned (one email)",
                    Who::Role(Permission::SupportTokens),
                )
                .body::<Reason>(json!({"reason": "left the company"}))
                .answers::<RevokedView>(200),
            )],
        ),
        resource(
            "/v1/api-users",
            [
                on(Method::GET, api_users::list, doc(TAG, "API users", USERS).answers::<List<views::ApiUserView>>(200)),
                on(
                    Method::POST,
                    api_users::create,
                    doc(TAG, "Create an API user", USERS)
                        .body::<crate::services::users::api_users::NewApiUser>(
                            json!({"name": "CRM sync", "role": "admin"}),
                        )
                        .answers::<views::ApiUserView>(201),
                ),
            ],
        ),
        resource(
            "/v1/api-users/{id}/tokens",
            [on(
                Method::POST,
                api_users::issue_token,
                doc(TAG, "Issue a personal token to an API user (shown once)", USERS)
                    .body::<Described>(json!({"description": "nightly sync"}))
                    .answers::<IssuedView>(201),
            )],
        ),
        resource(
            "/v1/outbox",
            [on(
                Method::GET,
                outbox::show,
                doc("Settings", "The mail queue: what was sent, what waits and why", USERS)
                    .answers::<outbox::OutboxView>(200),
            )],
        ),
    ]
}
