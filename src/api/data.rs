//! Data services (seed 004): public stats for the account public token
//! (CORS-enabled, the token may come as `?token=`), bulk export for private
//! tokens (streamed, constant memory), and token introspection (RFC 7662)
//! for resource servers holding a private token.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::auth::{Bearer, bearer_token};
use crate::error::{ApiError, AppError};
use crate::models::Lead;
use crate::models::lead::LeadQuery;
use crate::services::account_tokens;
use crate::services::catalog::CampaignSnapshot;
use crate::services::leads::lead_json;
use crate::state::AppState;
use crate::tokens::{Principal, TokenKind};
use crate::web::session::client_ip;

const EXPORT_BATCH: i64 = 1000;

fn require(principal: &Principal, kind: TokenKind, what: &str) -> Result<(), AppError> {
    if principal.kind == kind {
        Ok(())
    } else {
        Err(AppError::InsufficientScope(format!(
            "{what} takes an account {} token; a {} token was presented",
            if kind == TokenKind::AccountPublic { "public" } else { "private" },
            principal.kind.label().to_lowercase()
        )))
    }
}

async fn snapshot(state: &AppState, reference: String) -> Result<std::sync::Arc<CampaignSnapshot>, AppError> {
    state.caches.catalog.snapshot(state, &reference).await
}

// ----------------------------------------------------------------- stats

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
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<TokenQuery>,
) -> HttpResponse {
    let result = stats_inner(&req, &state, path.into_inner(), query.into_inner().token).await;
    let mut res = match result {
        Ok(res) => res,
        Err(e) => actix_web::ResponseError::error_response(&ApiError(e)),
    };
    cors(&mut res);
    res
}

async fn stats_inner(
    req: &HttpRequest,
    state: &AppState,
    reference: String,
    query_token: Option<String>,
) -> Result<HttpResponse, AppError> {
    // The public token is public by design: it may come in the URL.
    let token = match query_token.filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => bearer_token(req)?,
    };
    let principal = state.tokens.verify(&token, &client_ip(req)).await?;
    require(&principal, TokenKind::AccountPublic, "the public data services")?;
    let snap = snapshot(state, reference).await?;
    let now = state.now();
    let since = (now - Duration::days(29)).date();
    let campaign_id = snap.campaign.id;
    let (by_status, by_day) = state
        .db(move |conn| {
            use diesel::prelude::*;
            use diesel::sql_types::{BigInt, Date, Text};
            #[derive(QueryableByName)]
            struct StatusCount {
                #[diesel(sql_type = Text)]
                status: String,
                #[diesel(sql_type = BigInt)]
                n: i64,
            }
            #[derive(QueryableByName)]
            struct DayCount {
                #[diesel(sql_type = Date)]
                day: time::Date,
                #[diesel(sql_type = BigInt)]
                n: i64,
            }
            let by_status: Vec<StatusCount> = diesel::sql_query(
                "SELECT status, count(*) AS n FROM leads WHERE campaign_id = $1 GROUP BY status ORDER BY status",
            )
            .bind::<BigInt, _>(campaign_id)
            .load(conn)?;
            let by_day: Vec<DayCount> = diesel::sql_query(
                "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM leads \
                 WHERE campaign_id = $1 AND created_at >= $2::date GROUP BY 1 ORDER BY 1",
            )
            .bind::<BigInt, _>(campaign_id)
            .bind::<Date, _>(since)
            .load(conn)?;
            Ok((
                by_status.into_iter().map(|s| (s.status, s.n)).collect::<Vec<_>>(),
                by_day.into_iter().map(|d| (d.day, d.n)).collect::<Vec<_>>(),
            ))
        })
        .await?;
    let days: Vec<Value> = (0..30)
        .map(|i| {
            let day = since + Duration::days(i);
            let n = by_day.iter().find(|(d, _)| *d == day).map_or(0, |(_, n)| *n);
            json!({"date": day.to_string(), "count": n})
        })
        .collect();
    let total: i64 = by_status.iter().map(|(_, n)| n).sum();
    let by_status: serde_json::Map<String, Value> =
        by_status.into_iter().map(|(status, n)| (status, json!(n))).collect();
    Ok(HttpResponse::Ok().json(json!({
        "campaign": snap.campaign.slug,
        "total": total,
        "by_status": by_status,
        "by_day": days,
    })))
}

// ---------------------------------------------------------------- export

#[derive(Deserialize)]
pub struct ExportQuery {
    campaign: Option<String>,
    format: Option<String>,
    updated_since: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Ndjson,
}

/// One CSV record of a lead: fixed columns, then one per field and select.
fn csv_record(lead: &Lead, snap: &CampaignSnapshot) -> Vec<u8> {
    let source = lead.source_id.and_then(|id| snap.source(id)).map(|s| s.slug.clone()).unwrap_or_default();
    let mut cells = vec![
        lead.id.to_string(),
        crate::clock::rfc3339(lead.created_at),
        crate::clock::rfc3339(lead.updated_at),
        lead.status.clone(),
        source,
    ];
    for f in &snap.fields {
        cells.push(match lead.fields.get(&f.slug) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        });
    }
    for s in &snap.selects {
        cells.push(lead.selects.get(&s.select.slug).and_then(Value::as_str).unwrap_or_default().to_owned());
    }
    crate::csv_util::record(cells.iter().map(String::as_str))
}

