//! Public data services (seed 004): counts and the public fields' values
//! for the account public token, in JSON and XML, with CORS and caching;
//! the embeddable widget; the snippet on the Account tokens page.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Browser, finish};
use crate::helpers::{ADMIN_EMAIL, Agent, Api, TestApp, api};
use crate::leads::{lead, seed};

struct World {
    app: TestApp,
    admin: Agent,
    rest: Api,
    public: String,
    campaign_id: i64,
}

/// Spring with three leads (two through the API, one from its web form),
/// one of them sold; a public token.
async fn world() -> World {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let rest = app.admin_api(&admin).await;
    seed(&rest).await;
    rest.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "a@example.com")).await;
    let mut sold = lead("VENDOR_NORTH", "b@example.com");
    sold["status"] = json!("sold");
    sold["fields"]["name"] = json!("Bea <& Co>");
    rest.post("/api/v1/campaigns/spring/leads", sold).await;
    let web: String = {
        use keyward::schema::sources::dsl::*;
        sources.select(slug).first(&mut app.conn()).unwrap()
    };
    let form = Api::new(&app.base, None)
        .post(&format!("/api/v1/campaigns/spring/sources/{web}/form"), lead("SELECT_PARTNER", "c@example.com"))
        .await;
    assert_eq!(form.status, StatusCode::CREATED, "{:?}", form.body);
    let public =
        rest.post("/api/v1/settings/account-tokens/public", json!({})).await.body["token"].as_str().unwrap().to_owned();
    let campaign_id = {
        use keyward::schema::campaigns::dsl::*;
        campaigns.filter(slug.eq("spring")).select(id).first::<i64>(&mut app.conn()).unwrap()
    };
    World { app, admin, rest, public, campaign_id }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_come_in_json_or_xml_open_to_any_origin_and_cacheable() {
    let w = world().await;
    let url = w.app.url(&format!("/api/public/v1/campaigns/spring/counts?token={}", w.public));
    let res = api().get(&url).header("origin", "https://partner.example").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(headers["cache-control"].to_str().unwrap().contains("max-age"));
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["total"], 3);
    assert_eq!(body["by_status"], json!({"new": 2, "sold": 1}));
    let web = body["by_source"].as_object().unwrap().iter().find(|(k, _)| *k != "api").map(|(_, v)| v.clone());
    assert_eq!((web, body["by_source"]["api"].clone()), (Some(json!(1)), json!(2)));
    assert!(!body.to_string().contains("example.com"), "nothing personal");

    let again = api().get(&url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    for (query, accept) in [("&format=xml", "*/*"), ("", "application/xml")] {
        let res = api().get(format!("{url}{query}")).header("accept", accept).send().await.unwrap();
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/xml"));
        let xml = res.text().await.unwrap();
        assert!(xml.starts_with("<?xml") && xml.contains("<counts campaign=\"spring\" total=\"3\">"), "{xml}");
        assert!(xml.contains("<status slug=\"sold\">1</status>"), "{xml}");
    }
    // Bearer works too; another kind of token does not; none is 401.
    let bearer =
        api().get(w.app.url("/api/public/v1/campaigns/spring/counts")).bearer_auth(&w.public).send().await.unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let other = api()
        .get(w.app.url("/api/public/v1/campaigns/spring/counts"))
        .bearer_auth(w.rest.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    let none = api().get(w.app.url("/api/public/v1/campaigns/spring/counts")).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let preflight = api()
        .request(reqwest::Method::OPTIONS, w.app.url("/api/public/v1/campaigns/spring/counts"))
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_fields_a_super_admin_marked_public_are_listed_and_never_personal_ones() {
    let w = world().await;
    let url = w.app.url(&format!("/api/public/v1/campaigns/spring/leads?token={}", w.public));
    let page: Value = api().get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["fields"], json!([]));
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert_eq!(page["items"][0]["fields"], json!({}), "no field is public until a super admin says so");

    let field = |slug: &str| -> i64 {
        use keyward::schema::fields::dsl;
        dsl::fields.filter(dsl::slug.eq(slug)).select(dsl::id).first(&mut w.app.conn()).unwrap()
    };
    let (name, email) = (field("name"), field("email"));
    let fields_page = format!("/campaigns/{}/fields", w.campaign_id);
    // An admin may not; a super admin may, but not for an email.
    let adm = w.app.user_with_role(&w.admin, "adm@example.com", "admin").await;
    let res = adm.submit(&fields_page, &format!("{fields_page}/{name}/public"), &[("value", "on")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = w.admin.submit(&fields_page, &format!("{fields_page}/{email}/public"), &[("value", "on")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, shown) = w.admin.page(&fields_page).await;
    assert!(shown.contains("holds an email address, which is personal data"), "the refusal is explained");
    let res = w.admin.submit(&fields_page, &format!("{fields_page}/{name}/public"), &[("value", "on")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let page: Value = api().get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["fields"], json!(["name"]));
    let names: Vec<Value> = page["items"].as_array().unwrap().iter().map(|l| l["fields"].clone()).collect();
    assert!(names.contains(&json!({"name": "Bea <& Co>"})), "{names:?}");
    assert!(!page.to_string().contains("example.com"), "no email");
    let xml = api().get(format!("{url}&format=xml&limit=2")).send().await.unwrap().text().await.unwrap();
    assert!(xml.contains("next_cursor=\"") && xml.contains("<lead id="), "{xml}");
    let xml = api().get(format!("{url}&format=xml")).send().await.unwrap().text().await.unwrap();
    assert!(xml.contains("<field slug=\"name\">Bea &lt;&amp; Co&gt;</field>"), "escaped: {xml}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_frame_shows_a_live_count_and_may_be_embedded_anywhere() {
    let w = world().await;
    let js = api().get(w.app.url("/widget.js")).send().await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()["content-type"].to_str().unwrap().contains("javascript"));

    let frame = api()
        .get(w.app.url(&format!("/widget/spring?token={}&label=fans%20so%20far&accent=%23ff0000&theme=dark", w.public)))
        .send()
        .await
        .unwrap();
    assert_eq!(frame.status(), StatusCode::OK);
    let csp = frame.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(frame.headers().get("x-frame-options").is_none(), "other sites may frame it");
    let html = frame.text().await.unwrap();
    assert!(html.contains(">3</strong>") && html.contains("fans so far") && html.contains("#ff0000"), "{html}");
    assert!(!html.contains("example.com"), "nothing personal");

    let bad = api().get(w.app.url("/widget/spring?token=kw_pub_nope&accent=red;}body{")).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Count unavailable") && !html.contains("red;}"), "{html}");
    // The console itself still refuses to be framed.
    let console = api().get(w.app.url("/login")).send().await.unwrap();
    assert_eq!(console.headers()["x-frame-options"], "DENY");
}

/// The snippet on the Account tokens page, pasted into another site's page:
/// the count shows there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snippet_from_the_console_shows_the_count_on_another_page() {
    let w = world().await;
    let b = Browser::start(&w.app.base).await.expect("start headless Chromium");
    let result = async {
        b.sign_in(ADMIN_EMAIL).await?;
        b.goto("/settings/account-tokens").await?;
        let placeholder = b.find("#widget-snippet").await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(placeholder.contains("PASTE_THE_PUBLIC_TOKEN"), "{placeholder}");
        // Show fills the token into the snippet (without a reload).
        b.click("#show-public button[type=submit]").await?;
        let mut snippet = String::new();
        for _ in 0..100 {
            snippet = b.find("#widget-snippet").await?.prop("value").await?.unwrap_or_default();
            if snippet.contains(&w.public) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::ensure!(snippet.contains(&w.public) && snippet.contains("data-campaign=\"spring\""), "{snippet}");
        b.look("widget-snippet").await?;

        let page = format!("<!doctype html><html><body><h1>Our spring campaign</h1>{snippet}</body></html>");
        let host = host_site(page).await;
        b.goto(&host).await?;
        let frame = b.find("iframe").await?;
        frame.enter_frame().await?;
        let count = b.text("#kw-count").await?;
        b.client.clone().enter_parent_frame().await?;
        b.look("widget-on-host").await?;
        anyhow::ensure!(count == "3", "the widget shows the count: {count}");
        Ok(())
    }
    .await;
    finish(b, "widget_snippet", result).await;
}

/// Another site: serves `page` at its root from another origin (another
/// port), for as long as the test runs.
async fn host_site(page: String) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let page = page.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}
