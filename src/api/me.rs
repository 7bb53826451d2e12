//! `GET /api/v1/me`: the user behind a personal or profile token.

use actix_web::HttpResponse;
use serde_json::json;

use super::auth::Bearer;
use crate::error::ApiError;

pub async fn show(bearer: Bearer) -> Result<HttpResponse, ApiError> {
    let user = bearer.user()?;
    let p = &bearer.principal;
    Ok(HttpResponse::Ok().json(json!({
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "api_user": user.email.starts_with(crate::domain::API_USER_HANDLE_PREFIX),
        "token": {
            "kind": p.kind,
            "key": p.key,
            "prefix": p.kind.prefix(),
            "expires_at": p.expires_at.map(crate::clock::rfc3339),
        }
    })))
}
