//! Browser flows of Token Management (seed 000).

use fantoccini::key::Key;
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{Browser, finish};
use crate::helpers::{ADMIN_EMAIL, Api, PASSWORD, TestApp};

async fn sign_in(b: &Browser) -> anyhow::Result<()> {
    b.goto("/login").await?;
    b.fill("input[name=email]", ADMIN_EMAIL).await?;
    b.fill("input[name=password]", PASSWORD).await?;
    b.click_and_load("form[action='/login'] button[type=submit]").await?;
    b.wait_for_path("/").await
}

/// Settings > Token Management: toggle Global Token Authentication on,
/// then Copy the token (it is fetched, never shown on the page first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_token_is_enabled_and_copied() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    api.post("/api/v1/campaigns", json!({"name": "Spring"})).await;
    api.post("/api/v1/campaigns/spring/sources", json!({"name": "Web", "kind": "CS"})).await;
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        sign_in(&b).await?;
        b.click_and_load("nav.mainnav a[href='/settings/tokens']").await?;
        b.wait_for_path("/settings/tokens").await?;
        let switch = "#level-global button.switch";
        anyhow::ensure!(b.find(switch).await?.attr("aria-checked").await?.as_deref() == Some("false"));
        b.click_and_load(switch).await?;
        b.wait_for_path("/settings/tokens").await?;
        anyhow::ensure!(b.find(switch).await?.attr("aria-checked").await?.as_deref() == Some("true"));
        anyhow::ensure!(b.body_text().await?.contains("Token authentication is on"));
        let masked = b.find("#value-global").await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(masked.starts_with("kw_glb_") && masked.ends_with('•'), "{masked}");

        b.click("#level-global [data-copy-from='#value-global']").await?;
        b.wait_for_text("#level-global [data-copy-from='#value-global']", "Copied").await?;
        let shown = b.find("#value-global").await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(shown.starts_with("kw_glb_") && shown.len() == 49, "{shown}");
        // What the clipboard holds is the token that works.
        b.goto("/settings/token-policy").await?;
        let field = b.find("input[name='personal.max_days']").await?;
        field.send_keys(&format!("{}v", char::from(Key::Control))).await?;
        let pasted = field.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(pasted == shown, "clipboard held {pasted:?}");
        let intake = Api::new(&app.base, Some(&pasted));
        let a = intake.post("/api/v1/campaigns/spring/sources/web/form", json!({})).await;
        anyhow::ensure!(a.status == StatusCode::CREATED && a.level.as_deref() == Some("global"), "{a:?}");
        let a = intake.with(None).post("/api/v1/campaigns/spring/sources/web/form", json!({})).await;
        anyhow::ensure!(a.status == StatusCode::UNAUTHORIZED, "{a:?}");
        Ok(())
    }
    .await;
    finish(b, "global_token_enable_copy", result).await;
}

/// A source's Tokens tab: enable Ping, Show it, Regenerate through the
/// confirmation dialog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_ping_token_is_enabled_shown_and_regenerated() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let c = api.post("/api/v1/campaigns", json!({"name": "Spring"})).await;
    let s = api.post("/api/v1/campaigns/spring/sources", json!({"name": "Partner ABC", "kind": "MP"})).await;
    let (cid, sid) = (c.body["id"].as_i64().unwrap(), s.body["id"].as_i64().unwrap());
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        sign_in(&b).await?;
        b.click_and_load("nav.mainnav a[href='/campaigns']").await?;
        b.click_and_load(&format!("a[href='/campaigns/{cid}']")).await?;
        b.click_and_load(&format!("nav.tabs a[href='/campaigns/{cid}/sources']")).await?;
        b.click_and_load(&format!("a[href='/campaigns/{cid}/sources/{sid}/tokens']")).await?;
        b.wait_for_path(&format!("/campaigns/{cid}/sources/{sid}/tokens")).await?;
        anyhow::ensure!(b.body_text().await?.contains("Form Token"));

        b.click_and_load("#level-ping button.switch").await?;
        b.wait_for_path(&format!("/campaigns/{cid}/sources/{sid}/tokens")).await?;
        anyhow::ensure!(
            b.find("#level-ping button.switch").await?.attr("aria-checked").await?.as_deref() == Some("true")
        );
        anyhow::ensure!(
            b.find("#level-form button.switch").await?.attr("aria-checked").await?.as_deref() == Some("false")
        );

        b.click("#show-ping button").await?;
        let mut first = String::new();
        for _ in 0..50 {
            first = b.find("#value-ping").await?.prop("value").await?.unwrap_or_default();
            if !first.ends_with('•') {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::ensure!(first.starts_with("kw_png_") && first.len() == 49, "shown: {first}");
        let ping = |token: &str| {
            Api::new(&app.base, Some(token)).post("/api/v1/campaigns/spring/sources/partner-abc/ping", json!({}))
        };
        anyhow::ensure!(ping(&first).await.status == StatusCode::OK);

        b.click("#level-ping a[data-dialog='#regen-ping']").await?;
        anyhow::ensure!(b.text("#regen-ping").await?.contains("stops working"));
        b.click_and_load("#regen-ping button[type=submit]").await?;
        let banner = b.text(".flash-success").await?;
        anyhow::ensure!(banner.contains("old one stopped working"), "{banner}");
        let second = b.find("#value-ping").await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(second.starts_with("kw_png_") && second != first, "regenerated: {second}");
        let old = ping(&first).await;
        anyhow::ensure!(
            old.status == StatusCode::UNAUTHORIZED && old.body["error"]["code"] == "token_revoked",
            "{old:?}"
        );
        anyhow::ensure!(ping(&second).await.status == StatusCode::OK);
        Ok(())
    }
    .await;
    finish(b, "source_ping_token", result).await;
}
