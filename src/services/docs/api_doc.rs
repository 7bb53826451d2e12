//! The management API's OpenAPI 3.1 document (`/api/v1/openapi.json`) and
//! the operations `/docs/api` renders: one table, so the two agree. Every
//! operation here is a route of `api/` (the tests check both ways).

use serde_json::{Map, Value, json};

/// One operation of the management API.
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    /// Who may call it.
    pub who: &'static str,
    /// An example JSON body, if it takes one.
    pub example: Option<Value>,
    /// Query parameters: (name, description).
    pub query: &'static [(&'static str, &'static str)],
    /// The success status.
    pub ok: u16,
}

const USER: &str = "a personal or profile token whose user may do this";

fn op(method: &'static str, path: &'static str, tag: &'static str, summary: &'static str) -> Operation {
    Operation { method, path, tag, summary, who: USER, example: None, query: &[], ok: 200 }
}

impl Operation {
    fn body(mut self, example: Value) -> Self {
        self.example = Some(example);
        self
    }
    fn status(mut self, ok: u16) -> Self {
        self.ok = ok;
        self
    }
    fn who(mut self, who: &'static str) -> Self {
        self.who = who;
        self
    }
    fn query(mut self, query: &'static [(&'static str, &'static str)]) -> Self {
        self.query = query;
        self
    }

    /// `POST /api/v1/users` → `post-api-v1-users`.
    pub fn id(&self) -> String {
        format!("{}{}", self.method.to_lowercase(), self.path.replace(['/', '{', '}'], "-").replace("--", "-"))
            .trim_end_matches('-')
            .to_owned()
    }

    /// A `curl` line for the docs page.
    pub fn curl(&self, base: &str) -> String {
        let path = self
            .path
            .replace("{c}", "spring")
            .replace("{s}", "web")
            .replace("{m}", crate::domain::IntakeMethod::Form.as_str())
            .replace("{id}", "42")
            .replace("{did}", "7")
            .replace("{item}", "sold")
            .replace("{option}", "VENDOR_NORTH")
            .replace("{key}", "kw_pat_AbCd1234");
        // Double quotes: the shell expands `$KEYWARD_TOKEN` inside them.
        let mut line =
            format!("curl -X {} \"{base}{path}\" \\\n  -H \"Authorization: Bearer $KEYWARD_TOKEN\"", self.method);
        if let Some(body) = &self.example {
            line.push_str(&format!(" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{body}'"));
        }
        line
    }
}

const PAGE_QUERY: &[(&str, &str)] =
    &[("limit", "1 to 500 items (default 100)"), ("cursor", "the next_cursor of the previous page")];
const TOKEN_QUERY: &[(&str, &str)] = &[
    ("kind", "a token kind"),
    ("campaign", "a campaign slug or id"),
    ("owner", "part of the owner's email"),
    ("status", "active, deactivated, expired or revoked"),
    ("key", "the start of a token key"),
    ("limit", "1 to 500 (default 100)"),
    ("cursor", "the next_cursor of the previous page"),
];
const AUDIT_QUERY: &[(&str, &str)] = &[
    ("actor", "part of who acted"),
    ("action", "an action (user.invited) or a group (user)"),
    ("target", "part of the target"),
    ("from", "a first day, YYYY-MM-DD"),
    ("to", "a last day, YYYY-MM-DD"),
    ("limit", "1 to 500 (default 100)"),
    ("cursor", "the next_cursor of the previous page"),
];

