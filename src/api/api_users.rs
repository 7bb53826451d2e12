//! `/api/v1/api-users`: super admins create API users and issue their
//! tokens (SPEC §5). An API user is a user: `PATCH /api/v1/users/{id}`
//! changes its role or deactivates it.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Bearer;
use crate::error::ApiError;
use crate::services::Services;
use crate::services::api_users::{self, ApiUserInfo, NewApiUser};

fn api_user_json(u: &ApiUserInfo) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "handle": u.handle,
        "role": u.role,
        "active": u.active,
        "owner": u.owner,
        "created_at": crate::clock::rfc3339(u.created_at),
        "live_tokens": u.live_tokens,
        "last_used_at": u.last_used_at.map(crate::clock::rfc3339),
    })
}

pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<NewApiUser>,
) -> Result<HttpResponse, ApiError> {
    let user = api_users::create(&svc, bearer.acting()?, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(api_user_json(&user)))
}

pub async fn list(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let users = api_users::list(&svc, &bearer.acting()?).await?;
    Ok(HttpResponse::Ok().json(json!({"items": users.iter().map(api_user_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[serde(default)]
    description: String,
    expires_in_days: Option<i64>,
}

/// `POST /api/v1/api-users/{id}/tokens`: a personal token of the API user,
/// shown once.
pub async fn issue_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<i64>,
    body: web::Json<NewToken>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = api_users::issue_token(&svc, bearer.acting()?, id.into_inner(), &body.description, body.expires_in_days)
        .await?;
    Ok(HttpResponse::Created().json(json!({
        "id": new.token.id,
        "key": new.token.display_key(),
        "token": secrecy::ExposeSecret::expose_secret(&new.secret),
        "expires_at": new.token.expires_at.map(crate::clock::rfc3339),
    })))
}
