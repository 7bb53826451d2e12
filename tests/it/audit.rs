//! The audit log: what is recorded, how it is filtered and paged, the CSV,
//! and that nobody can rewrite it.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::{ADMIN_EMAIL, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_invitations_role_changes_and_deactivations_are_recorded_with_who_and_where() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let _ = app.agent().submit("/login", "/login", &[("email", ADMIN_EMAIL), ("password", "nope")]).await;
    let _ = app.agent().submit("/login", "/login", &[("email", "my password!"), ("password", "x")]).await;
    let bob = app.user_with_role(&admin, "bob@example.com", "member").await;
    drop(bob);
    let id: i64 = keyward::schema::users::table
        .filter(keyward::schema::users::email.eq("bob@example.com"))
        .select(keyward::schema::users::id)
        .first(&mut app.conn())
        .unwrap();
    admin.submit("/users", &format!("/users/{id}/role"), &[("role", "admin"), ("confirmed", "yes")]).await;
    admin.submit("/users", &format!("/users/{id}/active"), &[("confirmed", "yes")]).await;

    let actions = app.audit_actions();
    for expected in [
        "setup.completed",
        "session.signed_in",
        "session.sign_in_failed",
        "user.invited",
        "user.invitation_accepted",
        "user.role_changed",
        "user.deactivated",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected} missing from {actions:?}");
    }

    let (status, page) = admin.page("/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("user.role_changed") && page.contains("bob@example.com") && page.contains("127.0.0.1"));
    // In sentences, the rest of the details as labelled fields.
    assert!(
        page.contains("<strong>admin@example.com</strong> changed the role of bob@example.com from member to admin"),
        "{page}"
    );
    assert!(page.contains("<strong>admin@example.com</strong> invited bob@example.com as member"));
    // What was typed in the email field is not logged unless it is an address.
    assert!(!page.contains("my password!"));
    assert!(page.contains("(not an email address)"));

    // Filter by action group and by actor.
    let (_, page) = admin.page("/audit?action=user").await;
    assert!(page.contains("user.invited") && !page.contains("session.signed_in</code>"));
    let (_, page) = admin.page("/audit?actor=bob%40example.com").await;
    assert!(page.contains("user.invitation_accepted") && !page.contains("user.invited</code>"));
    // By target and by date.
    let (_, page) = admin.page("/audit?target=bob%40example").await;
    assert!(page.contains("user.deactivated</code>") && !page.contains("setup.completed</code>"));
    let today = time::OffsetDateTime::now_utc().date();
    let (_, page) = admin.page(&format!("/audit?from={today}&to={today}")).await;
    assert!(page.contains("user.deactivated</code>"));
    let (_, page) = admin.page(&format!("/audit?to={}", today.previous_day().unwrap())).await;
    assert!(page.contains("Nothing recorded yet"), "nothing before today");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_pages_by_keyset_without_repeats() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let mut conn = app.conn();
    for i in 0..60 {
        diesel::sql_query(format!(
            "INSERT INTO audit_events (at, actor, action, target) VALUES (now(), 'system', 'test.event', 'u{i}@example.com')"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    let (_, first) = admin.page("/audit").await;
    let older =
        first.split("href=\"/audit?before=").nth(1).expect("an Older link").split('"').next().unwrap().to_owned();
    let (_, second) = admin.page(&format!("/audit?before={older}")).await;
    let emails = |page: &str| -> Vec<String> {
        page.match_indices("@example.com")
            .map(|(i, _)| page[page[..i].rfind('u').unwrap()..i].to_owned())
            .filter(|s| s.starts_with('u') && s[1..].chars().all(|c| c.is_ascii_digit()))
            .collect()
    };
    let a = emails(&first);
    let b = emails(&second);
    assert_eq!(a.len(), 25, "25 rows a page");
    assert!(!a.is_empty() && !b.is_empty());
    assert!(a.iter().all(|e| !b.contains(e)), "no event shows on both pages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_is_an_attachment_with_formulas_neutralised() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let res = admin.submit("/users", "/users", &[("email", "=cmd@example.com"), ("role", "member")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let res = admin.get("/audit.csv?action=user.invited").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,at,actor,action,target,ip,details"));
    let row = lines.next().unwrap();
    assert!(row.contains(",user.invited,'=cmd@example.com,"), "{row}");
    assert_eq!(lines.next(), None, "only the filtered rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_cannot_be_rewritten() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    let mut conn = app.conn();
    for sql in ["UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events", "TRUNCATE audit_events"] {
        let err = diesel::sql_query(sql).execute(&mut conn).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert!(!app.audit_actions().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_and_admins_cannot_read_the_audit_log() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    for role in ["member", "admin"] {
        let agent = app.user_with_role(&admin, &format!("{role}-user@example.com"), role).await;
        assert_eq!(agent.get("/audit").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(agent.get("/audit.csv").await.status(), StatusCode::FORBIDDEN);
    }
    let support = app.user_with_role(&admin, "support-user@example.com", "support").await;
    assert_eq!(support.get("/audit").await.status(), StatusCode::OK);
}