/// Every operation, in the order the page shows them.
pub fn operations() -> Vec<Operation> {
    vec![
        op("GET", "/api/v1/me", "Users", "Who the token acts as, and the token itself"),
        op("PATCH", "/api/v1/me", "Users", "Change your display name").body(json!({"name": "Ada"})).status(204),
        op("POST", "/api/v1/me/tokens", "Users", "Create a personal token for yourself (shown once)")
            .body(json!({"description": "CI deploys", "expires_in_days": 90}))
            .status(201),
        op("GET", "/api/v1/users", "Users", "Users, people and API users").query(PAGE_QUERY),
        op("POST", "/api/v1/users", "Users", "Invite a user (the invitation is mailed)")
            .body(json!({"email": "sam@example.com", "role": "member"}))
            .status(201),
        op("GET", "/api/v1/users/{id}", "Users", "One user"),
        op("PATCH", "/api/v1/users/{id}", "Users", "Change a user's role, switch them off or on, or their API token option")
            .body(json!({"role": "support", "active": true, "api_token_allowed": true})),
        op("POST", "/api/v1/users/{id}/tokens/revoke", "Users", "Revoke every token a user owns or is assigned (one email)")
            .body(json!({"reason": "left the company"})),
        op("POST", "/api/v1/users/{id}/invitation", "Users", "Send a user a new invitation link").status(202),
        op("GET", "/api/v1/outbox", "Settings", "The mail queue: what was sent, what waits and why"),
        op("GET", "/api/v1/api-users", "Users", "API users"),
        op("POST", "/api/v1/api-users", "Users", "Create an API user").body(json!({"name": "CRM sync", "role": "admin"})).status(201),
        op("POST", "/api/v1/api-users/{id}/tokens", "Users", "Issue a personal token to an API user (shown once)")
            .body(json!({"description": "nightly sync"}))
            .status(201),
        op("GET", "/api/v1/audit", "Audit", "The audit log, newest first").query(AUDIT_QUERY),
        op("GET", "/api/v1/tokens", "Tokens", "Tokens of every kind, metadata only, newest first").query(TOKEN_QUERY),
        op("POST", "/api/v1/tokens/check", "Tokens", "Which token is this pasted (possibly leaked) value? It is not stored")
            .body(json!({"token": "kw_pat_…"})),
        op("GET", "/api/v1/tokens/{key}", "Tokens", "One token: metadata, allowlist, rate limit, expiry, grace, leak reports"),
        op("PATCH", "/api/v1/tokens/{key}", "Tokens", "Change a token's allowlist, rate limit or expiry")
            .body(json!({"allowed_ips": ["203.0.113.0/24"], "rate_limit": {"per_second": 10, "per_minute": 600}, "expires_at": "2027-06-30T00:00:00Z"})),
        op("GET", "/api/v1/tokens/{key}/usage", "Tokens", "Uses and refusals per day, and the last addresses")
            .query(&[("days", "1 to 90 (default 90)")]),
        op("POST", "/api/v1/tokens/{key}/regenerate", "Tokens", "Regenerate; the old token keeps working for the grace")
            .body(json!({"grace_seconds": 86400})),
        op("POST", "/api/v1/tokens/{key}/revoke", "Tokens", "Support: revoke any token; its owner is told why")
            .body(json!({"reason": "found in a public gist"})),
        op("DELETE", "/api/v1/tokens/{key}", "Tokens", "Revoke a token you manage").status(204),
        op("POST", "/api/v1/tokens/{key}/show", "Tokens", "The value of a token that can be shown again (level, campaign API, public); audited"),
        op("POST", "/api/v1/tokens/{key}/active", "Tokens", "Support: switch a token off (with a reason its owner is told) or back on")
            .body(json!({"active": false, "reason": "suspicious traffic"})),
        op("POST", "/api/v1/tokens/leaked", "Tokens", "Report strings found in public (GitHub's secret-scanning shape)")
            .body(json!([{"token": "kw_pat_…", "url": "https://github.com/o/r/blob/main/.env", "source": "commit"}]))
            .who("a reporter token (kw_rep_)"),
        op("GET", "/api/v1/settings/token-policy", "Settings", "The token policy per kind"),
        op("PUT", "/api/v1/settings/token-policy", "Settings", "Set the policy of the kinds named")
            .body(json!({"kinds": {"personal": {"max_days": 90, "default_days": 30, "never_allowed": false, "retention_days": 7, "rate_limit": {"per_minute": 600}}}})),
        op("PUT", "/api/v1/settings/leak-action", "Settings", "What a leak report does: revoke or flag").body(json!({"action": "revoke"})),
        op("POST", "/api/v1/settings/reporters", "Settings", "Issue a leak reporter token (shown once)")
            .body(json!({"description": "GitHub secret scanning"}))
            .status(201),
        op("PUT", "/api/v1/settings/destination-rules", "Settings", "Where destinations may point beyond public HTTPS")
            .body(json!({"allow_private": false, "allow_http": false})),
        op("PUT", "/api/v1/settings/global-token", "Settings", "Turn Global Token Authentication on or off").body(json!({"enabled": true})),
        op("POST", "/api/v1/settings/global-token/regenerate", "Settings", "Regenerate the global token (the old one stops at once)"),
        op("POST", "/api/v1/settings/account-tokens/public", "Settings", "Generate or reset the account public token"),
        op("DELETE", "/api/v1/settings/account-tokens/public", "Settings", "Delete the account public token").status(204),
        op("POST", "/api/v1/settings/account-tokens/private", "Settings", "Create an account private token for a user (shown once)")
            .body(json!({"user": "analyst@example.com", "description": "nightly export"}))
            .status(201),
        op("POST", "/api/v1/settings/account-tokens/private/{key}/reset", "Settings", "Reset a private token (the old value stops at once)"),
        op("DELETE", "/api/v1/settings/account-tokens/private/{key}", "Settings", "Delete a private token").status(204),
        op("GET", "/api/v1/campaigns", "Campaigns", "Campaigns").query(PAGE_QUERY),
        op("POST", "/api/v1/campaigns", "Campaigns", "Create a campaign").body(json!({"name": "Spring", "slug": "spring"})).status(201),
        op("GET", "/api/v1/campaigns/{c}", "Campaigns", "One campaign, by slug or id"),
        op("PATCH", "/api/v1/campaigns/{c}", "Campaigns", "Rename, describe, archive or restore a campaign, or set its lead file types")
            .body(json!({"name": "Spring 2027", "archived": false, "file_types": ["application/pdf", "image/png"]})),
        op("PATCH", "/api/v1/campaigns/{c}/sources/{s}", "Campaigns", "Rename a source or change its kind").body(json!({"name": "Web form"})),
        op("PATCH", "/api/v1/campaigns/{c}/fields/{item}", "Campaigns", "Change a field's label or whether it is required or public")
            .body(json!({"label": "E-mail", "required": true})),
        op("PATCH", "/api/v1/campaigns/{c}/statuses/{item}", "Campaigns", "Make a status the default of new leads").body(json!({"default": true})),
        op("PATCH", "/api/v1/campaigns/{c}/filters/{item}", "Campaigns", "Rename a filter or change its conditions")
            .body(json!({"name": "Partner ABC", "conditions": [{"select": "select_partner", "option": "PARTNER_ABC"}]})),
        op("POST", "/api/v1/campaigns/{c}/selects/{item}/options", "Campaigns", "Add an option to a select list")
            .body(json!({"slug": "VENDOR_NORTH", "label": "Vendor North"}))
            .status(201),
        op("DELETE", "/api/v1/campaigns/{c}/selects/{item}/options/{option}", "Campaigns", "Remove an option from a select list").status(204),
        op("GET", "/api/v1/campaigns/{c}/sources", "Campaigns", "A campaign's sources and which of their tokens are on").query(PAGE_QUERY),
        op("GET", "/api/v1/campaigns/{c}/fields", "Campaigns", "A campaign's fields").query(PAGE_QUERY),
        op("GET", "/api/v1/campaigns/{c}/selects", "Campaigns", "A campaign's select lists and their options").query(PAGE_QUERY),
        op("GET", "/api/v1/campaigns/{c}/statuses", "Campaigns", "A campaign's statuses").query(PAGE_QUERY),
        op("GET", "/api/v1/campaigns/{c}/filters", "Campaigns", "A campaign's filters and their conditions").query(PAGE_QUERY),
        op("DELETE", "/api/v1/campaigns/{c}/fields/{item}", "Campaigns", "Delete a field, by slug (its values go with it)").status(204),
        op("DELETE", "/api/v1/campaigns/{c}/selects/{item}", "Campaigns", "Delete a select list, by slug").status(204),
        op("DELETE", "/api/v1/campaigns/{c}/statuses/{item}", "Campaigns", "Delete a status, by slug (refused while leads have it)").status(204),
        op("DELETE", "/api/v1/campaigns/{c}/relations/{item}", "Campaigns", "Delete a relation, by slug").status(204),
        op("GET", "/api/v1/campaigns/{c}/imports", "Campaigns", "The campaign's imports, newest first"),
        op("DELETE", "/api/v1/campaigns/{c}/filters/{item}", "Campaigns", "Delete a filter, by id (refused while a live token uses it)").status(204),
        op("POST", "/api/v1/campaigns/{c}/sources", "Campaigns", "Add a source").body(json!({"name": "Web", "kind": "CS"})).status(201),
        op("POST", "/api/v1/campaigns/{c}/fields", "Campaigns", "Add a field")
            .body(json!({"slug": "email", "label": "Email", "type": "email", "required": true}))
            .status(201),
        op("POST", "/api/v1/campaigns/{c}/selects", "Campaigns", "Add a select list with its options")
            .body(json!({"slug": "select_partner", "label": "Lead source", "options": [{"slug": "PARTNER_ABC", "label": "Partner ABC"}]}))
            .status(201),
        op("POST", "/api/v1/campaigns/{c}/statuses", "Campaigns", "Add a status").body(json!({"slug": "sold", "label": "Sold"})).status(201),
        op("POST", "/api/v1/campaigns/{c}/filters", "Campaigns", "Add a filter (its conditions all hold)")
            .body(json!({"name": "Partner ABC", "conditions": [{"select": "select_partner", "option": "PARTNER_ABC"}]}))
            .status(201),
        op("POST", "/api/v1/campaigns/{c}/relations", "Campaigns", "Relate this campaign's leads to another's")
            .body(json!({"slug": "account", "label": "Account", "target_campaign": "accounts", "many": false, "required": false}))
            .status(201),
        op("POST", "/api/v1/campaigns/{c}/api-tokens", "Campaigns", "Create a campaign API token (shown once)")
            .body(json!({"name": "Partner ABC", "read": true, "write": false, "filter_id": 3}))
            .status(201),
        op("PUT", "/api/v1/campaigns/{c}/api-tokens/{id}", "Campaigns", "Change a campaign API token's permissions or filter")
            .body(json!({"read": true, "write": true, "filter_id": 3})),
        op("PUT", "/api/v1/campaigns/{c}/token", "Campaigns", "Turn the campaign's token authentication on or off").body(json!({"enabled": true})),
        op("POST", "/api/v1/campaigns/{c}/token/regenerate", "Campaigns", "Regenerate the campaign token (the old one stops at once)"),
        op("PUT", "/api/v1/campaigns/{c}/sources/{s}/tokens/{m}", "Campaigns", "Turn a source's form, ping or post token on or off")
            .body(json!({"enabled": true})),
        op("POST", "/api/v1/campaigns/{c}/sources/{s}/tokens/{m}/regenerate", "Campaigns", "Regenerate a source token"),
        op("POST", "/api/v1/campaigns/{c}/destinations", "Destinations", "Add a webhook destination (its signing secret is shown once)")
            .body(json!({"name": "CRM", "url": "https://crm.example.com/hooks/keyward", "events": ["lead.created"]}))
            .status(201),
        op("PATCH", "/api/v1/destinations/{id}", "Destinations", "Pause or resume a destination").body(json!({"active": false})),
        op("GET", "/api/v1/destinations/{id}/deliveries", "Destinations", "A destination's delivery log"),
        op("POST", "/api/v1/destinations/{id}/deliveries/{did}/redeliver", "Destinations", "Deliver an event again").status(202),
        op("POST", "/api/v1/destinations/{id}/test", "Destinations", "Send a test event").status(202),
    ]
}

