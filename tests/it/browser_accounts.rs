//! Browser flows of the foundation, in headless Chromium.

use crate::browser::{Browser, finish};
use crate::helpers::{ADMIN_EMAIL, PASSWORD, TestApp};

/// setup → sign in → invite a user → the invited user opens the mailed
/// link, sets a password, signs in → sees a 403 on /users.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_invite_accept_and_a_403_in_the_browser() {
    let app = TestApp::spawn().await;
    let code = app.setup_code.clone().unwrap();
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        b.goto("/").await?;
        b.wait_for_path("/setup").await?;
        b.fill("input[name=code]", &code).await?;
        b.fill("input[name=email]", ADMIN_EMAIL).await?;
        b.fill("input[name=display_name]", "Ada Admin").await?;
        b.fill("input[name=password]", PASSWORD).await?;
        b.fill("input[name=confirm]", PASSWORD).await?;
        b.click_and_load("form[action='/setup'] button[type=submit]").await?;
        b.wait_for_path("/").await?;
        anyhow::ensure!(b.body_text().await?.contains("Welcome, Ada Admin"));

        // Sign out and back in, through the user menu.
        b.click(".usermenu summary").await?;
        b.click_and_load("form[action='/logout'] button").await?;
        b.wait_for_path("/login").await?;
        b.fill("input[name=email]", ADMIN_EMAIL).await?;
        b.fill("input[name=password]", PASSWORD).await?;
        b.click_and_load("form[action='/login'] button[type=submit]").await?;
        b.wait_for_path("/").await?;

        b.click_and_load("nav.mainnav a[href='/users']").await?;
        b.wait_for_path("/users").await?;
        b.fill("form[action='/users'] input[name=email]", "newbie@example.com").await?;
        b.find("form[action='/users'] select[name=role] option[value=member]").await?.click().await?;
        b.click_and_load("form[action='/users'] button[type=submit]").await?;
        b.wait_for_path("/users").await?;
        anyhow::ensure!(b.body_text().await?.contains("Invitation sent to newbie@example.com"));
        anyhow::ensure!(b.body_text().await?.contains("Invitation pending"));

        b.click(".usermenu summary").await?;
        b.click_and_load("form[action='/logout'] button").await?;
        b.wait_for_path("/login").await?;

        let mail = app.smtp.wait_for("newbie@example.com", "invited").await;
        b.goto(&mail.link_path(&app.base)).await?;
        anyhow::ensure!(b.body_text().await?.contains("Welcome to Keyward"));
        b.fill("input[name=password]", "newbie password 1").await?;
        b.fill("input[name=confirm]", "newbie password 1").await?;
        b.click_and_load("button[type=submit]").await?;
        b.wait_for_path("/login").await?;
        anyhow::ensure!(b.body_text().await?.contains("Your password is set"));
        b.fill("input[name=email]", "newbie@example.com").await?;
        b.fill("input[name=password]", "newbie password 1").await?;
        b.click_and_load("form[action='/login'] button[type=submit]").await?;
        b.wait_for_path("/").await?;
        anyhow::ensure!(b.find("nav.mainnav a[href='/users']").await.is_err(), "a member sees no Users link");

        b.goto("/users").await?;
        let text = b.body_text().await?;
        anyhow::ensure!(text.contains("403"), "expected a 403 page, got: {text}");
        anyhow::ensure!(text.contains("You don't have access to this page"));
        Ok(())
    }
    .await;
    finish(b, "setup_invite_accept_403", result).await;
}

/// A role change goes through the confirmation dialog; Cancel changes
/// nothing and puts the select back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_is_confirmed_in_a_dialog() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let _bob = app.user_with_role(&admin, "bob@example.com", "member").await;
    let id: i64 = {
        use diesel::prelude::*;
        use keyward::schema::users;
        users::table.filter(users::email.eq("bob@example.com")).select(users::id).first(&mut app.conn()).unwrap()
    };
    let role = || -> String {
        use diesel::prelude::*;
        use keyward::schema::users;
        users::table.find(id).select(users::role).first(&mut app.conn()).unwrap()
    };
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        b.sign_in(ADMIN_EMAIL).await?;
        b.goto("/users").await?;
        let select = format!("form[action='/users/{id}/role'] select[name=role]");
        b.find(&select).await?.select_by_value("admin").await?;
        let text = b.text("#confirm-dialog[open] .confirm-message").await?;
        anyhow::ensure!(text.contains("bob@example.com to Admin") && text.contains("sessions end now"), "{text}");
        b.look("confirm-role-change").await?;
        b.click("#confirm-dialog [data-cancel]").await?;
        anyhow::ensure!(role() == "member", "Cancel changes nothing");
        let shown = b.find(&select).await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(shown == "member", "the select is put back: {shown}");

        b.find(&select).await?.select_by_value("support").await?;
        b.click_and_load("#confirm-dialog[open] [data-confirm-yes]").await?;
        b.wait_for_path("/users").await?;
        anyhow::ensure!(b.body_text().await?.contains("bob@example.com is now Support"));
        anyhow::ensure!(role() == "support");
        Ok(())
    }
    .await;
    finish(b, "confirm_role_change", result).await;
}
