//! `/docs/c/{public_id}`: a campaign's public API documentation, with no
//! login and no secret, generated from its real structure (so it changes
//! when the structure does). Opened from a token's link icon
//! (`?key=kw_api_…`) it also states that token's permissions and filter.
//! `/docs/c/{public_id}/openapi.json` is the same as OpenAPI 3.1.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::page::render;
use super::session::{Layout, View};
use crate::domain::FieldType;
use crate::error::AppError;
use crate::services::Services;
use crate::services::campaigns::catalog::{CampaignSnapshot, FilterSpec};
use crate::services::docs::{self, TokenDocs};

#[derive(Template)]
#[template(path = "docs/campaign.html")]
struct DocsPage {
    layout: Layout,
    snap: CampaignSnapshot,
    base: String,
    token: Option<TokenDocs>,
    unknown_key: bool,
    openapi_url: String,
    create_schema: String,
    update_schema: String,
    example_create: String,
    example_lead: String,
    curl_list: String,
    curl_create: String,
    curl_update: String,
    curl_intake: String,
    verify_py: &'static str,
    verify_js: &'static str,
}

#[derive(Deserialize)]
pub struct DocsQuery {
    key: Option<String>,
}

fn example_value(t: FieldType) -> Value {
    match t {
        FieldType::Text => json!("Jane Doe"),
        FieldType::Email => json!("jane@example.com"),
        FieldType::Phone => json!("+1 555 0100"),
        FieldType::Number => json!(42),
        FieldType::Date => json!("2026-01-31"),
    }
}

/// An example lead to create: every field, and the filter's select values
/// (or each select's first option).
fn example(snap: &CampaignSnapshot, filter: Option<&FilterSpec>) -> Value {
    let fields: Map<String, Value> =
        snap.fields.iter().map(|f| (f.slug.clone(), example_value(f.field_type))).collect();
    let selects: Map<String, Value> = snap
        .selects
        .iter()
        .filter_map(|s| {
            let fixed = filter
                .and_then(|f| f.conditions.iter().find(|c| c.select_id == s.select.id))
                .map(|c| c.option_slug.clone());
            let value = fixed.or_else(|| s.options.first().map(|o| o.slug.clone()))?;
            Some((s.select.slug.clone(), Value::String(value)))
        })
        .collect();
    json!({"fields": fields, "select_field_values": selects})
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub async fn page(
    svc: web::Data<Services>,
    view: View,
    path: web::Path<String>,
    query: web::Query<DocsQuery>,
) -> Result<HttpResponse, AppError> {
    let public_id = path.into_inner();
    let docs::PublicDocs { snap, token, unknown_key, .. } =
        docs::public(&svc, public_id.clone(), query.key.clone()).await?;
    let filter = token.as_ref().and_then(|t| t.filter.as_ref());
    let base = format!("{}/api/v1/campaigns/{}", svc.settings.public_url, snap.campaign.slug);
    let create = example(&snap, filter);
    let mut lead = create.clone();
    lead["id"] = json!(1);
    lead["status"] = json!(snap.default_status().map(|s| s.slug.clone()).unwrap_or_default());
    lead["source"] = Value::Null;
    lead["created_at"] = json!("2026-11-24T12:00:00Z");
    lead["updated_at"] = json!("2026-11-24T12:00:00Z");
    let status_example = snap.statuses.last().map(|s| s.slug.clone()).unwrap_or_default();
    let compact = serde_json::to_string(&create).unwrap_or_default();
    let page = DocsPage {
        layout: Layout::anonymous(view, format!("{} — API documentation", snap.campaign.name)),
        curl_list: format!("curl -H \"Authorization: Bearer $KEYWARD_TOKEN\" \\\n  \"{base}/leads?limit=100\""),
        curl_create: format!(
            "curl -X POST -H \"Authorization: Bearer $KEYWARD_TOKEN\" -H \"Content-Type: application/json\" \\\n  -d '{compact}' \\\n  \"{base}/leads\""
        ),
        curl_update: format!(
            "curl -X PATCH -H \"Authorization: Bearer $KEYWARD_TOKEN\" -H \"Content-Type: application/json\" \\\n  -d '{{\"status\": \"{status_example}\"}}' \\\n  \"{base}/leads/1\""
        ),
        curl_intake: format!(
            "curl -X POST -H \"Authorization: Bearer $KEYWARD_TOKEN\" -H \"Content-Type: application/json\" \\\n  -d '{compact}' \\\n  \"{base}/sources/{}/form\"",
            snap.sources.first().map_or("{source}", |s| s.slug.as_str())
        ),
        verify_py: docs::WEBHOOK_VERIFY_PY,
        verify_js: docs::WEBHOOK_VERIFY_JS,
        create_schema: pretty(&docs::lead_input_schema(&snap, filter, true)),
        update_schema: pretty(&docs::lead_input_schema(&snap, filter, false)),
        example_create: pretty(&create),
        example_lead: pretty(&lead),
        openapi_url: format!(
            "/docs/c/{public_id}/openapi.json{}",
            token.as_ref().map(|t| format!("?key={}", t.key)).unwrap_or_default()
        ),
        base,
        snap,
        token,
        unknown_key,
    };
    render(&page)
}

pub async fn openapi(
    svc: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<DocsQuery>,
) -> Result<HttpResponse, AppError> {
    let d = docs::public(&svc, path.into_inner(), query.key.clone()).await?;
    let filter = d.token.as_ref().and_then(|t| t.filter.as_ref());
    let doc = docs::openapi(&d.snap, &svc.settings.public_url, filter, d.global_enabled);
    Ok(HttpResponse::Ok().content_type("application/json").body(pretty(&doc)))
}

/// One operation as `/docs/api` shows it.
pub struct ApiOperation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub who: String,
    pub ok: String,
    /// Query parameters: name and what it is.
    pub query: Vec<(String, String)>,
    pub curl: String,
}

