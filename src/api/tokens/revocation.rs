//! `POST /api/v1/tokens/revoke` (RFC 7009): whoever holds a token may
//! revoke it.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::api::body::token_param;
use serde::Serialize;

use crate::error::{ApiError, AppError};
use crate::http::client_ip;
use crate::services::{self, Services};

/// 200 whether or not the token was valid, as RFC 7009 says, so the answer
/// tells nothing about the token.
/// A shared token refused answers RFC 7009's own shape (an OAuth error).
pub async fn revoke(req: HttpRequest, svc: web::Data<Services>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let token = token_param(&req, &body)?;
    match services::revoke_by_holder(&svc, token, client_ip(&req)).await {
        Ok(()) => Ok(HttpResponse::Ok().finish()),
        Err(AppError::UnsupportedTokenType(why)) => Ok(HttpResponse::BadRequest()
            .json(OAuthError { error: AppError::UnsupportedTokenType(String::new()).code(), error_description: why })),
        Err(e) => Err(e.into()),
    }
}

/// RFC 6749's error answer, which RFC 7009 uses.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OAuthError {
    /// `unsupported_token_type`.
    pub error: &'static str,
    pub error_description: String,
}
