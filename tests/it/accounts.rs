//! First run, sign-in, sessions, invitations, password resets and what
//! super admins change on users.

use diesel::prelude::*;
use keyward::schema::users;
use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{ADMIN_EMAIL, PASSWORD, TestApp, location};

fn user_count(app: &TestApp) -> i64 {
    users::table.count().get_result(&mut app.conn()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_with_a_wrong_code_creates_nobody_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let agent = app.agent();
    let res = agent
        .submit(
            "/setup",
            "/setup",
            &[
                ("code", "WRONG-CODE-0000"),
                ("email", "boss@example.com"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("not the setup code"), "{body}");
    assert!(body.contains("value=\"boss@example.com\""));
    assert!(!body.contains(PASSWORD), "a password is never sent back");
    assert_eq!(user_count(&app), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_creates_the_first_super_admin_once() {
    let app = TestApp::spawn().await;
    assert_eq!(location(&app.agent().get("/login").await), "/setup", "before setup, sign-in sends to setup");
    let admin = app.setup_admin().await;
    let (status, body) = admin.page("/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(ADMIN_EMAIL) && body.contains("Super admin"));

    // The code is spent and the page is gone.
    let res = app.agent().get("/setup").await;
    assert_eq!(location(&res), "/login");
    let again = app.agent();
    let res = again
        .submit(
            "/login",
            "/setup",
            &[
                ("code", app.setup_code.as_deref().unwrap()),
                ("email", "second@example.com"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&res), "/login");
    assert_eq!(user_count(&app), 1);
    assert!(app.audit_actions().contains(&"setup.completed".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    let wrong_password =
        app.agent().submit("/login", "/login", &[("email", ADMIN_EMAIL), ("password", "not the password")]).await;
    let unknown_email = app
        .agent()
        .submit("/login", "/login", &[("email", "nobody@example.com"), ("password", "not the password")])
        .await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status(), StatusCode::UNAUTHORIZED);
    let a = wrong_password.text().await.unwrap();
    let b = unknown_email.text().await.unwrap();
    let message = "The email or password is incorrect.";
    assert!(a.contains(message) && b.contains(message));
    assert_eq!(
        a.replace(ADMIN_EMAIL, "X").len() - csrf_len(&a),
        b.replace("nobody@example.com", "X").len() - csrf_len(&b)
    );

    let failures = app.audit_actions().iter().filter(|a| *a == "session.sign_in_failed").count();
    assert_eq!(failures, 2);
}

fn csrf_len(body: &str) -> usize {
    crate::helpers::csrf_in(body).map_or(0, |t| t.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_for_one_email_are_throttled_until_the_window_passes() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    let agent = app.agent();
    for _ in 0..5 {
        let res = agent.submit("/login", "/login", &[("email", ADMIN_EMAIL), ("password", "wrong")]).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now.
    let res = agent.submit("/login", "/login", &[("email", ADMIN_EMAIL), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "retry after {retry}");
    assert!(res.text().await.unwrap().contains("Too many failed sign-ins"));

    app.clock.advance(Duration::minutes(16));
    agent.sign_in(ADMIN_EMAIL, PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let cookie = admin.cookie("kw_session").expect("signed in");
    let res = admin.submit("/", "/logout", &[]).await;
    assert_eq!(location(&res), "/login");
    // The old cookie, replayed by someone who copied it, no longer works.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(crate::helpers::REQUEST_TIMEOUT)
        .build()
        .unwrap();
    let res = replay.get(app.url("/users")).header("cookie", format!("kw_session={cookie}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_ends() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    assert_eq!(admin.get("/users").await.status(), StatusCode::OK);
    app.clock.advance(Duration::hours(3));
    let res = admin.get("/users").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_email_comes_back_with_the_message_and_the_typed_values() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let res = admin.submit("/users", "/users", &[("email", "not-an-email"), ("role", "support")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("is not a valid email address"), "{body}");
    assert!(body.contains("value=\"not-an-email\""));
    assert!(body.contains("<option value=\"support\" selected>"), "the chosen role is kept");
    assert_eq!(user_count(&app), 1);
    assert_eq!(app.outbox_to("not-an-email"), 0, "no invitation is queued");

    // An existing address is refused the same way.
    let res = admin.submit("/users", "/users", &[("email", ADMIN_EMAIL), ("role", "admin")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("already has an account"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_user_sets_a_password_from_the_mailed_link_and_signs_in() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let res = admin.submit("/users", "/users", &[("email", "Mia@Example.com"), ("role", "member")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let mail = app.smtp.wait_for("mia@example.com", "invited").await;
    assert!(mail.text.contains(ADMIN_EMAIL) && mail.text.contains("Member"));
    assert!(mail.html.contains("Choose your password"));
    let link = mail.link_path(&app.base);
    assert!(link.starts_with("/password/reset/"));

    let mia = app.agent();
    let (status, page) = mia.page(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Welcome to Keyward") && page.contains("mia@example.com"));
    // Too short first: the form says why and the link still works.
    let res = mia.submit(&link, &link, &[("password", "short"), ("confirm", "short")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("at least 10 characters"));
    let res = mia.submit(&link, &link, &[("password", PASSWORD), ("confirm", PASSWORD)]).await;
    assert_eq!(location(&res), "/login");
    mia.sign_in("mia@example.com", PASSWORD).await;

    let (status, body) = mia.page("/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("You don't have access to this page"));

    // The link worked once.
    let (status, body) = app.agent().page(&link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("already been used"));
    let actions = app.audit_actions();
    assert!(actions.contains(&"user.invited".to_owned()) && actions.contains(&"user.invitation_accepted".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_expires_after_72_hours_and_can_be_sent_again() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    admin.submit("/users", "/users", &[("email", "late@example.com"), ("role", "admin")]).await;
    let link = app.smtp.wait_for("late@example.com", "invited").await.link_path(&app.base);

    app.clock.advance(Duration::hours(73));
    let (status, body) = app.agent().page(&link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("expired"));
    // Nor can a form posted to it set a password.
    let late = app.agent();
    let token = late.csrf("/login").await;
    let res = late.post_raw(&link, &[("csrf_token", &token), ("password", PASSWORD), ("confirm", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::GONE);

    // The admin (signing in again: the session aged too) resends.
    let admin = app.agent();
    admin.sign_in(ADMIN_EMAIL, PASSWORD).await;
    let id: i64 =
        users::table.filter(users::email.eq("late@example.com")).select(users::id).first(&mut app.conn()).unwrap();
    let res = admin.submit("/users", &format!("/users/{id}/invitation"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let fresh = app.smtp.wait_for_count("late@example.com", 2).await[1].link_path(&app.base);
    assert_ne!(fresh, link);
    let res = app.agent().submit(&fresh, &fresh, &[("password", PASSWORD), ("confirm", PASSWORD)]).await;
    assert_eq!(location(&res), "/login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_by_a_single_use_link_valid_for_an_hour() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;

    // Unknown addresses get the same page and no mail.
    let res = app.agent().submit("/password/forgot", "/password/forgot", &[("email", "ghost@example.com")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("If <strong>ghost@example.com</strong> belongs"));

    let res = app.agent().submit("/password/forgot", "/password/forgot", &[("email", ADMIN_EMAIL)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mail = app.smtp.wait_for(ADMIN_EMAIL, "reset").await;
    assert!(!mail.raw.contains(PASSWORD));
    let link = mail.link_path(&app.base);
    assert!(app.smtp.to("ghost@example.com").is_empty());

    let new_password = "a brand new passphrase";
    let res = app.agent().submit(&link, &link, &[("password", new_password), ("confirm", new_password)]).await;
    assert_eq!(location(&res), "/login");
    let res = app.agent().submit("/login", "/login", &[("email", ADMIN_EMAIL), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the old password is gone");
    app.agent().sign_in(ADMIN_EMAIL, new_password).await;
    assert_eq!(app.agent().get(&link).await.status(), StatusCode::GONE, "used once");

    // A second link, left for more than an hour, has expired.
    app.agent().submit("/password/forgot", "/password/forgot", &[("email", ADMIN_EMAIL)]).await;
    let second = app.smtp.wait_for_count(ADMIN_EMAIL, 2).await[1].link_path(&app.base);
    app.clock.advance(Duration::minutes(61));
    let (status, body) = app.agent().page(&second).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_a_user_ends_their_sessions_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let sam = app.user_with_role(&admin, "sam@example.com", "support").await;
    assert_eq!(sam.get("/audit").await.status(), StatusCode::OK);

    let id: i64 =
        users::table.filter(users::email.eq("sam@example.com")).select(users::id).first(&mut app.conn()).unwrap();
    let res = admin.submit("/users", &format!("/users/{id}/active"), &[("confirmed", "yes")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let res = sam.get("/audit").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the session is gone");
    let res = sam.submit("/login", "/login", &[("email", "sam@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("deactivated"));
    assert!(app.audit_actions().contains(&"user.deactivated".to_owned()));

    // Reactivated, they can sign in again.
    admin.submit("/users", &format!("/users/{id}/active"), &[("value", "on")]).await;
    sam.sign_in("sam@example.com", PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_applies_from_a_new_session() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let ann = app.user_with_role(&admin, "ann@example.com", "member").await;
    assert_eq!(ann.get("/audit").await.status(), StatusCode::FORBIDDEN);

    let id: i64 =
        users::table.filter(users::email.eq("ann@example.com")).select(users::id).first(&mut app.conn()).unwrap();
    let res = admin.submit("/users", &format!("/users/{id}/role"), &[("role", "support"), ("confirmed", "yes")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(ann.get("/audit").await.status(), StatusCode::SEE_OTHER, "old session ended");
    ann.sign_in("ann@example.com", PASSWORD).await;
    assert_eq!(ann.get("/audit").await.status(), StatusCode::OK);
    assert!(app.audit_actions().contains(&"user.role_changed".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_changes_deactivations_and_archiving_ask_first_without_javascript() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let _ann = app.user_with_role(&admin, "ann@example.com", "member").await;
    let id: i64 =
        users::table.filter(users::email.eq("ann@example.com")).select(users::id).first(&mut app.conn()).unwrap();
    let role = |app: &TestApp| -> String { users::table.find(id).select(users::role).first(&mut app.conn()).unwrap() };

    // Unconfirmed: the confirmation page, carrying what was asked; nothing changed.
    let res = admin.submit("/users", &format!("/users/{id}/role"), &[("role", "admin")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("Change the role of ann@example.com") && page.contains("Their sessions end now"), "{page}");
    assert!(page.contains(r#"name="role" value="admin""#) && page.contains(r#"name="confirmed" value="yes""#));
    assert_eq!(role(&app), "member");
    let res = admin.submit("/users", &format!("/users/{id}/role"), &[("role", "admin"), ("confirmed", "yes")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(role(&app), "admin");

    let res = admin.submit("/users", &format!("/users/{id}/active"), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Deactivate ann@example.com"));
    let active: bool = users::table.find(id).select(users::active).first(&mut app.conn()).unwrap();
    assert!(active, "nothing changed before the confirmation");

    let api = app.admin_api(&admin).await;
    let c = api.post("/api/v1/campaigns", serde_json::json!({"name": "Spring"})).await;
    let cid = c.body["id"].as_i64().unwrap();
    let res =
        admin.submit(&format!("/campaigns/{cid}"), &format!("/campaigns/{cid}/archive"), &[("value", "on")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Archive “Spring”"));
    let archived: Option<time::OffsetDateTime> = keyward::schema::campaigns::table
        .find(cid)
        .select(keyward::schema::campaigns::archived_at)
        .first(&mut app.conn())
        .unwrap();
    assert!(archived.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_super_admin_cannot_be_demoted_or_deactivated() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let id: i64 = users::table.filter(users::email.eq(ADMIN_EMAIL)).select(users::id).first(&mut app.conn()).unwrap();
    let res = admin.submit("/users", &format!("/users/{id}/role"), &[("role", "member"), ("confirmed", "yes")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("at least one active super admin"));
    let res = admin.submit("/users", &format!("/users/{id}/active"), &[("confirmed", "yes")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(admin.get("/users").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_super_admins_reach_users_and_the_outbox() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    for role in ["admin", "support", "member"] {
        let agent = app.user_with_role(&admin, &format!("{role}-user@example.com"), role).await;
        for path in ["/users", "/dev/outbox"] {
            let (status, body) = agent.page(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} on {path}");
            assert!(body.contains("You don't have access to this page"));
        }
        let res = agent.submit("/profile", "/users", &[("email", "x@example.com"), ("role", "super_admin")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} cannot invite");
    }
    assert_eq!(user_count(&app), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_checks_the_old_one_and_signs_out_other_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let other = app.agent();
    other.sign_in(ADMIN_EMAIL, PASSWORD).await;

    let new_password = "another fine passphrase";
    let res = admin
        .submit(
            "/profile",
            "/profile/password",
            &[("current", "wrong"), ("password", new_password), ("confirm", new_password)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("not your current password"));

    let res = admin
        .submit(
            "/profile",
            "/profile/password",
            &[("current", PASSWORD), ("password", new_password), ("confirm", new_password)],
        )
        .await;
    assert_eq!(location(&res), "/profile");
    assert_eq!(
        admin.get("/profile").await.status(),
        StatusCode::OK,
        "this browser stays signed in, with a new session"
    );
    assert_eq!(other.get("/profile").await.status(), StatusCode::SEE_OTHER, "the other is signed out");
}
