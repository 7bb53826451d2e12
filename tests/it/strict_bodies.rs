//! Bodies read strictly (issue 23): a body that cannot be read is never
//! taken for no body. A misspelt, mistyped, malformed or form-encoded
//! regenerate is refused with a 4xx naming the field or the reason, and the
//! old token is neither retired nor replaced (checked in PostgreSQL); a
//! JSON route answers 415 to another content type and writes nothing; an
//! empty allowlist entry is refused, not read as "clear the list".

use std::time::Duration;

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_get};

/// A request with exactly this content type (or none) and body.
async fn raw(base: &str, token: &str, path: &str, content_type: Option<&str>, body: &str) -> (StatusCode, Value) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let mut req = client.post(format!("{base}{path}")).bearer_auth(token).body(body.to_owned());
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// What is sent (content type, body), the answer's status and the field
/// it names.
type Case<'a> = (&'a str, Option<&'a str>, &'a str, StatusCode, Option<&'a str>);

/// Tokens in PostgreSQL, and those retiring after a regenerate.
fn tokens_and_retiring(app: &TestApp) -> (i64, i64) {
    use keyward::schema::tokens::dsl::*;
    let mut conn = app.conn();
    let all: i64 = tokens.count().get_result(&mut conn).unwrap();
    let retiring: i64 = tokens.filter(retiring_until.is_not_null()).count().get_result(&mut conn).unwrap();
    (all, retiring)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regenerate_body_that_cannot_be_read_is_refused_and_the_old_token_keeps_working() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let mgmt = app.admin_api(&admin).await;
    let (key, old) = admin.create_personal_token("the integration").await;
    let token = mgmt.token.clone().unwrap();
    let path = format!("/api/v1/tokens/{key}/regenerate");
    let before = tokens_and_retiring(&app);

    let json = Some("application/json");
    let cases: [Case; 7] = [
        ("a misspelt field", json, r#"{"grace": 86400}"#, StatusCode::UNPROCESSABLE_ENTITY, Some("grace")),
        (
            "a number as a string",
            json,
            r#"{"grace_seconds": "3600"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("grace_seconds"),
        ),
        ("a fraction", json, r#"{"grace_seconds": 604800.5}"#, StatusCode::UNPROCESSABLE_ENTITY, Some("grace_seconds")),
        ("no field", json, "{}", StatusCode::UNPROCESSABLE_ENTITY, Some("grace_seconds")),
        ("malformed JSON", json, r#"{"grace_seconds": 36"#, StatusCode::BAD_REQUEST, None),
        (
            "a form",
            Some("application/x-www-form-urlencoded"),
            "grace_seconds=3600",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
        ),
        ("no content type", None, r#"{"grace_seconds": 3600}"#, StatusCode::UNSUPPORTED_MEDIA_TYPE, None),
    ];
    for (what, content_type, body, status, field) in cases {
        let (got, answer) = raw(&app.base, &token, &path, content_type, body).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {answer}");
        if let Some(field) = field {
            assert!(answer["error"]["fields"][field].is_string(), "{what} names `{field}`: {answer}");
        }
        assert_eq!(tokens_and_retiring(&app), before, "{what}: no token made, none retiring");
        assert_eq!(api_get(&format!("{}/api/v1/me", app.base), &old).await.0, StatusCode::OK, "{what}");
    }

    // A well-formed body still works, and so does an empty one (no grace).
    let (got, answer) = raw(&app.base, &token, &path, json, r#"{"grace_seconds": 3600}"#).await;
    assert_eq!(got, StatusCode::OK, "{answer}");
    assert_eq!(answer["old_key"], key.as_str());
    assert!(answer["old_valid_until"].is_string(), "{answer}");
    assert_eq!(tokens_and_retiring(&app), (before.0 + 1, before.1 + 1));
    let (got, answer) =
        raw(&app.base, &token, &format!("/api/v1/tokens/{}/regenerate", answer["key"].as_str().unwrap()), None, "")
            .await;
    assert_eq!(got, StatusCode::OK, "{answer}");
    assert!(answer["old_valid_until"].is_null(), "an empty body is no grace: {answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_routes_answer_415_to_other_content_types_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let mgmt = app.admin_api(&admin).await;
    let token = mgmt.token.clone().unwrap();
    let c = mgmt.post("/api/v1/campaigns", json!({"name": "Spring", "slug": "spring"})).await;
    assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
    let f = mgmt
        .post(
            "/api/v1/campaigns/spring/fields",
            json!({"slug": "email", "label": "Email", "type": "email", "required": false}),
        )
        .await;
    assert_eq!(f.status, StatusCode::CREATED, "{:?}", f.body);
    let leads = || -> i64 { keyward::schema::leads::table.count().get_result(&mut app.conn()).unwrap() };
    let campaigns = || -> i64 { keyward::schema::campaigns::table.count().get_result(&mut app.conn()).unwrap() };
    let lead = r#"{"fields": {"email": "a@example.com"}}"#;
    for content_type in [Some("text/plain"), None, Some("application/x-www-form-urlencoded")] {
        let (status, answer) = raw(&app.base, &token, "/api/v1/campaigns/spring/leads", content_type, lead).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}: {answer}");
        assert_eq!(answer["error"]["code"], "unsupported_media_type", "{answer}");
        let (status, answer) = raw(&app.base, &token, "/api/v1/campaigns", content_type, r#"{"name": "Autumn"}"#).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}: {answer}");
    }
    assert_eq!((leads(), campaigns()), (0, 1), "nothing written");
    let (status, answer) =
        raw(&app.base, &token, "/api/v1/campaigns/spring/leads", Some("application/json"), lead).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(leads(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_allowlist_entry_is_refused_not_read_as_clear_the_list() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let mgmt = app.admin_api(&admin).await;
    let (key, _) = admin.create_personal_token("the integration").await;
    let path = format!("/api/v1/tokens/{key}");
    let set = mgmt.send(reqwest::Method::PATCH, &path, Some(&json!({"allowed_ips": ["203.0.113.0/24"]}))).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    for bad in [json!([""]), json!(["203.0.113.0/24", " "])] {
        let a = mgmt.send(reqwest::Method::PATCH, &path, Some(&json!({"allowed_ips": bad}))).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {:?}", a.body);
        assert!(a.body["error"]["fields"]["allowed_ips"].is_string(), "{:?}", a.body);
    }
    let bare = key.strip_prefix("kw_pat_").unwrap().to_owned();
    let stored: Vec<String> = {
        use keyward::schema::tokens::dsl::*;
        tokens.filter(keyward::schema::tokens::key.eq(bare)).select(allowed_ips).first(&mut app.conn()).unwrap()
    };
    assert_eq!(stored, vec!["203.0.113.0/24".to_owned()], "the list is unchanged in PostgreSQL");
    let cleared = mgmt.send(reqwest::Method::PATCH, &path, Some(&json!({"allowed_ips": []}))).await;
    assert_eq!(cleared.status, StatusCode::OK, "[] clears it: {:?}", cleared.body);
}