/// The OpenAPI 3.1 document.
pub fn openapi(server: &str) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for o in operations() {
        let mut params: Vec<Value> = o
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        params.extend(
            o.query.iter().map(|(name, d)| json!({"name": name, "in": "query", "required": false, "description": d, "schema": {"type": "string"}})),
        );
        let ok = if o.ok == 204 {
            json!({"description": "Done"})
        } else {
            json!({"description": "Done", "content": {"application/json": {"schema": {}}}})
        };
        let mut operation = json!({
            "operationId": o.id(),
            "summary": o.summary,
            "description": format!("Who: {}.", o.who),
            "tags": [o.tag],
            "parameters": params,
            "responses": {
                o.ok.to_string(): ok,
                "default": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        if let Some(example) = &o.example {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": {"type": if example.is_array() { "array" } else { "object" }}, "example": example}},
            });
        }
        let item = paths.entry(o.path.to_owned()).or_insert_with(|| json!({}));
        item[o.method.to_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Keyward management API",
            "version": "1",
            "description": "Users, tokens of every kind, campaigns and their structure, destinations, settings and the audit log, as the console manages them. Each campaign's intake and leads API has its own document at /docs/c/{public_id}/openapi.json.",
        },
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A personal or profile API token (kw_pat_…, kw_usr_…); a reporter token for leak reports"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    }}},
                },
            },
        },
    })
}
