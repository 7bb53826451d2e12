//! Browser flows of the token lifecycle: Regenerate with a grace period
//! through its dialog, ending the grace early, and a token's usage page
//! (its chart drawn by the server, readable at 390 px).

use reqwest::StatusCode;

use crate::browser::{Browser, finish};
use crate::helpers::{ADMIN_EMAIL, TestApp, api_get};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerate_with_a_grace_through_the_dialog_then_end_it_early() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (key, old) = admin.create_personal_token("nightly sync").await;
    let me = app.url("/api/v1/me");
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        b.sign_in(ADMIN_EMAIL).await?;
        b.goto(&format!("/tokens/{key}")).await?;
        b.click(&format!("a[href='/tokens/{key}/regenerate'][data-dialog='#regen-token']")).await?;
        let dialog = b.text("dialog[open]").await?;
        anyhow::ensure!(dialog.contains("Keep the old token working for"), "{dialog}");
        b.find("dialog[open] select[name=grace]").await?.select_by_value("86400").await?;
        b.look("lifecycle-regenerate-dialog").await?;
        b.click_and_load("dialog[open] button[type=submit]").await?;

        let text = b.body_text().await?;
        anyhow::ensure!(text.contains("keeps working until"), "{text}");
        let new = b.find("#value-new").await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(new.starts_with("kw_pat_") && new != old, "{new}");
        anyhow::ensure!(api_get(&me, &old).await.0 == StatusCode::OK, "the old token during its grace");
        anyhow::ensure!(api_get(&me, &new).await.0 == StatusCode::OK, "the new token");

        // The old one: retiring, with what is left; ended early from its page.
        b.goto(&format!("/tokens/{key}")).await?;
        let text = b.text("#retiring").await?;
        anyhow::ensure!(text.contains("Retiring, 24 hours left"), "{text}");
        b.look("lifecycle-retiring").await?;
        b.click_and_load("#retiring button[type=submit]").await?;
        b.wait_for_path(&format!("/tokens/{key}")).await?;
        anyhow::ensure!(b.body_text().await?.contains("grace period was ended early"));
        let (status, body) = api_get(&me, &old).await;
        anyhow::ensure!(status == StatusCode::UNAUTHORIZED && body["error"]["code"] == "token_revoked", "{body}");
        anyhow::ensure!(api_get(&me, &new).await.0 == StatusCode::OK, "the new token still works");
        Ok(())
    }
    .await;
    finish(b, "lifecycle_regenerate_grace", result).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokens_usage_page_reads_at_390_px() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (key, token) = admin.create_personal_token("partner feed").await;
    for _ in 0..3 {
        assert_eq!(api_get(&app.url("/api/v1/me"), &token).await.0, StatusCode::OK);
    }
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        b.sign_in(ADMIN_EMAIL).await?;
        b.client.set_window_size(390, 844).await?;
        b.goto(&format!("/tokens/{key}")).await?;
        let bars = b.client.find_all(fantoccini::Locator::Css("#usage svg rect.bar")).await?;
        anyhow::ensure!(bars.len() == 1, "one bar for today, got {}", bars.len());
        let ips = b.text("#last-ips").await?;
        anyhow::ensure!(ips.contains("127.0.0.1"), "{ips}");
        let widths = b
            .client
            .execute("return [document.documentElement.scrollWidth, window.innerWidth, document.querySelector('#usage svg').getBoundingClientRect().width]", vec![])
            .await?;
        let w: Vec<f64> = serde_json::from_value(widths)?;
        anyhow::ensure!(w[0] <= w[1], "the page scrolls sideways at 390 px: {w:?}");
        anyhow::ensure!(w[2] > 200.0 && w[2] <= w[1], "the chart fills its box: {w:?}");
        b.look("lifecycle-usage-390").await?;
        Ok(())
    }
    .await;
    finish(b, "lifecycle_usage_390", result).await;
}
