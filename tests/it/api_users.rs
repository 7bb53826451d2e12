//! API users (seed 004): created by a super admin with a name, a role and
//! an owner; no password, no sign-in, no mail; personal tokens issued and
//! revoked on their page; audited under their name; deactivation refuses
//! their tokens at once on every instance.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{Browser, finish};
use crate::helpers::{ADMIN_EMAIL, Api, Options, TestApp, api_get};

fn users_count(app: &TestApp) -> i64 {
    keyward::schema::users::table.count().get_result(&mut app.conn()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_user_holds_tokens_acts_with_its_role_and_is_audited_by_name() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;

    let a = api.post("/api/v1/api-users", json!({"name": "CRM sync", "role": "admin"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!((a.body["name"].as_str(), a.body["role"].as_str()), (Some("CRM sync"), Some("admin")));
    assert_eq!(a.body["owner"], ADMIN_EMAIL, "the creator owns it unless told otherwise");
    let id = a.body["id"].as_i64().unwrap();
    let listed = api.get("/api/v1/api-users").await;
    assert_eq!(listed.body["items"][0]["id"], id);

    let t = api.post(&format!("/api/v1/api-users/{id}/tokens"), json!({"description": "production CRM"})).await;
    assert_eq!(t.status, StatusCode::CREATED, "{:?}", t.body);
    let token = t.body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("kw_pat_"), "a personal token");

    let bot = Api::new(&app.base, Some(&token));
    let me = bot.get("/api/v1/me").await;
    assert_eq!((me.body["name"].as_str(), me.body["api_user"].as_bool()), (Some("CRM sync"), Some(true)));
    // Its role is admin: campaigns yes, users no.
    assert_eq!(bot.post("/api/v1/campaigns", json!({"name": "Bots"})).await.status, StatusCode::CREATED);
    assert_eq!(bot.post("/api/v1/api-users", json!({"name": "Another"})).await.status, StatusCode::FORBIDDEN);
    let actor: String = {
        use keyward::schema::audit_events::dsl::*;
        audit_events.filter(action.eq("campaign.created")).select(actor).first(&mut app.conn()).unwrap()
    };
    assert_eq!(actor, "CRM sync (API user)", "the audit log names the API user");

    // Only a super admin creates API users.
    let adm = app.user_with_role(&admin, "adm@example.com", "admin").await;
    let (_, adm_token) = adm.create_personal_token("adm").await;
    let refused = Api::new(&app.base, Some(&adm_token)).post("/api/v1/api-users", json!({"name": "Mine"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The users list keeps API users apart from people.
    let (_, page) = admin.page("/users").await;
    let people = &page[..page.find("id=\"api-users\"").unwrap()];
    assert!(!people.contains("CRM sync") && page.contains("CRM sync"));
    let (status, page) = admin.page(&format!("/users/api/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("production CRM") && page.contains(&token[..15]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_user_cannot_sign_in_or_be_mailed() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let a = api.post("/api/v1/api-users", json!({"name": "Nightly export"})).await;
    let (id, handle) = (a.body["id"].as_i64().unwrap(), a.body["handle"].as_str().unwrap().to_owned());
    assert_eq!(handle, "api:nightly-export");

    let visitor = app.agent();
    let res = visitor.submit("/login", "/login", &[("email", &handle), ("password", "anything at all")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(visitor.cookie("kw_session").is_none(), "no session");
    let body = res.text().await.unwrap();
    assert!(body.contains("Nightly export is an API user") && body.contains("cannot sign in"), "{body}");

    visitor.submit("/password/forgot", "/password/forgot", &[("email", &handle)]).await;
    let refused = admin.submit("/users", &format!("/users/{id}/invitation"), &[]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(app.outbox_to(&handle), 0, "nothing is ever mailed to an API user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_an_api_user_refuses_its_tokens_at_once_on_every_instance() {
    let a = TestApp::spawn().await;
    let admin = a.setup_admin().await;
    let b = TestApp::spawn_with(Options { attach: Some(a.attachment()), ..Default::default() }).await;
    let api = a.admin_api(&admin).await;
    let id = api.post("/api/v1/api-users", json!({"name": "Sync"})).await.body["id"].as_i64().unwrap();
    let t = api.post(&format!("/api/v1/api-users/{id}/tokens"), json!({"description": "d"})).await;
    let token = t.body["token"].as_str().unwrap().to_owned();
    let b_me = b.url("/api/v1/me");
    assert_eq!(api_get(&b_me, &token).await.0, StatusCode::OK, "cached on B");

    let res = api.send(reqwest::Method::PATCH, &format!("/api/v1/users/{id}"), Some(&json!({"active": false}))).await;
    assert_eq!(res.status, StatusCode::OK, "{:?}", res.body);
    assert_eq!(api_get(&a.url("/api/v1/me"), &token).await.0, StatusCode::UNAUTHORIZED, "at once on A");
    let refused = crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
        api_get(&b_me, &token).await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(refused, "B refuses it too");
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_api_user_input_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    api.post("/api/v1/api-users", json!({"name": "CRM sync"})).await;
    let before = users_count(&app);
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(81)}), "name"),
        (json!({"name": "CRM  Sync"}), "name"),
        (json!({"name": "Other", "owner": "nobody@example.com"}), "owner"),
        (json!({"name": "Other", "owner": "api:crm-sync"}), "owner"),
    ] {
        let a = api.post("/api/v1/api-users", body.clone()).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", a.body);
        assert!(a.body["error"]["fields"][field].is_string(), "{body}: {:?}", a.body);
    }
    let a = api.post("/api/v1/api-users", json!({"name": "Other", "role": "root"})).await;
    assert!(a.status.is_client_error(), "{:?}", a.body);
    assert_eq!(users_count(&app), before, "nothing stored");
    // A person's id is not an API user's.
    let me = api.get("/api/v1/me").await.body["id"].as_i64().unwrap();
    let a = api.post(&format!("/api/v1/api-users/{me}/tokens"), json!({"description": "x"})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

/// The console: create an API user, issue a token (shown once), revoke it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_super_admin_manages_an_api_user_in_the_browser() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        b.sign_in(ADMIN_EMAIL).await?;
        b.goto("/users").await?;
        b.fill("form[action='/users/api'] input[name=name]", "Lead router").await?;
        b.find("form[action='/users/api'] select[name=role] option[value=admin]").await?.click().await?;
        b.click_and_load("form[action='/users/api'] button[type=submit]").await?;
        let path = b.path().await?;
        anyhow::ensure!(path.starts_with("/users/api/"), "on the API user's page: {path}");
        anyhow::ensure!(b.body_text().await?.contains("API user Lead router created"));
        b.look("api-user-page").await?;

        b.fill("form[action$='/tokens'] input[name=description]", "router in production").await?;
        b.click_and_load("form[action$='/tokens'] button[type=submit]").await?;
        let token = b.find("#created-token").await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(token.starts_with("kw_pat_"), "shown once: {token}");
        b.look("api-user-token-reveal").await?;
        let (status, me) = api_get(&app.url("/api/v1/me"), &token).await;
        anyhow::ensure!(status == StatusCode::OK && me["name"] == "Lead router", "{status} {me}");
        b.click_and_load(".reveal a.button").await?;
        anyhow::ensure!(b.find("#created-token").await.is_err(), "not shown again");

        b.click("a[data-dialog^='#revoke-']").await?;
        b.click_and_load("dialog[open] button[type=submit]").await?;
        anyhow::ensure!(b.body_text().await?.contains("revoked"));
        let (status, _) = api_get(&app.url("/api/v1/me"), &token).await;
        anyhow::ensure!(status == StatusCode::UNAUTHORIZED, "revoked: {status}");
        b.goto("/users").await?;
        b.look("users-with-api-users").await?;
        Ok(())
    }
    .await;
    finish(b, "api_user_console", result).await;
}

/// Collections read with a user token, cursor-paginated as the console
/// reads them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_users_and_the_audit_log_are_listed_page_by_page() {
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    for name in ["Alpha", "Beta", "Gamma"] {
        assert_eq!(
            api.post("/api/v1/campaigns", serde_json::json!({"name": name})).await.status,
            reqwest::StatusCode::CREATED
        );
    }
    let first = api.get("/api/v1/campaigns?limit=2").await;
    assert_eq!(first.status, reqwest::StatusCode::OK, "{:?}", first.body);
    let names: Vec<&str> =
        first.body["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Alpha", "Beta"]);
    let cursor = first.body["next_cursor"].as_str().expect("more").to_owned();
    let second = api.get(&format!("/api/v1/campaigns?limit=2&cursor={cursor}")).await;
    assert_eq!(second.body["items"][0]["name"], "Gamma");
    assert!(second.body["next_cursor"].is_null());
    assert_eq!(api.get("/api/v1/campaigns?limit=0").await.status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(api.get("/api/v1/campaigns?cursor=x").await.status, reqwest::StatusCode::BAD_REQUEST);

    let users = api.get("/api/v1/users").await;
    assert_eq!(users.body["items"][0]["email"], crate::helpers::ADMIN_EMAIL);

    let audit = api.get("/api/v1/audit?action=campaign.created&limit=2").await;
    assert_eq!(audit.status, reqwest::StatusCode::OK);
    let items = audit.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["target"], "gamma", "newest first");
    let more = api
        .get(&format!("/api/v1/audit?action=campaign.created&cursor={}", audit.body["next_cursor"].as_str().unwrap()))
        .await;
    assert_eq!(more.body["items"][0]["target"], "alpha");
    assert_eq!(api.get("/api/v1/audit?from=yesterday").await.status, reqwest::StatusCode::BAD_REQUEST);
}

/// The API's OpenAPI 3.1 document validates and is whole: every route of
/// the route table is in it with a role, a request schema where it takes a
/// body and an answer schema where it answers one; every operation is a
/// route of the server; `/docs/api` shows each with an example request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_document_validates_and_names_every_route() {
    let app = crate::helpers::TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    let doc: serde_json::Value =
        crate::helpers::api().get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    crate::leads::validate_openapi(&doc);
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let what = format!("{method} {path}");
            assert!(op["operationId"].is_string() && op["summary"].is_string(), "{what}");
            assert!(op["x-keyward-who"].as_str().is_some_and(|w| !w.is_empty()), "{what}: who may call it");
            if let Some(content) = op["requestBody"]["content"].as_object() {
                for (kind, body) in content {
                    let schema = &body["schema"];
                    let described = schema["$ref"].is_string() || schema["type"].is_string();
                    assert!(described, "{what}: the {kind} body has a schema: {schema}");
                    if kind.contains("json") || kind.contains("form") {
                        assert!(!body["example"].is_null(), "{what}: the body has an example");
                    }
                }
            }
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses["default"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error",
                "{what}"
            );
            for (status, answer) in responses.iter().filter(|(s, _)| *s != "default") {
                if let Some(content) = answer["content"].as_object().filter(|_| status != "204") {
                    assert!(content.values().all(|c| c["schema"].is_object()), "{what} {status}");
                }
            }
            let concrete = path
                .replace("{c}", "spring")
                .replace("{s}", "web")
                .replace("{m}", "form")
                .replace("{id}", "1")
                .replace("{did}", "1")
                .replace("{file_id}", "1")
                .replace("{item}", "x")
                .replace("{option}", "x")
                .replace("{key}", "kw_pat_AbCd1234");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = crate::helpers::api().request(method.clone(), app.url(&concrete)).send().await.unwrap();
            // No empty requirement: a token is needed (intake's is optional).
            let needs_token =
                op["security"].as_array().unwrap().iter().all(|r| r.as_object().is_some_and(|r| !r.is_empty()));
            if needs_token {
                // Without a token every such route asks for one: a route
                // that did not exist would be 404 or 405.
                assert_eq!(res.status(), reqwest::StatusCode::UNAUTHORIZED, "{what}");
            } else {
                assert_ne!(res.status(), reqwest::StatusCode::METHOD_NOT_ALLOWED, "{what}");
            }
        }
    }
    let table: usize = keyward::api::table().iter().map(|r| r.endpoints.iter().filter(|e| !e.doc.hidden).count()).sum();
    assert_eq!(operations, table, "every route of the table is in the document");
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        assert!(schema.as_object().is_some_and(|s| !s.is_empty()), "schema {name} says something");
    }
    let (status, page) = app.agent().page("/docs/api").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    for (path, _) in paths {
        assert!(page.contains(&format!("<code>{path}</code>")), "/docs/api shows {path}");
    }
    for e in keyward::error::ERROR_CODES {
        assert!(page.contains(&format!("<code>{}</code>", e.code)), "the errors table has {}", e.code);
    }
    assert!(page.contains("curl -X POST"));
}

/// A campaign's structure read and trimmed through the API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaigns_structure_is_read_and_deleted_through_the_api() {
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let filter = crate::leads::seed(&api).await;
    let c = api.get("/api/v1/campaigns/spring").await;
    assert_eq!((c.status, c.body["slug"].as_str()), (reqwest::StatusCode::OK, Some("spring")));
    let fields = api.get("/api/v1/campaigns/spring/fields").await;
    let slugs: Vec<&str> =
        fields.body["items"].as_array().unwrap().iter().map(|f| f["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["email", "name"]);
    let selects = api.get("/api/v1/campaigns/spring/selects").await;
    assert_eq!(selects.body["items"][0]["options"][0]["slug"], "SELECT_PARTNER");
    let filters = api.get("/api/v1/campaigns/spring/filters").await;
    assert_eq!(filters.body["items"][0]["conditions"][0]["option"], "SELECT_PARTNER");
    assert_eq!(api.get("/api/v1/campaigns/spring/sources").await.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(api.get("/api/v1/campaigns/spring/statuses").await.status, reqwest::StatusCode::OK);

    let del = |path: String| api.send(reqwest::Method::DELETE, &path, None);
    assert_eq!(del("/api/v1/campaigns/spring/fields/name".into()).await.status, reqwest::StatusCode::NO_CONTENT);
    assert_eq!(del("/api/v1/campaigns/spring/fields/name".into()).await.status, reqwest::StatusCode::NOT_FOUND);
    assert_eq!(del(format!("/api/v1/campaigns/spring/filters/{filter}")).await.status, reqwest::StatusCode::NO_CONTENT);
    let fields = api.get("/api/v1/campaigns/spring/fields").await;
    assert_eq!(fields.body["items"].as_array().unwrap().len(), 1);
    let users = api.get("/api/v1/users").await;
    let id = users.body["items"][0]["id"].as_i64().unwrap();
    assert_eq!(api.get(&format!("/api/v1/users/{id}")).await.body["email"], crate::helpers::ADMIN_EMAIL);
    assert_eq!(api.get("/api/v1/users/999999").await.status, reqwest::StatusCode::NOT_FOUND);
}

/// The console's item actions have API twins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_items_users_destinations_and_the_outbox_through_the_api() {
    use serde_json::json;
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let filter = crate::leads::seed(&api).await;
    let patch = |path: &str, body: serde_json::Value| api.send(reqwest::Method::PATCH, path, Some(&body));
    let a = patch("/api/v1/campaigns/spring", json!({"name": "Spring 2027", "archived": true})).await;
    assert_eq!((a.status, a.body["name"].as_str()), (reqwest::StatusCode::OK, Some("Spring 2027")), "{:?}", a.body);
    assert!(a.body["archived_at"].is_string());
    assert!(patch("/api/v1/campaigns/spring", json!({"archived": false})).await.body["archived_at"].is_null());
    let bad = patch("/api/v1/campaigns/spring", json!({"name": ""})).await;
    assert_eq!(bad.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.get("/api/v1/campaigns/spring").await.body["name"], "Spring 2027", "nothing saved");

    let source =
        api.get("/api/v1/campaigns/spring/sources").await.body["items"][0]["slug"].as_str().unwrap().to_owned();
    let s = patch(&format!("/api/v1/campaigns/spring/sources/{source}"), json!({"name": "Web form"})).await;
    assert_eq!(s.body["name"], "Web form", "{:?}", s.body);
    let f = patch("/api/v1/campaigns/spring/fields/name", json!({"label": "Full name", "required": true})).await;
    assert_eq!(
        (f.body["label"].as_str(), f.body["required"].as_bool()),
        (Some("Full name"), Some(true)),
        "{:?}",
        f.body
    );
    let st = patch("/api/v1/campaigns/spring/statuses/sold", json!({"default": true})).await;
    assert_eq!(st.status, reqwest::StatusCode::OK, "{:?}", st.body);
    let statuses = api.get("/api/v1/campaigns/spring/statuses").await;
    assert!(statuses.body["items"].as_array().unwrap().iter().any(|s| s["slug"] == "sold" && s["default"] == true));
    let o = api
        .post(
            "/api/v1/campaigns/spring/selects/select_partner/options",
            json!({"slug": "VENDOR_SOUTH", "label": "Vendor South"}),
        )
        .await;
    assert_eq!(o.status, reqwest::StatusCode::CREATED, "{:?}", o.body);
    let gone = api
        .send(reqwest::Method::DELETE, "/api/v1/campaigns/spring/selects/select_partner/options/VENDOR_SOUTH", None)
        .await;
    assert_eq!(gone.status, reqwest::StatusCode::NO_CONTENT);
    let fl = patch(
        &format!("/api/v1/campaigns/spring/filters/{filter}"),
        json!({"name": "Vendor North", "conditions": [{"select": "select_partner", "option": "VENDOR_NORTH"}]}),
    )
    .await;
    assert_eq!(fl.body["name"], "Vendor North", "{:?}", fl.body);

    let invited = api.post("/api/v1/users", json!({"email": "late@example.com", "role": "member"})).await;
    let id = invited.body["id"].as_i64().unwrap();
    assert_eq!(
        api.post(&format!("/api/v1/users/{id}/invitation"), json!({})).await.status,
        reqwest::StatusCode::ACCEPTED
    );
    app.smtp.wait_for_count("late@example.com", 2).await;
    let outbox = api.get("/api/v1/outbox").await;
    assert!(
        outbox.body["items"].as_array().unwrap().iter().any(|m| m["to"] == "late@example.com"),
        "{:?}",
        outbox.body
    );
}

/// More twins: a token revoked, shown and switched through the API; one's
/// own profile and personal tokens; organisation settings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_settings_and_ones_own_account_through_the_api() {
    use serde_json::json;
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    // One's own personal token, then revoked by its owner.
    let own = api.post("/api/v1/me/tokens", json!({"description": "CI deploys", "expires_in_days": 30})).await;
    assert_eq!(own.status, reqwest::StatusCode::CREATED, "{:?}", own.body);
    let (key, token) = (own.body["key"].as_str().unwrap().to_owned(), own.body["token"].as_str().unwrap().to_owned());
    assert!(own.body["expires_at"].is_string());
    assert_eq!(api.with(Some(&token)).get("/api/v1/me").await.status, reqwest::StatusCode::OK);
    // Switched off and on by support (a super admin may), then deleted.
    let off = api.post(&format!("/api/v1/tokens/{key}/active"), json!({"active": false, "reason": "rotating"})).await;
    assert_eq!(off.body["active"], false, "{:?}", off.body);
    assert_eq!(api.with(Some(&token)).get("/api/v1/me").await.status, reqwest::StatusCode::UNAUTHORIZED);
    let no_reason = api.post(&format!("/api/v1/tokens/{key}/active"), json!({"active": false})).await;
    assert!(no_reason.status.is_client_error(), "a switch-off needs a reason: {:?}", no_reason.body);
    api.post(&format!("/api/v1/tokens/{key}/active"), json!({"active": true})).await;
    assert_eq!(api.with(Some(&token)).get("/api/v1/me").await.status, reqwest::StatusCode::OK);
    assert_eq!(
        api.send(reqwest::Method::DELETE, &format!("/api/v1/tokens/{key}"), None).await.status,
        reqwest::StatusCode::NO_CONTENT
    );
    assert_eq!(api.with(Some(&token)).get("/api/v1/me").await.status, reqwest::StatusCode::UNAUTHORIZED);
    // A personal token cannot be shown again; the global token can.
    assert_eq!(api.post(&format!("/api/v1/tokens/{key}/show"), json!({})).await.status, reqwest::StatusCode::FORBIDDEN);
    let global = api.put("/api/v1/settings/global-token", json!({"enabled": true})).await;
    let global_token = global.body["token"].as_str().unwrap().to_owned();
    let shown = api.post(&format!("/api/v1/tokens/{}/show", &global_token[..15]), json!({})).await;
    assert_eq!(shown.body["token"], global_token.as_str());
    // Profile and settings.
    let name = api.send(reqwest::Method::PATCH, "/api/v1/me", Some(&json!({"name": "Ada Lovelace"}))).await;
    assert_eq!(name.status, reqwest::StatusCode::NO_CONTENT);
    assert_eq!(
        api.put("/api/v1/settings/leak-action", json!({"action": "flag"})).await.status,
        reqwest::StatusCode::OK
    );
    assert_eq!(
        api.put("/api/v1/settings/leak-action", json!({"action": "ignore"})).await.status,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY
    );
    let reporter = api.post("/api/v1/settings/reporters", json!({"description": "GitHub"})).await;
    assert!(reporter.body["token"].as_str().unwrap().starts_with("kw_rep_"));
    let rules =
        api.put("/api/v1/settings/destination-rules", json!({"allow_private": true, "allow_http": false})).await;
    assert_eq!(rules.body["allow_private"], true);
    assert_eq!(api.get("/api/v1/campaigns/nope/imports").await.status, reqwest::StatusCode::NOT_FOUND);
}
