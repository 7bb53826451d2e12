//! The token lifecycle (issue 16) through the real server: Regenerate with
//! a grace period across two instances, IP allowlists with and without a
//! trusted proxy, per-token rate limits and their headers, the expiry
//! policy (warning mails, refusal, deletion after retention), usage per
//! day and its chart, and leak reports.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::helpers::{ADMIN_EMAIL, Agent, Api, Options, TestApp, api, api_get, eventually, value_of};

/// A management API client and a separate personal token of the admin
/// (its display key, its secret) to act on.
async fn setup(app: &TestApp) -> (Agent, Api, String, String) {
    let admin = app.setup_admin().await;
    let mgmt = app.admin_api(&admin).await;
    let (key, token) = admin.create_personal_token("the integration").await;
    (admin, mgmt, key, token)
}

async fn me(base: &str, token: &str) -> StatusCode {
    api_get(&format!("{base}/api/v1/me"), token).await.0
}

async fn patch(mgmt: &Api, key: &str, body: Value) -> crate::helpers::Answer {
    mgmt.send(reqwest::Method::PATCH, &format!("/api/v1/tokens/{key}"), Some(&body)).await
}

/// Polls until `token` is refused at `base`; the time it took.
async fn refused_within(base: &str, token: &str, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if me(base, token).await == StatusCode::UNAUTHORIZED {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_grace_both_tokens_work_and_the_old_one_stops_on_every_instance_when_it_ends() {
    let a = TestApp::spawn().await;
    let (admin, mgmt, old_key, old) = setup(&a).await;
    let b = TestApp::spawn_with(Options { attach: Some(a.attachment()), ..Default::default() }).await;
    assert_eq!(me(&b.base, &old).await, StatusCode::OK);

    // A grace longer than 7 days is refused, and nothing changes.
    let too_long = mgmt.post(&format!("/api/v1/tokens/{old_key}/regenerate"), json!({"grace_seconds": 604_801})).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", too_long.body);
    assert!(too_long.body["error"]["fields"]["grace_seconds"].is_string(), "{:?}", too_long.body);
    assert_eq!(me(&a.base, &old).await, StatusCode::OK);

    // Two seconds of grace: both work on both instances meanwhile.
    let r = mgmt.post(&format!("/api/v1/tokens/{old_key}/regenerate"), json!({"grace_seconds": 2})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let new = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(r.body["old_key"], old_key);
    let until = r.body["old_valid_until"].as_str().expect("the old token's end").to_owned();
    for base in [&a.base, &b.base] {
        assert_eq!(me(base, &old).await, StatusCode::OK, "the old token during its grace");
        assert_eq!(me(base, &new).await, StatusCode::OK, "the new token");
    }
    let detail = mgmt.get(&format!("/api/v1/tokens/{old_key}")).await;
    assert_eq!(detail.body["retiring_until"], until.as_str());
    // The console says so.
    let (_, page) = admin.page(&format!("/tokens/{old_key}")).await;
    assert!(page.contains("Retiring, 1 hour left"), "{page}");

    // When the grace ends, the second instance refuses the old token within
    // a second of the end, without being told.
    let end = time::OffsetDateTime::parse(&until, &time::format_description::well_known::Rfc3339).unwrap();
    let left = (end - time::OffsetDateTime::now_utc()).max(time::Duration::ZERO);
    let took = refused_within(&b.base, &old, Duration::from_secs(5)).await.expect("the old token stops on b");
    assert!(took <= Duration::try_from(left).unwrap() + Duration::from_secs(1), "refused {took:?} after a {left} wait");
    assert_eq!(me(&b.base, &new).await, StatusCode::OK);

    // Ending a grace early: on another instance within a second.
    let r = mgmt
        .post(
            &format!("/api/v1/tokens/{}/regenerate", r.body["key"].as_str().unwrap()),
            json!({"grace_seconds": 86_400}),
        )
        .await;
    let (newer, newer_key) = (r.body["token"].as_str().unwrap().to_owned(), r.body["key"].as_str().unwrap().to_owned());
    assert_eq!(me(&b.base, &new).await, StatusCode::OK);
    let old_key2 = r.body["old_key"].as_str().unwrap().to_owned();
    let res = admin.submit(&format!("/tokens/{old_key2}"), &format!("/tokens/{old_key2}/end-grace"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let took = refused_within(&b.base, &new, Duration::from_secs(3)).await.expect("ended early on b");
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(me(&b.base, &newer).await, StatusCode::OK);
    assert!(a.audit_actions().contains(&"token.grace_ended".to_owned()));
    let _ = newer_key;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn level_tokens_regenerate_with_a_grace_too() {
    let app = TestApp::spawn().await;
    let (admin, mgmt, _, _) = setup(&app).await;
    let on = mgmt.put("/api/v1/settings/global-token", json!({"enabled": true})).await;
    assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
    let old = on.body["token"].as_str().expect("the global token").to_owned();
    let page = "/settings/tokens";
    let res = admin.submit(page, "/settings/tokens/global/regenerate", &[("grace", "3600")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(crate::helpers::location(&res), page);
    let (_, body) = admin.page(page).await;
    assert!(body.contains("keeps working until"), "{body}");
    let new = value_of(&body, "value-global").unwrap();
    assert_ne!(new, old);
    // Shown once: a refresh shows the masked value, and makes nothing new.
    let (_, again) = admin.page(page).await;
    assert!(!again.contains(&new[15..]), "the new token is shown once");
    assert_eq!(value_of(&again, "value-global").unwrap(), format!("{}{}", &new[..15], "•".repeat(24)));
    // The card names the retiring token and what is left of its grace.
    assert!(body.contains(&format!("The previous token <a href=\"/tokens/{}\">", &old[..15])), "{body}");
    assert!(body.contains("retiring, 1 hour left"));
    // Both are accepted at the global level while the grace lasts.
    mgmt.post("/api/v1/campaigns", json!({"name": "Spring", "slug": "spring"})).await;
    mgmt.post("/api/v1/campaigns/spring/sources", json!({"name": "Web", "kind": "CS", "slug": "web"})).await;
    for token in [&old, &new] {
        let a = Api::new(&app.base, Some(token)).post("/api/v1/campaigns/spring/sources/web/form", json!({})).await;
        assert_eq!((a.status, a.level.as_deref()), (StatusCode::CREATED, Some("global")), "{a:?}");
    }
    let detail = mgmt.get(&format!("/api/v1/tokens/{}", &old[..15])).await;
    assert!(detail.body["retiring_until"].is_string(), "{:?}", detail.body);
    // Regenerating again while the first grace lasts: the live one retires too.
    assert_eq!(mgmt.post("/api/v1/settings/global-token/regenerate", json!({})).await.status, StatusCode::OK);
    let a = Api::new(&app.base, Some(&new)).post("/api/v1/campaigns/spring/sources/web/form", json!({})).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "regenerated without a grace: stopped at once");
    // A custom grace over 168 hours is refused, naming the field.
    let res =
        admin.submit(page, "/settings/tokens/global/regenerate", &[("grace", "custom"), ("grace_hours", "169")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("168 hours"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowlist_refuses_other_addresses_with_and_without_a_trusted_proxy() {
    let a = TestApp::spawn().await;
    let (_admin, mgmt, key, token) = setup(&a).await;

    // An invalid CIDR: a clear message naming the field, nothing saved.
    let bad = patch(&mgmt, &key, json!({"allowed_ips": ["10.0.0.0/8", "10.0.0.0/33"]})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["allowed_ips"].as_str().unwrap().contains("10.0.0.0/33"), "{:?}", bad.body);
    assert_eq!(mgmt.get(&format!("/api/v1/tokens/{key}")).await.body["allowed_ips"], json!([]));

    let ok = patch(&mgmt, &key, json!({"allowed_ips": ["198.51.100.0/24", "2001:db8::/32"]})).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["allowed_ips"], json!(["198.51.100.0/24", "2001:db8::/32"]));
    // From 127.0.0.1: refused with 403 ip_not_allowed, at once.
    let (status, body) = api_get(&a.url("/api/v1/me"), &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "ip_not_allowed");
    // Without KEYWARD_TRUST_PROXY, X-Forwarded-For is ignored.
    let spoofed = api()
        .get(a.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("X-Forwarded-For", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), StatusCode::FORBIDDEN);

    // With the local proxy trusted, the forwarded client address decides.
    let b = TestApp::spawn_with(Options {
        attach: Some(a.attachment()),
        env: vec![("KEYWARD_TRUST_PROXY".into(), "127.0.0.1/32, ::1".into())],
        ..Default::default()
    })
    .await;
    let from = |ip: &'static str| {
        let (url, token) = (b.url("/api/v1/me"), token.clone());
        async move { api().get(url).bearer_auth(token).header("X-Forwarded-For", ip).send().await.unwrap().status() }
    };
    assert_eq!(from("198.51.100.7").await, StatusCode::OK);
    assert_eq!(from("203.0.113.9, 198.51.100.7").await, StatusCode::OK, "the last untrusted hop is the client");
    assert_eq!(from("198.51.100.7, 203.0.113.9").await, StatusCode::FORBIDDEN, "a client cannot claim an address");
    assert_eq!(from("2001:db8::5").await, StatusCode::OK);

    // The refusal is audited with the address.
    let audited = eventually(Duration::from_secs(5), || async {
        let mut conn = a.conn();
        let rows: Vec<serde_json::Value> =
            diesel::sql_query("SELECT details FROM audit_events WHERE action = 'token.ip_refused'")
                .load::<Details>(&mut conn)
                .unwrap()
                .into_iter()
                .map(|d| d.details)
                .collect();
        rows.iter().any(|d| d["ip"] == "203.0.113.9") && rows.iter().any(|d| d["ip"] == "127.0.0.1")
    })
    .await;
    assert!(audited, "the refused addresses are in the audit log");
    // And counted among the token's refusals (each instance writes its
    // counts in batches: wait for both, within a deadline).
    let path = format!("/api/v1/tokens/{key}/usage?days=1");
    let counted = eventually(Duration::from_secs(10), || async {
        let usage = mgmt.get(&path).await;
        usage.body["refused"]["ip_not_allowed"].as_i64().unwrap_or(0) >= 3
    })
    .await;
    assert!(counted, "three refusals counted: {:?}", mgmt.get(&path).await.body);
}

#[derive(QueryableByName)]
struct Details {
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    details: serde_json::Value,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_rate_limit_gets_429_with_the_ratelimit_headers() {
    let app = TestApp::spawn().await;
    let (_admin, mgmt, key, token) = setup(&app).await;
    for (body, field) in [
        (json!({"rate_limit": {"per_second": 0}}), "rate_limit.per_second"),
        (json!({"rate_limit": {"per_minute": 100_000_000}}), "rate_limit.per_minute"),
    ] {
        let bad = patch(&mgmt, &key, body).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body["error"]["fields"][field].is_string(), "{:?}", bad.body);
    }
    assert_eq!(
        mgmt.get(&format!("/api/v1/tokens/{key}")).await.body["rate_limit"],
        json!({"per_second": null, "per_minute": null})
    );

    let ok = patch(&mgmt, &key, json!({"rate_limit": {"per_second": 1000, "per_minute": 3}})).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    let mut limited = None;
    for _ in 0..4 {
        let res = api().get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(res);
            break;
        }
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = limited.expect("the fourth request within a minute is refused");
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let retry: u64 = header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(header("ratelimit-policy"), "\"per-second\";q=1000;w=1, \"per-minute\";q=3;w=60");
    assert!(header("ratelimit").starts_with("\"per-minute\";r=0;t="), "{}", header("ratelimit"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Another token is not limited by it.
    assert_eq!(me(&app.base, mgmt.token.as_deref().unwrap()).await, StatusCode::OK);

    // An organisation default per kind: private tokens, 2 a minute.
    let put = mgmt
        .put("/api/v1/settings/token-policy", json!({"kinds": {"account_private": {"rate_limit": {"per_minute": 2}}}}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["kinds"]["account_private"]["rate_limit"]["per_minute"], 2);
    let private =
        mgmt.post("/api/v1/settings/account-tokens/private", json!({"user": ADMIN_EMAIL, "description": "bi"})).await;
    let private = private.body["token"].as_str().unwrap().to_owned();
    let statuses: Vec<StatusCode> = {
        let mut out = vec![];
        for _ in 0..3 {
            out.push(
                api()
                    .post(app.url("/api/v1/tokens/introspect"))
                    .bearer_auth(&private)
                    .json(&json!({"token": "x"}))
                    .send()
                    .await
                    .unwrap()
                    .status(),
            );
        }
        out
    };
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_policy_bounds_lifetimes_warns_refuses_and_deletes_after_retention() {
    let app = TestApp::spawn().await;
    let (admin, mgmt, key, token) = setup(&app).await;

    // A policy that contradicts itself is refused whole.
    let bad = mgmt
        .put("/api/v1/settings/token-policy", json!({"kinds": {"personal": {"max_days": 10, "default_days": 20}}}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["personal.default_days"].is_string(), "{:?}", bad.body);
    let unchanged = mgmt.get("/api/v1/settings/token-policy").await;
    assert_eq!(unchanged.body["kinds"]["personal"]["max_days"], Value::Null);

    let put = mgmt.put("/api/v1/settings/token-policy", json!({"kinds": {"personal": {"max_days": 30, "default_days": 20, "never_allowed": false, "retention_days": 2}}})).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);

    // Over the maximum, at creation and on change: refused, naming the field.
    let res =
        admin.submit("/profile/tokens", "/profile/tokens", &[("description", "long"), ("expires_in_days", "40")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let far = (time::OffsetDateTime::now_utc() + time::Duration::days(60))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let bad = patch(&mgmt, &key, json!({"expires_at": far})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["expires_at"].as_str().unwrap().contains("30 days"), "{:?}", bad.body);
    let never = patch(&mgmt, &key, json!({"expires_at": null})).await;
    assert_eq!(never.status, StatusCode::UNPROCESSABLE_ENTITY, "never is not allowed now");
    // The default lifetime applies to a new token.
    let (new_key, _) = admin.create_personal_token("defaulted").await;
    let expires = mgmt.get(&format!("/api/v1/tokens/{new_key}")).await.body["expires_at"].as_str().unwrap().to_owned();
    let expires = time::OffsetDateTime::parse(&expires, &time::format_description::well_known::Rfc3339).unwrap();
    assert!((expires - time::OffsetDateTime::now_utc() - time::Duration::days(20)).abs() < time::Duration::minutes(5));

    // Thirteen days left: the 14-day warning goes to the owner.
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(13))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(patch(&mgmt, &key, json!({"expires_at": soon})).await.status, StatusCode::OK);
    keyward::services::sweep(&app.state).await.unwrap();
    let mail = app.smtp.wait_for(ADMIN_EMAIL, "expires in 13 days").await;
    assert!(mail.text.contains(&key), "{}", mail.text);
    // A day before: the 1-day warning.
    app.clock.advance(time::Duration::days(12) + time::Duration::hours(1));
    keyward::services::sweep(&app.state).await.unwrap();
    app.smtp.wait_for(ADMIN_EMAIL, "expires tomorrow").await;

    // Expired: refused at once, kept for the retention, then deleted.
    app.clock.advance(time::Duration::days(1));
    let (status, body) = api_get(&app.url("/api/v1/me"), &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "token_expired");
    keyward::services::sweep(&app.state).await.unwrap();
    assert_eq!(mgmt.get(&format!("/api/v1/tokens/{key}")).await.status, StatusCode::OK, "kept during the retention");
    app.clock.advance(time::Duration::days(2));
    keyward::services::sweep(&app.state).await.unwrap();
    assert_eq!(mgmt.get(&format!("/api/v1/tokens/{key}")).await.status, StatusCode::NOT_FOUND, "deleted after it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokens_page_draws_one_bar_per_day_with_uses() {
    let app = TestApp::spawn().await;
    let (admin, mgmt, key, token) = setup(&app).await;
    for _ in 0..5 {
        assert_eq!(me(&app.base, &token).await, StatusCode::OK);
    }
    // Two earlier days, as the flush of those days left them.
    let id: i64 = {
        use keyward::schema::tokens;
        let mut conn = app.conn();
        tokens::table.filter(tokens::key.eq(&key[7..])).select(tokens::id).first(&mut conn).unwrap()
    };
    diesel::sql_query(
        "INSERT INTO token_usage_daily (token_id, day, uses, refused) VALUES \
         ($1, current_date - 3, 7, '{}'), ($1, current_date - 40, 2, '{\"revoked\": 1}'), ($1, current_date - 120, 9, '{}')",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .execute(&mut app.conn())
    .unwrap();

    let usage = mgmt.get(&format!("/api/v1/tokens/{key}/usage?days=90")).await;
    assert_eq!(usage.status, StatusCode::OK);
    let days = usage.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 90);
    assert_eq!(days[89]["uses"], 5, "today's uses, flushed first");
    assert_eq!(days[86]["uses"], 7);
    assert_eq!(usage.body["refused"]["revoked"], 1);
    assert_eq!(usage.body["ips"][0]["ip"], "127.0.0.1");
    for bad in ["0", "91", "x"] {
        let res = mgmt.get(&format!("/api/v1/tokens/{key}/usage?days={bad}")).await;
        assert!(res.status == StatusCode::UNPROCESSABLE_ENTITY || res.status == StatusCode::BAD_REQUEST, "{bad}");
    }

    let (status, page) = admin.page(&format!("/tokens/{key}")).await;
    assert_eq!(status, StatusCode::OK);
    let svg = &page[page.find("<svg").unwrap()..page.find("</svg>").unwrap()];
    assert_eq!(svg.matches(r#"class="bar""#).count(), 3, "one bar per day with uses (the 120-day-old one is out)");
    assert!(page.contains("<code>127.0.0.1</code></td>"));

    // The dashboard: the organisation's days, the most used token.
    let (_, dash) = admin.page("/").await;
    let org = &dash[dash.find(r#"id="org-usage""#).expect("the organisation's usage")..];
    assert!(org.contains(r#"class="bar""#));
    let most = &org[org.find(r#"id="most-used""#).unwrap()..];
    assert!(most[..most.find("</ul>").unwrap()].contains(&key), "{most}");

    // Regenerate from the page: POST, 303 to the new token's page, shown once.
    let res = admin.submit(&format!("/tokens/{key}"), &format!("/tokens/{key}/regenerate"), &[("grace", "3600")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = crate::helpers::location(&res);
    assert!(to.starts_with("/tokens/kw_pat_") && to != format!("/tokens/{key}"), "{to}");
    let (_, shown) = admin.page(&to).await;
    assert!(shown.contains("keeps working until"), "{shown}");
    let secret = value_of(&shown, "value-new").expect("the new token, once");
    let (_, again) = admin.page(&to).await;
    assert!(!again.contains(&secret), "a refresh shows it no more");

    // Another user may not see it; support may.
    let member = app.user_with_role(&admin, "mo@example.com", "member").await;
    assert_eq!(member.page(&format!("/tokens/{key}")).await.0, StatusCode::NOT_FOUND);
    let support = app.user_with_role(&admin, "sue@example.com", "support").await;
    let (status, page) = support.page(&format!("/tokens/{key}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Save limits"), "support sees, does not change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_report_revokes_a_live_token_and_mails_its_owner() {
    let app = TestApp::spawn().await;
    let (admin, mgmt, key, token) = setup(&app).await;
    let res = admin
        .submit(
            "/settings/token-policy",
            "/settings/token-policy/reporters",
            &[("description", "GitHub secret scanning")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let reporter = value_of(&res.text().await.unwrap(), "reporter-secret").expect("the reporter token, once");
    assert!(reporter.starts_with("kw_rep_"));
    let scanner = Api::new(&app.base, Some(&reporter));

    // Only a reporter token may report.
    let not = mgmt.post("/api/v1/tokens/leaked", json!([{"token": token, "url": "https://x", "source": "x"}])).await;
    assert_eq!(not.status, StatusCode::FORBIDDEN);
    assert_eq!(me(&app.base, &token).await, StatusCode::OK);

    let garbage = "kw_pat_thisIsNotAToken000000000000000000000000";
    let url = "https://github.com/someone/repo/blob/main/.env";
    let r = scanner
        .post(
            "/api/v1/tokens/leaked",
            json!([
                {"token": token, "type": "keyward_personal", "url": url, "source": "commit"},
                {"token": garbage, "type": "keyward_personal", "url": url, "source": "commit"},
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let hash = |s: &str| sha2::Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(
        r.body,
        json!([
            {"token_raw_hash": hash(&token), "label": "true_positive", "valid": true},
            {"token_raw_hash": hash(garbage), "label": "false_positive", "valid": false},
        ])
    );
    let (status, body) = api_get(&app.url("/api/v1/me"), &token).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_revoked")));
    let mail = app.smtp.wait_for(ADMIN_EMAIL, "was found in public").await;
    assert!(mail.text.contains(url) && mail.text.contains(&key), "{}", mail.text);
    let detail = mgmt.get(&format!("/api/v1/tokens/{key}")).await;
    assert_eq!(detail.body["leaks"][0]["url"], url);

    // Too many strings at once; then the per-minute budget, which a false
    // string costs as much as a true one.
    let many: Vec<Value> = (0..101).map(|_| json!({"token": garbage, "url": url, "source": "x"})).collect();
    assert_eq!(scanner.post("/api/v1/tokens/leaked", json!(many)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let hundred: Vec<Value> = (0..100).map(|_| json!({"token": garbage, "url": url, "source": "x"})).collect();
    let mut statuses = vec![];
    for _ in 0..7 {
        statuses.push(scanner.post("/api/v1/tokens/leaked", json!(hundred)).await.status);
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");

    // Flag only: the token keeps working, its owner is told.
    // The policy form as the page sends it: every kind's row, unchanged.
    let form = crate::helpers::policy_form(&[("leak_action", "flag")]);
    let res = admin.submit("/settings/token-policy", "/settings/token-policy", &crate::helpers::fields(&form)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (flag_key, flagged) = admin.create_personal_token("flagged").await;
    let scanner2 = {
        let res = admin
            .submit("/settings/token-policy", "/settings/token-policy/reporters", &[("description", "second")])
            .await;
        Api::new(&app.base, Some(&value_of(&res.text().await.unwrap(), "reporter-secret").unwrap()))
    };
    let r = scanner2.post("/api/v1/tokens/leaked", json!([{"token": flagged, "url": url, "source": "gist"}])).await;
    assert_eq!(r.body[0]["valid"], true);
    assert_eq!(me(&app.base, &flagged).await, StatusCode::OK);
    assert_eq!(mgmt.get(&format!("/api/v1/tokens/{flag_key}")).await.body["leaks"][0]["action"], "flagged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_issues_reporter_tokens_and_regenerates_with_a_grace() {
    let app = TestApp::spawn().await;
    let (_admin, mgmt, key, old) = setup(&app).await;
    let keyward = |args: &[&str]| app.cli(args);
    let out = keyward(&["token", "issue", "--kind", "reporter", "--description", "GitHub secret scanning"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reporter = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(reporter.starts_with("kw_rep_") && reporter.len() == 49, "{reporter}");
    let r = Api::new(&app.base, Some(&reporter))
        .post("/api/v1/tokens/leaked", json!([{"token": "nope", "url": "u", "source": "s"}]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    let out = keyward(&["token", "regenerate", &key, "--grace", "8d"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("grace_seconds"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(me(&app.base, &old).await, StatusCode::OK, "nothing changed");

    let out = keyward(&["token", "regenerate", &key, "--grace", "1h"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let new = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(String::from_utf8_lossy(&out.stderr).contains("keeps working until"));
    // The running server hears of it (NOTIFY) and takes both.
    assert_eq!(me(&app.base, &new).await, StatusCode::OK);
    assert_eq!(me(&app.base, &old).await, StatusCode::OK);
    assert!(mgmt.get(&format!("/api/v1/tokens/{key}")).await.body["retiring_until"].is_string());
}
