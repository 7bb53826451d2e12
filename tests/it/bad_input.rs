//! Input PostgreSQL cannot store: a NUL character anywhere (a URL's path or
//! query, a console form, an API body, a lead value) is refused with a 400
//! or 422 that names where it is, and nothing is written. Before, each of
//! these answered 500.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Answer, TestApp, api};

fn count(app: &TestApp, table: &str) -> i64 {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!("(SELECT count(*) FROM {table})")))
        .get_result(&mut app.conn())
        .unwrap()
}

fn assert_refused(what: &str, a: &Answer, field: Option<&str>) {
    assert!(
        a.status == StatusCode::BAD_REQUEST || a.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {} {:?}",
        a.status,
        a.body
    );
    let text = a.body.to_string();
    if let Some(field) = field {
        assert!(text.contains(field), "{what}: names `{field}`: {text}");
    }
    assert!(!text.to_lowercase().contains("postgres") && !text.contains("invalid byte"), "{what}: no driver text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_character_is_refused_wherever_it_comes_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let mgmt = app.admin_api(&admin).await;
    assert_eq!(mgmt.post("/api/v1/campaigns", json!({"name": "Nul", "slug": "nul"})).await.status, StatusCode::CREATED);
    mgmt.post(
        "/api/v1/campaigns/nul/fields",
        json!({"slug": "note", "label": "Note", "type": "text", "required": false}),
    )
    .await;
    mgmt.post("/api/v1/campaigns/nul/sources", json!({"name": "Web", "kind": "CS", "slug": "web"})).await;
    let (campaigns, fields, leads, audit) =
        (count(&app, "campaigns"), count(&app, "fields"), count(&app, "leads"), count(&app, "audit_events"));

    // A URL: the path, then the query string; console and API alike.
    for path in ["/docs/c/ab%00cd", "/api/v1/campaigns/n%00ul/leads", "/audit?actor=x%00y", "/api/v1/tokens?owner=a%00"]
    {
        let res = admin.get(path).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains("NUL"), "{path}: says why: {body}");
    }

    // API bodies: a name, a label, a reason, lead values (with and without
    // a token), an RFC 7009 form.
    let nul = "a\u{0}b";
    let a = mgmt.post("/api/v1/campaigns", json!({"name": nul})).await;
    assert_refused("a campaign name", &a, Some("name"));
    let a = mgmt
        .post("/api/v1/campaigns/nul/fields", json!({"slug": "other", "label": nul, "type": "text", "required": false}))
        .await;
    assert_refused("a field label", &a, Some("label"));
    let a = mgmt
        .post(
            "/api/v1/campaigns/nul/selects",
            json!({"slug": "s", "label": "S", "options": [{"slug": "x", "label": nul}]}),
        )
        .await;
    assert_refused("an option label", &a, Some("options[0].label"));
    let key = {
        let a = mgmt.get("/api/v1/tokens?kind=personal").await;
        a.body["items"][0]["key"].as_str().unwrap().to_owned()
    };
    let a = mgmt.post(&format!("/api/v1/tokens/{key}/revoke"), json!({"reason": nul})).await;
    assert_refused("a revoke reason", &a, Some("reason"));
    assert_eq!(mgmt.get("/api/v1/me").await.status, StatusCode::OK, "the token was not revoked");
    let intake = crate::helpers::Api::new(&app.base, None);
    let a = intake.post("/api/v1/campaigns/nul/sources/web/form", json!({"fields": {"note": nul}})).await;
    assert_refused("a lead value through intake, no token", &a, Some("fields.note"));
    let a = mgmt.post("/api/v1/campaigns/nul/leads", json!({"fields": {"note": nul}})).await;
    assert_refused("a lead value through the leads API", &a, Some("fields.note"));
    let res = api().post(app.url("/api/v1/tokens/revoke")).form(&[("token", nul)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "an RFC 7009 form");

    // Console forms: a name, a label, a reason.
    let campaign_id: i64 = {
        use keyward::schema::campaigns;
        campaigns::table.filter(campaigns::slug.eq("nul")).select(campaigns::id).first(&mut app.conn()).unwrap()
    };
    for (page, action, fields) in [
        ("/campaigns", "/campaigns".to_owned(), vec![("name", nul)]),
        (
            "/campaigns",
            format!("/campaigns/{campaign_id}/fields"),
            vec![("slug", "other"), ("label", nul), ("type", "text")],
        ),
        ("/support/tokens", "/support/tokens/1/revoke".to_owned(), vec![("reason", nul)]),
    ] {
        let res = admin.submit(page, &action, &fields).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{action}");
        let body = res.text().await.unwrap();
        let field = fields.iter().find(|(_, v)| v.contains('\u{0}')).unwrap().0;
        assert!(body.contains(&format!("<code>{field}</code>")), "{action}: names the field: {body}");
    }

    assert_eq!(count(&app, "campaigns"), campaigns, "no campaign written");
    assert_eq!(count(&app, "fields"), fields, "no field written");
    assert_eq!(count(&app, "leads"), leads, "no lead written");
    assert_eq!(count(&app, "audit_events"), audit, "nothing audited: nothing happened");
}

/// An invitation made through the API names the inviter, never the token
/// they used (before, the subject held its key); the audit entry has the
/// token in its details.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_through_the_api_names_the_inviter_not_the_token() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let mgmt = app.admin_api(&admin).await;
    let a = mgmt.post("/api/v1/users", json!({"email": "new@example.com", "role": "member"})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let mail = app.smtp.wait_for("new@example.com", "invited").await;
    assert_eq!(mail.subject, format!("You are invited to Keyward by {}", crate::helpers::ADMIN_EMAIL));
    assert!(!mail.raw.contains("kw_pat_"), "no token key anywhere in the mail");
    let (actor, details): (String, serde_json::Value) = {
        use keyward::schema::audit_events::dsl;
        dsl::audit_events
            .filter(dsl::action.eq("user.invited"))
            .select((dsl::actor, dsl::details))
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!(actor, crate::helpers::ADMIN_EMAIL);
    assert!(details["via_token"].as_str().unwrap().starts_with("kw_pat_"));
}

/// A console POST whose Origin (or, without one, Referer) is another site is
/// refused even with a valid CSRF token; Keyward's own origin passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_post_from_another_site_is_refused_even_with_a_valid_token() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let post = |header: Option<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let token = admin.csrf("/profile").await;
            let mut req = admin
                .client
                .post(admin.url("/profile"))
                .form(&[("csrf_token", token.as_str()), ("display_name", "Changed")]);
            if let Some((name, value)) = header {
                req = req.header(name, value);
            }
            req.send().await.unwrap().status()
        }
    };
    for (name, value) in [
        ("Origin", "https://evil.example".to_owned()),
        ("Origin", "null".to_owned()),
        ("Referer", "https://evil.example/page".to_owned()),
    ] {
        assert_eq!(post(Some((name, value.clone()))).await, StatusCode::FORBIDDEN, "{name}: {value}");
    }
    assert_eq!(post(Some(("Origin", app.base.clone()))).await, StatusCode::SEE_OTHER, "our own origin");
    assert_eq!(post(Some(("Referer", app.url("/profile")))).await, StatusCode::SEE_OTHER, "our own referer");
    assert_eq!(post(None).await, StatusCode::SEE_OTHER, "a client that says nothing is left to the token");
}

