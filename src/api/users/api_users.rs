//! `/api/v1/api-users`: super admins create API users and issue their
//! tokens. An API user is a user: `PATCH /api/v1/users/{id}`
//! changes its role or deactivates it.

use actix_web::{HttpResponse, web};

use super::views::ApiUserView;
use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::tokens::leaks::Described;
use crate::api::tokens::views::IssuedView;
use crate::api::view::{List, created, ok};
use crate::domain::UserId;
use crate::error::ApiError;
use crate::services::Services;
use crate::services::users::api_users::{self, NewApiUser};

/// `POST /api/v1/api-users` `{name, role}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    body: Json<NewApiUser>,
) -> Result<HttpResponse, ApiError> {
    let user = api_users::create(&svc, bearer.acting()?, body.into_inner()).await?;
    Ok(created(&ApiUserView::from(&user)))
}

/// `GET /api/v1/api-users`.
pub async fn list(svc: web::Data<Services>, bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let users = api_users::list(&svc, &bearer.acting()?).await?;
    Ok(ok(&List::whole(users.iter().map(ApiUserView::from).collect())))
}

/// `POST /api/v1/api-users/{id}/tokens` `{description, expires_in_days?}`:
/// a personal token of the API user, shown once.
pub async fn issue_token(
    svc: web::Data<Services>,
    bearer: Bearer,
    id: web::Path<UserId>,
    body: Json<Described>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new =
        api_users::issue_token(&svc, bearer.acting()?, id.into_inner().get(), &body.description, body.expires_in_days)
            .await?;
    Ok(created(&IssuedView::new(&new)))
}
