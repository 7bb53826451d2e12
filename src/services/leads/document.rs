//! A campaign's own OpenAPI 3.1 document, built at run time from its
//! structure with typed schema builders: the JSON Schemas of a lead to
//! create and to change (narrowed by a token's filter when there is one),
//! of a lead as answered, and the operations of its leads API, lead files
//! and intake endpoints, each with an example the docs page runs.

use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, Content, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr,
    Required, Response, ResponseBuilder, ServerBuilder,
};

use crate::domain::{FieldType, FileType, IntakeMethod, Level, LevelSwitches, NUMBER_MAX, OnDelete};
use crate::services::campaigns::catalog::{CampaignSnapshot, Field, FilterSpec, RelationSpec, Source};
use crate::services::leads::files::FileView;
use crate::services::leads::intake::PingAnswer;
use crate::services::leads::record::LeadWritten;

/// 6 to 20 digits, with spaces, +, -, ( ) and . between them.
const PHONE_PATTERN: &str = "^[ +().-]*([0-9][ +().-]*){6,20}$";

/// What a lead to send is for: a create (what is required must be there),
/// a change (only what changes; `null` removes), or a ping (a partial
/// lead, nothing required).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LeadShape {
    Create,
    Update,
    Ping,
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn integer() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Integer)
}

fn known(format: KnownFormat) -> Option<SchemaFormat> {
    Some(SchemaFormat::KnownFormat(format))
}

fn either_null(kind: Type) -> SchemaType {
    SchemaType::from_iter([kind, Type::Null])
}

/// An object that takes no key it does not name.
fn closed() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Object).additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

/// A string that is one of these values.
fn one_of_values<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    string().enum_values(Some(values.into_iter().collect::<Vec<_>>()))
}

/// The JSON Schema of one field's value; a required one may not be blank.
pub fn field_schema(field: &Field, required: bool) -> ObjectBuilder {
    let schema = match field.field_type {
        FieldType::Text => string().max_length(Some(5000)),
        FieldType::Email => string().format(known(KnownFormat::Email)).max_length(Some(254)),
        FieldType::Phone => string().pattern(Some(PHONE_PATTERN)),
        FieldType::Number => {
            ObjectBuilder::new().schema_type(Type::Number).minimum(Some(-NUMBER_MAX)).maximum(Some(NUMBER_MAX))
        }
        FieldType::Date => string().format(known(KnownFormat::Date)),
    };
    let schema = match (required, field.field_type) {
        // The phone pattern already needs a digit.
        (true, FieldType::Phone) => schema.min_length(Some(1)),
        (true, FieldType::Text | FieldType::Email | FieldType::Date) => schema.min_length(Some(1)).pattern(Some("\\S")),
        _ => schema,
    };
    schema.title(Some(&field.label))
}

/// A relation's options, as the document's `x-keyward-relation` names them.
#[derive(Serialize)]
struct RelationNote<'a> {
    slug: &'a str,
    label: &'a str,
    target_campaign: &'a str,
    many: bool,
    required: bool,
    on_delete: OnDelete,
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

/// The JSON Schema of a relation's value (`required`: it may not be empty).
pub fn relation_schema(spec: &RelationSpec, required: bool) -> Schema {
    let r = &spec.relation;
    let note = RelationNote {
        slug: &r.slug,
        label: &r.label,
        target_campaign: &spec.target_slug,
        many: r.many,
        required: r.required,
        on_delete: r.on_delete,
    };
    let note = ExtensionsBuilder::new().add("x-keyward-relation", serde_json::to_value(note).unwrap_or_default());
    let (title, description) = (Some(r.label.as_str()), Some(relation_description(spec)));
    let id = || integer().minimum(Some(1));
    if r.many {
        let list = ArrayBuilder::new().items(id()).max_items(Some(1000)).title(title).description(description);
        let list = if required { list.min_items(Some(1)) } else { list.schema_type(either_null(Type::Array)) };
        Schema::Array(list.extensions(Some(note.build())).build())
    } else {
        let one = id().title(title).description(description);
        let one = if required { one } else { one.schema_type(either_null(Type::Integer)) };
        Schema::Object(one.extensions(Some(note.build())).build())
    }
}

