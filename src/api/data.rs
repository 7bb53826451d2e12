//! Data services (seed 004): public stats for the account public token
//! (CORS-enabled, the token may come as `?token=`), bulk export for private
//! tokens (streamed, constant memory), and token introspection (RFC 7662)
//! for resource servers holding a private token.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use serde::Deserialize;
use time::OffsetDateTime;

use super::auth::{Bearer, bearer_token};
use super::body::token_param;
use crate::domain::LeadFormat;
use crate::error::{ApiError, AppError};
use crate::http::client_ip;
use crate::services::Services;
use crate::services::data;

fn cors(res: &mut HttpResponse) {
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
}

/// CORS preflight of the stats route (the only route that allows CORS).
pub async fn stats_preflight() -> HttpResponse {
    let mut res = HttpResponse::NoContent().finish();
    cors(&mut res);
    res
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `GET /api/public/v1/campaigns/{c}/stats`: lead counts by status and by
/// day over the last 30 days. Nothing personal.
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

#[derive(Deserialize)]
pub struct ExportQuery {
    campaign: Option<String>,
    format: Option<String>,
    updated_since: Option<String>,
}

/// `GET /api/v1/export/leads?campaign=&format=csv|ndjson&updated_since=`:
/// every lead of a campaign, fetched and written in batches, so memory
/// stays flat whatever the row count. Logged with the token's assigned user.
pub async fn export(
    svc: web::Data<Services>,
    bearer: Bearer,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    data::may_export(&bearer.principal)?;
    let campaign = query
        .campaign
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::bad_request("`campaign` is required"))?;
    let format: LeadFormat = query
        .format
        .as_deref()
        .unwrap_or("ndjson")
        .parse()
        .map_err(|_| AppError::bad_request("format must be csv or ndjson"))?;
    let updated_since = match query.updated_since.as_deref() {
        Some(s) => Some(
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| AppError::bad_request("updated_since must be an RFC 3339 date-time"))?,
        ),
        None => None,
    };
    let export = data::start_export(&svc, &bearer.principal, &bearer.ip, &campaign, format, updated_since).await?;
    let file_name = export.file_name();
    let svc = svc.into_inner();
    let body = stream::unfold(Some((None::<i64>, export.head())), move |cursor| {
        let (svc, export) = (svc.clone(), export.clone());
        async move {
            let (after, mut out) = cursor?;
            match data::export_batch(&svc, &export, after).await {
                Ok((bytes, next)) => {
                    out.extend(bytes);
                    Some((Ok(web::Bytes::from(out)), next.map(|n| (Some(n), Vec::new()))))
                }
                Err(e) => Some((Err(actix_web::Error::from(ApiError(e))), None)),
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .streaming(body))
}

/// `POST /api/v1/tokens/introspect` (RFC 7662), for a caller holding a
/// private token: `{"active": false}` for anything not currently valid.
pub async fn introspect(
    req: HttpRequest,
    svc: web::Data<Services>,
    bearer: Bearer,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    data::may_introspect(&bearer.principal)?;
    let presented = token_param(&req, &body)?;
    Ok(HttpResponse::Ok().json(data::introspect(&svc, &bearer.principal, &bearer.ip, presented).await?))
}
