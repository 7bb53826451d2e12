//! The one route table's words: each resource folder lists its routes as
//! [`Resource`]s, each method an [`Endpoint`] pairing the handler with its
//! [`Doc`]. The same table registers the routes with actix and writes
//! `/api/v1/openapi.json` (see [`document`]): request and answer schemas
//! come from the views' `ToSchema` types, so what the document says is what
//! the handlers take and answer.

use std::collections::BTreeMap;

use actix_web::http::{Method, header};
use actix_web::{ResponseError as _, web};
use serde_json::{Value, json};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required,
    ResponseBuilder, ServerBuilder,
};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{Permission, Role, TokenKind};
use crate::error::{ApiError, AppError};

/// A schema and the named schemas it refers to.
type Schemas = Vec<(String, RefOr<Schema>)>;

/// Who may call an operation.
#[derive(Debug, Clone, Copy)]
pub enum Who {
    /// Anyone: no token is needed.
    Anyone,
    /// Any personal or profile token; the target decides the rest (a token
    /// the caller may not see answers 404).
    AnyUser,
    /// A personal or profile token whose user's role allows this.
    Role(Permission),
    /// Tokens of these kinds only.
    Kinds(&'static [TokenKind]),
    /// A campaign API token of the campaign (read or write as the verb
    /// needs), or a user token whose role manages campaigns.
    Leads,
    /// The source's intake token for this method when it is on (the
    /// campaign's or the global token when those are on); none when off.
    Intake,
}

impl Who {
    /// The sentence the docs page and the document show.
    pub fn describe(self) -> String {
        let roles = |p: Permission| {
            let roles: Vec<&str> = Role::ALL.iter().filter(|r| r.allows(p)).map(|r| r.label()).collect();
            roles.join(", ")
        };
        let (personal, profile) = (TokenKind::Personal.prefix(), TokenKind::Profile.prefix());
        match self {
            Who::Anyone => "anyone; no token".to_owned(),
            Who::AnyUser => {
                format!("any personal or profile token ({personal}, {profile}); the token decides what it sees")
            }
            Who::Role(p) => format!("a personal or profile token of: {}", roles(p)),
            Who::Kinds(kinds) => {
                let kinds: Vec<String> = kinds.iter().map(|k| format!("{} ({})", k.label(), k.prefix())).collect();
                format!("a token of kind: {}", kinds.join(", "))
            }
            Who::Leads => format!(
                "the campaign's API token ({}; read to read, write to change), or a personal or profile token of: {}",
                TokenKind::CampaignApi.prefix(),
                roles(Permission::ManageCampaigns)
            ),
            Who::Intake => "the source's token for this method when it is on (or the campaign's or the global token \
                            when on); no token when none is on"
                .to_owned(),
        }
    }

    fn needs_token(self) -> bool {
        !matches!(self, Who::Anyone | Who::Intake)
    }
}

/// A request or answer body: its content type, schema and the schemas
/// it names.
#[derive(Clone, Copy)]
struct Payload {
    content_type: &'static str,
    schema: Option<fn() -> RefOr<Schema>>,
    collect: fn(&mut Schemas),
}

/// What the docs say about one operation.
pub struct Doc {
    pub tag: &'static str,
    pub summary: &'static str,
    pub who: Who,
    /// An example body, if the operation takes one.
    pub example: Option<Value>,
    body: Option<Payload>,
    /// The success status.
    pub status: u16,
    /// Another success status with the same answer (an import queued).
    also: Option<u16>,
    /// An error answered in another shape than `Error` (RFC 7009's).
    refusal: Option<(u16, Payload)>,
    answer: Option<Payload>,
    query: Option<fn() -> Vec<utoipa::openapi::path::Parameter>>,
    /// Left out of the document (a CORS preflight).
    pub hidden: bool,
}

/// The docs of an operation: its tag, a one-line summary and who may call it.
pub fn doc(tag: &'static str, summary: &'static str, who: Who) -> Doc {
    Doc {
        tag,
        summary,
        who,
        example: None,
        body: None,
        status: 200,
        also: None,
        refusal: None,
        answer: None,
        query: None,
        hidden: false,
    }
}

fn reference<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

fn collect<T: ToSchema>(schemas: &mut Schemas) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

fn array_of<T: ToSchema>() -> RefOr<Schema> {
    ArrayBuilder::new().items(reference::<T>()).into()
}

fn collect_nothing(_: &mut Schemas) {}

impl Doc {
    /// Takes a JSON body of type `T`; `example` is one the docs show.
    pub fn body<T: ToSchema>(mut self, example: Value) -> Self {
        self.body =
            Some(Payload { content_type: "application/json", schema: Some(reference::<T>), collect: collect::<T> });
        self.example = Some(example);
        self
    }

