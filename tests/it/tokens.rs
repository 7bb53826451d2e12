//! The token core through personal tokens and the profile API token:
//! format checks, states, usage, expiry, emails, and that a secret shows
//! exactly once.

use std::time::Duration as StdDuration;

use diesel::prelude::*;
use keyward::schema::tokens;
use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{ADMIN_EMAIL, Options, TestApp, api, api_get, eventually, location, logs};

fn me(app: &TestApp) -> String {
    app.url("/api/v1/me")
}

fn assert_invalid_token(status: StatusCode, body: &serde_json::Value, code: &str) {
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_token_is_shown_once_and_acts_as_its_owner() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (key, token) = admin.create_personal_token("receive leads from RDStation").await;
    assert!(key.starts_with("kw_pat_") && key.len() == 15, "{key}");
    assert!(token.starts_with(&key), "the key is the start of the token");
    assert_eq!(token.len(), 49);

    let (status, body) = api_get(&me(&app), &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], ADMIN_EMAIL);
    assert_eq!(body["role"], "super_admin");
    assert_eq!(body["token"]["kind"], "personal");
    assert_eq!(format!("kw_pat_{}", body["token"]["key"].as_str().unwrap()), key);

    // HTTP Basic: the token key as user name, the token as password.
    let res = api().get(me(&app)).basic_auth(&key, Some(&token)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = api().get(me(&app)).basic_auth("kw_pat_WrongKey", Some(&token)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Never again on a page.
    for page in ["/profile/tokens", "/profile", "/", "/audit"] {
        let (_, body) = admin.page(page).await;
        assert!(!body.contains(&token), "{page} shows the secret");
    }
    let (_, list) = admin.page("/profile/tokens").await;
    assert!(list.contains(&key) && list.contains("receive leads from RDStation"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_personal_token_is_refused_until_activated_and_a_deleted_one_for_good() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (_, token) = admin.create_personal_token("script").await;
    let id: i64 = tokens::table.select(tokens::id).first(&mut app.conn()).unwrap();

    let res = admin.submit("/profile/tokens", &format!("/profile/tokens/{id}/active"), &[]).await;
    assert_eq!(location(&res), "/profile/tokens");
    let (status, body) = api_get(&me(&app), &token).await;
    assert_invalid_token(status, &body, "token_deactivated");

    admin.submit("/profile/tokens", &format!("/profile/tokens/{id}/active"), &[("value", "on")]).await;
    assert_eq!(api_get(&me(&app), &token).await.0, StatusCode::OK);

    // Delete has a confirmation step that works without JS.
    let (status, confirm) = admin.page(&format!("/profile/tokens/{id}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("cannot be undone"));
    let res = admin.submit("/profile/tokens", &format!("/profile/tokens/{id}/delete"), &[]).await;
    assert_eq!(location(&res), "/profile/tokens");
    let (status, body) = api_get(&me(&app), &token).await;
    assert_invalid_token(status, &body, "invalid_token");
    let actions = app.audit_actions();
    for a in ["token.created", "token.deactivated", "token.activated", "token.deleted"] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_tokens_are_private_to_their_owner() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (_, token) = admin.create_personal_token("mine").await;
    let id: i64 = tokens::table.select(tokens::id).first(&mut app.conn()).unwrap();
    let other = app.user_with_role(&admin, "other@example.com", "member").await;
    let res = other.submit("/profile/tokens", &format!("/profile/tokens/{id}/active"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = other.submit("/profile/tokens", &format!("/profile/tokens/{id}/delete"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(api_get(&me(&app), &token).await.0, StatusCode::OK);
    let (_, page) = other.page("/profile/tokens").await;
    assert!(page.contains("No tokens yet"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_token_needs_a_description_and_there_is_no_limit_on_how_many() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let res = admin.submit("/profile/tokens", "/profile/tokens", &[("description", "   ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Describe what the token is for"));
    let count = |app: &TestApp| -> i64 { tokens::table.count().get_result(&mut app.conn()).unwrap() };
    assert_eq!(count(&app), 0);
    for i in 0..25 {
        admin.create_personal_token(&format!("app {i}")).await;
    }
    assert_eq!(count(&app), 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organisation_can_cap_the_lifetime_of_new_personal_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let form = crate::helpers::policy_form(&[("personal.max_days", "30")]);
    let res = admin.submit("/settings/token-policy", "/settings/token-policy", &crate::helpers::fields(&form)).await;
    assert_eq!(location(&res), "/settings/token-policy");

    let res = admin
        .submit("/profile/tokens", "/profile/tokens", &[("description", "too long"), ("expires_in_days", "60")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("at most 30 days"));

    let (_, token) = admin.create_personal_token("capped").await;
    let expires: Option<time::OffsetDateTime> =
        tokens::table.select(tokens::expires_at).first(&mut app.conn()).unwrap();
    let days = (expires.unwrap() - app.clock.now()).whole_days();
    assert!((29..=30).contains(&days), "{days}");

    // Only super admins set the policy.
    let member = app.user_with_role(&admin, "m@example.com", "member").await;
    let res = member.submit("/profile", "/settings/token-policy", &[("max_days", "1")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    app.clock.advance(Duration::days(31));
    let (status, body) = api_get(&me(&app), &token).await;
    assert_invalid_token(status, &body, "token_expired");
    let report = keyward::jobs::sweeper::sweep_once(&app.state).await.unwrap();
    assert_eq!(report.tokens.expired, 1);
    assert!(app.audit_actions().contains(&"token.expired".to_owned()));
    assert_eq!(api_get(&me(&app), &token).await.1["error"]["code"], "invalid_token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_tokens_are_refused_without_a_database_lookup() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (_, token) = admin.create_personal_token("real").await;
    let before = app.lookups();
    let mut broken = token.clone().into_bytes();
    let last = broken.len() - 1;
    broken[last] = if broken[last] == b'a' { b'b' } else { b'a' };
    let broken = String::from_utf8(broken).unwrap();
    for bad in [broken.as_str(), "kw_zzz_0123456789012345678901234567890123456789", "hello", ""] {
        let res = api().get(me(&app)).bearer_auth(bad).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{bad}");
        let www = res.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(www.starts_with("Bearer") && www.contains("error=\"invalid_token\""), "{www}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_token");
        assert!(bad.is_empty() || !body.to_string().contains(bad), "the error never echoes the token");
    }
    before.assert_since(&app, 0, "no lookup for a bad checksum or prefix");

    // No token at all.
    let res = api().get(me(&app)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));

    // A well-formed token nobody issued is looked up, and unknown.
    let made_up = {
        let new = keyward::tokens::format::generate(keyward::tokens::TokenKind::Personal);
        secrecy::ExposeSecret::expose_secret(&new.secret).to_owned()
    };
    let (status, body) = api_get(&me(&app), &made_up).await;
    assert_invalid_token(status, &body, "invalid_token");
    before.assert_since(&app, 1, "a well-formed token is looked up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_failed_checks_from_one_ip_gets_429_but_never_blocks_its_valid_tokens() {
    let app = TestApp::spawn_with(Options {
        env: vec![("KEYWARD_FAILED_TOKEN_LIMIT".into(), "5".into())],
        ..Default::default()
    })
    .await;
    let admin = app.setup_admin().await;
    let (_, token) = admin.create_personal_token("good").await;
    let made_up = || {
        secrecy::ExposeSecret::expose_secret(
            &keyward::tokens::format::generate(keyward::tokens::TokenKind::Personal).secret,
        )
        .to_owned()
    };
    let remembered = made_up();
    assert_eq!(api_get(&me(&app), &remembered).await.0, StatusCode::UNAUTHORIZED);
    for _ in 0..20 {
        let (status, _) = api_get(&me(&app), &made_up()).await;
        assert!(status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS, "{status}");
        api_get(&me(&app), "kw_pat_garbage").await;
    }

    let assert_limited = |res: reqwest::Response| async move {
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry));
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited");
    };
    let lookups = app.lookups();
    assert_limited(api().get(me(&app)).bearer_auth("kw_pat_garbage").send().await.unwrap()).await;
    assert_limited(api().get(me(&app)).bearer_auth(&remembered).send().await.unwrap()).await;
    lookups.assert_since(&app, 0, "malformed and known-unknown tokens are refused before any lookup");

    // The valid token, never used before (so not cached), from the same address.
    let (status, body) = api_get(&me(&app), &token).await;
    assert_eq!(status, StatusCode::OK, "a valid token keeps working from a limited address: {body}");
    assert_eq!(body["email"], "admin@example.com");
    assert_eq!(api_get(&me(&app), &token).await.0, StatusCode::OK);
    // A token never seen is looked up, and answered 429 when unknown.
    assert_limited(api().get(me(&app)).bearer_auth(made_up()).send().await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn use_is_recorded_in_batches_with_time_ip_and_count() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (_, token) = admin.create_personal_token("counted").await;
    for _ in 0..3 {
        assert_eq!(api_get(&me(&app), &token).await.0, StatusCode::OK);
    }
    let mut conn = app.conn();
    let recorded = eventually(StdDuration::from_secs(5), || {
        let row: (i64, Option<String>, Option<time::OffsetDateTime>) = tokens::table
            .select((tokens::use_count, tokens::last_used_ip, tokens::last_used_at))
            .first(&mut conn)
            .unwrap();
        async move { row.0 == 3 && row.1.as_deref() == Some("127.0.0.1") && row.2.is_some() }
    })
    .await;
    assert!(recorded, "use count, IP and time are written within the flush interval");
    let (_, page) = admin.page("/profile/tokens").await;
    assert!(!page.contains(">never<") || page.matches(">never<").count() == 1, "last used is shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_acts_with_its_owners_current_role_and_stops_with_the_owner() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let sam = app.user_with_role(&admin, "sam@example.com", "member").await;
    let (_, token) = sam.create_personal_token("sam's script").await;
    assert_eq!(api_get(&me(&app), &token).await.1["role"], "member");

    let id: i64 = keyward::schema::users::table
        .filter(keyward::schema::users::email.eq("sam@example.com"))
        .select(keyward::schema::users::id)
        .first(&mut app.conn())
        .unwrap();
    admin.submit("/users", &format!("/users/{id}/role"), &[("role", "support"), ("confirmed", "yes")]).await;
    assert_eq!(api_get(&me(&app), &token).await.1["role"], "support");

    admin.submit("/users", &format!("/users/{id}/active"), &[("confirmed", "yes")]).await;
    let (status, body) = api_get(&me(&app), &token).await;
    assert_invalid_token(status, &body, "token_deactivated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_token_is_revealed_once_confirmed_by_email_and_revoked_with_confirmation() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (_, page) = admin.page("/profile").await;
    assert!(page.contains("You have no API token") && page.contains(">Generate</button>"));

    let token = admin.generate_profile_token().await;
    assert!(token.starts_with("kw_usr_"));
    assert_eq!(api_get(&me(&app), &token).await.1["token"]["kind"], "profile");
    // The page after Generate showed it once: a refresh shows it no more
    // and generates nothing.
    let (status, again) = admin.page("/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!again.contains(&token[15..]), "the secret is shown once");

    let mail = app.smtp.wait_for(ADMIN_EMAIL, "new keyward api token").await;
    let key = &token[..15];
    assert!(mail.text.contains(key), "the email names the token key");
    assert!(!mail.raw.contains(&token[15..]), "but never the secret");

    let (_, page) = admin.page("/profile").await;
    assert!(!page.contains(&token), "never shown again");
    assert!(page.contains(key) && page.contains("180 days left") && page.contains("Revoke"));
    assert!(!page.contains(">Generate</button>"), "Generate is unavailable while a token exists");

    // A second Generate is refused.
    let res = admin.submit("/profile", "/profile/api-token", &[]).await;
    assert_eq!(location(&res), "/profile");
    let (_, page) = admin.page("/profile").await;
    assert!(page.contains("revoke it before you generate a new one"));

    // Revoke: a confirmation page without JS, then the revocation.
    let (status, confirm) = admin.page("/profile/api-token/revoke").await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("not reversible"));
    let res = admin.submit("/profile", "/profile/api-token/revoke", &[]).await;
    assert_eq!(location(&res), "/profile");
    let (status, body) = api_get(&me(&app), &token).await;
    assert_invalid_token(status, &body, "token_revoked");
    let mail = app.smtp.wait_for(ADMIN_EMAIL, "was revoked").await;
    assert!(mail.text.contains(key) && mail.text.contains("revoked by you"));

    // And a new one can be generated.
    let second = admin.generate_profile_token().await;
    assert_ne!(second, token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_generates_make_one_profile_token() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let token = admin.csrf("/profile").await;
    let url = app.url("/profile/api-token");
    let send = || admin.client.post(&url).form(&[("csrf_token", token.as_str())]).send();
    let (a, b) = tokio::join!(send(), send());
    // Both are answered with a redirect (the one that made the token keeps
    // it for the page, the other carries its refusal): one token only.
    assert_eq!([a.unwrap().status(), b.unwrap().status()], [StatusCode::SEE_OTHER, StatusCode::SEE_OTHER]);
    let live: i64 = tokens::table
        .filter(tokens::kind.eq("profile"))
        .filter(tokens::revoked_at.is_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(live, 1);

    // The database itself refuses a second live profile token.
    let err = diesel::sql_query(
        "INSERT INTO tokens (kind, key, digest, user_id, created_at) \
         SELECT 'profile', 'ZZZZZZZZ', sha256('x'), user_id, now() FROM tokens LIMIT 1",
    )
    .execute(&mut app.conn())
    .unwrap_err();
    assert!(err.to_string().contains("tokens_one_profile_per_user"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_token_warns_at_14_days_and_1_day_then_expires_and_is_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let token = admin.generate_profile_token().await;
    app.smtp.wait_for(ADMIN_EMAIL, "new keyward api token").await;
    let sweep = || keyward::jobs::sweeper::sweep_once(&app.state);

    app.clock.advance(Duration::days(165));
    assert_eq!(sweep().await.unwrap().tokens.warned, 0, "nothing due at 15 days left");
    app.clock.advance(Duration::days(2));
    assert_eq!(sweep().await.unwrap().tokens.warned, 1);
    let mail = app.smtp.wait_for(ADMIN_EMAIL, "expires in 13 days").await;
    assert!(mail.text.contains(&token[..15]));
    assert_eq!(sweep().await.unwrap().tokens.warned, 0, "once only");
    let admin = app.agent();
    admin.sign_in(ADMIN_EMAIL, crate::helpers::PASSWORD).await;
    let (_, page) = admin.page("/").await;
    assert!(page.contains(&token[..15]), "the dashboard lists it as expiring");

    app.clock.advance(Duration::days(12) + Duration::hours(12));
    assert_eq!(sweep().await.unwrap().tokens.warned, 1);
    app.smtp.wait_for(ADMIN_EMAIL, "expires tomorrow").await;
    assert_eq!(api_get(&me(&app), &token).await.0, StatusCode::OK, "still valid until the end");

    app.clock.advance(Duration::hours(13));
    let (status, body) = api_get(&me(&app), &token).await;
    assert_invalid_token(status, &body, "token_expired");
    assert_eq!(sweep().await.unwrap().tokens.expired, 1);
    let mail = app.smtp.wait_for(ADMIN_EMAIL, "expired and was deleted").await;
    assert!(mail.text.contains(&token[..15]));
    let rows: i64 = tokens::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(rows, 0, "deleted");

    // The admin's session aged too; sign in again and generate anew.
    let admin = app.agent();
    admin.sign_in(ADMIN_EMAIL, crate::helpers::PASSWORD).await;
    let (_, page) = admin.page("/profile").await;
    assert!(page.contains(">Generate</button>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_api_token_allowed_off_revokes_the_profile_token_and_disables_generate() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let ann = app.user_with_role(&admin, "ann@example.com", "member").await;
    let token = ann.generate_profile_token().await;
    let id: i64 = keyward::schema::users::table
        .filter(keyward::schema::users::email.eq("ann@example.com"))
        .select(keyward::schema::users::id)
        .first(&mut app.conn())
        .unwrap();
    let res = admin.submit("/users", &format!("/users/{id}/api-token-allowed"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let (status, body) = api_get(&me(&app), &token).await;
    assert_invalid_token(status, &body, "token_revoked");
    let mail = app.smtp.wait_for("ann@example.com", "was revoked").await;
    assert!(mail.text.contains("administrator"));
    let (_, page) = ann.page("/profile").await;
    assert!(page.contains("The API token option is disabled for your account"));
    assert!(!page.contains(">Generate</button>"));
    let res = ann.submit("/profile", "/profile/api-token", &[]).await;
    assert_eq!(location(&res), "/profile", "refused server-side");
    let (_, page) = ann.page("/profile").await;
    assert!(page.contains("disabled for your account. Contact your administrator"));
    let live: i64 = tokens::table.filter(tokens::revoked_at.is_null()).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(live, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoever_holds_a_token_can_revoke_it_rfc_7009() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (_, token) = admin.create_personal_token("leaked").await;
    let revoke = app.url("/api/v1/tokens/revoke");

    let res = api().post(&revoke).form(&[("token", token.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) = api_get(&me(&app), &token).await;
    assert_invalid_token(status, &body, "token_revoked");

    // Unknown, malformed or already revoked: 200 all the same.
    for t in [token.as_str(), "kw_pat_nothing", "x"] {
        let res = api().post(&revoke).form(&[("token", t)]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{t}");
    }
    let res = api().post(&revoke).json(&serde_json::json!({"token": token})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = api().post(&revoke).form(&[("nothing", "here")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    let res = api().get(&revoke).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    assert_eq!(app.audit_actions().iter().filter(|a| *a == "token.revoked").count(), 1);
}

/// A token many hold (the global, campaign and source intake tokens, the
/// account public token) cannot be revoked by one of its holders: RFC
/// 7009's `unsupported_token_type`, and the token keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_token_cannot_be_revoked_by_one_holder() {
    use diesel::prelude::*;
    use keyward::schema::tokens;

    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let admin_api = app.admin_api(&admin).await;
    let a = admin_api.post("/api/v1/campaigns", serde_json::json!({"name": "Spring", "slug": "spring"})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let a = admin_api
        .post("/api/v1/campaigns/spring/sources", serde_json::json!({"name": "Web", "kind": "CS", "slug": "web"}))
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let on = serde_json::json!({"enabled": true});
    let mut shared = Vec::new();
    for path in [
        "/api/v1/settings/global-token",
        "/api/v1/campaigns/spring/token",
        "/api/v1/campaigns/spring/sources/web/tokens/form",
    ] {
        let a = admin_api.put(path, on.clone()).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
        shared.push(a.body["token"].as_str().expect("the level token's value").to_owned());
    }
    let a = admin_api.post("/api/v1/settings/account-tokens/public", serde_json::json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    shared.push(a.body["token"].as_str().unwrap().to_owned());

    let revoke = app.url("/api/v1/tokens/revoke");
    for token in &shared {
        let res = api().post(&revoke).form(&[("token", token.as_str())]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{}", &token[..7]);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "unsupported_token_type", "RFC 7009's own shape: {body}");
    }
    // Nothing was revoked, at the source of truth.
    let revoked: i64 =
        tokens::table.filter(tokens::revoked_at.is_not_null()).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(revoked, 0);
    assert!(!app.audit_actions().iter().any(|a| a == "token.revoked"));
    // The form token still takes a lead.
    let res = api()
        .post(app.url("/api/v1/campaigns/spring/sources/web/form"))
        .bearer_auth(&shared[2])
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::UNAUTHORIZED, "the form token still works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_log_line_the_audit_log_or_an_email() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let (_, personal) = admin.create_personal_token("watch me").await;
    let profile = admin.generate_profile_token().await;
    for t in [&personal, &profile] {
        api_get(&me(&app), t).await;
        let mut broken = t.clone();
        broken.pop();
        broken.push('!');
        api_get(&me(&app), &broken).await;
        api().post(app.url("/api/v1/tokens/revoke")).form(&[("token", t.as_str())]).send().await.unwrap();
        api_get(&me(&app), t).await;
    }
    app.smtp.wait_for(ADMIN_EMAIL, "was revoked").await;
    app.outbox_delivered().await;

    let logged = logs();
    assert!(logged.contains(&personal[..15]), "the key is logged on refusal");
    let audit: Vec<String> = keyward::schema::audit_events::table
        .select(diesel::dsl::sql::<diesel::sql_types::Text>("actor || target || details::text"))
        .load(&mut app.conn())
        .unwrap();
    for secret in [&personal, &profile] {
        let tail = &secret[15..];
        assert!(!logged.contains(tail), "a log line holds a secret");
        assert!(audit.iter().all(|row| !row.contains(tail)), "an audit entry holds a secret");
        for mail in app.smtp.messages() {
            assert!(!mail.raw.contains(tail), "an email holds a secret: {}", mail.subject);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_issue_prints_a_personal_token_once_for_automation() {
    let app = TestApp::spawn().await;
    let _admin = app.setup_admin().await;
    let issue = |email: &str| {
        app.cli(&["token", "issue", "--user", email, "--kind", "personal", "--description", "ci deploys"])
    };
    let out = issue(ADMIN_EMAIL);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("kw_pat_") && token.len() == 49, "{token}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("shown once"));
    let (status, body) = api_get(&me(&app), &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], ADMIN_EMAIL);
    assert!(app.audit_actions().contains(&"token.created".to_owned()));

    let out = issue("nobody@example.com");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("No user has the email"));
}
