//! One role matrix: every console route and every API route (read from the
//! route tables in `src/`, so a new route without a row fails this test),
//! against anonymous, each role, a profile token and every token kind. Each
//! row says who may pass the route's gate; the test checks that exactly
//! those do, and that the rest are refused as they should be: 403 for a
//! signed-in role or a token that may not, a redirect to sign in (console)
//! or 401 (API) for nobody. Passing the gate means any answer but those
//! (and never a 5xx): a 404 for a target that does not exist, a 422 for an
//! empty form. Requests that would change something aim at targets that do
//! not exist, or change nothing, so every principal meets the same state.

use std::collections::{BTreeSet, HashMap, HashSet};

use keyward::domain::{Permission, Role, TokenKind};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, Agent, TestApp};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Who {
    Anonymous,
    Role(Role),
    /// The super admin's profile API token.
    Profile,
    Kind(TokenKind),
}

#[derive(Clone, Copy, Debug)]
enum Gate {
    /// Anyone, signed in or not, with any token or none.
    Open,
    /// Console: any signed-in user.
    SignedIn,
    /// Console: a session whose role allows it; API: a personal or profile
    /// token whose user's role allows it.
    Perm(Permission),
    /// API: any personal or profile token.
    UserToken,
    /// API: tokens of these kinds only.
    Kinds(&'static [TokenKind]),
    /// API: the campaign's API token, or a user token that manages campaigns.
    Leads,
}

/// What a principal meets at a gate.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Pass,
    Forbidden,
    /// Console: a redirect to sign in; API: 401.
    SignIn,
}

fn expect(gate: Gate, who: Who) -> Expect {
    use Expect::*;
    match (gate, who) {
        (Gate::Open, _) => Pass,
        (_, Who::Anonymous) => SignIn,
        (Gate::SignedIn | Gate::UserToken, Who::Role(_) | Who::Profile) => Pass,
        (Gate::Perm(p), Who::Role(r)) => {
            if r.allows(p) {
                Pass
            } else {
                Forbidden
            }
        }
        (Gate::Perm(_), Who::Profile) => Pass,
        (Gate::Kinds(kinds), Who::Kind(k)) if kinds.contains(&k) => Pass,
        (Gate::Leads, Who::Kind(TokenKind::CampaignApi) | Who::Profile) => Pass,
        (Gate::Leads, Who::Role(r)) if r.allows(Permission::ManageCampaigns) => Pass,
        _ => Forbidden,
    }
}

struct Row {
    method: &'static str,
    /// The route pattern, exactly as the route table has it.
    pattern: &'static str,
    gate: Gate,
    /// Path parameters other than the defaults (see `fill`): `@name` is a
    /// fixture, anything else is literal.
    with: &'static [(&'static str, &'static str)],
    /// Console: `name=value&…` form fields; API: a JSON body ("" for none).
    body: &'static str,
    /// A token this route revokes when someone may: from then on that
    /// principal sits out.
    revokes: Option<Who>,
}

const fn r(method: &'static str, pattern: &'static str, gate: Gate) -> Row {
    Row { method, pattern, gate, with: &[], body: "", revokes: None }
}

impl Row {
    const fn with(mut self, with: &'static [(&'static str, &'static str)]) -> Self {
        self.with = with;
        self
    }
    const fn body(mut self, body: &'static str) -> Self {
        self.body = body;
        self
    }
    const fn revokes(mut self, who: Who) -> Self {
        self.revokes = Some(who);
        self
    }
}

const NONE: &[(&str, &str)] = &[("id", "999999")];
const CAMPAIGNS: Gate = Gate::Perm(Permission::ManageCampaigns);
const ORG: Gate = Gate::Perm(Permission::ManageOrgTokens);
const USERS: Gate = Gate::Perm(Permission::ManageUsers);
const SUPPORT: Gate = Gate::Perm(Permission::SupportTokens);

