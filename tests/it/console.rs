//! What every console response has to honour: headers, CSRF, size limits,
//! errors, static assets.

use reqwest::StatusCode;

use crate::helpers::{TestApp, location};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_ok_once_the_database_is_reachable() {
    let app = TestApp::spawn().await;
    let res = app.agent().get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let agent = app.agent();
    for path in ["/login", "/healthz", "/static/app.css", "/no-such-page", "/api/v1/nothing", "/setup"] {
        let res = agent.get(path).await;
        let h = res.headers();
        let csp = h.get("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP")).to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        // Secure cookies are off in this test app, so no HSTS.
        assert!(h.get("strict-transport-security").is_none(), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookies_come_with_hsts() {
    let app = TestApp::spawn_with(crate::helpers::Options {
        env: vec![("KEYWARD_SECURE_COOKIES".into(), "true".into())],
        ..Default::default()
    })
    .await;
    let res = app.agent().get("/login").await;
    assert!(res.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_assets_have_an_etag_and_answer_304_when_unchanged() {
    let app = TestApp::spawn().await;
    let agent = app.agent();
    let res = agent.get("/static/app.js").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let again = agent.client.get(app.url("/static/app.js")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(agent.get("/static/../Cargo.toml").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_are_404_html_and_unknown_api_routes_are_404_json() {
    let app = TestApp::spawn().await;
    let agent = app.agent();
    let res = agent.get("/nowhere").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let res = agent.get("/api/v1/nowhere").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let before = app.audit_actions().len();

    // No token at all.
    let res = admin.post_raw("/users", &[("email", "eve@example.com"), ("role", "admin")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("CSRF"));
    // A made-up token.
    let res =
        admin.post_raw("/users", &[("csrf_token", "forged"), ("email", "eve@example.com"), ("role", "admin")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Another browser's token.
    let other = app.agent();
    let token = other.csrf("/login").await;
    let res =
        admin.post_raw("/users", &[("csrf_token", &token), ("email", "eve@example.com"), ("role", "admin")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let users: i64 = {
        use diesel::prelude::*;
        keyward::schema::users::table.count().get_result(&mut app.conn()).unwrap()
    };
    assert_eq!(users, 1, "no user was created");
    assert_eq!(app.audit_actions().len(), before, "nothing was recorded");
    assert!(app.smtp.messages().is_empty(), "no mail went out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_form_needs_its_csrf_token_too() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    let agent = app.agent();
    let _ = agent.page("/login").await;
    let res = agent
        .post_raw("/login", &[("email", crate::helpers::ADMIN_EMAIL), ("password", crate::helpers::PASSWORD)])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("set-cookie").is_none_or(|c| !c.to_str().unwrap().contains("kw_session=")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_over_the_size_limit_is_refused_with_413_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let token = admin.csrf("/users").await;
    let huge = "x".repeat(100 * 1024);
    let res = admin
        .post_raw("/users", &[("csrf_token", &token), ("email", "big@example.com"), ("role", "admin"), ("pad", &huge)])
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (_, page) = admin.page("/users").await;
    assert!(!page.contains("big@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sign_in_only_local_paths_are_followed() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    for (next, expected) in
        [("/audit", "/audit"), ("//evil.example/x", "/"), ("https://evil.example", "/"), ("/\\evil.example", "/")]
    {
        let agent = app.agent();
        let res = agent
            .submit(
                "/login",
                "/login",
                &[("email", crate::helpers::ADMIN_EMAIL), ("password", crate::helpers::PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), expected, "next={next}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_need_a_session_and_remember_where_you_were_going() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    let res = app.agent().get("/audit?actor=x").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?next=%2Faudit%3Factor%3Dx");
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn section_roots_lead_to_their_first_page() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    for (root, first) in [("/settings", "/settings/tokens"), ("/support", "/support/tokens")] {
        let res = admin.get(root).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{root}");
        assert_eq!(location(&res), first);
        let (status, _) = admin.page(first).await;
        assert_eq!(status, StatusCode::OK, "{first}");
    }
}

/// An error page keeps a signed-in user's navigation and says what to do
/// next; messages show quoted slugs as code, never as backticks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_pages_keep_the_navigation_and_offer_the_next_step() {
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let member = app.user_with_role(&admin, "mo@example.com", "member").await;
    let res = member.get("/users").await;
    assert_eq!(res.status(), reqwest::StatusCode::FORBIDDEN);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"class="mainnav""#), "the navigation stays: {page}");
    assert!(page.contains("have access to this page"));
    assert!(page.contains("Ask a super admin"));
    let (status, page) = admin.page("/campaigns/999999").await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
    assert!(page.contains(r#"class="mainnav""#) && page.contains("Back to the dashboard"));
    // Signed out, a 410 (a used reset link) offers a new link.
    let anon = app.agent();
    let (status, page) = anon.page("/password/reset/not-a-real-code").await;
    if status == reqwest::StatusCode::GONE {
        assert!(page.contains("/password/forgot"), "{page}");
    }
    // A flash that quotes a slug shows it as code.
    let api = app.admin_api(&admin).await;
    let c = api.post("/api/v1/campaigns", serde_json::json!({"name": "Spring"})).await;
    let cid = c.body["id"].as_i64().unwrap();
    let res = admin
        .submit(
            &format!("/campaigns/{cid}/statuses"),
            &format!("/campaigns/{cid}/statuses"),
            &[("slug", "sold"), ("label", "Sold")],
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    let (_, page) = admin.page(&format!("/campaigns/{cid}/statuses")).await;
    assert!(page.contains("Status <code>sold</code> added."), "{page}");
    assert!(!page.contains("`sold`"));
}

/// Dashboard tiles: only the kinds the viewer can hold or oversee, each a
/// link to its list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_tiles_show_the_viewers_kinds_and_link_to_their_lists() {
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let member = app.user_with_role(&admin, "mo@example.com", "member").await;
    let boss = app.user_with_role(&admin, "boss@example.com", "admin").await;
    let tiles = |page: &str| -> Vec<String> {
        page.split(r#"<span class="tile-label">"#).skip(1).map(|s| s.split('<').next().unwrap().to_owned()).collect()
    };
    let (_, page) = member.page("/").await;
    assert_eq!(tiles(&page), ["Personal", "Profile API"]);
    assert!(page.contains(r#"<a class="tile" href="/profile/tokens">"#));
    let (_, page) = boss.page("/").await;
    let t = tiles(&page);
    assert!(
        t.contains(&"Campaign API".to_owned())
            && !t.contains(&"Global".to_owned())
            && !t.contains(&"Account private".to_owned()),
        "{t:?}"
    );
    let (_, page) = admin.page("/").await;
    assert!(tiles(&page).contains(&"Global".to_owned()));
    assert!(page.contains(r#"href="/support/tokens?kind=global""#));
}
