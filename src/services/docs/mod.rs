//! The public API documentation of a campaign, generated from its real
//! structure: JSON Schemas of a lead to create and to update (narrowed by a
//! token's filter when there is one), and the OpenAPI 3.1 document. The
//! HTML page and `/api/v1/campaigns/{c}/schema` show the same.

pub mod api_doc;

pub use api_doc::curl;

use serde_json::{Map, Value, json};

use crate::domain::{FieldType, FileType, IntakeMethod, Level, LevelSwitches, NUMBER_MAX, TokenStatus};
use crate::error::AppError;
use crate::models::OrgSettings;
use crate::services::campaigns::catalog::{Campaign, CampaignSnapshot, Field, FilterSpec, RelationSpec};
use crate::services::context::Services;

/// How a receiver verifies a delivery, in Python (the public docs show
/// it; a test runs it against a real delivery).
pub const WEBHOOK_VERIFY_PY: &str = r#"import hashlib, hmac, time

def verify(header: str, body: bytes, secret: str, tolerance: int = 300) -> bool:
    """header: the Keyward-Signature value; body: the raw request body."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if not stamps or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    signed = stamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")
"#;

/// The same in JavaScript (Node).
pub const WEBHOOK_VERIFY_JS: &str = r#"const crypto = require("crypto");

// header: the Keyward-Signature value; body: the raw request body (a Buffer).
function verify(header, body, secret, tolerance = 300) {
  const parts = header.split(",").map((p) => p.split("="));
  const t = parts.find(([k]) => k === "t");
  if (!t || Math.abs(Date.now() / 1000 - Number(t[1])) > tolerance) return false;
  const expected = crypto.createHmac("sha256", secret).update(`${t[1]}.`).update(body).digest("hex");
  return parts.some(([k, v]) => k === "v1" && v.length === expected.length
    && crypto.timingSafeEqual(Buffer.from(v), Buffer.from(expected)));
}
"#;

/// What the public page says of the token whose key it was opened with.
pub struct TokenDocs {
    pub key: String,
    pub name: String,
    pub read: bool,
    pub write: bool,
    pub filter: Option<FilterSpec>,
    pub status: TokenStatus,
}

/// What a campaign's public documentation is made of.
pub struct PublicDocs {
    pub snap: CampaignSnapshot,
    /// The token whose link opened it (`?key=`), if it is one of the
    /// campaign's API tokens.
    pub token: Option<TokenDocs>,
    /// A key was given that is no API token of the campaign.
    pub unknown_key: bool,
    /// Global Token Authentication is on.
    pub global_enabled: bool,
}

/// A campaign's public documentation: its structure by public id, and,
/// when opened from a token's link (`?key=`), that token's permissions and
/// filter. No login, no secret.
pub async fn public(svc: &Services, public_id: String, key: Option<String>) -> Result<PublicDocs, AppError> {
    let now = svc.now();
    svc.run(move |conn| {
        let campaign = Campaign::by_public_id(conn, &public_id)?.ok_or(AppError::NotFound)?;
        let snap = CampaignSnapshot::load(conn, campaign)?;
        let (token, unknown) = match key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => match crate::services::credentials::api_tokens::by_key(conn, snap.campaign.id, k)? {
                Some(t) => (
                    Some(TokenDocs {
                        key: t.display_key(),
                        status: t.status(now),
                        filter: t.filter_id.and_then(|f| snap.filter(f)).cloned(),
                        name: t.name,
                        read: t.can_read,
                        write: t.can_write,
                    }),
                    false,
                ),
                None => (None, true),
            },
            None => (None, false),
        };
        let global_enabled = OrgSettings::global_token_enabled(conn)?;
        Ok(PublicDocs { snap, token, unknown_key: unknown, global_enabled })
    })
    .await
}

/// The JSON Schema of one field's value.
pub fn field_schema(field: &Field) -> Value {
    let mut schema = match field.field_type {
        FieldType::Text => json!({"type": "string", "maxLength": 5000}),
        FieldType::Email => json!({"type": "string", "format": "email", "maxLength": 254}),
        // 6 to 20 digits, with spaces, +, -, ( ) and . between them.
        FieldType::Phone => json!({"type": "string", "pattern": "^[ +().-]*([0-9][ +().-]*){6,20}$"}),
        FieldType::Number => {
            json!({"type": "number", "minimum": -NUMBER_MAX, "maximum": NUMBER_MAX})
        }
        FieldType::Date => json!({"type": "string", "format": "date"}),
    };
    schema["title"] = Value::String(field.label.clone());
    schema
}

/// The JSON Schema of a relation's value (`required`: it may not be empty),
/// with the relation's options.
pub fn relation_schema(spec: &RelationSpec, required: bool) -> Value {
    let r = &spec.relation;
    let id = json!({"type": "integer", "minimum": 1});
    let mut schema = match (r.many, required) {
        (true, true) => json!({"type": "array", "items": id, "minItems": 1, "maxItems": 1000}),
        (true, false) => json!({"type": ["array", "null"], "items": id, "maxItems": 1000}),
        (false, true) => id,
        (false, false) => json!({"type": ["integer", "null"], "minimum": 1}),
    };
    schema["title"] = json!(r.label);
    schema["description"] = json!(relation_description(spec));
    schema["x-keyward-relation"] = relation_json(spec);
    schema
}

/// "The id of a lead of campaign Accounts (`accounts`); required; …"
pub fn relation_description(spec: &RelationSpec) -> String {
    let r = &spec.relation;
    format!(
        "{} of campaign {} (`{}`){}; deleting a linked lead: {}",
        if r.many { "The ids of leads" } else { "The id of a lead" },
        spec.target_name,
        spec.target_slug,
        if r.required { "; required" } else { "" },
        r.on_delete.label()
    )
}

/// A relation's options, as the schema endpoint and the OpenAPI document
/// list them.
pub fn relation_json(spec: &RelationSpec) -> Value {
    let r = &spec.relation;
    json!({
        "slug": r.slug,
        "label": r.label,
        "target_campaign": spec.target_slug,
        "many": r.many,
        "required": r.required,
        "on_delete": r.on_delete,
    })
}

/// A value a required field must have: a blank one counts as none.
fn required_value(mut schema: Value) -> Value {
    if schema["type"] == "string" {
        schema["minLength"] = json!(1);
        schema["pattern"] = match schema["pattern"].as_str() {
            // Every pattern above already needs a digit.
            Some(p) => json!(p),
            None => json!("\\S"),
        };
    }
    schema
}

/// A lead to create (`full`) or to update, as a JSON Schema. With a filter,
/// the selects it fixes must carry its values.
pub fn lead_input_schema(snap: &CampaignSnapshot, filter: Option<&FilterSpec>, full: bool) -> Value {
    let fields: Map<String, Value> = snap
        .fields
        .iter()
        .map(|f| {
            let schema = field_schema(f);
            let schema = match (full, f.required) {
                (true, true) => required_value(schema),
                (true, false) => schema,
                (false, _) => json!({"anyOf": [schema, {"type": "null"}]}),
            };
            (f.slug.clone(), schema)
        })
        .collect();
    let required_fields: Vec<&str> =
        if full { snap.fields.iter().filter(|f| f.required).map(|f| f.slug.as_str()).collect() } else { vec![] };
    let mut selects = Map::new();
    let mut required_selects = Vec::new();
    for spec in &snap.selects {
        let fixed = filter.and_then(|f| f.conditions.iter().find(|c| c.select_id == spec.select.id));
        let schema = match fixed {
            Some(c) => {
                required_selects.push(spec.select.slug.clone());
                json!({"const": c.option_slug, "title": spec.select.label, "description": "required by this token's filter"})
            }
            None => json!({
                "type": "string",
                "enum": spec.options.iter().map(|o| o.slug.clone()).collect::<Vec<_>>(),
                "title": spec.select.label,
            }),
        };
        selects.insert(spec.select.slug.clone(), schema);
    }
    let mut properties = json!({
        "fields": {"type": "object", "additionalProperties": false, "properties": fields, "required": required_fields},
        "select_field_values": {"type": "object", "additionalProperties": false, "properties": selects, "required": if full { required_selects.clone() } else { vec![] }},
        "status": {"type": "string", "enum": snap.statuses.iter().map(|s| s.slug.clone()).collect::<Vec<_>>()},
    });
    if full {
        properties["source"] =
            json!({"type": "string", "enum": snap.sources.iter().map(|s| s.slug.clone()).collect::<Vec<_>>()});
    }
    let required_relations: Vec<&str> =
        snap.relations.iter().filter(|r| r.relation.required).map(|r| r.relation.slug.as_str()).collect();
    if !snap.relations.is_empty() {
        let relations: Map<String, Value> =
            snap.relations.iter().map(|r| (r.relation.slug.clone(), relation_schema(r, r.relation.required))).collect();
        properties["relations"] = json!({
            "type": "object",
            "additionalProperties": false,
            "properties": relations,
            "required": if full { required_relations.clone() } else { vec![] },
        });
    }
    let mut required = Vec::new();
    if full && !required_fields.is_empty() {
        required.push("fields");
    }
    if full && !required_relations.is_empty() {
        required.push("relations");
    }
    if full && !required_selects.is_empty() {
        required.push("select_field_values");
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "required": required,
    })
}

/// A lead as the API answers it.
pub fn lead_schema(snap: &CampaignSnapshot) -> Value {
    let fields: Map<String, Value> = snap.fields.iter().map(|f| (f.slug.clone(), field_schema(f))).collect();
    let selects: Map<String, Value> = snap
        .selects
        .iter()
        .map(|s| {
            (
                s.select.slug.clone(),
                json!({"type": "string", "enum": s.options.iter().map(|o| o.slug.clone()).collect::<Vec<_>>()}),
            )
        })
        .collect();
    let mut schema = json!({
        "type": "object",
        "required": ["id", "status", "fields", "select_field_values", "source", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": snap.statuses.iter().map(|s| s.slug.clone()).collect::<Vec<_>>()},
            "fields": {"type": "object", "properties": fields},
            "select_field_values": {"type": "object", "properties": selects},
            "source": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        }
    });
    if !snap.relations.is_empty() {
        // Stored links are read back as they are: one id or null, or a list.
        let relations: Map<String, Value> =
            snap.relations.iter().map(|r| (r.relation.slug.clone(), relation_schema(r, false))).collect();
        schema["properties"]["relations"] = json!({"type": "object", "properties": relations});
        if let Some(required) = schema["required"].as_array_mut() {
            required.push(json!("relations"));
        }
    }
    schema
}

/// The structure as `GET …/schema` answers it.
pub fn schema_document(snap: &CampaignSnapshot, token: Option<(&str, bool, bool, Option<&FilterSpec>)>) -> Value {
    let filter = token.and_then(|t| t.3);
    json!({
        "campaign": {"id": snap.campaign.id, "slug": snap.campaign.slug, "name": snap.campaign.name},
        "token": token.map(|(key, read, write, filter)| json!({
            "key": key,
            "read": read,
            "write": write,
            "filter": filter.map(filter_json),
        })),
        "fields": snap.fields.iter().map(|f| json!({"slug": f.slug, "label": f.label, "type": f.field_type, "required": f.required})).collect::<Vec<_>>(),
        "selects": snap.selects.iter().map(|s| json!({
            "slug": s.select.slug,
            "label": s.select.label,
            "options": s.options.iter().map(|o| json!({"slug": o.slug, "label": o.label})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "statuses": snap.statuses.iter().map(|s| json!({"slug": s.slug, "label": s.label, "default": s.is_default})).collect::<Vec<_>>(),
        "sources": snap.sources.iter().map(|s| json!({"slug": s.slug, "name": s.name, "kind": s.kind})).collect::<Vec<_>>(),
        "relations": snap.relations.iter().map(relation_json).collect::<Vec<_>>(),
        "file_types": snap.campaign.file_types(),
        "create_schema": lead_input_schema(snap, filter, true),
        "update_schema": lead_input_schema(snap, filter, false),
    })
}

pub fn filter_json(f: &FilterSpec) -> Value {
    json!({
        "name": f.filter.name,
        "conditions": f.conditions.iter().map(|c| json!({"select": c.select_slug, "option": c.option_slug})).collect::<Vec<_>>(),
        "description": f.describe(),
    })
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// The OpenAPI 3.1 document of a campaign's API. `global_enabled`: whether
/// Global Token Authentication is on (so which intake endpoints take a
/// token at all).
pub fn openapi(snap: &CampaignSnapshot, server: &str, filter: Option<&FilterSpec>, global_enabled: bool) -> Value {
    let base = format!("/api/v1/campaigns/{}", snap.campaign.slug);
    let errors = |codes: &[&str]| -> Map<String, Value> {
        codes.iter().map(|c| ((*c).to_owned(), json!({"$ref": format!("#/components/responses/E{c}")}))).collect()
    };
    let with = |mut ok: Map<String, Value>, codes: &[&str]| {
        ok.extend(errors(codes));
        Value::Object(ok)
    };
    let lead_ok = |code: &str, description: &str| -> Map<String, Value> {
        Map::from_iter([(
            code.to_owned(),
            json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Lead"}}}}),
        )])
    };
    let id_param = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let idempotency_param = json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
        "description": "Retry safely: the same key with the same body within 24 hours answers the first answer again (with Idempotent-Replayed: true) and creates nothing; with another body, 422."
    });
    let mut paths = Map::new();
    paths.insert(
        format!("{base}/leads"),
        json!({
            "get": {
                "operationId": "listLeads",
                "summary": "List leads (Read), oldest first; only leads inside the token's filter",
                "parameters": [
                    {"name": "cursor", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]+$"}, "description": "next_cursor of the previous page"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": snap.statuses.iter().map(|s| s.slug.clone()).collect::<Vec<_>>()}},
                    {"name": "updated_since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                ],
                "responses": with(Map::from_iter([("200".to_owned(), json!({"description": "A page of leads", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadPage"}}}}))]), &["400", "401", "403", "429"]),
            },
            "post": {
                "operationId": "createLead",
                "summary": "Create a lead (Write); it must fall inside the token's filter",
                "parameters": [idempotency_param.clone()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadCreate"}}}},
                "responses": with(lead_ok("201", "The lead created"), &["400", "401", "403", "413", "422", "429"]),
            }
        }),
    );
    paths.insert(
        format!("{base}/leads/{{id}}"),
        json!({
            "get": {
                "operationId": "getLead",
                "summary": "One lead (Read); 404 outside the token's filter",
                "parameters": [id_param.clone()],
                "responses": with(lead_ok("200", "The lead"), &["401", "403", "404", "429"]),
            },
            "patch": {
                "operationId": "updateLead",
                "summary": "Update fields, select values and status (Write); the lead must stay inside the token's filter. null removes a value.",
                "parameters": [id_param],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadUpdate"}}}},
                "responses": with(Map::from_iter([("200".to_owned(), json!({"description": "The lead updated; to a token without Read, only its id and updated_at", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/Lead"}, {"$ref": "#/components/schemas/LeadWritten"}]}}}}))]), &["400", "401", "403", "404", "413", "422", "429"]),
            },
            "delete": {
                "operationId": "deleteLead",
                "summary": "Delete a lead (Write), with its files; 409 while a relation that refuses deletes links to it",
                "parameters": [id_param.clone()],
                "responses": with(Map::from_iter([("204".to_owned(), json!({"description": "Deleted"}))]), &["401", "403", "404", "409", "429"]),
            }
        }),
    );
    let file_id_param = json!({"name": "file_id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let accepted = snap.campaign.file_types();
    let binary = |types: &[&str]| -> Value {
        Value::Object(
            types
                .iter()
                .map(|t| ((*t).to_owned(), json!({"schema": {"type": "string", "format": "binary"}})))
                .collect(),
        )
    };
    let mut upload_content = binary(&accepted);
    upload_content["multipart/form-data"] = json!({
        "schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}
    });
    let every_type: Vec<&str> = FileType::ALL.iter().map(|t| t.as_str()).collect();
    paths.insert(
        format!("{base}/leads/{{id}}/files"),
        json!({
            "get": {
                "operationId": "listLeadFiles",
                "summary": "A lead's files (Read): name, size, type, SHA-256, when added",
                "parameters": [id_param.clone()],
                "responses": with(Map::from_iter([("200".to_owned(), json!({"description": "The files", "content": {"application/json": {"schema": {"type": "object", "required": ["items", "next_cursor"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/LeadFile"}}, "next_cursor": {"type": ["string", "null"]}}}}}}))]), &["401", "403", "404", "429"]),
            },
            "post": {
                "operationId": "uploadLeadFile",
                "summary": "Attach a file to a lead (Write): the raw bytes with their Content-Type and ?name=, or a multipart field `file`",
                "description": format!("Accepted types, checked by content: {}. Larger than the server's limit: 413.", accepted.join(", ")),
                "parameters": [id_param.clone(), {"name": "name", "in": "query", "required": false, "schema": {"type": "string", "minLength": 1, "maxLength": 255}, "description": "The file's name (raw uploads)"}],
                "requestBody": {"required": true, "content": upload_content},
                "responses": with(Map::from_iter([("201".to_owned(), json!({"description": "The file stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadFile"}}}}))]), &["400", "401", "403", "404", "413", "415", "422", "429"]),
            }
        }),
    );
    paths.insert(
        format!("{base}/leads/{{id}}/files/{{file_id}}"),
        json!({
            "get": {
                "operationId": "downloadLeadFile",
                "summary": "A file's bytes (Read), streamed, as an attachment; ETag, If-None-Match and byte ranges",
                "parameters": [id_param.clone(), file_id_param.clone(), {"name": "Range", "in": "header", "required": false, "schema": {"type": "string", "pattern": "^bytes=([0-9]+-[0-9]*|-[0-9]+)$"}, "description": "One byte range, e.g. bytes=0-1023"}],
                "responses": with(Map::from_iter([
                    ("200".to_owned(), json!({"description": "The file", "content": binary(&every_type)})),
                    ("206".to_owned(), json!({"description": "The range asked for", "content": binary(&every_type)})),
                    ("304".to_owned(), json!({"description": "Unchanged since the ETag sent"})),
                ]), &["401", "403", "404", "416", "429"]),
            },
            "delete": {
                "operationId": "deleteLeadFile",
                "summary": "Delete a file (Write)",
                "parameters": [id_param.clone(), file_id_param],
                "responses": with(Map::from_iter([("204".to_owned(), json!({"description": "Deleted"}))]), &["401", "403", "404", "429"]),
            }
        }),
    );
    paths.insert(
        format!("{base}/schema"),
        json!({"get": {
            "operationId": "getSchema",
            "summary": "Fields, allowed values, create and update schemas, statuses, selects, and this token's filter",
            "responses": with(Map::from_iter([("200".to_owned(), json!({"description": "The campaign structure", "content": {"application/json": {"schema": {"type": "object"}}}}))]), &["401", "403", "429"]),
        }}),
    );
    for source in &snap.sources {
        for &method in IntakeMethod::ALL {
            let (summary, body) = match method {
                IntakeMethod::Form => ("Submit a full lead (form submission)", "LeadIntake"),
                IntakeMethod::Ping => {
                    ("Ping with a partial lead; answers a ping_id valid for a few minutes", "LeadPing")
                }
                IntakeMethod::Post => {
                    ("Post the full lead with the ping_id of a ping from the same source", "LeadPost")
                }
            };
            let ok = if method == IntakeMethod::Ping {
                Map::from_iter([(
                    "200".to_owned(),
                    json!({"description": "The ping", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PingAnswer"}}}}),
                )])
            } else {
                lead_ok("201", "The lead created")
            };
            // The level that decides this endpoint: without one, no token.
            let switches = LevelSwitches {
                source: source.method_enabled(method),
                campaign: snap.campaign.token_enabled,
                global: global_enabled,
            };
            let level = Level::deciding(switches, snap.campaign.id, source.id, method);
            let security = match level {
                Some(_) => json!([{"bearer": []}]),
                None => json!([]),
            };
            let refusals: &[&str] = match level {
                Some(_) => &["400", "401", "403", "404", "410", "413", "422", "429"],
                None => &["400", "404", "410", "413", "422"],
            };
            paths.insert(
                format!("{base}/sources/{}/{method}", source.slug),
                json!({"post": {
                    "operationId": format!("{method}_{}", source.slug.replace('-', "_")),
                    "summary": format!("{summary} — source {}", source.name),
                    "description": match level {
                        Some(l) => format!("Takes the {} token ({}…); the answer's Keyward-Auth-Level header says so.", l.name(), l.kind().prefix()),
                        None => "No level of token authentication is on: no token is needed.".to_owned(),
                    },
                    "tags": ["intake"],
                    "security": security,
                    "parameters": [idempotency_param.clone()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}}},
                    "responses": with(ok, refusals),
                }}),
            );
        }
    }

    let intake = lead_input_schema(snap, None, true);
    let mut ping = lead_input_schema(snap, None, false);
    ping["properties"]["fields"]["properties"] =
        Value::Object(snap.fields.iter().map(|f| (f.slug.clone(), field_schema(f))).collect());
    let mut post = intake.clone();
    post["properties"]["ping_id"] = json!({"type": "string"});
    let mut post_required = post["required"].as_array().cloned().unwrap_or_default();
    post_required.push(json!("ping_id"));
    post["required"] = Value::Array(post_required);
    let responses: Map<String, Value> = [
        ("400", "Malformed request (invalid JSON, bad parameter)"),
        ("401", "Missing, invalid, expired or revoked token"),
        ("403", "insufficient_scope: the token lacks the permission, belongs to another campaign or level, or the lead is outside its filter; ip_not_allowed: the token's IP allowlist does not name the caller's address"),
        ("404", "Not found (or outside the token's filter)"),
        ("409", "Conflict: the lead is linked to by a relation that refuses deletes"),
        ("410", "The campaign is archived"),
        ("413", "Body too large"),
        ("415", "A file of a type this campaign does not accept (checked by content)"),
        ("416", "The range asked for is outside the file"),
        ("422", "Validation failed: one message per field in error.fields"),
        ("429", "Rate limited (failed checks from the address, or the token's own limit); see Retry-After, and RateLimit-Policy and RateLimit for a token's limit"),
    ]
    .iter()
    .map(|(c, d)| (format!("E{c}"), error_response(d)))
    .collect();

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{} — Keyward API", snap.campaign.name),
            "version": "1",
            "description": format!(
                "The API of campaign `{}`, generated from its current structure: leads (with their relations to other leads, by id) and lead files.{}",
                snap.campaign.slug,
                filter.map(|f| format!(" This token's filter: {}.", f.describe())).unwrap_or_default()
            ),
        },
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <token>"}},
            "schemas": {
                "Lead": lead_schema(snap),
                "LeadCreate": lead_input_schema(snap, filter, true),
                "LeadUpdate": lead_input_schema(snap, filter, false),
                "LeadIntake": intake,
                "LeadPing": ping,
                "LeadPost": post,
                "LeadFile": {
                    "type": "object",
                    "required": ["id", "name", "size", "content_type", "sha256", "created_at"],
                    "properties": {
                        "id": {"type": "integer"},
                        "lead_id": {"type": "integer"},
                        "name": {"type": "string"},
                        "size": {"type": "integer", "minimum": 1},
                        "content_type": {"type": "string"},
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        "created_at": {"type": "string", "format": "date-time"},
                    }
                },
                "LeadWritten": {
                    "type": "object",
                    "required": ["id", "updated_at"],
                    "additionalProperties": false,
                    "properties": {"id": {"type": "integer"}, "updated_at": {"type": "string", "format": "date-time"}},
                },
                "LeadPage": {
                    "type": "object",
                    "required": ["items", "next_cursor"],
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Lead"}},
                        "next_cursor": {"type": ["string", "null"]},
                    }
                },
                "PingAnswer": {
                    "type": "object",
                    "required": ["ping_id", "accepted", "expires_at"],
                    "properties": {
                        "ping_id": {"type": "string"},
                        "accepted": {"type": "boolean"},
                        "expires_at": {"type": "string", "format": "date-time"},
                    }
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                        }
                    }}
                },
            },
            "responses": responses,
        },
    })
}
