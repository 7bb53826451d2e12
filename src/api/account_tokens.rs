//! The management API of account tokens (seed 004, super admins): the
//! public token (generate or reset, delete) and private tokens (create,
//! reset, delete). The JSON twins of Account Settings › Tokens.

use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use serde_json::json;

use super::auth::Bearer;
use crate::error::ApiError;
use crate::services::{Services, account_tokens};

pub async fn generate_public(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let new = account_tokens::generate_public(&svc, bearer.acting()?).await?;
    Ok(HttpResponse::Ok().json(json!({"token": new.secret.expose_secret(), "key": new.token.display_key()})))
}

pub async fn delete_public(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    account_tokens::delete_public(&svc, bearer.acting()?).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct NewPrivate {
    #[serde(default)]
    user: String,
    #[serde(default)]
    description: String,
}

pub async fn create_private(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Json<NewPrivate>,
) -> Result<HttpResponse, ApiError> {
    let new = account_tokens::create_private(&svc, bearer.acting()?, &body.user, &body.description).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": new.token.id,
        "key": new.token.display_key(),
        "token": new.secret.expose_secret(),
    })))
}

pub async fn reset_private(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (new, _) =
        account_tokens::reset_private(&svc, bearer.acting()?, key.into_inner(), time::Duration::ZERO).await?;
    Ok(HttpResponse::Ok().json(json!({"token": new.secret.expose_secret(), "key": new.token.display_key()})))
}

pub async fn delete_private(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    account_tokens::delete_private(&svc, bearer.acting()?, key.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
