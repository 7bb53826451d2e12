//! `/api/v1/users`: people and API users (`api_users`), the token's own
//! user (`me`), and the mail outbox (`outbox`). Invite, change, resend an
//! invitation, and revoke everything a user holds: the JSON twins of
//! `/users` and support's "revoke every token of a user".

pub mod api_users;
pub mod me;
pub mod outbox;
pub mod views;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::tokens::Reason;
use crate::api::view::{List, Paging, accepted, created, ok};
use crate::domain::{Role, UserId};
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

#[derive(Deserialize)]
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

#[derive(Deserialize)]
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
#[derive(Debug, Serialize)]
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
