//! The public data services, for the account public token, which
//! may come as `?token=` (it is public by design): lead counts and the list
//! of public fields, in JSON or XML (`Accept: application/xml` or
//! `?format=xml`), open to any origin (CORS) and cacheable (`ETag`,
//! `Cache-Control`).

pub mod stats;

use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::api::auth::bearer_token;
use crate::api::contract::{Resource, Who, doc, on, resource};
use crate::domain::TokenKind;
use crate::error::{ApiError, AppError};
use crate::http::client_ip;
use crate::services::Services;
use crate::services::campaigns::public_data;
use crate::tokens::Principal;

/// How long a browser or a CDN may keep an answer.
const MAX_AGE: &str = "public, max-age=10";

/// CORS for the public routes: any origin may read them.
pub fn cors(res: &mut HttpResponse) {
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization, If-None-Match"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("ETag"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
}

/// The CORS preflight of a public route.
pub async fn preflight() -> HttpResponse {
    let mut res = HttpResponse::NoContent().finish();
    cors(&mut res);
    res
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PublicQuery {
    /// the account public token, if not sent as Bearer
    token: Option<String>,
    /// json (default) or xml
    format: Option<String>,
    /// the next_cursor of the previous page
    cursor: Option<String>,
    /// 1 to 100 (default 50)
    limit: Option<i64>,
}

/// The public token, from `?token=` or `Authorization`.
async fn principal(req: &HttpRequest, svc: &Services, query: &PublicQuery) -> Result<Principal, AppError> {
    let token = match query.token.clone().filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => bearer_token(req)?,
    };
    svc.tokens.verify(&token, &client_ip(req)).await
}

/// Whether the client wants XML: `?format=xml`, or an `Accept` that names
/// XML before (or without) JSON.
fn wants_xml(req: &HttpRequest, query: &PublicQuery) -> Result<bool, AppError> {
    match query.format.as_deref() {
        Some("xml") => return Ok(true),
        Some("json") => return Ok(false),
        Some(other) => return Err(AppError::bad_request(format!("`{other}` is not a format: use json or xml"))),
        None => {}
    }
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let xml = accept.find("application/xml").or_else(|| accept.find("text/xml"));
    let json = accept.find("application/json");
    Ok(matches!((xml, json), (Some(x), Some(j)) if x < j) || (xml.is_some() && json.is_none()))
}

/// A cacheable answer: 304 when the client has it already.
fn answer(req: &HttpRequest, body: String, content_type: &'static str) -> HttpResponse {
    let digest = Sha256::digest(body.as_bytes());
    let etag = format!("\"{}\"", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>());
    let current = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if current { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, MAX_AGE))
        .insert_header((header::VARY, "Accept, Authorization"));
    if current { res.finish() } else { res.content_type(content_type).body(body) }
}

fn respond<T: serde::Serialize>(req: &HttpRequest, result: Result<(T, Option<String>), AppError>) -> HttpResponse {
    let mut res = match result.and_then(|(view, xml)| match xml {
        Some(xml) => Ok((xml, "application/xml; charset=utf-8")),
        None => Ok((serde_json::to_string(&view).map_err(AppError::internal)?, "application/json")),
    }) {
        Ok((body, content_type)) => answer(req, body, content_type),
        Err(e) => actix_web::ResponseError::error_response(&ApiError(e)),
    };
    cors(&mut res);
    res
}

/// `GET /api/public/v1/campaigns/{c}/counts`: `{total, by_status,
/// by_source}`. Nothing personal.
pub async fn counts(
    req: HttpRequest,
    svc: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<PublicQuery>,
) -> HttpResponse {
    let result = async {
        let xml = wants_xml(&req, &query)?;
        let p = principal(&req, &svc, &query).await?;
        let counts = public_data::counts(&svc, &p, &path).await?;
        let xml = xml.then(|| public_data::counts_xml(&counts));
        Ok(((*counts).clone(), xml))
    }
    .await;
    respond(&req, result)
}

/// `GET /api/public/v1/campaigns/{c}/leads`: the fields a super admin
/// marked public, a page at a time (`?cursor=`, `?limit=` up to 100).
pub async fn records(
    req: HttpRequest,
    svc: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<PublicQuery>,
) -> HttpResponse {
    let result = async {
        let xml = wants_xml(&req, &query)?;
        let after = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(c.parse::<i64>().map_err(|_| AppError::bad_request("cursor is not one this API gave"))?),
            None => None,
        };
        let p = principal(&req, &svc, &query).await?;
        let page = public_data::records(&svc, &p, &path, after, query.limit.unwrap_or(50)).await?;
        let xml = xml.then(|| public_data::records_xml(&page));
        Ok((page, xml))
    }
    .await;
    respond(&req, result)
}

/// The routes of the public token's data, each with its CORS preflight.
pub fn routes() -> Vec<Resource> {
    use crate::services::campaigns::public_data::{PublicCounts, PublicRecords};
    use crate::services::leads::data::CampaignStats;
    const TAG: &str = "Public data";
    const WHO: Who = Who::Kinds(&[TokenKind::AccountPublic]);
    let preflight = || on(Method::OPTIONS, preflight, doc(TAG, "CORS preflight", Who::Anyone).hidden());
    vec![
        resource(
            "/public/v1/campaigns/{c}/stats",
            [
                on(
                    Method::GET,
                    stats::stats,
                    doc(
                        TAG,
                        "Lead counts by status and by day over the last 30 days (token as Bearer or ?token=)",
                        WHO,
                    )
                    .query::<stats::TokenQuery>()
                    .answers::<CampaignStats>(200),
                ),
                preflight(),
            ],
        ),
        resource(
            "/public/v1/campaigns/{c}/counts",
            [
                on(
                    Method::GET,
                    counts,
                    doc(TAG, "Lead counts by status and by source (JSON, or XML with ?format=xml)", WHO)
                        .query::<PublicQuery>()
                        .answers::<PublicCounts>(200),
                ),
                preflight(),
            ],
        ),
        resource(
            "/public/v1/campaigns/{c}/leads",
            [
                on(
                    Method::GET,
                    records,
                    doc(TAG, "The leads' public fields, a page at a time (JSON, or XML with ?format=xml)", WHO)
                        .query::<PublicQuery>()
                        .answers::<PublicRecords>(200),
                ),
                preflight(),
            ],
        ),
    ]
}
