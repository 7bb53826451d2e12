//! Mail goes through the outbox: an SMTP outage delays it, a restart does
//! not lose it.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Options, TestApp, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_smtp_server_down_an_invitation_waits_and_arrives_once_it_is_back() {
    let mut app = TestApp::spawn_with(Options { smtp_down: true, ..Default::default() }).await;
    let admin = app.setup_admin().await;
    let res = admin.submit("/users", "/users", &[("email", "patient@example.com"), ("role", "member")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the invitation itself succeeds");

    // Delivery is attempted and fails, and the message stays queued.
    let mut conn = app.conn();
    let failed = eventually(Duration::from_secs(10), || {
        let attempts: i32 = {
            use diesel::prelude::*;
            keyward::schema::outbox::table.select(keyward::schema::outbox::attempts).first(&mut conn).unwrap_or(0)
        };
        async move { attempts >= 2 }
    })
    .await;
    assert!(failed, "the worker retries");
    let (_, page) = admin.page("/dev/outbox").await;
    assert!(page.contains("patient@example.com") && page.contains("Retrying"), "{page}");

    app.smtp.restart().await;
    let mail = app.smtp.wait_for("patient@example.com", "invited").await;
    assert!(mail.text.contains("/password/reset/"));
    let (_, page) = admin.page("/dev/outbox").await;
    assert!(page.contains("Sent"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_queued_before_a_restart_is_delivered_after_it() {
    let app = TestApp::spawn_with(Options { smtp_down: true, ..Default::default() }).await;
    let admin = app.setup_admin().await;
    admin.submit("/users", "/users", &[("email", "later@example.com"), ("role", "member")]).await;
    let mut leftovers = app.stop_keeping_data().await;
    leftovers.smtp.restart().await;

    let app = TestApp::spawn_with(Options { reuse: Some(leftovers), ..Default::default() }).await;
    let mail = app.smtp.wait_for("later@example.com", "invited").await;
    assert!(mail.subject.contains("admin@example.com"));
}

/// The outbox shows a mail as its recipient sees it: subject, from, to,
/// the HTML part in a sandboxed frame, and the text part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_mail_reads_as_its_recipient_sees_it() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let res = admin.submit("/users", "/users", &[("email", "newbie@example.com"), ("role", "member")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = admin.page("/dev/outbox").await;
    let href = list.split(r#"href="/dev/outbox/m/"#).nth(1).expect("a link to the message").split('"').next().unwrap();
    let (status, page) = admin.page(&format!("/dev/outbox/m/{href}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("newbie@example.com") && page.contains("<dt>From</dt>") && page.contains("Text part"));
    assert!(page.contains(&format!(r#"<iframe class="mail-frame" src="/dev/outbox/m/{href}/html" sandbox"#)), "{page}");
    let res = admin.get(&format!("/dev/outbox/m/{href}/html")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.starts_with("sandbox;") && csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(res.text().await.unwrap().contains("<html"), "the HTML part");
    // Others may not read mail.
    let member = app.user_with_role(&admin, "mo@example.com", "member").await;
    assert_eq!(member.get(&format!("/dev/outbox/m/{href}/html")).await.status(), StatusCode::FORBIDDEN);
}