/// A lead to send, as a JSON Schema. With a filter, the selects it fixes
/// must carry its values.
pub fn lead_input_schema(snap: &CampaignSnapshot, filter: Option<&FilterSpec>, shape: LeadShape) -> ObjectBuilder {
    let create = shape == LeadShape::Create;
    let mut fields = closed();
    for f in &snap.fields {
        let schema: RefOr<Schema> = match shape {
            LeadShape::Create => field_schema(f, f.required).into(),
            LeadShape::Ping => field_schema(f, false).into(),
            LeadShape::Update => AnyOfBuilder::new()
                .item(field_schema(f, false))
                .item(ObjectBuilder::new().schema_type(Type::Null))
                .into(),
        };
        fields = fields.property(&f.slug, schema);
        if create && f.required {
            fields = fields.required(&f.slug);
        }
    }
    let mut selects = closed();
    let mut fixed_any = false;
    for spec in &snap.selects {
        let label = Some(spec.select.label.as_str());
        let fixed = filter.and_then(|f| f.conditions.iter().find(|c| c.select_id == spec.select.id));
        let schema = match fixed {
            Some(c) => one_of_values([c.option_slug.as_str()])
                .title(label)
                .description(Some("required by this token's filter")),
            None => one_of_values(spec.options.iter().map(|o| o.slug.as_str())).title(label),
        };
        selects = selects.property(&spec.select.slug, schema);
        if fixed.is_some() && create {
            selects = selects.required(&spec.select.slug);
            fixed_any = true;
        }
    }
    let mut lead = closed()
        .property("fields", fields)
        .property("select_field_values", selects)
        .property("status", one_of_values(snap.statuses.iter().map(|s| s.slug.as_str())));
    if create {
        lead = lead.property("source", one_of_values(snap.sources.iter().map(|s| s.slug.as_str())));
    }
    if !snap.relations.is_empty() {
        let mut relations = closed();
        for spec in &snap.relations {
            relations = relations.property(&spec.relation.slug, relation_schema(spec, spec.relation.required));
            if create && spec.relation.required {
                relations = relations.required(&spec.relation.slug);
            }
        }
        lead = lead.property("relations", relations);
    }
    if create && snap.fields.iter().any(|f| f.required) {
        lead = lead.required("fields");
    }
    if create && snap.relations.iter().any(|r| r.relation.required) {
        lead = lead.required("relations");
    }
    if fixed_any {
        lead = lead.required("select_field_values");
    }
    lead
}

/// A lead as the API answers it.
pub fn lead_schema(snap: &CampaignSnapshot) -> ObjectBuilder {
    let mut fields = ObjectBuilder::new().schema_type(Type::Object);
    for f in &snap.fields {
        fields = fields.property(&f.slug, field_schema(f, false));
    }
    let mut selects = ObjectBuilder::new().schema_type(Type::Object);
    for s in &snap.selects {
        selects = selects.property(&s.select.slug, one_of_values(s.options.iter().map(|o| o.slug.as_str())));
    }
    let moment = || string().format(known(KnownFormat::DateTime));
    let mut lead = ObjectBuilder::new()
        .property("id", integer())
        .property("status", one_of_values(snap.statuses.iter().map(|s| s.slug.as_str())))
        .property("fields", fields)
        .property("select_field_values", selects)
        .property("source", ObjectBuilder::new().schema_type(either_null(Type::String)))
        .property("created_at", moment())
        .property("updated_at", moment());
    for name in ["id", "status", "fields", "select_field_values", "source", "created_at", "updated_at"] {
        lead = lead.required(name);
    }
    if !snap.relations.is_empty() {
        // Stored links are read back as they are: one id or null, or a list.
        let mut relations = ObjectBuilder::new().schema_type(Type::Object);
        for spec in &snap.relations {
            relations = relations.property(&spec.relation.slug, relation_schema(spec, false));
        }
        lead = lead.property("relations", relations).required("relations");
    }
    lead
}

