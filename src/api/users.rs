//! The management API of users: invite, change, and revoke everything a
//! user holds. The JSON twins of `/users` and the support console's "revoke
//! every token of a user".

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Bearer;
use crate::domain::Role;
use crate::error::{ApiError, AppError};
use crate::services::accounts::UserInfo;
use crate::services::users::{self, UserChanges};
use crate::services::{Services, support};

fn user_json(u: &UserInfo) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "role": u.role,
        "active": u.active,
        "api_token_allowed": u.api_token_allowed,
        "pending": u.pending,
    })
}

fn parse_role(role: &str) -> Result<Role, AppError> {
    role.parse().map_err(|_| AppError::invalid("role", "Choose one of: super_admin, admin, support, member."))
}

#[derive(Deserialize)]
pub struct NewUser {
    #[serde(default)]
    email: String,
    role: Option<String>,
}

pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let role = parse_role(body.role.as_deref().unwrap_or("member"))?;
    let user = users::invite(&svc, actor, &body.email, role).await?;
    Ok(HttpResponse::Created().json(user_json(&user)))
}

#[derive(Deserialize)]
pub struct Changes {
    role: Option<String>,
    active: Option<bool>,
    api_token_allowed: Option<bool>,
}

/// `PATCH /api/v1/users/{id}`: every change in one transaction.
pub async fn update(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<i64>,
    body: web::Json<Changes>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let changes = UserChanges {
        role: body.role.as_deref().map(parse_role).transpose()?,
        active: body.active,
        api_token_allowed: body.api_token_allowed,
    };
    let user = users::update(&svc, actor, id.into_inner(), changes).await?;
    Ok(HttpResponse::Ok().json(user_json(&user)))
}

#[derive(Deserialize)]
pub struct Reason {
    #[serde(default)]
    pub reason: String,
}

pub async fn revoke_tokens(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<i64>,
    body: web::Json<Reason>,
) -> Result<HttpResponse, ApiError> {
    let revoked = support::revoke_all_of_user(&svc, bearer.acting()?, id.into_inner(), &body.reason).await?;
    Ok(HttpResponse::Ok().json(json!({"revoked": revoked.len()})))
}
