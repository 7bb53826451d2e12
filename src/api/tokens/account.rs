//! The management API of account tokens (super admins): the
//! public token (generate or reset, delete) and private tokens (create,
//! reset, delete). The JSON twins of Account Settings › Tokens.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::views::IssuedView;
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{Secret, created, no_content, ok};
use crate::error::ApiError;
use crate::services::{Services, credentials::account_tokens};

pub async fn generate_public(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let new = account_tokens::generate_public(&svc, bearer.acting()?).await?;
    Ok(ok(&Secret::new(new.token.display_key(), &new.secret)))
}

pub async fn delete_public(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    account_tokens::delete_public(&svc, bearer.acting()?).await?;
    Ok(no_content())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrivate {
    #[serde(default)]
    user: String,
    #[serde(default)]
    description: String,
}

pub async fn create_private(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<NewPrivate>,
) -> Result<HttpResponse, ApiError> {
    let new = account_tokens::create_private(&svc, bearer.acting()?, &body.user, &body.description).await?;
    Ok(created(&IssuedView::new(&new)))
}

pub async fn reset_private(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (new, _) =
        account_tokens::reset_private(&svc, bearer.acting()?, key.into_inner(), time::Duration::ZERO).await?;
    Ok(ok(&Secret::new(new.token.display_key(), &new.secret)))
}

pub async fn delete_private(
    svc: web::Data<Services>,
    bearer: Bearer,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    account_tokens::delete_private(&svc, bearer.acting()?, key.into_inner()).await?;
    Ok(no_content())
}