/// An example value of a field's type.
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
pub fn example_lead(snap: &CampaignSnapshot, filter: Option<&FilterSpec>) -> Value {
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

/// The errors a campaign's operations answer, each as a named response.
const ERRORS: &[(&str, &str)] = &[
    ("400", "Malformed request (invalid JSON, bad parameter)"),
    ("401", "Missing, invalid, expired or revoked token"),
    (
        "403",
        "insufficient_scope: the token lacks the permission, belongs to another campaign or level, or the lead is \
         outside its filter; ip_not_allowed: the token's IP allowlist does not name the caller's address",
    ),
    ("404", "Not found (or outside the token's filter)"),
    ("409", "Conflict: the lead is linked to by a relation that refuses deletes"),
    ("410", "The campaign is archived"),
    ("413", "Body too large"),
    ("415", "A file of a type this campaign does not accept (checked by content)"),
    ("416", "The range asked for is outside the file"),
    ("422", "Validation failed: one message per field in error.fields"),
    (
        "429",
        "Rate limited (failed checks from the address, or the token's own limit); see Retry-After, and \
         RateLimit-Policy and RateLimit for a token's limit",
    ),
];

fn json_content(schema: impl Into<RefOr<Schema>>) -> Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn answer(description: &str, schema: impl Into<RefOr<Schema>>) -> Response {
    ResponseBuilder::new().description(description).content("application/json", json_content(schema)).build()
}

fn named(schema: &str) -> Ref {
    Ref::from_schema_name(schema)
}

/// An operation: its id, summary, success answers and the errors it may
/// answer (each a named response).
fn operation(id: &str, summary: &str, ok: Vec<(&str, Response)>, errors: &[&str]) -> OperationBuilder {
    let mut op = OperationBuilder::new().operation_id(Some(id)).summary(Some(summary));
    for (status, response) in ok {
        op = op.response(status, response);
    }
    for code in errors {
        op = op.response(*code, Ref::from_response_name(format!("E{code}")));
    }
    op
}

fn path_id(name: &str) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .example(Some(json!(
            crate::services::docs::api_doc::example_value_in("GET", "", name).parse::<i64>().unwrap_or(42)
        )))
        .schema(Some(integer()))
}

fn query(name: &str, schema: impl Into<RefOr<Schema>>, description: &str) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
}

fn idempotency_key() -> ParameterBuilder {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .schema(Some(string().min_length(Some(1)).max_length(Some(255)).pattern(Some("^[ -~]+$"))))
        .description(Some(
            "Retry safely: the same key with the same body within 24 hours answers the first answer again (with \
             Idempotent-Replayed: true) and creates nothing; with another body, 422.",
        ))
}

fn json_body(schema: &str, example: Value) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", ContentBuilder::new().schema(Some(named(schema))).example(Some(example)).build())
        .build()
}

fn binary(types: &[&str]) -> ResponseBuilder {
    let mut response = ResponseBuilder::new();
    for t in types {
        let bytes = string().format(Some(SchemaFormat::Custom("binary".into())));
        response = response.content(*t, json_content(bytes));
    }
    response
}

fn path(item: &mut PathsBuilder, at: String, operations: Vec<(HttpMethod, Operation)>) {
    let mut ops = operations.into_iter();
    let Some((method, first)) = ops.next() else { return };
    let mut path_item = PathItem::new(method, first);
    for (method, op) in ops {
        path_item.merge_operations(PathItem::new(method, op));
    }
    *item = std::mem::take(item).path(at, path_item);
}

