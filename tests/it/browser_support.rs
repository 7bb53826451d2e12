//! Browser flow of seed 004 and the support console: a super admin creates
//! a private token for a user; support finds it by key and revokes it with
//! a reason; the user's email arrives with that reason.

use reqwest::StatusCode;

use crate::browser::{Browser, finish};
use crate::helpers::{ADMIN_EMAIL, Api, PASSWORD, TestApp};

async fn sign_in(b: &Browser, email: &str) -> anyhow::Result<()> {
    b.goto("/login").await?;
    b.fill("input[name=email]", email).await?;
    b.fill("input[name=password]", PASSWORD).await?;
    b.click_and_load("form[action='/login'] button[type=submit]").await?;
    b.wait_for_path("/").await
}

async fn sign_out(b: &Browser) -> anyhow::Result<()> {
    b.click(".usermenu summary").await?;
    b.click_and_load("form[action='/logout'] button").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_token_is_created_then_found_and_revoked_by_support_with_a_reason() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let _analyst = app.user_with_role(&admin, "analyst@example.com", "member").await;
    let _support = app.user_with_role(&admin, "help@example.com", "support").await;
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        sign_in(&b, ADMIN_EMAIL).await?;
        b.click(".usermenu summary").await?;
        b.click_and_load(".usermenu-panel a[href='/settings/account-tokens']").await?;
        anyhow::ensure!(b.body_text().await?.contains("Do not send tokens through plain text email"));
        b.find("select[name=user] option[value='analyst@example.com']").await?.click().await?;
        b.fill("input[name=description]", "nightly CRM export").await?;
        b.click_and_load("form[action='/settings/account-tokens/private'] button[type=submit]").await?;
        let token = b.find("#created-private").await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(token.starts_with("kw_prv_"), "{token}");
        let key = token[..15].to_owned();
        anyhow::ensure!(b.body_text().await?.contains("analyst@example.com"));
        let export = Api::new(&app.base, Some(&token));
        anyhow::ensure!(export.get("/api/v1/tokens?limit=1").await.status == StatusCode::FORBIDDEN);
        sign_out(&b).await?;

        sign_in(&b, "help@example.com").await?;
        b.click_and_load("nav.mainnav a[href='/support/tokens']").await?;
        b.fill("form.filters input[name=key]", &key[..11]).await?;
        b.click_and_load("form.filters button[type=submit]").await?;
        let row = b.text("table.tokens tbody tr").await?;
        anyhow::ensure!(row.contains(&key) && row.contains("analyst@example.com"), "{row}");
        anyhow::ensure!(!b.client.source().await?.contains(&token[15..]), "support never sees the secret");
        b.click("table.tokens a[data-dialog^='#revoke-']").await?;
        b.fill("dialog[open] textarea[name=reason]", "leaked in a support ticket").await?;
        b.click_and_load("dialog[open] button[type=submit]").await?;
        anyhow::ensure!(b.body_text().await?.contains("revoked"));
        anyhow::ensure!(b.text("table.tokens tbody tr").await?.contains("Revoked"));

        let mail = app.smtp.wait_for("analyst@example.com", "revoked by support").await;
        anyhow::ensure!(mail.text.contains("leaked in a support ticket") && mail.text.contains(&key), "{}", mail.text);
        let refused = export.get("/api/v1/export/leads?campaign=x").await;
        anyhow::ensure!(refused.body["error"]["code"] == "token_revoked", "{refused:?}");
        Ok(())
    }
    .await;
    finish(b, "private_token_support_revoke", result).await;
}
