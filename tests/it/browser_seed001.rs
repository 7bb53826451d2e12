//! Seed 001 end to end in the browser: add a select option for the
//! partner, create the filter, create a read/write token with it, copy the
//! documentation link and Show the token; then a script with the token
//! creates a lead with the right select value (201) and is refused with the
//! wrong one (403).

use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{Browser, finish};
use crate::helpers::{ADMIN_EMAIL, Api, PASSWORD, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_gets_a_filtered_campaign_token_step_by_step() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let c = api.post("/api/v1/campaigns", json!({"name": "Spring", "slug": "spring"})).await;
    let cid = c.body["id"].as_i64().unwrap();
    api.post(
        "/api/v1/campaigns/spring/fields",
        json!({"slug": "email", "label": "Email", "type": "email", "required": true}),
    )
    .await;
    api.post("/api/v1/campaigns/spring/selects", json!({"slug": "select_partner", "label": "Lead source", "options": [{"slug": "VENDOR_NORTH", "label": "Vendor North"}]})).await;
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        b.goto("/login").await?;
        b.fill("input[name=email]", ADMIN_EMAIL).await?;
        b.fill("input[name=password]", PASSWORD).await?;
        b.click_and_load("form[action='/login'] button[type=submit]").await?;
        b.wait_for_path("/").await?;

        // 1. Selects: a source value for the partner.
        b.click_and_load("nav.mainnav a[href='/campaigns']").await?;
        b.click_and_load(&format!("a[href='/campaigns/{cid}']")).await?;
        b.click_and_load(&format!("nav.tabs a[href='/campaigns/{cid}/selects']")).await?;
        b.fill(".option-form input[name=option_slug]", "SELECT_PARTNER").await?;
        b.fill(".option-form input[name=option_label]", "Partner ABC").await?;
        b.click_and_load(".option-form button[type=submit]").await?;
        anyhow::ensure!(b.body_text().await?.contains("Option SELECT_PARTNER added"));

        // 2. Filters: New filter with the condition.
        b.click_and_load(&format!("nav.tabs a[href='/campaigns/{cid}/filters']")).await?;
        // "New filter" opens the form.
        b.click("#filter-form summary").await?;
        b.fill("#filter-form input[name=name]", "Partner ABC – API access").await?;
        b.find("#filter-form select[name=condition] option[value='select_partner=SELECT_PARTNER']").await?.click().await?;
        b.click_and_load("#filter-form button[type=submit]").await?;
        anyhow::ensure!(b.body_text().await?.contains("Filter “Partner ABC – API access” saved"));

        // 3. API documentation > API Tokens: New API token.
        b.click_and_load(&format!("nav.tabs a[href='/campaigns/{cid}/api/tokens']")).await?;
        // "New API token" opens the form.
        b.click("#new-api-token summary").await?;
        b.fill("#new-api-token input[name=name]", "Partner ABC – read/write").await?;
        let read = b.find("input[name=read]").await?;
        if read.prop("checked").await?.as_deref() != Some("true") {
            read.click().await?;
        }
        b.click("input[name=write]").await?;
        b.find("select[name=filter_id] option:nth-child(2)").await?.click().await?;
        b.click_and_load("form[action$='/api/tokens'] button[type=submit]").await?;
        anyhow::ensure!(b.body_text().await?.contains("API token “Partner ABC – read/write” created"));
        // The form is back in its first state: Read ticked, Write not.
        let read = b.find("#new-api-token input[name=read]").await?.prop("checked").await?;
        let write = b.find("#new-api-token input[name=write]").await?.prop("checked").await?;
        anyhow::ensure!(read.as_deref() == Some("true") && write.as_deref() != Some("true"), "{read:?} {write:?}");

        // 4. The link icon gives the documentation URL; Show gives the token.
        let link = b.find("a[title='Public documentation URL for this token']").await?;
        let docs = link.attr("href").await?.unwrap_or_default();
        anyhow::ensure!(docs.contains("/docs/c/") && docs.contains("?key=kw_api_"), "{docs}");
        b.goto(&format!("/campaigns/{cid}/api/tokens")).await?;
        b.click("form[data-show] button").await?;
        let mut token = String::new();
        for _ in 0..50 {
            token = b.find("input[id^='api-value-']").await?.prop("value").await?.unwrap_or_default();
            if !token.ends_with('•') {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::ensure!(token.starts_with("kw_api_") && token.len() == 49, "shown: {token}");

        // 5. What the partner sees: the docs with their filter.
        b.goto(&docs).await?;
        let text = b.body_text().await?;
        anyhow::ensure!(text.contains("Partner ABC – API access") && text.contains("select_partner") && text.contains("SELECT_PARTNER"));

        // 7. A script with the token.
        let partner = Api::new(&app.base, Some(&token));
        let right = partner
            .post("/api/v1/campaigns/spring/leads", json!({"fields": {"email": "abc@example.com"}, "select_field_values": {"select_partner": "SELECT_PARTNER"}}))
            .await;
        anyhow::ensure!(right.status == StatusCode::CREATED, "{right:?}");
        let wrong = partner
            .post("/api/v1/campaigns/spring/leads", json!({"fields": {"email": "n@example.com"}, "select_field_values": {"select_partner": "VENDOR_NORTH"}}))
            .await;
        anyhow::ensure!(wrong.status == StatusCode::FORBIDDEN, "{wrong:?}");
        anyhow::ensure!(wrong.body["error"]["message"].as_str().unwrap_or("").contains("`select_partner` must be `SELECT_PARTNER`"));
        Ok(())
    }
    .await;
    finish(b, "seed_001", result).await;
}
