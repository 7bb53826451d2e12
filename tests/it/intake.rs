//! Lead intake (form, ping, post) behind the three token levels of seed
//! 000, and the management API that sets them up.

use std::collections::BTreeSet;

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Api, Options, TestApp};

/// Campaign `spring` with sources `alpha` and `beta`, an email field
/// (required), a name, a phone, a number and a date field, a select
/// `select_partner`, and statuses `new` (default) and `sold`.
async fn spring(api: &Api) {
    assert_eq!(
        api.post("/api/v1/campaigns", json!({"name": "Spring", "slug": "spring"})).await.status,
        StatusCode::CREATED
    );
    for (name, kind) in [("Alpha", "MP"), ("Beta", "CS")] {
        let a = api.post("/api/v1/campaigns/spring/sources", json!({"name": name, "kind": kind})).await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    }
    for (slug, t, required) in [
        ("email", "email", true),
        ("name", "text", false),
        ("phone", "phone", false),
        ("age", "number", false),
        ("born", "date", false),
    ] {
        let a = api
            .post(
                "/api/v1/campaigns/spring/fields",
                json!({"slug": slug, "label": slug, "type": t, "required": required}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    }
    let a = api
        .post(
            "/api/v1/campaigns/spring/selects",
            json!({"slug": "select_partner", "label": "Partner", "options": [{"slug": "SELECT_PARTNER", "label": "Partner ABC"}, {"slug": "VENDOR_NORTH", "label": "Vendor North"}]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(
        api.post("/api/v1/campaigns/spring/statuses", json!({"slug": "sold", "label": "Sold"})).await.status,
        StatusCode::CREATED
    );
}

fn lead() -> Value {
    json!({"fields": {"email": "lead@example.com", "name": "Lee"}, "select_field_values": {"select_partner": "SELECT_PARTNER"}})
}

fn lead_count(app: &TestApp) -> i64 {
    keyward::schema::leads::table.count().get_result(&mut app.conn()).unwrap()
}

/// Tokens of every level, and switches for each.
struct Levels {
    global: String,
    campaign: String,
    form: String,
    ping: String,
    post: String,
    beta_form: String,
}

async fn all_tokens(api: &Api) -> Levels {
    let on = json!({"enabled": true});
    let token = |a: crate::helpers::Answer| {
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        a.body["token"].as_str().unwrap().to_owned()
    };
    Levels {
        global: token(api.put("/api/v1/settings/global-token", on.clone()).await),
        campaign: token(api.put("/api/v1/campaigns/spring/token", on.clone()).await),
        form: token(api.put("/api/v1/campaigns/spring/sources/alpha/tokens/form", on.clone()).await),
        ping: token(api.put("/api/v1/campaigns/spring/sources/alpha/tokens/ping", on.clone()).await),
        post: token(api.put("/api/v1/campaigns/spring/sources/alpha/tokens/post", on.clone()).await),
        beta_form: token(api.put("/api/v1/campaigns/spring/sources/beta/tokens/form", on.clone()).await),
    }
}

async fn switch(api: &Api, path: &str, enabled: bool) {
    let a = api.put(path, json!({"enabled": enabled})).await;
    assert_eq!(a.status, StatusCode::OK, "{path}: {:?}", a.body);
    assert_eq!(a.body["enabled"], enabled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authentication_order_holds_for_every_level_token_and_method() {
    let app = TestApp::spawn_with(Options {
        env: vec![("KEYWARD_FAILED_TOKEN_LIMIT".into(), "0".into())],
        ..Default::default()
    })
    .await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    spring(&api).await;
    let t = all_tokens(&api).await;
    let made_up = secrecy::ExposeSecret::expose_secret(
        &keyward::tokens::format::generate(keyward::tokens::TokenKind::SourceForm).secret,
    )
    .to_owned();
    let candidates: Vec<(&str, Option<&str>)> = vec![
        ("none", None),
        ("global", Some(&t.global)),
        ("campaign", Some(&t.campaign)),
        ("form", Some(&t.form)),
        ("ping", Some(&t.ping)),
        ("post", Some(&t.post)),
        ("beta_form", Some(&t.beta_form)),
        ("made_up", Some(&made_up)),
        ("garbage", Some("not-a-token")),
    ];
    let mut checked = 0;
    for (source_on, campaign_on, global_on) in (0..8).map(|i| (i & 4 != 0, i & 2 != 0, i & 1 != 0)) {
        for m in ["form", "ping", "post"] {
            switch(&api, &format!("/api/v1/campaigns/spring/sources/alpha/tokens/{m}"), source_on).await;
        }
        switch(&api, "/api/v1/campaigns/spring/token", campaign_on).await;
        switch(&api, "/api/v1/settings/global-token", global_on).await;
        let deciding = |method: &str| -> (&str, Option<&str>) {
            if source_on {
                (
                    "source",
                    Some(match method {
                        "form" => t.form.as_str(),
                        "ping" => t.ping.as_str(),
                        _ => t.post.as_str(),
                    }),
                )
            } else if campaign_on {
                ("campaign", Some(&t.campaign))
            } else if global_on {
                ("global", Some(&t.global))
            } else {
                ("none", None)
            }
        };
        for method in ["form", "ping", "post"] {
            let (level, required) = deciding(method);
            for (name, token) in &candidates {
                let mut body = lead();
                if method == "post" {
                    // A fresh ping, made with whatever the ping endpoint accepts now.
                    let (_, ping_token) = deciding("ping");
                    let p = api
                        .with(ping_token)
                        .post(
                            "/api/v1/campaigns/spring/sources/alpha/ping",
                            json!({"fields": {"email": "lead@example.com"}}),
                        )
                        .await;
                    assert_eq!(p.status, StatusCode::OK, "ping for post: {:?}", p.body);
                    body["ping_id"] = p.body["ping_id"].clone();
                }
                let a = api.with(*token).post(&format!("/api/v1/campaigns/spring/sources/alpha/{method}"), body).await;
                let accepted = required.is_none() || *token == required;
                let context = format!("S={source_on} C={campaign_on} G={global_on} {method} with {name}: {:?}", a.body);
                assert_eq!(a.level.as_deref(), Some(level), "{context}");
                if accepted {
                    assert!(a.status.is_success(), "{context}");
                } else if token.is_none() || matches!(*name, "made_up" | "garbage") {
                    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{context}");
                    assert_eq!(a.body["error"]["code"], "invalid_token", "{context}");
                } else {
                    assert_eq!(a.status, StatusCode::FORBIDDEN, "a valid token of another level is refused: {context}");
                    assert_eq!(a.body["error"]["code"], "insufficient_scope", "{context}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 8 * 3 * 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerate_refuses_the_old_token_at_once_and_disable_enable_restores_the_same_token() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    spring(&api).await;
    let first = api.put("/api/v1/campaigns/spring/sources/alpha/tokens/ping", json!({"enabled": true})).await;
    let old = first.body["token"].as_str().unwrap().to_owned();
    assert!(old.starts_with("kw_png_") && first.body["key"].as_str().unwrap().starts_with("kw_png_"));
    let ping = |token: &str| {
        api.with(Some(token))
            .post("/api/v1/campaigns/spring/sources/alpha/ping", json!({"fields": {"email": "a@example.com"}}))
    };
    assert_eq!(ping(&old).await.status, StatusCode::OK);

    // Off keeps the token; on again restores the very same one.
    let off = api.put("/api/v1/campaigns/spring/sources/alpha/tokens/ping", json!({"enabled": false})).await;
    assert_eq!(off.body["token"], Value::Null);
    assert_eq!(off.body["key"], first.body["key"]);
    let on = api.put("/api/v1/campaigns/spring/sources/alpha/tokens/ping", json!({"enabled": true})).await;
    assert_eq!(on.body["token"].as_str(), Some(old.as_str()));

    let regenerated = api.post("/api/v1/campaigns/spring/sources/alpha/tokens/ping/regenerate", json!({})).await;
    assert_eq!(regenerated.status, StatusCode::OK);
    let new = regenerated.body["token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let refused = ping(&old).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.body["error"]["code"], "token_revoked");
    assert_eq!(ping(&new).await.status, StatusCode::OK);

    // The same for the global and campaign tokens.
    for (put, regen) in [
        ("/api/v1/settings/global-token", "/api/v1/settings/global-token/regenerate"),
        ("/api/v1/campaigns/spring/token", "/api/v1/campaigns/spring/token/regenerate"),
    ] {
        let old = api.put(put, json!({"enabled": true})).await.body["token"].as_str().unwrap().to_owned();
        let new = api.post(regen, json!({})).await.body["token"].as_str().unwrap().to_owned();
        assert_ne!(old, new);
        assert_eq!(api.put(put, json!({"enabled": true})).await.body["token"].as_str(), Some(new.as_str()));
        api.put(put, json!({"enabled": false})).await;
    }
    let actions = app.audit_actions();
    for a in ["token.level_enabled", "token.level_disabled", "token.regenerated", "token.revoked", "token.shown"] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_validation_error_is_a_422_with_one_message_per_field_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    spring(&api).await;
    let intake = api.with(None);
    let form = "/api/v1/campaigns/spring/sources/alpha/form";
    let a = intake
        .post(
            form,
            json!({
                "fields": {"name": 7, "phone": "call me", "age": "old", "born": "31/12/2000", "shoe": "42"},
                "select_field_values": {"select_partner": "NOBODY", "colour": "RED"},
                "status": "lost",
                "extra": true
            }),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", a.body);
    assert_eq!(a.body["error"]["code"], "validation_failed");
    let fields = a.body["error"]["fields"].as_object().unwrap();
    for (key, words) in [
        ("fields.email", "is required"),
        ("fields.name", "must be a string"),
        ("fields.phone", "not a phone number"),
        ("fields.age", "must be a number"),
        ("fields.born", "YYYY-MM-DD"),
        ("fields.shoe", "unknown field"),
        ("select_field_values.select_partner", "allowed: SELECT_PARTNER, VENDOR_NORTH"),
        ("select_field_values.colour", "unknown select"),
        ("status", "allowed: new, sold"),
        ("extra", "unknown property"),
    ] {
        let message =
            fields.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("no message for {key}: {fields:?}"));
        assert!(message.contains(words), "{key}: {message}");
    }
    assert_eq!(fields.len(), 10, "one message per field");
    let bad_email = intake.post(form, json!({"fields": {"email": "not-an-email"}})).await;
    assert!(bad_email.body["error"]["fields"]["fields.email"].as_str().unwrap().contains("not a valid email"));
    assert_eq!(lead_count(&app), 0, "nothing stored");

    // Malformed and oversized bodies.
    let res = crate::helpers::api()
        .post(app.url(form))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "bad_request");
    let huge = json!({"fields": {"name": "x".repeat(300 * 1024)}});
    let a = intake.post(form, huge).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.body["error"]["code"], "payload_too_large");
    assert_eq!(lead_count(&app), 0);

    // A good one, by id and by slug, is stored in the lead shape.
    let good = intake.post(form, lead()).await;
    assert_eq!(good.status, StatusCode::CREATED, "{:?}", good.body);
    assert_eq!(good.body["status"], "new");
    assert_eq!(good.body["source"], "alpha");
    assert_eq!(good.body["select_field_values"]["select_partner"], "SELECT_PARTNER");
    assert!(good.body["id"].is_i64() && good.body["created_at"].is_string());
    let ids: (i64, i64) = keyward::schema::sources::table
        .filter(keyward::schema::sources::slug.eq("alpha"))
        .select((keyward::schema::sources::campaign_id, keyward::schema::sources::id))
        .first(&mut app.conn())
        .unwrap();
    let by_id = intake
        .post(
            &format!("/api/v1/campaigns/{}/sources/{}/form", ids.0, ids.1),
            json!({"fields": {"email": "x@example.com"}, "status": "sold"}),
        )
        .await;
    assert_eq!(by_id.status, StatusCode::CREATED);
    assert_eq!(by_id.body["status"], "sold");
    assert_eq!(lead_count(&app), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_campaigns_and_sources_are_404_and_an_archived_campaign_refuses_intake() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    spring(&api).await;
    let intake = api.with(None);
    let a = intake.post("/api/v1/campaigns/autumn/sources/alpha/form", lead()).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body["error"]["message"].as_str().unwrap().contains("autumn"));
    let a = intake.post("/api/v1/campaigns/spring/sources/gamma/form", lead()).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body["error"]["message"].as_str().unwrap().contains("gamma"));

    let id: i64 =
        keyward::schema::campaigns::table.select(keyward::schema::campaigns::id).first(&mut app.conn()).unwrap();
    let res = admin
        .submit(
            &format!("/campaigns/{id}"),
            &format!("/campaigns/{id}/archive"),
            &[("value", "on"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let a = intake.post("/api/v1/campaigns/spring/sources/alpha/form", lead()).await;
    assert_eq!(a.status, StatusCode::GONE);
    assert!(a.body["error"]["message"].as_str().unwrap().contains("archived"));
    assert_eq!(lead_count(&app), 0);
    let (_, page) = admin.page(&format!("/campaigns/{id}")).await;
    assert!(page.contains("Archived"));
    admin.submit(&format!("/campaigns/{id}"), &format!("/campaigns/{id}/archive"), &[]).await;
    assert_eq!(intake.post("/api/v1/campaigns/spring/sources/alpha/form", lead()).await.status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_needs_an_unexpired_unused_ping_from_the_same_source() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    spring(&api).await;
    let intake = api.with(None);
    let ping = |source: &'static str| {
        intake.post(
            &format!("/api/v1/campaigns/spring/sources/{source}/ping"),
            json!({"fields": {"email": "p@example.com"}}),
        )
    };
    let post = |source: &'static str, ping_id: Value| {
        let mut body = lead();
        body["ping_id"] = ping_id;
        intake.post(&format!("/api/v1/campaigns/spring/sources/{source}/post"), body)
    };
    let ping_error =
        |a: &crate::helpers::Answer| a.body["error"]["fields"]["ping_id"].as_str().unwrap_or_default().to_owned();

    let p = ping("alpha").await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.body["accepted"], true);
    assert!(p.body["ping_id"].as_str().unwrap().starts_with("png_"));
    let expires = time::OffsetDateTime::parse(
        p.body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ttl = (expires - app.clock.now()).whole_seconds();
    assert!((590..=600).contains(&ttl), "{ttl}");
    // A ping is partial: missing required fields are fine, wrong ones are not.
    assert_eq!(
        intake.post("/api/v1/campaigns/spring/sources/alpha/ping", json!({"fields": {"age": "x"}})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let wrong_source = post("beta", p.body["ping_id"].clone()).await;
    assert_eq!(wrong_source.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(ping_error(&wrong_source).contains("another source"));
    let ok = post("alpha", p.body["ping_id"].clone()).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    assert_eq!(ok.body["ping_id"], p.body["ping_id"]);
    let reused = post("alpha", p.body["ping_id"].clone()).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(ping_error(&reused).contains("already been used"));

    let late = ping("alpha").await;
    app.clock.advance(time::Duration::minutes(11));
    let expired = post("alpha", late.body["ping_id"].clone()).await;
    assert_eq!(expired.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(ping_error(&expired).contains("expired"));

    let unknown = post("alpha", json!("png_doesnotexist")).await;
    assert!(ping_error(&unknown).contains("no ping"));
    let missing = intake.post("/api/v1/campaigns/spring/sources/alpha/post", lead()).await;
    assert!(ping_error(&missing).contains("required"));
    // The post is a full lead: required fields are checked.
    let fresh = ping("alpha").await;
    let incomplete = intake
        .post(
            "/api/v1/campaigns/spring/sources/alpha/post",
            json!({"ping_id": fresh.body["ping_id"], "fields": {"name": "x"}}),
        )
        .await;
    assert_eq!(incomplete.body["error"]["fields"]["fields.email"], "is required");
    assert_eq!(lead_count(&app), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_management_api_follows_roles_and_reports_bad_input_per_field() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let created = api.post("/api/v1/campaigns", json!({"name": "Partner ABC – EU"})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["slug"], "partner-abc-eu");
    assert!(created.body["public_id"].as_str().unwrap().len() >= 16);
    assert_eq!(api.post("/api/v1/campaigns", json!({"name": "Partner ABC EU"})).await.body["slug"], "partner-abc-eu-2");
    let dup = api.post("/api/v1/campaigns", json!({"name": "x", "slug": "partner-abc-eu"})).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body["error"]["fields"]["slug"].as_str().unwrap().contains("already used"));

    let bad = api.post("/api/v1/campaigns/partner-abc-eu/sources", json!({"name": "", "kind": "XX"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["kind"].is_string() && bad.body["error"]["fields"]["name"].is_string());
    let bad = api
        .post("/api/v1/campaigns/partner-abc-eu/fields", json!({"slug": "1x", "label": "L", "type": "colour"}))
        .await;
    assert!(bad.body["error"]["fields"]["slug"].is_string() && bad.body["error"]["fields"]["type"].is_string());
    let s = api.post("/api/v1/campaigns/partner-abc-eu/sources", json!({"name": "Partner ABC", "kind": "MP"})).await;
    assert_eq!(
        s.body,
        json!({"id": s.body["id"], "slug": "partner-abc", "kind": "MP", "name": "Partner ABC",
               "tokens": {"form": false, "ping": false, "post": false}})
    );
    let st = api
        .post("/api/v1/campaigns/partner-abc-eu/statuses", json!({"slug": "won", "label": "Won", "default": true}))
        .await;
    assert_eq!(st.body["default"], true);
    assert_eq!(
        api.post("/api/v1/campaigns/nope/fields", json!({"slug": "a", "label": "a", "type": "text"})).await.status,
        StatusCode::NOT_FOUND
    );
    let malformed = crate::helpers::api()
        .post(app.url("/api/v1/campaigns"))
        .bearer_auth(api.token.as_deref().unwrap())
        .header("content-type", "application/json")
        .body("[1,2")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);

    // A member's token acts as a member: no campaigns, no global token.
    let member = app.user_with_role(&admin, "mem@example.com", "member").await;
    let (_, token) = member.create_personal_token("x").await;
    let member_api = api.with(Some(&token));
    let refused = member_api.post("/api/v1/campaigns", json!({"name": "Mine"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        member_api.put("/api/v1/settings/global-token", json!({"enabled": true})).await.status,
        StatusCode::FORBIDDEN
    );
    // An admin may run campaigns but not the global token.
    let adm = app.user_with_role(&admin, "adm@example.com", "admin").await;
    let (_, token) = adm.create_personal_token("x").await;
    let admin_api = api.with(Some(&token));
    assert_eq!(
        admin_api.put("/api/v1/campaigns/partner-abc-eu/token", json!({"enabled": true})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        admin_api.put("/api/v1/settings/global-token", json!({"enabled": true})).await.status,
        StatusCode::FORBIDDEN
    );
    // Level tokens cannot manage anything.
    let level = api.put("/api/v1/campaigns/partner-abc-eu/token", json!({"enabled": true})).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = api.with(Some(&level)).post("/api/v1/campaigns", json!({"name": "x"})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.body["error"]["code"], "insufficient_scope");
    let created: Vec<String> = app.audit_actions();
    assert!(created.contains(&"campaign.created".to_owned()) && created.contains(&"source.created".to_owned()));
}

/// `Idempotency-Key`: a retry gets the first answer again and makes no
/// second lead, even when the retries race each other; the same key with
/// another body is refused; a request that fails does not use up its key;
/// keys are remembered for a day. Intake and the leads API alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_with_an_idempotency_key_make_one_lead() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    api.post("/api/v1/campaigns", json!({"name": "Idem", "slug": "idem"})).await;
    api.post("/api/v1/campaigns/idem/sources", json!({"name": "Web", "kind": "CS", "slug": "web"})).await;
    api.post(
        "/api/v1/campaigns/idem/fields",
        json!({"slug": "email", "label": "Email", "type": "email", "required": true}),
    )
    .await;
    let writer = api.post("/api/v1/campaigns/idem/api-tokens", json!({"name": "w", "read": true, "write": true})).await;
    let writer = writer.body["token"].as_str().unwrap().to_owned();
    let count = || {
        use diesel::prelude::*;
        keyward::schema::leads::table.count().get_result::<i64>(&mut app.conn()).unwrap()
    };
    let send = |path: &'static str, token: Option<String>, key: &str, body: Value| {
        let mut req = crate::helpers::api().post(app.url(path)).header("Idempotency-Key", key).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let res = req.send().await.unwrap();
            let replayed = res.headers().get("idempotent-replayed").is_some();
            (res.status(), replayed, res.json::<Value>().await.unwrap())
        }
    };
    for (path, token) in
        [("/api/v1/campaigns/idem/sources/web/form", None), ("/api/v1/campaigns/idem/leads", Some(writer))]
    {
        let body = json!({"fields": {"email": "once@example.com"}});
        let before = count();
        let (s1, r1, first) = send(path, token.clone(), "order-1", body.clone()).await;
        assert_eq!((s1, r1), (StatusCode::CREATED, false), "{path}: {first}");
        let (s2, r2, again) =
            send(path, token.clone(), "order-1", json!({"fields": {"email": "once@example.com"}})).await;
        assert_eq!((s2, r2), (StatusCode::CREATED, true), "{path}: a retry is answered again");
        assert_eq!(again, first, "{path}: the same answer");
        assert_eq!(count(), before + 1, "{path}: one lead");

        let (s, _, refused) =
            send(path, token.clone(), "order-1", json!({"fields": {"email": "other@example.com"}})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: another body");
        assert!(refused["error"]["fields"]["Idempotency-Key"].is_string(), "{refused}");
        assert_eq!(count(), before + 1);

        // Racing retries: one lead, one answer.
        let racing: Vec<_> = (0..8).map(|_| send(path, token.clone(), "order-2", body.clone())).collect();
        let answers = futures_util::future::join_all(racing).await;
        let ids: BTreeSet<i64> = answers
            .iter()
            .map(|(s, _, b)| {
                assert_eq!(*s, StatusCode::CREATED);
                b["id"].as_i64().unwrap()
            })
            .collect();
        assert_eq!(ids.len(), 1, "{path}: every racing retry got the one lead");
        assert_eq!(answers.iter().filter(|(_, replayed, _)| !replayed).count(), 1, "{path}: one made it");
        assert_eq!(count(), before + 2);

        // A refused request leaves its key unused.
        let (s, _, _) = send(path, token.clone(), "order-3", json!({"fields": {"email": "not an email"}})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, replayed, _) = send(path, token.clone(), "order-3", body.clone()).await;
        assert_eq!((s, replayed), (StatusCode::CREATED, false), "{path}: the key was still free");

        let (s, _, bad) = send(path, token.clone(), &"k".repeat(256), body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: a key too long: {bad}");
    }
    // A day later, a key is free again.
    app.clock.advance(time::Duration::hours(25));
    let before = count();
    let (s, replayed, _) = send(
        "/api/v1/campaigns/idem/sources/web/form",
        None,
        "order-1",
        json!({"fields": {"email": "once@example.com"}}),
    )
    .await;
    assert_eq!((s, replayed), (StatusCode::CREATED, false));
    assert_eq!(count(), before + 1);
}

/// Concurrent forms (and leads API writes) are written in groups: fewer
/// transactions than leads, as PostgreSQL itself records (rows written by
/// one transaction share its `xmin`). Every 201 is in the table; a row the
/// database refuses fails alone, and its batch-mates are stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_leads_are_committed_in_groups_and_a_bad_row_fails_alone() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    spring(&api).await;
    let mut conn = app.conn();
    let url = app.url("/api/v1/campaigns/spring/sources/alpha/form");
    let client = reqwest::Client::new();
    let submit_all = |emails: Vec<String>| {
        let sends = emails.into_iter().map(|email| {
            let body = json!({"fields": {"email": email, "name": "n"}});
            let req = client.post(&url).json(&body);
            async move {
                let res = req.send().await.unwrap();
                let status = res.status();
                (email, status, res.json::<Value>().await.unwrap_or(Value::Null))
            }
        });
        futures_util::future::join_all(sends)
    };
    let transactions = |conn: &mut diesel::PgConnection| -> i64 {
        keyward::schema::leads::table
            .select(diesel::dsl::sql::<diesel::sql_types::BigInt>("count(DISTINCT xmin::text)"))
            .get_result(conn)
            .unwrap()
    };

    // 100 at once: fewer transactions than leads.
    for (email, status, body) in submit_all((0..100).map(|i| format!("first{i}@example.com")).collect()).await {
        assert_eq!(status, StatusCode::CREATED, "{email}: {body}");
    }
    let grouped = transactions(&mut conn);
    assert!(grouped < 100, "100 leads took {grouped} transactions: none was grouped");
    eprintln!("100 leads in {grouped} transactions");

    // The database, not validation, refuses some rows: they fail alone.
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        "CREATE FUNCTION refuse_lead() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; \
         CREATE TRIGGER refuse_lead BEFORE INSERT ON leads FOR EACH ROW \
         WHEN (NEW.fields->>'email' = 'refused@example.com') EXECUTE FUNCTION refuse_lead()",
    )
    .unwrap();
    let emails = (0..120)
        .map(|i| if i % 40 == 7 { "refused@example.com".to_owned() } else { format!("lead{i}@example.com") })
        .collect();
    let answers = submit_all(emails).await;
    let mut accepted = BTreeSet::new();
    for (email, status, body) in &answers {
        if email == "refused@example.com" {
            assert!(status.is_server_error(), "{email}: {status} {body}");
        } else {
            assert_eq!(*status, StatusCode::CREATED, "{email}: {body}");
            assert_eq!(body["fields"]["email"], json!(email));
            assert_eq!(body["status"], "new");
            assert_eq!(body["source"], "alpha");
            accepted.insert(body["id"].as_i64().unwrap());
        }
    }
    assert_eq!(accepted.len(), 117, "every lead got its own id");
    let stored: Vec<(i64, String)> = keyward::schema::leads::table
        .select((keyward::schema::leads::id, diesel::dsl::sql::<diesel::sql_types::Text>("fields->>'email'")))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("fields->>'email' NOT LIKE 'first%'"))
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored.len(), 117, "the refused rows are not stored, and nothing else is missing");
    assert_eq!(stored.iter().map(|(id, _)| *id).collect::<BTreeSet<_>>(), accepted);
    for (email, _, body) in &answers {
        if let Some(id) = body["id"].as_i64() {
            assert!(stored.contains(&(id, email.clone())), "lead {id} holds what its request sent");
        }
    }

    // The leads API's writes take the same path.
    let token = crate::leads::api_token(&api, true, true, None).await;
    let created = client
        .post(app.url("/api/v1/campaigns/spring/leads"))
        .bearer_auth(&token)
        .json(&json!({"fields": {"email": "api@example.com"}, "source": "beta"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["source"], "beta");
    assert_eq!(lead_count(&app), 218);
}
