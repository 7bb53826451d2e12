//! `GET /api/public/v1/campaigns/{c}/stats`: lead counts by status and by
//! day over the last 30 days, for the account public token. Nothing
//! personal.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::cors;
use crate::api::auth::bearer_token;
use crate::error::ApiError;
use crate::http::client_ip;
use crate::services::Services;
use crate::services::leads::data;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    /// the account public token, if not sent as Bearer
    token: Option<String>,
}

pub async fn stats(
    req: HttpRequest,
    svc: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<TokenQuery>,
) -> HttpResponse {
    let result = async {
        // The public token is public by design: it may come in the URL.
        let token = match query.into_inner().token.filter(|t| !t.is_empty()) {
            Some(t) => t,
            None => bearer_token(&req)?,
        };
        let principal = svc.tokens.verify(&token, &client_ip(&req)).await?;
        data::stats(&svc, &principal, &path).await
    }
    .await;
    let mut res = match result {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(e) => actix_web::ResponseError::error_response(&ApiError(e)),
    };
    cors(&mut res);
    res
}