/// The OpenAPI 3.1 document of a campaign's API. `global_enabled`: whether
/// Global Token Authentication is on (so which intake endpoints take a
/// token at all).
pub fn openapi(snap: &CampaignSnapshot, server: &str, filter: Option<&FilterSpec>, global_enabled: bool) -> OpenApi {
    let base = format!("/api/v1/campaigns/{}", snap.campaign.slug);
    let example = example_lead(snap, filter);
    let lead = |status: &'static str, description: &str| vec![(status, answer(description, named("Lead")))];
    let mut paths = PathsBuilder::new();

    let limit = integer().minimum(Some(1)).maximum(Some(500)).default(Some(json!(100)));
    let list = operation(
        "listLeads",
        "List leads (Read), oldest first; only leads inside the token's filter",
        vec![("200", answer("A page of leads", named("LeadPage")))],
        &["400", "401", "403", "429"],
    )
    .parameter(query("cursor", string().pattern(Some("^[0-9]+$")), "next_cursor of the previous page"))
    .parameter(query("limit", limit, "How many leads a page holds").example(Some(json!("100"))))
    .parameter(query("status", one_of_values(snap.statuses.iter().map(|s| s.slug.as_str())), "Only this status"))
    .parameter(query(
        "updated_since",
        string().format(known(KnownFormat::DateTime)),
        "Only leads changed at or after this moment",
    ));
    let create = operation(
        "createLead",
        "Create a lead (Write); it must fall inside the token's filter",
        lead("201", "The lead created"),
        &["400", "401", "403", "413", "422", "429"],
    )
    .parameter(idempotency_key())
    .request_body(Some(json_body("LeadCreate", example.clone())));
    path(
        &mut paths,
        format!("{base}/leads"),
        vec![(HttpMethod::Get, list.build()), (HttpMethod::Post, create.build())],
    );

    let status_example = snap.statuses.last().map(|s| s.slug.clone()).unwrap_or_default();
    let get = operation(
        "getLead",
        "One lead (Read); 404 outside the token's filter",
        lead("200", "The lead"),
        &["401", "403", "404", "429"],
    )
    .parameter(path_id("id"));
    let written = OneOfBuilder::new().item(named("Lead")).item(named("LeadWritten"));
    let update = operation(
        "updateLead",
        "Update fields, select values and status (Write); the lead must stay inside the token's filter. null \
         removes a value.",
        vec![("200", answer("The lead updated; to a token without Read, only its id and updated_at", written))],
        &["400", "401", "403", "404", "413", "422", "429"],
    )
    .parameter(path_id("id"))
    .request_body(Some(json_body("LeadUpdate", json!({"status": status_example}))));
    let delete = operation(
        "deleteLead",
        "Delete a lead (Write), with its files; 409 while a relation that refuses deletes links to it",
        vec![("204", ResponseBuilder::new().description("Deleted").build())],
        &["401", "403", "404", "409", "429"],
    )
    .parameter(path_id("id"));
    path(
        &mut paths,
        format!("{base}/leads/{{id}}"),
        vec![(HttpMethod::Get, get.build()), (HttpMethod::Patch, update.build()), (HttpMethod::Delete, delete.build())],
    );

    let accepted = snap.campaign.file_types();
    let files_page = ObjectBuilder::new()
        .property("items", ArrayBuilder::new().items(named("LeadFile")))
        .required("items")
        .property("next_cursor", ObjectBuilder::new().schema_type(either_null(Type::String)))
        .required("next_cursor");
    let files = operation(
        "listLeadFiles",
        "A lead's files (Read): name, size, type, SHA-256, when added",
        vec![("200", answer("The files", files_page))],
        &["401", "403", "404", "429"],
    )
    .parameter(path_id("id"));
    let mut upload_body = RequestBodyBuilder::new().required(Some(Required::True));
    for t in &accepted {
        let bytes = string().format(Some(SchemaFormat::Custom("binary".into())));
        upload_body = upload_body.content(*t, json_content(bytes));
    }
    let multipart = ObjectBuilder::new()
        .property("file", string().format(Some(SchemaFormat::Custom("binary".into()))))
        .required("file");
    upload_body = upload_body.content("multipart/form-data", json_content(multipart));
    let name = string().min_length(Some(1)).max_length(Some(255));
    let upload = operation(
        "uploadLeadFile",
        "Attach a file to a lead (Write): the raw bytes with their Content-Type and ?name=, or a multipart field \
         `file`",
        vec![("201", answer("The file stored", named("LeadFile")))],
        &["400", "401", "403", "404", "413", "415", "422", "429"],
    )
    .description(Some(format!(
        "Accepted types, checked by content: {}. Larger than the server's limit: 413.",
        accepted.join(", ")
    )))
    .parameter(path_id("id"))
    .parameter(query("name", name, "The file's name (raw uploads)").example(Some(json!(example_file(&accepted)))))
    .request_body(Some(upload_body.build()));
    path(
        &mut paths,
        format!("{base}/leads/{{id}}/files"),
        vec![(HttpMethod::Get, files.build()), (HttpMethod::Post, upload.build())],
    );

    let every_type: Vec<&str> = FileType::ALL.iter().map(|t| t.as_str()).collect();
    let range = ParameterBuilder::new()
        .name("Range")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .schema(Some(string().pattern(Some("^bytes=([0-9]+-[0-9]*|-[0-9]+)$"))))
        .description(Some("One byte range, e.g. bytes=0-1023"));
    let download = operation(
        "downloadLeadFile",
        "A file's bytes (Read), streamed, as an attachment; ETag, If-None-Match and byte ranges",
        vec![
            ("200", binary(&every_type).description("The file").build()),
            ("206", binary(&every_type).description("The range asked for").build()),
            ("304", ResponseBuilder::new().description("Unchanged since the ETag sent").build()),
        ],
        &["401", "403", "404", "416", "429"],
    )
    .parameter(path_id("id"))
    .parameter(path_id("file_id"))
    .parameter(range);
    let delete_file = operation(
        "deleteLeadFile",
        "Delete a file (Write)",
        vec![("204", ResponseBuilder::new().description("Deleted").build())],
        &["401", "403", "404", "429"],
    )
    .parameter(path_id("id"))
    .parameter(path_id("file_id"));
    path(
        &mut paths,
        format!("{base}/leads/{{id}}/files/{{file_id}}"),
        vec![(HttpMethod::Get, download.build()), (HttpMethod::Delete, delete_file.build())],
    );

    let schema = operation(
        "getSchema",
        "Fields, allowed values, create and update schemas, statuses, selects, and this token's filter",
        vec![("200", answer("The campaign structure", ObjectBuilder::new().schema_type(Type::Object)))],
        &["401", "403", "429"],
    );
    path(&mut paths, format!("{base}/schema"), vec![(HttpMethod::Get, schema.build())]);

    for source in &snap.sources {
        for &method in IntakeMethod::ALL {
            let (summary, body, example) = match method {
                IntakeMethod::Form => ("Submit a full lead (form submission)", "LeadIntake", example.clone()),
                IntakeMethod::Ping => (
                    "Ping with a partial lead; answers a ping_id valid for a few minutes",
                    "LeadPing",
                    json!({"fields": example["fields"]}),
                ),
                IntakeMethod::Post => {
                    let mut post = example.clone();
                    post["ping_id"] = json!(crate::services::docs::api_doc::EXAMPLE_PING_ID);
                    ("Post the full lead with the ping_id of a ping from the same source", "LeadPost", post)
                }
            };
            let ok = match method {
                IntakeMethod::Ping => vec![("200", answer("The ping", named("PingAnswer")))],
                _ => lead("201", "The lead created"),
            };
            let level = intake_level(snap, source, method, global_enabled);
            let refusals: &[&str] = match level {
                Some(_) => &["400", "401", "403", "404", "410", "413", "422", "429"],
                None => &["400", "404", "410", "413", "422"],
            };
            let description = match level {
                Some(l) => format!(
                    "Takes the {} token ({}…); the answer's Keyward-Auth-Level header says so.",
                    l.name(),
                    l.kind().prefix()
                ),
                None => "No level of token authentication is on: no token is needed.".to_owned(),
            };
            let security = match level {
                Some(_) => vec![SecurityRequirement::new("bearer", Vec::<String>::new())],
                None => vec![],
            };
            let op = operation(
                &format!("{method}_{}", source.slug.replace('-', "_")),
                &format!("{summary} — source {}", source.name),
                ok,
                refusals,
            )
            .description(Some(description))
            .tag("intake")
            .securities(Some(security))
            .parameter(idempotency_key())
            .request_body(Some(json_body(body, example)));
            path(&mut paths, format!("{base}/sources/{}/{method}", source.slug), vec![(HttpMethod::Post, op.build())]);
        }
    }

    let mut components = ComponentsBuilder::new()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Authorization: Bearer <token>"))
                    .build(),
            ),
        )
        .schema("Lead", lead_schema(snap))
        .schema("LeadCreate", lead_input_schema(snap, filter, LeadShape::Create))
        .schema("LeadUpdate", lead_input_schema(snap, filter, LeadShape::Update))
        .schema("LeadIntake", lead_input_schema(snap, None, LeadShape::Create))
        .schema("LeadPing", lead_input_schema(snap, None, LeadShape::Ping))
        .schema(
            "LeadPost",
            lead_input_schema(snap, None, LeadShape::Create).property("ping_id", string()).required("ping_id"),
        )
        .schema(
            "LeadPage",
            ObjectBuilder::new()
                .property("items", ArrayBuilder::new().items(named("Lead")))
                .required("items")
                .property("next_cursor", ObjectBuilder::new().schema_type(either_null(Type::String)))
                .required("next_cursor"),
        )
        .schema("Error", crate::error::schema());
    components = typed::<FileView>(components, "LeadFile");
    components = typed::<LeadWritten>(components, "LeadWritten");
    components = typed::<PingAnswer>(components, "PingAnswer");
    for (code, description) in ERRORS {
        components = components.response(format!("E{code}"), answer(description, named("Error")));
    }
    let about = format!(
        "The API of campaign `{}`, generated from its current structure: leads (with their relations to other \
         leads, by id) and lead files.{}",
        snap.campaign.slug,
        filter.map(|f| format!(" This token's filter: {}.", f.describe())).unwrap_or_default()
    );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(format!("{} — Keyward API", snap.campaign.name))
                .version("1")
                .description(Some(about)),
        )
        .servers(Some([ServerBuilder::new().url(server).build()]))
        .security(Some([SecurityRequirement::new("bearer", Vec::<String>::new())]))
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

/// A typed answer's schema under `name`, with the schemas it names.
fn typed<T: ToSchema>(mut components: ComponentsBuilder, name: &str) -> ComponentsBuilder {
    let mut named = Vec::new();
    T::schemas(&mut named);
    for (n, schema) in named {
        components = components.schema(n, schema);
    }
    components.schema(name, T::schema())
}

/// The level whose token decides a source's intake by this method; none:
/// no token is needed.
pub fn intake_level(snap: &CampaignSnapshot, source: &Source, method: IntakeMethod, global: bool) -> Option<Level> {
    let switches =
        LevelSwitches { source: source.method_enabled(method), campaign: snap.campaign.token_enabled, global };
    Level::deciding(switches, snap.campaign.id, source.id, method)
}

/// The name an example upload gives its file, by the first type accepted.
fn example_file(accepted: &[&str]) -> &'static str {
    crate::services::docs::api_doc::example_file(accepted.first().copied().unwrap_or("application/pdf"))
}
