//! `POST /api/v1/tokens/revoke` (RFC 7009): whoever holds a token may
//! revoke it.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::api::body::token_param;
use crate::error::ApiError;
use crate::http::client_ip;
use crate::services::{self, Services};

/// 200 whether or not the token was valid, as RFC 7009 says, so the answer
/// tells nothing about the token.
pub async fn revoke(req: HttpRequest, svc: web::Data<Services>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let token = token_param(&req, &body)?;
    services::revoke_by_holder(&svc, token, client_ip(&req)).await?;
    Ok(HttpResponse::Ok().finish())
}