const CONSOLE: &[Row] = &[
    r("GET", "/", Gate::SignedIn),
    r("GET", "/setup", Gate::Open),
    r("POST", "/setup", Gate::Open).body("code=x&email=x&password=x&confirm=x"),
    r("GET", "/login", Gate::Open),
    r("POST", "/login", Gate::Open).body("email=nobody@example.com&password=wrong"),
    r("GET", "/password/forgot", Gate::Open),
    r("POST", "/password/forgot", Gate::Open).body("email=nobody@example.com"),
    r("GET", "/password/reset/{code}", Gate::Open),
    r("POST", "/password/reset/{code}", Gate::Open).body("password=x&confirm=x"),
    r("GET", "/profile", Gate::SignedIn),
    r("POST", "/profile", Gate::SignedIn).body("display_name=Matrix"),
    r("POST", "/profile/password", Gate::SignedIn).body("current=wrong&password=x&confirm=x"),
    r("POST", "/profile/api-token", Gate::SignedIn),
    r("GET", "/profile/api-token/revoke", Gate::SignedIn),
    r("POST", "/profile/api-token/revoke", Gate::SignedIn),
    r("GET", "/profile/tokens", Gate::SignedIn),
    r("POST", "/profile/tokens", Gate::SignedIn).body("description="),
    r("GET", "/profile/tokens/new", Gate::SignedIn),
    r("POST", "/profile/tokens/{id}/active", Gate::SignedIn).with(NONE),
    r("GET", "/profile/tokens/{id}/delete", Gate::SignedIn).with(NONE),
    r("POST", "/profile/tokens/{id}/delete", Gate::SignedIn).with(NONE),
    r("GET", "/settings", Gate::Open),
    r("GET", "/settings/tokens", ORG),
    r("POST", "/settings/tokens/global/enabled", ORG),
    r("POST", "/settings/tokens/global/show", ORG),
    r("GET", "/settings/tokens/global/regenerate", ORG),
    r("POST", "/settings/tokens/global/regenerate", ORG),
    r("GET", "/campaigns", CAMPAIGNS),
    r("POST", "/campaigns", CAMPAIGNS).body("name="),
    r("GET", "/campaigns/{id}", CAMPAIGNS),
    r("POST", "/campaigns/{id}", CAMPAIGNS).with(NONE).body("name=x"),
    r("POST", "/campaigns/{id}/archive", CAMPAIGNS).with(NONE),
    r("GET", "/campaigns/{id}/settings/tokens", CAMPAIGNS),
    r("POST", "/campaigns/{id}/settings/tokens/enabled", CAMPAIGNS),
    r("POST", "/campaigns/{id}/settings/tokens/show", CAMPAIGNS),
    r("GET", "/campaigns/{id}/settings/tokens/regenerate", CAMPAIGNS),
    r("POST", "/campaigns/{id}/settings/tokens/regenerate", CAMPAIGNS).with(&[("id", "@beta")]),
    r("GET", "/campaigns/{id}/sources", CAMPAIGNS),
    r("POST", "/campaigns/{id}/sources", CAMPAIGNS).body("name="),
    r("GET", "/campaigns/{id}/sources/{sid}", CAMPAIGNS),
    r("POST", "/campaigns/{id}/sources/{sid}", CAMPAIGNS).with(&[("sid", "999999")]).body("name=x&kind=CS"),
    r("GET", "/campaigns/{id}/sources/{sid}/tokens", CAMPAIGNS),
    r("POST", "/campaigns/{id}/sources/{sid}/tokens/{method}/enabled", CAMPAIGNS),
    r("POST", "/campaigns/{id}/sources/{sid}/tokens/{method}/show", CAMPAIGNS),
    r("GET", "/campaigns/{id}/sources/{sid}/tokens/{method}/regenerate", CAMPAIGNS),
    r("POST", "/campaigns/{id}/sources/{sid}/tokens/{method}/regenerate", CAMPAIGNS)
        .with(&[("id", "@beta"), ("sid", "@beta_source")]),
    r("GET", "/campaigns/{id}/fields", CAMPAIGNS),
    r("POST", "/campaigns/{id}/fields", CAMPAIGNS).body("slug="),
    r("POST", "/campaigns/{id}/fields/{fid}", CAMPAIGNS).with(&[("fid", "999999")]).body("label=x"),
    r("POST", "/campaigns/{id}/fields/{fid}/public", ORG).with(&[("fid", "999999")]),
    r("GET", "/campaigns/{id}/fields/{fid}/delete", CAMPAIGNS).with(&[("fid", "999999")]),
    r("POST", "/campaigns/{id}/fields/{fid}/delete", CAMPAIGNS).with(&[("fid", "999999")]),
    r("GET", "/campaigns/{id}/selects", CAMPAIGNS),
    r("POST", "/campaigns/{id}/selects", CAMPAIGNS).body("slug="),
    r("GET", "/campaigns/{id}/selects/{sel}/delete", CAMPAIGNS).with(&[("sel", "999999")]),
    r("POST", "/campaigns/{id}/selects/{sel}/delete", CAMPAIGNS).with(&[("sel", "999999")]),
    r("POST", "/campaigns/{id}/selects/{sel}/options", CAMPAIGNS)
        .with(&[("sel", "999999")])
        .body("option_slug=X&option_label=X"),
    r("GET", "/campaigns/{id}/selects/{sel}/options/{oid}/delete", CAMPAIGNS).with(&[("oid", "999999")]),
    r("POST", "/campaigns/{id}/selects/{sel}/options/{oid}/delete", CAMPAIGNS).with(&[("oid", "999999")]),
    r("GET", "/campaigns/{id}/statuses", CAMPAIGNS),
    r("POST", "/campaigns/{id}/statuses", CAMPAIGNS).body("slug="),
    r("POST", "/campaigns/{id}/statuses/{stid}/default", CAMPAIGNS).with(&[("stid", "999999")]),
    r("GET", "/campaigns/{id}/statuses/{stid}/delete", CAMPAIGNS).with(&[("stid", "999999")]),
    r("POST", "/campaigns/{id}/statuses/{stid}/delete", CAMPAIGNS).with(&[("stid", "999999")]),
    r("POST", "/campaigns/{id}/file-types", CAMPAIGNS).body("file_types=text/plain"),
    r("GET", "/campaigns/{id}/relations", CAMPAIGNS),
    r("POST", "/campaigns/{id}/relations", CAMPAIGNS).body("slug="),
    r("GET", "/campaigns/{id}/relations/{rid}/delete", CAMPAIGNS).with(&[("rid", "999999")]),
    r("POST", "/campaigns/{id}/relations/{rid}/delete", CAMPAIGNS).with(&[("rid", "999999")]),
    r("GET", "/campaigns/{id}/imports", CAMPAIGNS),
    r("GET", "/campaigns/{id}/destinations", CAMPAIGNS),
    r("POST", "/campaigns/{id}/destinations", CAMPAIGNS).body("name="),
    r("GET", "/campaigns/{id}/destinations/{did}", CAMPAIGNS).with(&[("did", "999999")]),
    r("POST", "/campaigns/{id}/destinations/{did}/regenerate", CAMPAIGNS).with(&[("did", "999999")]),
    r("POST", "/campaigns/{id}/destinations/{did}/active", CAMPAIGNS).with(&[("did", "999999")]),
    r("POST", "/campaigns/{id}/destinations/{did}/test", CAMPAIGNS).with(&[("did", "999999")]),
    r("POST", "/campaigns/{id}/destinations/{did}/events/{eid}/redeliver", CAMPAIGNS)
        .with(&[("did", "999999"), ("eid", "1")]),
    r("GET", "/campaigns/{id}/imports/{iid}/report.csv", CAMPAIGNS).with(&[("iid", "999999")]),
    r("GET", "/campaigns/{id}/leads", CAMPAIGNS),
    r("GET", "/campaigns/{id}/leads/{lid}", CAMPAIGNS).with(&[("lid", "999999")]),
    r("GET", "/campaigns/{id}/leads/{lid}/files/{fid}", CAMPAIGNS).with(&[("lid", "999999")]),
    r("GET", "/campaigns/{id}/filters", CAMPAIGNS),
    r("POST", "/campaigns/{id}/filters", CAMPAIGNS).body("name="),
    r("GET", "/campaigns/{id}/filters/{fid}", CAMPAIGNS).with(&[("fid", "@filter")]),
    r("POST", "/campaigns/{id}/filters/{fid}", CAMPAIGNS)
        .with(&[("fid", "999999")])
        .body("name=x&condition=partner%3DACME"),
    r("GET", "/campaigns/{id}/filters/{fid}/delete", CAMPAIGNS).with(&[("fid", "999999")]),
    r("POST", "/campaigns/{id}/filters/{fid}/delete", CAMPAIGNS).with(&[("fid", "999999")]),
    r("GET", "/campaigns/{id}/api/tokens", CAMPAIGNS),
    r("POST", "/campaigns/{id}/api/tokens", CAMPAIGNS).body("name="),
    r("POST", "/campaigns/{id}/api/tokens/{tid}/show", CAMPAIGNS).with(&[("tid", "999999")]),
    r("GET", "/campaigns/{id}/api/tokens/{tid}/edit", CAMPAIGNS).with(&[("tid", "999999")]),
    r("POST", "/campaigns/{id}/api/tokens/{tid}/edit", CAMPAIGNS).with(&[("tid", "999999")]).body("read=on"),
    r("GET", "/campaigns/{id}/api/tokens/{tid}/revoke", CAMPAIGNS).with(&[("tid", "999999")]),
    r("POST", "/campaigns/{id}/api/tokens/{tid}/revoke", CAMPAIGNS).with(&[("tid", "999999")]),
    r("GET", "/docs/api", Gate::Open),
    r("GET", "/api/v1/openapi.json", Gate::Open),
    r("GET", "/docs/c/{public_id}", Gate::Open),
    r("GET", "/docs/c/{public_id}/openapi.json", Gate::Open),
    r("GET", "/settings/account-tokens", ORG),
    r("GET", "/settings/account-tokens/public/generate", ORG),
    r("POST", "/settings/account-tokens/public/generate", ORG),
    r("POST", "/settings/account-tokens/public/show", ORG),
    r("GET", "/settings/account-tokens/public/delete", ORG),
    r("POST", "/settings/account-tokens/public/delete", ORG),
    r("POST", "/settings/account-tokens/private", ORG).body("user="),
    r("GET", "/settings/account-tokens/private/{key}/reset", ORG),
    r("POST", "/settings/account-tokens/private/{key}/reset", ORG),
    r("GET", "/settings/account-tokens/private/{key}/delete", ORG),
    r("POST", "/settings/account-tokens/private/{key}/delete", ORG),
    r("GET", "/support", Gate::Open),
    r("GET", "/support/tokens", SUPPORT),
    r("POST", "/support/tokens/check", SUPPORT).body("token=nope"),
    r("GET", "/support/tokens/{id}/revoke", SUPPORT).with(NONE),
    r("POST", "/support/tokens/{id}/revoke", SUPPORT).with(NONE).body("reason="),
    r("GET", "/support/tokens/{id}/deactivate", SUPPORT).with(NONE),
    r("POST", "/support/tokens/{id}/deactivate", SUPPORT).with(NONE).body("reason="),
    r("POST", "/support/tokens/{id}/reactivate", SUPPORT).with(NONE),
    r("GET", "/support/users/revoke", SUPPORT),
    r("POST", "/support/users/revoke", SUPPORT).body("email=nobody@example.com&reason=x"),
    r("GET", "/settings/token-policy", ORG),
    r("GET", "/settings/destinations", ORG),
    r("POST", "/settings/destinations", ORG),
    r("POST", "/settings/token-policy", ORG).body("max_days="),
    r("POST", "/settings/token-policy/reporters", ORG).body("description="),
    r("GET", "/tokens/{key}", Gate::SignedIn),
    r("POST", "/tokens/{key}/limits", Gate::SignedIn).body("allowed_ips="),
    r("GET", "/tokens/{key}/regenerate", Gate::SignedIn),
    r("POST", "/tokens/{key}/regenerate", Gate::SignedIn).body("grace=0"),
    r("POST", "/tokens/{key}/end-grace", Gate::SignedIn),
    r("GET", "/users", USERS),
    r("POST", "/users", USERS).body("email=&role=member"),
    r("POST", "/users/{id}/role", USERS).with(NONE).body("role=member"),
    r("POST", "/users/{id}/active", USERS).with(NONE),
    r("POST", "/users/{id}/api-token-allowed", USERS).with(NONE),
    r("POST", "/users/{id}/invitation", USERS).with(NONE),
    r("POST", "/users/api", USERS).body("name="),
    r("GET", "/users/api/{id}", USERS).with(NONE),
    r("POST", "/users/api/{id}/tokens", USERS).with(NONE).body("description=x"),
    r("GET", "/users/api/{id}/tokens/{tid}/revoke", USERS).with(NONE),
    r("POST", "/users/api/{id}/tokens/{tid}/revoke", USERS).with(NONE),
    r("GET", "/audit", Gate::Perm(Permission::ViewAudit)),
    r("GET", "/audit.csv", Gate::Perm(Permission::ViewAudit)),
    r("GET", "/dev/outbox", USERS),
    r("GET", "/dev/outbox/{name}", USERS),
    r("GET", "/dev/outbox/m/{id}", USERS).with(NONE),
    r("GET", "/dev/outbox/m/{id}/html", USERS).with(NONE),
    // Outside the console scope.
    r("GET", "/healthz", Gate::Open),
    r("GET", "/livez", Gate::Open),
    r("GET", "/metrics", Gate::Open),
    r("GET", "/static/{path:.*}", Gate::Open),
    r("GET", "/widget.js", Gate::Open),
    r("GET", "/widget/{c}", Gate::Open),
    // Last: it ends the session.
    r("POST", "/logout", Gate::SignedIn),
];

