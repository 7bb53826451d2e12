//! The support console and its management API: search, revoke or
//! deactivate with a reason (and the email that carries it), bulk revoke,
//! the leaked-token check, and what support may not do.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, Agent, Api, TestApp, location};

struct World {
    app: TestApp,
    admin: Agent,
    admin_api: Api,
    support: Agent,
    support_api: Api,
    member: Agent,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let admin_api = app.admin_api(&admin).await;
    let support = app.user_with_role(&admin, "help@example.com", "support").await;
    let (_, t) = support.create_personal_token("support automation").await;
    let support_api = Api::new(&app.base, Some(&t));
    let member = app.user_with_role(&admin, "mia@example.com", "member").await;
    World { app, admin, admin_api, support, support_api, member }
}

fn token_id(app: &TestApp, name: &str) -> i64 {
    keyward::schema::tokens::table
        .filter(keyward::schema::tokens::name.eq(name))
        .select(keyward::schema::tokens::id)
        .first(&mut app.conn())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_finds_tokens_by_key_owner_kind_and_status_and_sees_no_secret() {
    let w = world().await;
    let (key, secret) = w.member.create_personal_token("mia's script").await;
    w.admin_api.post("/api/v1/campaigns", json!({"name": "Spring"})).await;
    let level = w.admin_api.put("/api/v1/campaigns/spring/token", json!({"enabled": true})).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let (_, page) = w.support.page(&format!("/support/tokens?key={}", &key[..10])).await;
    assert!(
        page.contains(&key) && page.contains("mia@example.com") && page.contains("mia&#39;s script")
            || page.contains("mia's script")
    );
    assert!(!page.contains(&secret[15..]) && !page.contains(&level[15..]));
    assert!(!page.contains("/show"), "no Show for support");
    let (_, by_owner) = w.support.page("/support/tokens?owner=mia%40").await;
    assert!(by_owner.contains(&key) && !by_owner.contains("kw_cmp_"));
    let (_, by_kind) = w.support.page("/support/tokens?kind=campaign").await;
    assert!(by_kind.contains("kw_cmp_") && !by_kind.contains(&key));
    let (_, revoked) = w.support.page("/support/tokens?status=revoked").await;
    assert!(revoked.contains("No tokens match"));

    // The same through the API, cursor-paginated.
    let list = w.support_api.get("/api/v1/tokens?owner=mia&limit=1").await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["items"][0]["key"], key.as_str());
    assert_eq!(list.body["items"][0]["owner"], "mia@example.com");
    assert!(!list.body.to_string().contains(&secret[15..]));
    let all = w.support_api.get("/api/v1/tokens?limit=2").await;
    let next = all.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = w.support_api.get(&format!("/api/v1/tokens?limit=100&cursor={next}")).await;
    let first: Vec<Value> = all.body["items"].as_array().unwrap().clone();
    assert!(rest.body["items"].as_array().unwrap().iter().all(|t| !first.contains(t)));
    assert_eq!(w.support_api.get("/api/v1/tokens?kind=nope").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_with_a_reason_reaches_the_owner_and_the_audit_log() {
    let w = world().await;
    let (key, secret) = w.member.create_personal_token("leaky").await;
    let id = token_id(&w.app, "leaky");
    // The reason is mandatory; without it nothing changes.
    let res = w.support.submit("/support/tokens", &format!("/support/tokens/{id}/revoke"), &[("reason", "  ")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = w.support.page(&location(&res)).await;
    assert!(page.contains("A reason is required"));
    let me = Api::new(&w.app.base, Some(&secret));
    assert_eq!(me.get("/api/v1/me").await.status, StatusCode::OK);

    let (status, confirm) = w.support.page(&format!("/support/tokens/{id}/revoke")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("cannot be undone") && confirm.contains("mia@example.com"));
    let res = w
        .support
        .submit("/support/tokens", &format!("/support/tokens/{id}/revoke"), &[("reason", "found in a public gist")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let a = me.get("/api/v1/me").await;
    assert_eq!(a.body["error"]["code"], "token_revoked");
    let mail = w.app.smtp.wait_for("mia@example.com", "revoked by support").await;
    assert!(mail.text.contains("found in a public gist") && mail.text.contains(&key));
    let audit: Vec<Value> = {
        use keyward::schema::audit_events::dsl::*;
        audit_events.filter(action.eq("token.revoked")).select(details).load(&mut w.app.conn()).unwrap()
    };
    assert!(audit.iter().any(|d| d["reason"] == "found in a public gist"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_by_support_sticks_until_support_reactivates() {
    let w = world().await;
    let (_, secret) = w.member.create_personal_token("paused").await;
    let id = token_id(&w.app, "paused");
    let res = w
        .support
        .submit("/support/tokens", &format!("/support/tokens/{id}/deactivate"), &[("reason", "suspicious traffic")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let me = Api::new(&w.app.base, Some(&secret));
    assert_eq!(me.get("/api/v1/me").await.body["error"]["code"], "token_deactivated");
    w.app.smtp.wait_for("mia@example.com", "deactivated by support").await;
    // The owner's switch cannot undo it.
    let res = w.member.submit("/profile/tokens", &format!("/profile/tokens/{id}/active"), &[("value", "on")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("suspicious traffic"));
    assert_eq!(me.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    let res = w.support.submit("/support/tokens", &format!("/support/tokens/{id}/reactivate"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(me.get("/api/v1/me").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_cannot_turn_on_a_personal_token_its_owner_turned_off() {
    let w = world().await;
    let (_, secret) = w.member.create_personal_token("on holiday").await;
    let id = token_id(&w.app, "on holiday");
    let res = w.member.submit("/profile/tokens", &format!("/profile/tokens/{id}/active"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let me = Api::new(&w.app.base, Some(&secret));
    assert_eq!(me.get("/api/v1/me").await.body["error"]["code"], "token_deactivated");
    // The support console says why there is no Reactivate; the action is refused.
    let (_, page) = w.support.page("/support/tokens?key=").await;
    assert!(page.contains("Deactivated by its owner"), "{page}");
    let res = w.support.submit("/support/tokens", &format!("/support/tokens/{id}/reactivate"), &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(me.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED, "still off");
    // Its owner may.
    let res = w.member.submit("/profile/tokens", &format!("/profile/tokens/{id}/active"), &[("value", "on")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(me.get("/api/v1/me").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_level_tokens_tell_the_campaigns_admins() {
    let w = world().await;
    let _boss = w.app.user_with_role(&w.admin, "boss@example.com", "admin").await;
    w.admin_api.post("/api/v1/campaigns", json!({"name": "Spring"})).await;
    w.admin_api.post("/api/v1/campaigns/spring/api-tokens", json!({"name": "Partner X", "read": true})).await;
    let id = token_id(&w.app, "Partner X");
    let a = w
        .support_api
        .post(
            &format!("/api/v1/tokens/{}/revoke", {
                let key: String = keyward::schema::tokens::table
                    .find(id)
                    .select(keyward::schema::tokens::key)
                    .first(&mut w.app.conn())
                    .unwrap();
                key
            }),
            json!({"reason": "partner contract ended"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    for admin in [ADMIN_EMAIL, "boss@example.com"] {
        let mail = w.app.smtp.wait_for(admin, "revoked by support").await;
        assert!(mail.text.contains("partner contract ended") && mail.text.contains("campaign spring"));
    }
    assert!(w.app.smtp.to("mia@example.com").iter().all(|m| !m.subject.contains("revoked by support")));
    let again =
        w.support_api.post(&format!("/api/v1/tokens/{}/revoke", "kw_api_nothing1"), json!({"reason": "x"})).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_token_of_a_leaving_user_goes_in_one_step_with_one_email() {
    let w = world().await;
    let (_, a) = w.member.create_personal_token("one").await;
    let (_, b) = w.member.create_personal_token("two").await;
    let c = w.member.generate_profile_token().await;
    w.app.smtp.wait_for("mia@example.com", "new keyward api token").await;

    let private = w
        .admin_api
        .post("/api/v1/settings/account-tokens/private", json!({"user": "mia@example.com", "description": "export"}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, confirm) = w.support.page("/support/users/revoke?email=mia%40example.com").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(confirm.matches("<li><code>kw_").count(), 4);
    let before = w.app.outbox_to("mia@example.com");
    let res = w
        .support
        .submit(
            "/support/users/revoke?email=mia%40example.com",
            "/support/users/revoke",
            &[("email", "mia@example.com"), ("reason", "left the company")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for t in [&a, &b, &c, &private] {
        let status = Api::new(&w.app.base, Some(t)).get("/api/v1/me").await.body["error"]["code"].clone();
        assert_eq!(status, "token_revoked", "{}", &t[..15]);
    }
    let mail = w.app.smtp.wait_for("mia@example.com", "of your Keyward tokens were revoked").await;
    assert!(mail.subject.starts_with("4 ") && mail.text.contains("left the company"));
    assert_eq!(w.app.outbox_to("mia@example.com"), before + 1, "one email");

    // The API twin.
    let (_, d) = w.member.create_personal_token("three").await;
    let mia: i64 = keyward::schema::users::table
        .filter(keyward::schema::users::email.eq("mia@example.com"))
        .select(keyward::schema::users::id)
        .first(&mut w.app.conn())
        .unwrap();
    let answer = w.support_api.post(&format!("/api/v1/users/{mia}/tokens/revoke"), json!({"reason": "again"})).await;
    assert_eq!(answer.body, json!({"revoked": 1}));
    assert_eq!(Api::new(&w.app.base, Some(&d)).get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_token_is_identified_without_being_stored() {
    let w = world().await;
    let (key, secret) = w.member.create_personal_token("pasted").await;
    let res = w.support.submit("/support/tokens", "/support/tokens/check", &[("token", &format!("  {secret} "))]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains(&key) && page.contains("mia@example.com") && page.contains("Active"));
    assert!(page.contains("Revoke it now"));
    assert!(!page.contains(&secret[15..]), "the page does not echo it");
    let res = w.support.submit("/support/tokens", "/support/tokens/check", &[("token", "kw_pat_nonsense")]).await;
    assert!(res.text().await.unwrap().contains("not a Keyward token"));
    let made_up = secrecy::ExposeSecret::expose_secret(
        &keyward::tokens::format::generate(keyward::tokens::TokenKind::Global).secret,
    )
    .to_owned();
    let res = w.support.submit("/support/tokens", "/support/tokens/check", &[("token", &made_up)]).await;
    assert!(res.text().await.unwrap().contains("has no such token"));

    let api = w.support_api.post("/api/v1/tokens/check", json!({"token": secret})).await;
    assert_eq!(api.body["key"], key.as_str());
    assert_eq!(api.body["owner"], "mia@example.com");
    assert_eq!(api.body["status"], "active");
    // Nowhere in the database.
    let tail = &secret[15..];
    let audit: Vec<String> = keyward::schema::audit_events::table
        .select(diesel::dsl::sql::<diesel::sql_types::Text>("actor || target || details::text"))
        .load(&mut w.app.conn())
        .unwrap();
    assert!(audit.iter().all(|r| !r.contains(tail)));
    assert!(w.app.audit_actions().contains(&"token.checked".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_cannot_create_reveal_or_regenerate_tokens() {
    let w = world().await;
    w.admin_api.post("/api/v1/campaigns", json!({"name": "Spring"})).await;
    w.admin_api.put("/api/v1/campaigns/spring/token", json!({"enabled": true})).await;
    let cid: i64 =
        keyward::schema::campaigns::table.select(keyward::schema::campaigns::id).first(&mut w.app.conn()).unwrap();
    for path in [
        format!("/campaigns/{cid}/settings/tokens/show"),
        format!("/campaigns/{cid}/settings/tokens/regenerate"),
        "/settings/tokens/global/enabled".to_owned(),
        "/settings/account-tokens/public/generate".to_owned(),
        format!("/campaigns/{cid}/api/tokens"),
    ] {
        let res = w.support.submit("/support/tokens", &path, &[("name", "x"), ("read", "on")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    for a in [
        w.support_api.post("/api/v1/campaigns/spring/token/regenerate", json!({})).await,
        w.support_api.put("/api/v1/campaigns/spring/token", json!({"enabled": true})).await,
        w.support_api.post("/api/v1/campaigns/spring/api-tokens", json!({"name": "x", "read": true})).await,
        w.support_api.post("/api/v1/settings/account-tokens/public", json!({})).await,
    ] {
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{:?}", a.body);
    }
    // And members and admins cannot use the support console.
    assert_eq!(w.member.get("/support/tokens").await.status(), StatusCode::FORBIDDEN);
    let boss = w.app.user_with_role(&w.admin, "boss@example.com", "admin").await;
    assert_eq!(boss.get("/support/tokens").await.status(), StatusCode::FORBIDDEN);
    let _ = w.admin;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_invited_and_changed_through_the_api() {
    let w = world().await;
    let a = w.admin_api.post("/api/v1/users", json!({"email": "New@Example.com", "role": "admin"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(a.body["email"], "new@example.com");
    w.app.smtp.wait_for("new@example.com", "invited").await;
    let id = a.body["id"].as_i64().unwrap();
    let bad = w.admin_api.post("/api/v1/users", json!({"email": "nope", "role": "admin"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["email"].is_string());
    let changed = w
        .admin_api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&json!({"role": "support", "api_token_allowed": false})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["role"], "support");
    assert_eq!(changed.body["api_token_allowed"], false);
    let off =
        w.admin_api.send(reqwest::Method::PATCH, &format!("/api/v1/users/{id}"), Some(&json!({"active": false}))).await;
    assert_eq!(off.body["active"], false);
    // Support may not manage users.
    let refused = w.support_api.post("/api/v1/users", json!({"email": "x@example.com", "role": "member"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = w
        .support_api
        .send(reqwest::Method::PATCH, &format!("/api/v1/users/{id}"), Some(&json!({"active": true})))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// The token search filters by status in SQL; the status each answer row
/// carries is `TokenStatus::of`. A token in every state (and in two at
/// once: revoked and expired, deactivated and expired) is found under its
/// status and under no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_filter_and_the_status_rule_agree() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let mut want: Vec<(String, &str)> = Vec::new();
    let create = |description: &'static str, days: Option<&'static str>| {
        let admin = &admin;
        async move {
            let mut fields = vec![("description", description)];
            if let Some(d) = days {
                fields.push(("expires_in_days", d));
            }
            let res = admin.submit("/profile/tokens", "/profile/tokens", &fields).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            let (_, body) = admin.page("/profile/tokens").await;
            crate::helpers::value_of(&body, "created-key").unwrap()
        }
    };
    let deactivate = |key: &str| {
        let key = key.to_owned();
        let admin = &admin;
        let app = &app;
        async move {
            use keyward::schema::tokens;
            let k = key.trim_start_matches("kw_pat_").to_owned();
            let token_id: i64 =
                tokens::table.filter(tokens::key.eq(k)).select(tokens::id).first(&mut app.conn()).unwrap();
            let res = admin.submit("/profile/tokens", &format!("/profile/tokens/{token_id}/active"), &[]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
        }
    };
    let revoke = |key: &str| {
        let (api, key) = (&api, key.to_owned());
        async move {
            let answer = api.post(&format!("/api/v1/tokens/{key}/revoke"), json!({"reason": "status test"})).await;
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        }
    };

    let active = create("active", None).await;
    want.push((active, "active"));
    let deactivated = create("deactivated", None).await;
    deactivate(&deactivated).await;
    want.push((deactivated, "deactivated"));
    let revoked = create("revoked", None).await;
    revoke(&revoked).await;
    want.push((revoked, "revoked"));
    let expired = create("expired", Some("1")).await;
    want.push((expired, "expired"));
    let deactivated_then_expired = create("deactivated, then expired", Some("1")).await;
    deactivate(&deactivated_then_expired).await;
    want.push((deactivated_then_expired, "expired"));
    let revoked_then_expired = create("revoked, then expired", Some("1")).await;
    revoke(&revoked_then_expired).await;
    want.push((revoked_then_expired, "revoked"));
    app.clock.advance(time::Duration::days(2));

    for status in ["active", "deactivated", "expired", "revoked"] {
        let answer = api.get(&format!("/api/v1/tokens?kind=personal&status={status}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        let rows = answer.body["items"].as_array().unwrap().clone();
        for row in &rows {
            assert_eq!(row["status"], status, "a row the {status} filter found says {}", row["status"]);
        }
        let found: Vec<&str> = rows.iter().filter_map(|r| r["key"].as_str()).collect();
        for (key, expected) in &want {
            assert_eq!(found.contains(&key.as_str()), *expected == status, "{key} ({expected}) under {status}");
        }
    }
}