    /// Takes a JSON array of `T`.
    pub fn body_array<T: ToSchema>(mut self, example: Value) -> Self {
        self.body =
            Some(Payload { content_type: "application/json", schema: Some(array_of::<T>), collect: collect::<T> });
        self.example = Some(example);
        self
    }

    /// Takes a form (`application/x-www-form-urlencoded`) of `T`.
    pub fn form<T: ToSchema>(mut self, example: Value) -> Self {
        self.body = Some(Payload {
            content_type: "application/x-www-form-urlencoded",
            schema: Some(reference::<T>),
            collect: collect::<T>,
        });
        self.example = Some(example);
        self
    }

    /// Takes a body that is not JSON (a file, a CSV), in `content_type`
    /// or, where the query says what it is, as bare bytes.
    pub fn raw_body(mut self, content_type: &'static str) -> Self {
        self.body = Some(Payload { content_type, schema: None, collect: collect_nothing });
        self
    }

    /// Answers `status` with a `T`.
    pub fn answers<T: ToSchema>(mut self, status: u16) -> Self {
        self.status = status;
        self.answer =
            Some(Payload { content_type: "application/json", schema: Some(reference::<T>), collect: collect::<T> });
        self
    }

    /// Answers `status` with a JSON array of `T`.
    pub fn answers_array<T: ToSchema>(mut self, status: u16) -> Self {
        self.status = status;
        self.answer =
            Some(Payload { content_type: "application/json", schema: Some(array_of::<T>), collect: collect::<T> });
        self
    }

    /// Answers `status` with a body that is not JSON.
    pub fn answers_raw(mut self, status: u16, content_type: &'static str) -> Self {
        self.status = status;
        self.answer = Some(Payload { content_type, schema: None, collect: collect_nothing });
        self
    }

    /// Refuses with `status` and a `T` instead of the usual `Error`.
    pub fn refuses<T: ToSchema>(mut self, status: u16) -> Self {
        self.refusal = Some((
            status,
            Payload { content_type: "application/json", schema: Some(reference::<T>), collect: collect::<T> },
        ));
        self
    }

    /// May also answer `status`, with the same body.
    pub fn or(mut self, status: u16) -> Self {
        self.also = Some(status);
        self
    }

    /// Answers `status` with no body.
    pub fn answers_nothing(mut self, status: u16) -> Self {
        self.status = status;
        self.answer = None;
        self
    }

    /// Reads the query parameters of `P`.
    pub fn query<P: IntoParams>(mut self) -> Self {
        self.query = Some(|| P::into_params(|| Some(ParameterIn::Query)));
        self
    }

    /// Left out of the document.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }
}

/// One method of a resource: its handler and its docs.
pub struct Endpoint {
    pub method: Method,
    pub doc: Doc,
    route: actix_web::Route,
}

/// `method` of a resource answered by `handler`, as `doc` says.
pub fn on<F, Args>(method: Method, handler: F, doc: Doc) -> Endpoint
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    Endpoint { route: web::method(method.clone()).to(handler), method, doc }
}

/// A path of the API (under `/api`) and its methods.
pub struct Resource {
    pub path: &'static str,
    pub endpoints: Vec<Endpoint>,
}

pub fn resource(path: &'static str, endpoints: impl IntoIterator<Item = Endpoint>) -> Resource {
    Resource { path, endpoints: endpoints.into_iter().collect() }
}