/// 405 says which methods the resource has (`Allow`); HEAD is GET without
/// a body, on the API and the public documents alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_is_told_what_is_allowed_and_head_works_where_get_does() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let mgmt = app.admin_api(&admin).await;
    mgmt.post("/api/v1/campaigns", json!({"name": "Head", "slug": "head"})).await;
    let client = api();
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/api/v1/campaigns/head/leads", "GET, POST, HEAD"),
        (reqwest::Method::PUT, "/api/v1/me", "GET, PATCH, HEAD"),
        (reqwest::Method::GET, "/api/v1/tokens/revoke", "POST"),
    ] {
        let res = client.request(method.clone(), app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
    let public_id: String = {
        use keyward::schema::campaigns;
        campaigns::table.select(campaigns::public_id).first(&mut app.conn()).unwrap()
    };
    for path in [format!("/docs/c/{public_id}/openapi.json"), format!("/docs/c/{public_id}"), "/healthz".to_owned()] {
        let get = client.get(app.url(&path)).send().await.unwrap();
        let head = client.head(app.url(&path)).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK, "HEAD {path}");
        assert_eq!(head.headers().get("content-type"), get.headers().get("content-type"), "{path}");
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path} has no body");
    }
    let head = client.head(app.url("/api/v1/me")).bearer_auth(mgmt.token.as_deref().unwrap()).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
}
