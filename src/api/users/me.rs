//! `/api/v1/me`: the user behind a personal or profile token, their
//! display name, and personal tokens of their own.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::tokens::leaks::Described;
use crate::api::tokens::views::IssuedView;
use crate::api::view::{At, at, created, no_content, ok};
use crate::domain::{Role, TokenKind, UserId};
use crate::error::ApiError;
use crate::services::Services;
use crate::services::accounts;
use crate::services::credentials::personal_tokens;

/// The token a request to `/api/v1/me` came with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeTokenView {
    pub kind: TokenKind,
    pub key: String,
    pub prefix: &'static str,
    pub expires_at: Option<At>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeView {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub api_user: bool,
    pub token: MeTokenView,
}

/// `GET /api/v1/me`.
pub async fn show(bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    let p = &bearer.principal;
    Ok(ok(&MeView {
        id: UserId(user.id),
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role,
        api_user: user.email.starts_with(crate::domain::API_USER_HANDLE_PREFIX),
        token: MeTokenView { kind: p.kind, key: p.key.clone(), prefix: p.kind.prefix(), expires_at: at(p.expires_at) },
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    name: String,
}

/// `PATCH /api/v1/me` `{name}`: the token's user's display name.
pub async fn patch(svc: web::Data<Services>, bearer: Bearer, body: Json<MePatch>) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    accounts::update_profile(&svc, actor, body.into_inner().name).await?;
    Ok(no_content())
}

/// `POST /api/v1/me/tokens` `{description, expires_in_days?}`: a personal
/// token for the token's own user, shown once.
pub async fn create_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<Described>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let owner = actor.own_user_id()?;
    let body = body.into_inner();
    let new = personal_tokens::create(&svc, actor, owner, &body.description, body.expires_in_days).await?;
    Ok(created(&IssuedView::new(&new)))
}