impl Resource {
    /// The actix resource; any other method gets 405 with `Allow` naming
    /// these (HEAD wherever GET is), not the scope's 404.
    pub fn service(self) -> actix_web::Resource {
        let mut methods: Vec<&str> = self.endpoints.iter().map(|e| e.method.as_str()).collect();
        if methods.contains(&"GET") {
            methods.push("HEAD");
        }
        let allow = methods.join(", ");
        let mut resource = web::resource(self.path);
        for e in self.endpoints {
            resource = resource.route(e.route);
        }
        resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move {
                let mut res = ApiError(AppError::MethodNotAllowed).error_response();
                if let Ok(v) = header::HeaderValue::from_str(&allow) {
                    res.headers_mut().insert(header::ALLOW, v);
                }
                res
            }
        }))
    }
}

/// `POST /api/v1/users` → `post-api-v1-users`.
pub fn operation_id(method: &Method, path: &str) -> String {
    format!("{}-api{}", method.as_str().to_lowercase(), path.replace(['/', '{', '}'], "-").replace("--", "-"))
        .replace("--", "-")
        .trim_end_matches('-')
        .to_owned()
}

/// An example value as JSON: a number when it is one.
fn example_of(value: &str) -> Value {
    value.parse::<i64>().map_or_else(|_| json!(value), |n| json!(n))
}

/// A path parameter's schema, by the name the table gives it.
fn path_parameter(name: &str) -> (Schema, &'static str) {
    let integer = || {
        Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
                .build(),
        )
    };
    // Slugs and ids are letters, digits, `-` and `_`; a key is its kind's
    // prefix and letters and digits. (A pattern also lets a fuzzer make a
    // value that is not one.)
    const SLUG: &str = "^[A-Za-z0-9_-]{1,100}$";
    let string =
        |pattern: &str| Schema::Object(ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).build());
    match name {
        "id" | "did" | "file_id" => (integer(), "an id this API gave"),
        "c" => (string(SLUG), "a campaign, by slug or id"),
        "s" => (string(SLUG), "a source of the campaign, by slug or id"),
        "m" => (
            Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(crate::domain::IntakeMethod::ALL.iter().map(|m| m.as_str())))
                    .build(),
            ),
            "an intake method",
        ),
        "key" => {
            (string("^kw_[a-z]{3}_[A-Za-z0-9]{1,64}$"), "a token's key (its first characters, as lists show them)")
        }
        "option" => (string(SLUG), "an option's slug"),
        _ => (string(SLUG), "a slug or id"),
    }
}

/// The management API's OpenAPI 3.1 document, from the route table.
pub fn document(table: &[Resource], server: &str) -> OpenApi {
    let mut schemas: Schemas = Vec::new();
    let mut paths = PathsBuilder::new();
    for r in table {
        let path = format!("/api{}", r.path);
        let mut item: Option<PathItem> = None;
        for e in r.endpoints.iter().filter(|e| !e.doc.hidden) {
            let op = operation(&path, e, &mut schemas);
            let method = http_method(&e.method);
            match &mut item {
                Some(item) => item.merge_operations(PathItem::new(method, op)),
                None => item = Some(PathItem::new(method, op)),
            }
        }
        if let Some(item) = item {
            paths = paths.path(path, item);
        }
    }
    let mut components = ComponentsBuilder::new().schema("Error", crate::error::schema()).security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A Keyward token: `Authorization: Bearer kw_…`"))
                .build(),
        ),
    );
    let unique: BTreeMap<String, RefOr<Schema>> = schemas.into_iter().collect();
    for (name, schema) in unique {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("Keyward API").version("1").description(Some(
            "Users, tokens of every kind, campaigns and their structure, leads, imports and exports, \
                     public data, destinations, settings and the audit log. Each campaign's intake and leads \
                     API also has its own document, with its fields, at /docs/c/{public_id}/openapi.json.",
        )))
        .servers(Some([ServerBuilder::new().url(server).build()]))
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

