//! `/docs/c/{public_id}`: a campaign's public API documentation, with no
//! login and no secret, generated from its real structure (so it changes
//! when the structure does). Opened from a token's link icon
//! (`?key=kw_api_…`) it also states that token's permissions and filter.
//! `/docs/c/{public_id}/openapi.json` is the same as OpenAPI 3.1.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::{Value, json};

use super::page::render;
use super::session::{Layout, View};
use crate::domain::{IntakeMethod, TokenKind};
use crate::error::AppError;
use crate::services::Services;
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::docs::{self, TokenDocs};
use crate::services::leads::document::{self, LeadShape};

/// The shell variable the examples read a campaign API token from, and
/// the one the intake example reads its level's token from.
const TOKEN_VAR: &str = "KEYWARD_TOKEN";
const INTAKE_VAR: &str = "KEYWARD_INTAKE_TOKEN";

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
    /// The prefix of a campaign API token.
    api_prefix: &'static str,
    curl_list: Example,
    curl_create: Example,
    curl_update: Example,
    curl_upload: Example,
    /// The first source's form example, and the level whose token it takes
    /// (its name and prefix), if any.
    intake: Option<(Example, Option<(&'static str, &'static str)>)>,
    verify_py: &'static str,
    verify_js: &'static str,
}

#[derive(Deserialize)]
pub struct DocsQuery {
    key: Option<String>,
}

/// A shell example of an operation, and the statuses it answers when it
/// works (the page marks both, and the suite runs it as pasted).
pub struct Example {
    pub curl: String,
    /// Space-separated: `200 202`.
    pub answers: String,
}

impl Example {
    /// The example of one operation of an OpenAPI document (as JSON).
    fn of(base: &str, method: &str, path: &str, op: &Value, var: &str) -> Self {
        let answers: Vec<&str> = op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(status, _)| status.as_str())
            .filter(|s| s.starts_with('2'))
            .collect();
        Self { curl: docs::api_doc::curl_with(base, method, path, op, var), answers: answers.join(" ") }
    }

    /// "200 or 202".
    pub fn answers_text(&self) -> String {
        self.answers.replace(' ', " or ")
    }
}

fn pretty(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub async fn page(
    svc: web::Data<Services>,
    view: View,
    path: web::Path<String>,
    query: web::Query<DocsQuery>,
) -> Result<HttpResponse, AppError> {
    let public_id = path.into_inner();
    let docs::PublicDocs { snap, token, unknown_key, global_enabled } =
        docs::public(&svc, public_id.clone(), query.key.clone()).await?;
    let filter = token.as_ref().and_then(|t| t.filter.as_ref());
    let public_url = &svc.settings.public_url;
    let base = format!("{public_url}/api/v1/campaigns/{}", snap.campaign.slug);
    // Every example is written from the campaign's own document.
    let document = serde_json::to_value(document::openapi(&snap, public_url, filter, global_enabled))
        .map_err(AppError::internal)?;
    let example = |path: &str, method: &str, var: &str| {
        let path = format!("/api/v1/campaigns/{}{path}", snap.campaign.slug);
        let op = &document["paths"][&path][method.to_lowercase()];
        Example::of(public_url, method, &path, op, var)
    };
    let intake = snap.sources.first().map(|s| {
        let path = format!("/sources/{}/form", s.slug);
        let level = document::intake_level(&snap, s, IntakeMethod::Form, global_enabled);
        (example(&path, "POST", INTAKE_VAR), level.map(|l| (l.name(), l.kind().prefix())))
    });
    let create = document::example_lead(&snap, filter);
    let mut lead = create.clone();
    lead["id"] = json!(42);
    lead["status"] = json!(snap.default_status().map(|s| s.slug.clone()).unwrap_or_default());
    lead["source"] = Value::Null;
    lead["created_at"] = json!("2026-11-24T12:00:00Z");
    lead["updated_at"] = json!("2026-11-24T12:00:00Z");
    let page = DocsPage {
        layout: Layout::anonymous(view, format!("{} — API documentation", snap.campaign.name)),
        api_prefix: TokenKind::CampaignApi.prefix(),
        curl_list: example("/leads", "GET", TOKEN_VAR),
        curl_create: example("/leads", "POST", TOKEN_VAR),
        curl_update: example("/leads/{id}", "PATCH", TOKEN_VAR),
        curl_upload: example("/leads/{id}/files", "POST", TOKEN_VAR),
        intake,
        verify_py: docs::WEBHOOK_VERIFY_PY,
        verify_js: docs::WEBHOOK_VERIFY_JS,
        create_schema: pretty(&document::lead_input_schema(&snap, filter, LeadShape::Create).build()),
        update_schema: pretty(&document::lead_input_schema(&snap, filter, LeadShape::Update).build()),
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
    let doc = document::openapi(&d.snap, &svc.settings.public_url, filter, d.global_enabled);
    Ok(HttpResponse::Ok().content_type("application/json").body(pretty(&doc)))
}

/// One operation as `/docs/api` shows it.
pub struct ApiOperation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub who: String,
    /// Query parameters: name and what it is.
    pub query: Vec<(String, String)>,
    pub example: Example,
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
            let item = ApiOperation {
                id: text(&op["operationId"]),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&op["summary"]),
                who: text(&op["x-keyward-who"]),
                query,
                example: Example::of(&svc.settings.public_url, &method.to_uppercase(), path, op, TOKEN_VAR),
            };
            match tags.iter_mut().find(|(_, t, _)| *t == tag) {
                Some((_, _, ops)) => ops.push(item),
                None => tags.push((tag.to_lowercase().replace(' ', "-"), tag, vec![item])),
            }
        }
    }
    render(&ApiDocsPage { layout: Layout::anonymous(view, "Keyward API"), tags, errors: crate::error::ERROR_CODES })
}
