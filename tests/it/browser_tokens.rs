//! Browser flows of personal tokens and the profile API token.

use fantoccini::key::Key;
use reqwest::StatusCode;

use crate::browser::{Browser, finish};
use crate::helpers::{ADMIN_EMAIL, PASSWORD, TestApp, api_get};

async fn sign_in(b: &Browser) -> anyhow::Result<()> {
    b.goto("/login").await?;
    b.fill("input[name=email]", ADMIN_EMAIL).await?;
    b.fill("input[name=password]", PASSWORD).await?;
    b.click_and_load("form[action='/login'] button[type=submit]").await?;
    b.wait_for_path("/").await
}

/// Pastes the clipboard into `field` and returns what arrived.
async fn paste_into(b: &Browser, field: &str) -> anyhow::Result<String> {
    let el = b.find(field).await?;
    el.clear().await?;
    el.send_keys(&format!("{}v", char::from(Key::Control))).await?;
    Ok(el.prop("value").await?.unwrap_or_default())
}

/// Generate with the view icon and Copy; revoke through the dialog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_token_dialog_shows_copies_and_revokes() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        sign_in(&b).await?;
        b.click(".usermenu summary").await?;
        b.click_and_load(".usermenu-panel a[href='/profile']").await?;
        b.wait_for_path("/profile").await?;
        b.click_and_load("form[action='/profile/api-token'] button").await?;

        // The New API Token dialog: the value hidden in the field.
        let field = b.find("dialog[open] #new-token").await?;
        anyhow::ensure!(field.attr("type").await?.as_deref() == Some("password"), "hidden at first");
        let token = field.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(token.starts_with("kw_usr_"), "{token}");
        anyhow::ensure!(b.body_text().await?.contains("appears only once"));

        // The view icon shows it.
        b.click("dialog[open] [data-reveal='#new-token']").await?;
        anyhow::ensure!(b.find("#new-token").await?.attr("type").await?.as_deref() == Some("text"), "shown");
        // Copy puts it on the clipboard.
        b.click("dialog[open] [data-copy-from='#new-token']").await?;
        b.wait_for_text("dialog[open] [data-copy-from='#new-token']", "Copied").await?;
        b.click_and_load("dialog[open] a[href='/profile']").await?;
        b.wait_for_path("/profile").await?;
        let pasted = paste_into(&b, "input[name=display_name]").await?;
        anyhow::ensure!(pasted == token, "the clipboard held {pasted:?}");

        // Gone from the page once the dialog closed; the token works.
        anyhow::ensure!(!b.client.source().await?.contains(&token), "shown again");
        let (status, _) = api_get(&app.url("/api/v1/me"), &token).await;
        anyhow::ensure!(status == StatusCode::OK, "token works: {status}");
        anyhow::ensure!(b.body_text().await?.contains("days left"));

        // Revoke asks for confirmation in a dialog.
        b.click("a[data-dialog='#revoke-dialog']").await?;
        let dialog_text = b.text("#revoke-dialog").await?;
        anyhow::ensure!(dialog_text.contains("not reversible"), "{dialog_text}");
        b.click_and_load("#revoke-dialog button[type=submit]").await?;
        b.wait_for_path("/profile").await?;
        anyhow::ensure!(b.body_text().await?.contains("revoked"));
        let (status, body) = api_get(&app.url("/api/v1/me"), &token).await;
        anyhow::ensure!(status == StatusCode::UNAUTHORIZED && body["error"]["code"] == "token_revoked", "{body}");
        anyhow::ensure!(b.find("form[action='/profile/api-token'] button").await.is_ok(), "Generate is back");
        Ok(())
    }
    .await;
    finish(b, "profile_token_dialog", result).await;
}

/// CREATE +, the one-time Token Key and Token, and the switch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_token_is_created_and_toggled() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        sign_in(&b).await?;
        b.goto("/profile/tokens").await?;
        b.click("a[data-dialog='#create-dialog']").await?;
        b.fill("#create-dialog input[name=description]", "receive leads from RDStation").await?;
        b.click_and_load("#create-dialog button[type=submit]").await?;

        let key = b.find("dialog[open] #created-key").await?.prop("value").await?.unwrap_or_default();
        let token = b.find("dialog[open] #created-token").await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(key.starts_with("kw_pat_") && token.starts_with(&key), "{key} / {token}");
        anyhow::ensure!(b.body_text().await?.contains("will not be shown again"));
        b.click_and_load("dialog[open] a[href='/profile/tokens']").await?;
        b.wait_for_path("/profile/tokens").await?;
        anyhow::ensure!(!b.client.source().await?.contains(&token));
        let me = app.url("/api/v1/me");
        anyhow::ensure!(api_get(&me, &token).await.0 == StatusCode::OK);

        let switch = "button.switch[role=switch]";
        anyhow::ensure!(b.find(switch).await?.attr("aria-checked").await?.as_deref() == Some("true"));
        b.click_and_load(switch).await?;
        b.wait_for_path("/profile/tokens").await?;
        anyhow::ensure!(b.find(switch).await?.attr("aria-checked").await?.as_deref() == Some("false"));
        let (status, body) = api_get(&me, &token).await;
        anyhow::ensure!(status == StatusCode::UNAUTHORIZED && body["error"]["code"] == "token_deactivated");

        b.click_and_load(switch).await?;
        b.wait_for_path("/profile/tokens").await?;
        anyhow::ensure!(b.find(switch).await?.attr("aria-checked").await?.as_deref() == Some("true"));
        anyhow::ensure!(api_get(&me, &token).await.0 == StatusCode::OK, "works again");
        Ok(())
    }
    .await;
    finish(b, "personal_token_toggle", result).await;
}