fn http_method(method: &Method) -> HttpMethod {
    match *method {
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        Method::OPTIONS => HttpMethod::Options,
        Method::HEAD => HttpMethod::Head,
        _ => HttpMethod::Get,
    }
}

fn operation(path: &str, e: &Endpoint, schemas: &mut Schemas) -> utoipa::openapi::path::Operation {
    let d = &e.doc;
    let who = d.who.describe();
    let mut op = OperationBuilder::new()
        .operation_id(Some(operation_id(&e.method, path.trim_start_matches("/api"))))
        .summary(Some(d.summary))
        .description(Some(format!("Who: {who}.")))
        .tag(d.tag);
    for name in path.split('/').filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
        let (schema, description) = path_parameter(name);
        op = op.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(description))
                .example(Some(example_of(crate::services::docs::api_doc::example_value_in(
                    e.method.as_str(),
                    path,
                    name,
                ))))
                .schema(Some(schema)),
        );
    }
    if let Some(query) = d.query {
        for p in query() {
            op = op.parameter(p);
        }
    }
    if let Some(body) = &d.body {
        (body.collect)(schemas);
        let schema = body.schema.map(|s| s()).unwrap_or_else(|| {
            ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::Custom("binary".into()))).into()
        });
        let content = ContentBuilder::new().schema(Some(schema)).example(d.example.clone()).build();
        let mut request =
            RequestBodyBuilder::new().required(Some(Required::True)).content(body.content_type, content.clone());
        if body.schema.is_none() && body.content_type != "application/octet-stream" {
            // The query names the format: bare bytes are read the same.
            request = request.content("application/octet-stream", content);
        }
        op = op.request_body(Some(request.build()));
    }
    let mut ok = ResponseBuilder::new().description(status_text(d.status));
    if let Some(answer) = &d.answer {
        (answer.collect)(schemas);
        let schema = answer.schema.map(|s| s()).unwrap_or_else(|| {
            let kind = if answer.content_type.ends_with("/json") { Type::Object } else { Type::String };
            ObjectBuilder::new().schema_type(kind).into()
        });
        ok = ok.content(answer.content_type, ContentBuilder::new().schema(Some(schema)).build());
    }
    let error = || {
        ResponseBuilder::new()
            .description("An error; its code is in the errors table")
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Error"))).build())
            .build()
    };
    let ok = ok.build();
    if let Some(also) = d.also {
        let mut other = ok.clone();
        other.description = status_text(also).to_owned();
        op = op.response(also.to_string(), other);
    }
    if let Some((status, refusal)) = &d.refusal {
        (refusal.collect)(schemas);
        let schema = refusal.schema.map(|s| s()).unwrap_or_else(|| ObjectBuilder::new().into());
        // The status's other errors keep the usual shape.
        let schema = utoipa::openapi::schema::OneOfBuilder::new().item(schema).item(Ref::from_schema_name("Error"));
        let answer = ResponseBuilder::new()
            .description("Refused: this operation's own error, or the usual one")
            .content(refusal.content_type, ContentBuilder::new().schema(Some(schema)).build())
            .build();
        op = op.response(status.to_string(), answer);
    }
    op = op.response(d.status.to_string(), ok).response("default", error());
    let bearer = || SecurityRequirement::new("bearer", Vec::<String>::new());
    op = match d.who {
        // A token when a level of intake authentication is on; none when
        // none is (one sent then is not looked at).
        Who::Intake => op.securities(Some([SecurityRequirement::default(), bearer()])),
        who if who.needs_token() => op.security(bearer()),
        _ => op.securities(Some([SecurityRequirement::default()])),
    };
    let mut op = op.build();
    let mut extensions = utoipa::openapi::extensions::Extensions::default();
    extensions.insert("x-keyward-who".to_owned(), json!(who));
    op.extensions = Some(extensions);
    op
}

fn status_text(status: u16) -> &'static str {
    match status {
        201 => "Created",
        202 => "Accepted: it happens in the background",
        204 => "Done; no body",
        304 => "Not modified since the ETag given",
        _ => "Done",
    }
}