#[derive(Template)]
#[template(path = "docs/api.html")]
struct ApiDocsPage {
    layout: Layout,
    /// Anchor, tag, operations.
    tags: Vec<(String, String, Vec<ApiOperation>)>,
    errors: &'static [crate::error::ErrorCode],
}

/// `/docs/api`: the API, rendered on the server from its OpenAPI document
/// (the one `/api/v1/openapi.json` serves), with a request per operation
/// that runs as pasted once `KEYWARD_TOKEN` is set.
pub async fn api(
    svc: web::Data<Services>,
    document: web::Data<utoipa::openapi::OpenApi>,
    view: View,
) -> Result<HttpResponse, AppError> {
    let mut tags: Vec<(String, String, Vec<ApiOperation>)> = Vec::new();
    // In the route table's order (a JSON map would sort the paths).
    for (path, item) in &document.paths.paths {
        let item = serde_json::to_value(item).map_err(AppError::internal)?;
        for (method, op) in item.as_object().into_iter().flatten() {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let tag = text(&op["tags"][0]);
            let query = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .map(|p| (text(&p["name"]), text(&p["description"])))
                .collect();
            let ok = op["responses"].as_object().and_then(|r| r.keys().find(|k| *k != "default").cloned());
            let item = ApiOperation {
                id: text(&op["operationId"]),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&op["summary"]),
                who: text(&op["x-keyward-who"]),
                ok: ok.unwrap_or_default(),
                query,
                curl: docs::curl(&svc.settings.public_url, &method.to_uppercase(), path, op),
            };
            match tags.iter_mut().find(|(_, t, _)| *t == tag) {
                Some((_, _, ops)) => ops.push(item),
                None => tags.push((tag.to_lowercase().replace(' ', "-"), tag, vec![item])),
            }
        }
    }
    render(&ApiDocsPage { layout: Layout::anonymous(view, "Keyward API"), tags, errors: crate::error::ERROR_CODES })
}