const NO_CAMPAIGN: &[(&str, &str)] = &[("c", "nope")];

const API: &[Row] = &[
    r("GET", "/api/v1/me", Gate::UserToken),
    r("POST", "/api/v1/tokens/revoke", Gate::Open).body(r#"{"token": "nope"}"#),
    r("POST", "/api/v1/campaigns/{c}/sources/{s}/form", Gate::Kinds(&[TokenKind::SourceForm])).body("{}"),
    r("POST", "/api/v1/campaigns/{c}/sources/{s}/ping", Gate::Open).body("{}"),
    r("POST", "/api/v1/campaigns/{c}/sources/{s}/post", Gate::Open).body("{}"),
    r("GET", "/api/v1/campaigns/{c}/leads", Gate::Leads),
    r("POST", "/api/v1/campaigns/{c}/leads", Gate::Leads).body("{}"),
    r("GET", "/api/v1/campaigns/{c}/leads/{id}", Gate::Leads).with(NONE),
    r("PATCH", "/api/v1/campaigns/{c}/leads/{id}", Gate::Leads).with(NONE).body("{}"),
    r("DELETE", "/api/v1/campaigns/{c}/leads/{id}", Gate::Leads).with(NONE),
    r("GET", "/api/v1/campaigns/{c}/schema", Gate::Leads),
    r("GET", "/api/v1/campaigns/{c}/leads/{id}/files", Gate::Leads).with(NONE),
    r("POST", "/api/v1/campaigns/{c}/leads/{id}/files", Gate::Leads).with(NONE),
    r("GET", "/api/v1/campaigns/{c}/leads/{id}/files/{file_id}", Gate::Leads).with(NONE),
    r("DELETE", "/api/v1/campaigns/{c}/leads/{id}/files/{file_id}", Gate::Leads).with(NONE),
    r("GET", "/api/public/v1/campaigns/{c}/stats", Gate::Kinds(&[TokenKind::AccountPublic])),
    r("OPTIONS", "/api/public/v1/campaigns/{c}/stats", Gate::Open),
    r("GET", "/api/public/v1/campaigns/{c}/counts", Gate::Kinds(&[TokenKind::AccountPublic])),
    r("OPTIONS", "/api/public/v1/campaigns/{c}/counts", Gate::Open),
    r("GET", "/api/public/v1/campaigns/{c}/leads", Gate::Kinds(&[TokenKind::AccountPublic])),
    r("OPTIONS", "/api/public/v1/campaigns/{c}/leads", Gate::Open),
    r("GET", "/api/v1/export/leads", Gate::Kinds(&[TokenKind::AccountPrivate])),
    r("POST", "/api/v1/tokens/introspect", Gate::Kinds(&[TokenKind::AccountPrivate])).body(r#"{"token": "nope"}"#),
    r("POST", "/api/v1/import/leads", Gate::Kinds(&[TokenKind::AccountPrivate])).with(&[]),
    r("GET", "/api/v1/imports/{id}", Gate::Kinds(&[TokenKind::AccountPrivate])).with(NONE),
    r("POST", "/api/v1/users", USERS).body(r#"{"email": "", "role": "member"}"#),
    r("PATCH", "/api/v1/users/{id}", USERS).with(NONE).body("{}"),
    r("POST", "/api/v1/users/{id}/tokens/revoke", SUPPORT).with(NONE).body(r#"{"reason": "x"}"#),
    r("GET", "/api/v1/api-users", USERS),
    r("POST", "/api/v1/api-users", USERS).body(r#"{"name": ""}"#),
    r("POST", "/api/v1/api-users/{id}/tokens", USERS).with(NONE).body(r#"{"description": "x"}"#),
    r("GET", "/api/v1/tokens", SUPPORT),
    r("GET", "/api/v1/users", USERS),
    r("GET", "/api/v1/campaigns", CAMPAIGNS),
    r("GET", "/api/v1/campaigns/{c}", CAMPAIGNS),
    r("GET", "/api/v1/campaigns/{c}/sources", CAMPAIGNS),
    r("GET", "/api/v1/campaigns/{c}/fields", CAMPAIGNS),
    r("GET", "/api/v1/campaigns/{c}/selects", CAMPAIGNS),
    r("GET", "/api/v1/campaigns/{c}/statuses", CAMPAIGNS),
    r("GET", "/api/v1/campaigns/{c}/filters", CAMPAIGNS),
    r("DELETE", "/api/v1/campaigns/{c}/fields/{item}", CAMPAIGNS).with(&[("item", "nope")]),
    r("DELETE", "/api/v1/campaigns/{c}/selects/{item}", CAMPAIGNS).with(&[("item", "nope")]),
    r("DELETE", "/api/v1/campaigns/{c}/statuses/{item}", CAMPAIGNS).with(&[("item", "nope")]),
    r("DELETE", "/api/v1/campaigns/{c}/filters/{item}", CAMPAIGNS).with(&[("item", "999999")]),
    r("GET", "/api/v1/users/{id}", USERS),
    r("PATCH", "/api/v1/campaigns/{c}", CAMPAIGNS).body("{}"),
    r("PATCH", "/api/v1/campaigns/{c}/sources/{s}", CAMPAIGNS).with(&[("s", "nope")]).body("{}"),
    r("PATCH", "/api/v1/campaigns/{c}/fields/{item}", CAMPAIGNS).with(&[("item", "nope")]).body("{}"),
    r("PATCH", "/api/v1/campaigns/{c}/statuses/{item}", CAMPAIGNS)
        .with(&[("item", "nope")])
        .body(r#"{"default": true}"#),
    r("PATCH", "/api/v1/campaigns/{c}/filters/{item}", CAMPAIGNS).with(&[("item", "999999")]).body("{}"),
    r("POST", "/api/v1/campaigns/{c}/selects/{item}/options", CAMPAIGNS).with(&[("item", "nope")]).body("{}"),
    r("DELETE", "/api/v1/campaigns/{c}/selects/{item}/options/{option}", CAMPAIGNS)
        .with(&[("item", "nope"), ("option", "nope")]),
    r("POST", "/api/v1/users/{id}/invitation", USERS).with(NONE),
    r("PATCH", "/api/v1/destinations/{id}", CAMPAIGNS).with(NONE).body(r#"{"active": true}"#),
    r("GET", "/api/v1/outbox", USERS),
    r("PATCH", "/api/v1/me", Gate::UserToken).body(r#"{"name": "x"}"#),
    r("POST", "/api/v1/me/tokens", Gate::UserToken).body(r#"{"description": ""}"#),
    r("DELETE", "/api/v1/tokens/{key}", Gate::UserToken),
    r("POST", "/api/v1/tokens/{key}/show", Gate::UserToken),
    r("POST", "/api/v1/tokens/{key}/active", SUPPORT).body(r#"{"active": true}"#),
    r("GET", "/api/v1/campaigns/{c}/relations", CAMPAIGNS),
    r("DELETE", "/api/v1/campaigns/{c}/relations/{item}", CAMPAIGNS).with(&[("item", "nope")]),
    r("GET", "/api/v1/campaigns/{c}/imports", CAMPAIGNS),
    r("PUT", "/api/v1/settings/leak-action", ORG).body(r#"{"action": "x"}"#),
    r("POST", "/api/v1/settings/reporters", ORG).body(r#"{"description": ""}"#),
    r("PUT", "/api/v1/settings/destination-rules", ORG).body(r#"{"allow_private": false, "allow_http": false}"#),
    r("GET", "/api/v1/audit", Gate::Perm(Permission::ViewAudit)),
    r("POST", "/api/v1/tokens/check", SUPPORT).body(r#"{"token": "nope"}"#),
    r("POST", "/api/v1/tokens/{key}/revoke", SUPPORT).body(r#"{"reason": "x"}"#),
    r("POST", "/api/v1/settings/account-tokens/private", ORG).body("{}"),
    r("POST", "/api/v1/settings/account-tokens/private/{key}/reset", ORG),
    r("DELETE", "/api/v1/settings/account-tokens/private/{key}", ORG),
    r("POST", "/api/v1/campaigns", CAMPAIGNS).body("{}"),
    r("POST", "/api/v1/campaigns/{c}/sources", CAMPAIGNS).body("{}"),
    r("POST", "/api/v1/campaigns/{c}/fields", CAMPAIGNS).body("{}"),
    r("POST", "/api/v1/campaigns/{c}/selects", CAMPAIGNS).body("{}"),
    r("POST", "/api/v1/campaigns/{c}/statuses", CAMPAIGNS).body("{}"),
    r("POST", "/api/v1/campaigns/{c}/filters", CAMPAIGNS).body("{}"),
    r("POST", "/api/v1/campaigns/{c}/relations", CAMPAIGNS).body("{}"),
    r("POST", "/api/v1/campaigns/{c}/destinations", CAMPAIGNS).body("{}"),
    r("GET", "/api/v1/destinations/{id}/deliveries", CAMPAIGNS).with(NONE),
    r("POST", "/api/v1/destinations/{id}/deliveries/{did}/redeliver", CAMPAIGNS)
        .with(&[("id", "999999"), ("did", "999999")]),
    r("POST", "/api/v1/destinations/{id}/test", CAMPAIGNS).with(NONE),
    // Who may regenerate or change a token follows its kind: the gate is a
    // user token, the token decides (404 for one the caller may not see).
    r("POST", "/api/v1/tokens/{key}/regenerate", Gate::UserToken).body(r#"{"grace_seconds": 0}"#),
    r("GET", "/api/v1/tokens/{key}", Gate::UserToken),
    r("PATCH", "/api/v1/tokens/{key}", Gate::UserToken).body("{}"),
    r("GET", "/api/v1/tokens/{key}/usage", Gate::UserToken),
    r("GET", "/api/v1/settings/token-policy", ORG),
    r("PUT", "/api/v1/settings/token-policy", ORG).body(r#"{"kinds": {}}"#),
    r("POST", "/api/v1/tokens/leaked", Gate::Kinds(&[TokenKind::Reporter])).body("[]"),
    r("POST", "/api/v1/campaigns/{c}/api-tokens", CAMPAIGNS).body("{}"),
    r("PUT", "/api/v1/campaigns/{c}/api-tokens/{id}", CAMPAIGNS).with(NO_CAMPAIGN).body(r#"{"read": true}"#),
    r("PUT", "/api/v1/settings/global-token", ORG).body(r#"{"enabled": false}"#),
    r("PUT", "/api/v1/campaigns/{c}/token", CAMPAIGNS).body(r#"{"enabled": false}"#),
    r("POST", "/api/v1/campaigns/{c}/token/regenerate", CAMPAIGNS).with(&[("c", "beta")]),
    r("PUT", "/api/v1/campaigns/{c}/sources/{s}/tokens/{m}", CAMPAIGNS).body(r#"{"enabled": false}"#),
    r("POST", "/api/v1/campaigns/{c}/sources/{s}/tokens/{m}/regenerate", CAMPAIGNS).with(&[("c", "beta")]),
    // These change tokens some principals hold: last.
    r("POST", "/api/v1/settings/global-token/regenerate", ORG).revokes(Who::Kind(TokenKind::Global)),
    r("POST", "/api/v1/settings/account-tokens/public", ORG).revokes(Who::Kind(TokenKind::AccountPublic)),
    r("DELETE", "/api/v1/settings/account-tokens/public", ORG),
];

/// Routes as the route tables declare them: `(METHOD, pattern)`.
fn declared_routes() -> BTreeSet<(String, String)> {
    let read = |f: &str| std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f)).unwrap();
    let mut routes = BTreeSet::new();
    for file in ["src/web/mod.rs", "src/startup.rs"] {
        let text = read(file);
        for part in text.split(".route(\"").skip(1) {
            let path = &part[..part.find('"').unwrap()];
            let method = part.split("web::").nth(1).unwrap().split("()").next().unwrap().to_uppercase();
            routes.insert((method, path.to_owned()));
        }
    }
    for resource in keyward::api::table() {
        for endpoint in &resource.endpoints {
            routes.insert((endpoint.method.to_string(), format!("/api{}", resource.path)));
        }
    }
    routes
}

#[test]
fn every_route_has_a_row_and_every_row_a_route() {
    let declared = declared_routes();
    assert!(declared.len() > 100, "the route tables were read: {}", declared.len());
    let rows: BTreeSet<(String, String)> =
        CONSOLE.iter().chain(API).map(|r| (r.method.to_owned(), r.pattern.to_owned())).collect();
    let missing: Vec<_> = declared.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&declared).collect();
    assert!(missing.is_empty(), "routes with no row in the matrix: {missing:?}");
    assert!(stale.is_empty(), "rows with no route: {stale:?}");
}

struct Fixture {
    params: HashMap<&'static str, String>,
    tokens: HashMap<Who, String>,
    sessions: HashMap<Who, Agent>,
}

async fn fixture(app: &TestApp) -> Fixture {
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let mut tokens = HashMap::new();
    let mut sessions = HashMap::new();
    tokens.insert(Who::Role(Role::SuperAdmin), api.token.clone().unwrap());
    for (email, role) in
        [("adm@example.com", Role::Admin), ("sup@example.com", Role::Support), ("mem@example.com", Role::Member)]
    {
        let agent = app.user_with_role(&admin, email, role.as_str()).await;
        tokens.insert(Who::Role(role), agent.create_personal_token("matrix").await.1);
        sessions.insert(Who::Role(role), agent);
    }
    tokens.insert(Who::Profile, admin.generate_profile_token().await);
    sessions.insert(Who::Role(Role::SuperAdmin), admin);
    sessions.insert(Who::Anonymous, app.agent());

    // Every setup call must work: a failed one would thin the matrix.
    let made = |a: crate::helpers::Answer| {
        assert!(a.status == StatusCode::CREATED || a.status == StatusCode::OK, "{:?}: {}", a.status, a.body);
        a.body
    };
    for (name, slug) in [("Alpha", "alpha"), ("Beta", "beta")] {
        made(api.post("/api/v1/campaigns", json!({"name": name, "slug": slug})).await);
        made(
            api.post(&format!("/api/v1/campaigns/{slug}/sources"), json!({"name": "Web", "kind": "CS", "slug": "web"}))
                .await,
        );
    }
    made(api.post("/api/v1/campaigns/alpha/fields", json!({"slug": "name", "label": "Name", "type": "text"})).await);
    made(
        api.post(
            "/api/v1/campaigns/alpha/selects",
            json!({"slug": "partner", "label": "Partner", "options": [{"slug": "ACME", "label": "Acme"}]}),
        )
        .await,
    );
    made(api.post("/api/v1/campaigns/alpha/statuses", json!({"slug": "sold", "label": "Sold"})).await);
    let filter = made(
        api.post(
            "/api/v1/campaigns/alpha/filters",
            json!({"name": "Acme", "conditions": [{"select": "partner", "option": "ACME"}]}),
        )
        .await,
    );
    let a =
        made(api.post("/api/v1/campaigns/alpha/api-tokens", json!({"name": "rw", "read": true, "write": true})).await);
    tokens.insert(Who::Kind(TokenKind::CampaignApi), a["token"].as_str().unwrap().to_owned());
    // A leak reporter's token, and a destination's signing secret (a token
    // too): neither may do anything but what its kind is for.
    let a = made(api.post("/api/v1/settings/reporters", json!({"description": "matrix"})).await);
    tokens.insert(Who::Kind(TokenKind::Reporter), a["token"].as_str().unwrap().to_owned());
    let a = made(
        api.post(
            "/api/v1/campaigns/alpha/destinations",
            json!({"name": "CRM", "url": "https://hooks.example.com/keyward", "events": ["lead.created"]}),
        )
        .await,
    );
    tokens.insert(Who::Kind(TokenKind::Destination), a["secret"].as_str().unwrap().to_owned());
    // A token of every level; only the source's form level stays on.
    let level = |path: String, kind: TokenKind, keep: bool| {
        let api = &api;
        async move {
            let a = api.put(&path, json!({"enabled": true})).await;
            assert_eq!(a.status, StatusCode::OK, "{path}");
            if !keep {
                api.put(&path, json!({"enabled": false})).await;
            }
            (Who::Kind(kind), a.body["token"].as_str().unwrap().to_owned())
        }
    };
    for (path, kind, keep) in [
        ("/api/v1/settings/global-token".to_owned(), TokenKind::Global, false),
        ("/api/v1/campaigns/alpha/token".to_owned(), TokenKind::Campaign, false),
        ("/api/v1/campaigns/alpha/sources/web/tokens/form".to_owned(), TokenKind::SourceForm, true),
        ("/api/v1/campaigns/alpha/sources/web/tokens/ping".to_owned(), TokenKind::SourcePing, false),
        ("/api/v1/campaigns/alpha/sources/web/tokens/post".to_owned(), TokenKind::SourcePost, false),
    ] {
        let (who, token) = level(path, kind, keep).await;
        tokens.insert(who, token);
    }
    let a = made(api.post("/api/v1/settings/account-tokens/public", json!({})).await);
    tokens.insert(Who::Kind(TokenKind::AccountPublic), a["token"].as_str().unwrap().to_owned());
    let a = made(
        api.post("/api/v1/settings/account-tokens/private", json!({"user": ADMIN_EMAIL, "description": "matrix"}))
            .await,
    );
    tokens.insert(Who::Kind(TokenKind::AccountPrivate), a["token"].as_str().unwrap().to_owned());

    let id_of = |sql: String| {
        use diesel::prelude::*;
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!("({sql})")))
            .get_result::<i64>(&mut app.conn())
            .unwrap()
            .to_string()
    };
    let mut params: HashMap<&'static str, String> = HashMap::new();
    params.insert("@alpha", id_of("SELECT id FROM campaigns WHERE slug = 'alpha'".into()));
    params.insert("@beta", id_of("SELECT id FROM campaigns WHERE slug = 'beta'".into()));
    params.insert(
        "@beta_source",
        id_of("SELECT s.id FROM sources s JOIN campaigns c ON c.id = s.campaign_id WHERE c.slug = 'beta'".into()),
    );
    params.insert("@filter", filter["id"].as_i64().unwrap().to_string());
    let public_id: String = {
        use diesel::prelude::*;
        use keyward::schema::campaigns;
        campaigns::table
            .filter(campaigns::slug.eq("alpha"))
            .select(campaigns::public_id)
            .first(&mut app.conn())
            .unwrap()
    };
    let defaults = [
        ("id", params["@alpha"].clone()),
        (
            "sid",
            id_of("SELECT s.id FROM sources s JOIN campaigns c ON c.id = s.campaign_id WHERE c.slug = 'alpha'".into()),
        ),
        ("method", "ping".to_owned()),
        ("sel", id_of("SELECT id FROM selects".into())),
        ("oid", id_of("SELECT id FROM select_options".into())),
        ("stid", id_of("SELECT id FROM statuses WHERE slug = 'sold'".into())),
        ("fid", id_of("SELECT id FROM fields".into())),
        ("tid", id_of("SELECT id FROM tokens WHERE kind = 'campaign_api'".into())),
        ("key", "kw_prv_Nope1234".to_owned()),
        ("code", "not-a-code".to_owned()),
        ("public_id", public_id),
        ("name", "nope.eml".to_owned()),
        ("file_id", "999999".to_owned()),
        ("path:.*", "app.css".to_owned()),
        ("c", "alpha".to_owned()),
        ("s", "web".to_owned()),
        ("m", "ping".to_owned()),
    ];
    params.extend(defaults);
    Fixture { params, tokens, sessions }
}

/// The row's path with its parameters filled in.
fn fill(row: &Row, params: &HashMap<&'static str, String>) -> String {
    let mut path = row.pattern.to_owned();
    while let Some(start) = path.find('{') {
        let end = start + path[start..].find('}').unwrap();
        let name = &path[start + 1..end];
        let value = match row.with.iter().find(|(k, _)| *k == name) {
            Some((_, v)) if v.starts_with('@') => params[v].clone(),
            Some((_, v)) => (*v).to_owned(),
            None => params.get(name).unwrap_or_else(|| panic!("no value for {{{name}}} in {}", row.pattern)).clone(),
        };
        path.replace_range(start..=end, &value);
    }
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_principal_meets_the_gate_of_every_route() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let mut failures = Vec::new();

    let api_principals: Vec<Who> = [Who::Anonymous, Who::Profile]
        .into_iter()
        .chain(Role::ALL.iter().map(|r| Who::Role(*r)))
        .chain(
            [
                TokenKind::Global,
                TokenKind::Campaign,
                TokenKind::SourceForm,
                TokenKind::SourcePing,
                TokenKind::SourcePost,
                TokenKind::CampaignApi,
                TokenKind::AccountPublic,
                TokenKind::AccountPrivate,
                TokenKind::Reporter,
                TokenKind::Destination,
            ]
            .map(Who::Kind),
        )
        .collect();
    // Every kind is presented: personal tokens as each role's, the profile
    // token as itself, every other kind as its own principal with a token.
    for kind in TokenKind::ALL {
        let presented = matches!(kind, TokenKind::Personal | TokenKind::Profile)
            || (api_principals.contains(&Who::Kind(*kind)) && f.tokens.contains_key(&Who::Kind(*kind)));
        assert!(presented, "the matrix presents no {kind:?} token");
    }
    let mut gone: HashSet<Who> = HashSet::new();
    let client = crate::helpers::api();
    for row in API {
        let url = app.url(&fill(row, &f.params));
        // The principal a row revokes goes first, while its token still works.
        let mut principals: Vec<Who> = api_principals.iter().copied().filter(|w| !gone.contains(w)).collect();
        principals.sort_by_key(|w| Some(*w) != row.revokes);
        for who in principals {
            let mut req = client.request(row.method.parse().unwrap(), &url);
            if let Some(token) = f.tokens.get(&who).filter(|_| who != Who::Anonymous) {
                req = req.bearer_auth(token);
            }
            if !row.body.is_empty() {
                req = req.header("content-type", "application/json").body(row.body);
            }
            let status = req.send().await.unwrap().status();
            let want = expect(row.gate, who);
            let ok = match want {
                Expect::Pass => !matches!(status.as_u16(), 401 | 403 | 405) && !status.is_server_error(),
                Expect::Forbidden => status == StatusCode::FORBIDDEN,
                Expect::SignIn => status == StatusCode::UNAUTHORIZED,
            };
            if !ok {
                failures.push(format!("{} {} as {who:?}: {status}, expected {want:?}", row.method, row.pattern));
            }
        }
        if let Some(revoked) = row.revokes {
            gone.insert(revoked);
        }
    }

    let console_principals: Vec<Who> =
        [Who::Anonymous].into_iter().chain(Role::ALL.iter().map(|r| Who::Role(*r))).collect();
    for row in CONSOLE {
        let path = fill(row, &f.params);
        for who in &console_principals {
            let agent = &f.sessions[who];
            let res = if row.method == "GET" {
                agent.get(&path).await
            } else {
                let fields: Vec<(&str, &str)> =
                    row.body.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap()).collect();
                let page = if *who == Who::Anonymous { "/login" } else { "/profile" };
                agent.submit(page, &path, &fields).await
            };
            let status = res.status();
            let to_sign_in =
                status == StatusCode::SEE_OTHER && crate::helpers::location(&res).starts_with("/login?next=");
            let want = expect(row.gate, *who);
            let ok = match want {
                Expect::Pass => status != StatusCode::FORBIDDEN && !to_sign_in && !status.is_server_error(),
                Expect::Forbidden => status == StatusCode::FORBIDDEN,
                Expect::SignIn => to_sign_in,
            };
            if !ok {
                failures.push(format!("{} {} as {who:?}: {status}, expected {want:?}", row.method, row.pattern));
            }
        }
    }
    assert!(failures.is_empty(), "{} of the matrix's answers are wrong:\n{}", failures.len(), failures.join("\n"));
}
