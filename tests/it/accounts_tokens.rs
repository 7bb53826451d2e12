//! Account public and private tokens (seed 004), the data services they
//! open, and introspection of every kind and state.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp, api, location, value_of};

async fn with_leads(app: &TestApp, admin_api: &Api) {
    admin_api.post("/api/v1/campaigns", json!({"name": "Spring", "slug": "spring"})).await;
    admin_api.post("/api/v1/campaigns/spring/sources", json!({"name": "Web", "kind": "CS"})).await;
    admin_api.post("/api/v1/campaigns/spring/fields", json!({"slug": "name", "label": "Name", "type": "text"})).await;
    admin_api.post("/api/v1/campaigns/spring/statuses", json!({"slug": "sold", "label": "Sold"})).await;
    for name in ["Ann", "=HYPERLINK(\"http://evil\")", "Bob"] {
        let a = admin_api.post("/api/v1/campaigns/spring/leads", json!({"fields": {"name": name}})).await;
        assert_eq!(a.status, StatusCode::CREATED);
    }
    let _ = app;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_token_opens_stats_only_with_cors_and_reset_refuses_the_old_one() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let admin_api = app.admin_api(&admin).await;
    with_leads(&app, &admin_api).await;

    let first = admin_api.post("/api/v1/settings/account-tokens/public", json!({})).await;
    let public = first.body["token"].as_str().unwrap().to_owned();
    assert!(public.starts_with("kw_pub_"));
    let stats = Api::new(&app.base, Some(&public)).get("/api/public/v1/campaigns/spring/stats").await;
    assert_eq!(stats.status, StatusCode::OK, "{:?}", stats.body);
    assert_eq!(stats.body["total"], 3);
    assert_eq!(stats.body["by_status"], json!({"new": 3}));
    let days = stats.body["by_day"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days[29]["count"], 3, "today's leads");
    assert!(!stats.body.to_string().contains("Ann"), "nothing personal");

    // As ?token=, with CORS for this route only.
    let res =
        api().get(app.url(&format!("/api/public/v1/campaigns/spring/stats?token={public}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let pre =
        api().request(reqwest::Method::OPTIONS, app.url("/api/public/v1/campaigns/spring/stats")).send().await.unwrap();
    assert_eq!(pre.status(), StatusCode::NO_CONTENT);
    assert!(pre.headers()["access-control-allow-headers"].to_str().unwrap().contains("Authorization"));
    let other = api().get(app.url("/api/v1/me")).send().await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // It opens nothing else.
    let p = Api::new(&app.base, Some(&public));
    for a in [
        p.get("/api/v1/me").await,
        p.get("/api/v1/export/leads?campaign=spring").await,
        p.get("/api/v1/campaigns/spring/leads").await,
    ] {
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{:?}", a.body);
        assert_eq!(a.body["error"]["code"], "insufficient_scope");
    }

    // Reset: new value, old refused at once; delete refuses the new one.
    let second = admin_api.post("/api/v1/settings/account-tokens/public", json!({})).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(second, public);
    let old = p.get("/api/public/v1/campaigns/spring/stats").await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert_eq!(old.body["error"]["code"], "token_revoked");
    assert_eq!(
        Api::new(&app.base, Some(&second)).get("/api/public/v1/campaigns/spring/stats").await.status,
        StatusCode::OK
    );
    let deleted = admin_api.send(reqwest::Method::DELETE, "/api/v1/settings/account-tokens/public", None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        Api::new(&app.base, Some(&second)).get("/api/public/v1/campaigns/spring/stats").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_token_exports_everything_streamed_and_every_use_is_logged_with_its_user() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let admin_api = app.admin_api(&admin).await;
    with_leads(&app, &admin_api).await;
    let _analyst = app.user_with_role(&admin, "analyst@example.com", "member").await;

    // Created on the console, shown once, assigned to a user.
    let res = admin
        .submit(
            "/settings/account-tokens",
            "/settings/account-tokens/private",
            &[("user", "analyst@example.com"), ("description", "nightly CRM export")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = admin.page("/settings/account-tokens").await;
    let private = value_of(&body, "created-private").unwrap();
    assert!(private.starts_with("kw_prv_"));
    let (_, page) = admin.page("/settings/account-tokens").await;
    assert!(
        page.contains("analyst@example.com") && page.contains("nightly CRM export") && !page.contains(&private[15..])
    );
    assert!(page.contains("Do not send tokens through plain text email"));

    let exporter = Api::new(&app.base, Some(&private));
    let res = api()
        .get(app.url("/api/v1/export/leads?campaign=spring&format=csv"))
        .bearer_auth(&private)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert!(res.headers().get("content-length").is_none(), "streamed (chunked)");
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,created_at,updated_at,status,source,fields.name"));
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\""), "formula neutralised: {csv}");

    let res = api()
        .get(app.url("/api/v1/export/leads?campaign=spring&format=ndjson"))
        .bearer_auth(&private)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    let leads: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(leads.len(), 3);
    assert_eq!(leads[0]["fields"]["name"], "Ann");
    let newer = exporter.get("/api/v1/export/leads?campaign=spring&updated_since=2999-01-01T00:00:00Z").await;
    assert_eq!(newer.status, StatusCode::OK);
    assert_eq!(exporter.get("/api/v1/export/leads?campaign=spring&format=xml").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(exporter.get("/api/v1/export/leads").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(exporter.get("/api/v1/export/leads?campaign=nope").await.status, StatusCode::NOT_FOUND);

    let used: Vec<(String, String, Value)> = {
        use keyward::schema::audit_events::dsl::*;
        audit_events.filter(action.eq("token.used")).select((actor, target, details)).load(&mut app.conn()).unwrap()
    };
    assert!(used.len() >= 2);
    assert!(
        used.iter().all(|(who, what, details)| who == "analyst@example.com"
            && private.starts_with(what.as_str())
            && details["via_token"] == what.as_str()
            && details["assigned_to"] == "analyst@example.com"),
        "every use is logged with the user the token is assigned to: {used:?}"
    );

    // A personal token does not export.
    let personal = admin_api.get("/api/v1/export/leads?campaign=spring").await;
    assert_eq!(personal.status, StatusCode::FORBIDDEN);

    // Reset on the console: new value shown once, old refused.
    let key = &private[..15];
    let (status, confirm) = admin.page(&format!("/settings/account-tokens/private/{key}/reset")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("break"));
    let res =
        admin.submit("/settings/account-tokens", &format!("/settings/account-tokens/private/{key}/reset"), &[]).await;
    assert_eq!(location(&res), "/settings/account-tokens");
    let (_, page) = admin.page("/settings/account-tokens").await;
    let fresh = value_of(&page, "created-private").unwrap();
    assert_ne!(fresh, private);
    let (_, again) = admin.page("/settings/account-tokens").await;
    assert!(!again.contains(&fresh[15..]), "shown once");
    assert_eq!(exporter.get("/api/v1/export/leads?campaign=spring").await.status, StatusCode::UNAUTHORIZED);
    let res = admin
        .submit("/settings/account-tokens", &format!("/settings/account-tokens/private/{}/delete", &fresh[..15]), &[])
        .await;
    assert_eq!(location(&res), "/settings/account-tokens");
    assert_eq!(
        exporter.with(Some(&fresh)).get("/api/v1/export/leads?campaign=spring").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_super_admins_manage_account_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    for role in ["admin", "support", "member"] {
        let agent = app.user_with_role(&admin, &format!("{role}-x@example.com"), role).await;
        assert_eq!(agent.get("/settings/account-tokens").await.status(), StatusCode::FORBIDDEN, "{role}");
        let res = agent.submit("/profile", "/settings/account-tokens/public/generate", &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let (_, token) = agent.create_personal_token("x").await;
        let a = Api::new(&app.base, Some(&token))
            .post("/api/v1/settings/account-tokens/private", json!({"user": "admin@example.com", "description": "x"}))
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{role}");
    }
    let live: i64 = keyward::schema::tokens::table
        .filter(keyward::schema::tokens::kind.eq_any(["account_public", "account_private"]))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(live, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_answers_for_every_kind_and_state() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let admin_api = app.admin_api(&admin).await;
    with_leads(&app, &admin_api).await;
    let private = admin_api
        .post(
            "/api/v1/settings/account-tokens/private",
            json!({"user": "admin@example.com", "description": "resource server"}),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let on = json!({"enabled": true});
    let mut live: Vec<(&str, String)> = vec![
        (
            "global",
            admin_api.put("/api/v1/settings/global-token", on.clone()).await.body["token"].as_str().unwrap().to_owned(),
        ),
        (
            "campaign",
            admin_api.put("/api/v1/campaigns/spring/token", on.clone()).await.body["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        (
            "source_form",
            admin_api.put("/api/v1/campaigns/spring/sources/web/tokens/form", on.clone()).await.body["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        (
            "source_ping",
            admin_api.put("/api/v1/campaigns/spring/sources/web/tokens/ping", on.clone()).await.body["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        (
            "source_post",
            admin_api.put("/api/v1/campaigns/spring/sources/web/tokens/post", on.clone()).await.body["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        (
            "campaign_api",
            admin_api
                .post("/api/v1/campaigns/spring/api-tokens", json!({"name": "p", "read": true, "write": false}))
                .await
                .body["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        ("personal", admin_api.token.clone().unwrap()),
        ("profile", admin.generate_profile_token().await),
        (
            "account_public",
            admin_api.post("/api/v1/settings/account-tokens/public", json!({})).await.body["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
    ];
    live.push(("account_private", private.clone()));
    let introspect = |token: String| {
        api().post(app.url("/api/v1/tokens/introspect")).bearer_auth(private.clone()).form(&[("token", token)]).send()
    };
    for (kind, token) in &live {
        let res = introspect(token.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["active"], true, "{kind}: {body}");
        assert_eq!(body["token_type"], *kind);
        assert!(body["iat"].is_i64() && body["scope"].is_string(), "{body}");
        assert!(body.to_string().len() < 600 && !body.to_string().contains(&token[15..]), "no secret in the answer");
        match *kind {
            "personal" | "profile" | "account_private" => assert_eq!(body["sub"], "admin@example.com"),
            "campaign_api" => assert_eq!(body["scope"], "leads:read"),
            "source_ping" => assert!(body["source_id"].is_i64() && body["campaign_id"].is_i64()),
            _ => {}
        }
    }
    let profile = live.iter().find(|(k, _)| *k == "profile").unwrap().1.clone();
    let body: Value = introspect(profile.clone()).await.unwrap().json().await.unwrap();
    assert!(body["exp"].as_i64().unwrap() > body["iat"].as_i64().unwrap());

    // Dead states: revoked, deactivated, expired, unknown, malformed.
    let (_, doomed) = admin.create_personal_token("doomed").await;
    api().post(app.url("/api/v1/tokens/revoke")).form(&[("token", doomed.as_str())]).send().await.unwrap();
    let (_, sleepy) = admin.create_personal_token("sleepy").await;
    let sleepy_id: i64 = keyward::schema::tokens::table
        .filter(keyward::schema::tokens::name.eq("sleepy"))
        .select(keyward::schema::tokens::id)
        .first(&mut app.conn())
        .unwrap();
    admin.submit("/profile/tokens", &format!("/profile/tokens/{sleepy_id}/active"), &[]).await;
    let made_up = secrecy::ExposeSecret::expose_secret(
        &keyward::tokens::format::generate(keyward::tokens::TokenKind::Personal).secret,
    )
    .to_owned();
    for dead in [doomed, sleepy, made_up, "kw_pat_garbage".to_owned()] {
        let body: Value = introspect(dead).await.unwrap().json().await.unwrap();
        assert_eq!(body, json!({"active": false}));
    }
    app.clock.advance(time::Duration::days(181));
    let body: Value = introspect(profile).await.unwrap().json().await.unwrap();
    assert_eq!(body, json!({"active": false}), "expired");

    // Only a private token may introspect.
    let res = api().post(app.url("/api/v1/tokens/introspect")).form(&[("token", "x")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = api()
        .post(app.url("/api/v1/tokens/introspect"))
        .bearer_auth(admin_api.token.clone().unwrap())
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let logged: i64 = {
        use keyward::schema::audit_events::dsl::*;
        audit_events.filter(action.eq("token.used")).count().get_result(&mut app.conn()).unwrap()
    };
    assert!(logged >= 15, "every introspection is logged with the assigned user");
}