/// `GET /api/v1/export/leads?campaign=&format=csv|ndjson&updated_since=`:
/// every lead of a campaign, fetched and written in batches, so memory
/// stays flat whatever the row count. Logged with the token's assigned user.
pub async fn export(
    state: web::Data<AppState>,
    bearer: Bearer,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    require(&bearer.principal, TokenKind::AccountPrivate, "the bulk export")?;
    let reference = query
        .campaign
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::bad_request("`campaign` is required"))?;
    let format = match query.format.as_deref().unwrap_or("ndjson") {
        "csv" => Format::Csv,
        "ndjson" => Format::Ndjson,
        other => return Err(AppError::bad_request(format!("`{other}` is not a format: use csv or ndjson")).into()),
    };
    let updated_since = match query.updated_since.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| AppError::bad_request("updated_since must be an RFC 3339 date-time"))?,
        ),
        None => None,
    };
    let snap = snapshot(&state, reference).await?;
    account_tokens::log_private_use(
        &state,
        &bearer.principal,
        &bearer.ip,
        "export",
        json!({"campaign": snap.campaign.slug, "format": if format == Format::Csv { "csv" } else { "ndjson" }}),
    )
    .await?;

    let mut header_row = Vec::new();
    if format == Format::Csv {
        let mut cells: Vec<String> =
            ["id", "created_at", "updated_at", "status", "source"].iter().map(|s| (*s).to_owned()).collect();
        cells.extend(snap.fields.iter().map(|f| format!("fields.{}", f.slug)));
        cells.extend(snap.selects.iter().map(|s| format!("select_field_values.{}", s.select.slug)));
        header_row = crate::csv_util::record(cells.iter().map(String::as_str));
    }
    let slug = snap.campaign.slug.clone();

    let state = state.into_inner();
    let body = stream::unfold(Some((None::<i64>, header_row)), move |cursor| {
        let (state, snap) = (state.clone(), snap.clone());
        async move {
            let (after, mut out) = cursor?;
            let query = LeadQuery {
                campaign_id: snap.campaign.id,
                updated_since,
                after,
                limit: EXPORT_BATCH,
                ..LeadQuery::default()
            };
            let batch = match state.db(move |conn| Ok(Lead::page(conn, &query)?)).await {
                Ok(b) => b,
                Err(e) => return Some((Err(actix_web::Error::from(ApiError(e))), None)),
            };
            for lead in &batch {
                match format {
                    Format::Csv => out.extend(csv_record(lead, &snap)),
                    Format::Ndjson => {
                        out.extend(lead_json(lead, &snap).to_string().into_bytes());
                        out.push(b'\n');
                    }
                }
            }
            let next = (batch.len() as i64 == EXPORT_BATCH).then(|| (batch.last().map(|l| l.id), Vec::new()));
            Some((Ok(web::Bytes::from(out)), next))
        }
    });
    let (content_type, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"leads-{slug}.{ext}\"")))
        .streaming(body))
}

// ---------------------------------------------------------- introspection

/// What a token may do, as an RFC 7662 `scope`.
fn scope(p: &Principal) -> String {
    match p.kind {
        TokenKind::Personal | TokenKind::Profile => {
            format!("user role:{}", p.user.as_ref().map_or("", |u| u.role.as_str()))
        }
        TokenKind::CampaignApi => {
            let mut s = Vec::new();
            if p.can_read {
                s.push("leads:read");
            }
            if p.can_write {
                s.push("leads:write");
            }
            s.join(" ")
        }
        TokenKind::Global | TokenKind::Campaign => "intake".to_owned(),
        TokenKind::SourceForm => "intake:form".to_owned(),
        TokenKind::SourcePing => "intake:ping".to_owned(),
        TokenKind::SourcePost => "intake:post".to_owned(),
        TokenKind::AccountPublic => "public:read".to_owned(),
        TokenKind::AccountPrivate => "export introspect".to_owned(),
    }
}

/// `POST /api/v1/tokens/introspect` (RFC 7662), for a caller holding a
/// private token: `{"active": false}` for anything not currently valid.
pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: Bearer,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    require(&bearer.principal, TokenKind::AccountPrivate, "introspection")?;
    let presented = super::tokens::token_param(&req, &body)?;
    let found = match state.tokens.inspect(&presented).await {
        Ok(p) => Some(p),
        Err(AppError::Token(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let (answer, introspected) = match found {
        None => (json!({"active": false}), Value::Null),
        Some(p) => {
            let mut answer = json!({
                "active": true,
                "token_type": p.kind,
                "scope": scope(&p),
                "iat": p.issued_at.unix_timestamp(),

                "key": p.display_key(),
            });
            if let Some(exp) = p.expires_at {
                answer["exp"] = json!(exp.unix_timestamp());
            }
            if let Some(u) = &p.user {
                answer["sub"] = json!(u.email);
                answer["username"] = json!(u.email);
            }
            if let Some(c) = p.campaign_id {
                answer["campaign_id"] = json!(c);
            }
            if let Some(s) = p.source_id {
                answer["source_id"] = json!(s);
            }
            if let Some(f) = p.filter_id {
                answer["filter_id"] = json!(f);
            }
            (answer, json!(p.display_key()))
        }
    };
    account_tokens::log_private_use(
        &state,
        &bearer.principal,
        &bearer.ip,
        "introspect",
        json!({"introspected": introspected}),
    )
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}
