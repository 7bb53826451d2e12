//! The campaign OpenAPI document and the server agree: schemathesis
//! generates requests from the document for every operation (valid ones,
//! and invalid ones), sends them to the real server, and checks each
//! answer's status, content type, headers and body against the document,
//! that no answer is a 5xx, that invalid requests are refused, and that
//! operations needing a token refuse requests without one.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

fn schemathesis() -> std::path::PathBuf {
    let python = crate::helpers::python();
    python.with_file_name("schemathesis")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_of_the_campaign_document_answers_as_documented() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let created = |a: crate::helpers::Answer| assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    created(api.post("/api/v1/campaigns", json!({"name": "Contract", "slug": "contract"})).await);
    for (slug, kind, required) in [
        ("email", "email", true),
        ("name", "text", false),
        ("amount", "number", false),
        ("born", "date", false),
        ("phone", "phone", false),
    ] {
        created(
            api.post(
                "/api/v1/campaigns/contract/fields",
                json!({"slug": slug, "label": slug, "type": kind, "required": required}),
            )
            .await,
        );
    }
    created(api.post(
        "/api/v1/campaigns/contract/selects",
        json!({"slug": "partner", "label": "Partner", "options": [{"slug": "ACME", "label": "Acme"}, {"slug": "OTHER", "label": "Other"}]}),
    )
    .await);
    created(api.post("/api/v1/campaigns/contract/statuses", json!({"slug": "sold", "label": "Sold"})).await);
    // One source takes no token; the other takes its own form token.
    created(
        api.post("/api/v1/campaigns/contract/sources", json!({"name": "Open", "kind": "CS", "slug": "open"})).await,
    );
    created(
        api.post("/api/v1/campaigns/contract/sources", json!({"name": "Guarded", "kind": "MP", "slug": "guarded"}))
            .await,
    );
    let a = api.put("/api/v1/campaigns/contract/sources/guarded/tokens/form", json!({"enabled": true})).await;
    assert_eq!(a.status, StatusCode::OK);
    let token =
        api.post("/api/v1/campaigns/contract/api-tokens", json!({"name": "rw", "read": true, "write": true})).await;
    assert_eq!(token.status, StatusCode::CREATED, "{:?}", token.body);
    let token = token.body["token"].as_str().unwrap().to_owned();
    let public_id: String = {
        use diesel::prelude::*;
        keyward::schema::campaigns::table.select(keyward::schema::campaigns::public_id).first(&mut app.conn()).unwrap()
    };

    let schema = app.url(&format!("/docs/c/{public_id}/openapi.json?key={}", &token[..15]));
    let (documented, inputless) = operations_of(&schema).await;
    // Valid requests: every check.
    let out = run_schemathesis(&schema, &token, &["--data-generation-method", "positive", "--checks", "all"], 30).await;
    assert_every_operation_ran(&out, &documented, &Default::default());
    // Invalid requests: each refused with a 4xx, none a 5xx. (Their
    // answers' shape is not checked: some carry header values HTTP does not
    // allow, which the HTTP parser refuses with a bare 400 before Keyward
    // sees them.)
    let out = run_schemathesis(
        &schema,
        &token,
        &["--data-generation-method", "negative", "--checks", "not_a_server_error,negative_data_rejection"],
        30,
    )
    .await;
    assert_every_operation_ran(&out, &documented, &inputless);
}

/// A document's operations (`GET /api/v1/me`), and those with no parameter
/// and no body (nothing to make invalid).
async fn operations_of(schema: &str) -> (std::collections::BTreeSet<String>, std::collections::BTreeSet<String>) {
    let document: serde_json::Value = crate::helpers::api().get(schema).send().await.unwrap().json().await.unwrap();
    let mut all = std::collections::BTreeSet::new();
    let mut inputless = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("a document with paths") {
        for (method, op) in item.as_object().unwrap() {
            let operation = format!("{} {path}", method.to_uppercase());
            if op["parameters"].as_array().is_none_or(Vec::is_empty) && op["requestBody"].is_null() {
                inputless.insert(operation.clone());
            }
            all.insert(operation);
        }
    }
    assert!(!all.is_empty(), "{document}");
    (all, inputless)
}

/// The API's own document, fuzzed the same way with a super admin's
/// profile token (which the token policy does not limit), against a
/// campaign named as the document's examples name it. Every operation of
/// the document must be exercised in both phases; the token must still
/// work at the end (a run that revoked it would prove nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_of_the_api_document_answers_as_documented() {
    let app = TestApp::spawn().await;
    {
        // Generated ids are small or extreme: the fuzzing user's is neither,
        // so no generated request changes or revokes it.
        use diesel::prelude::*;
        diesel::sql_query("SELECT setval('users_id_seq', 1000000000)").execute(&mut app.conn()).unwrap();
    }
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let a = api.post("/api/v1/campaigns", json!({"name": "Spring", "slug": "spring"})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let a = api.post("/api/v1/campaigns/spring/sources", json!({"name": "Web", "kind": "CS", "slug": "web"})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let a = api
        .post(
            "/api/v1/campaigns/spring/fields",
            json!({"slug": "email", "label": "Email", "type": "email", "required": true}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let token = admin.generate_profile_token().await;
    let schema = app.url("/api/v1/openapi.json");
    let (documented, inputless) = operations_of(&schema).await;
    // Fewer cases per operation than the campaign's document: this one has
    // about a hundred operations, and generating invalid bodies is slow.
    let out = run_schemathesis(&schema, &token, &["--data-generation-method", "positive", "--checks", "all"], 15).await;
    assert_every_operation_ran(&out, &documented, &Default::default());
    let out = run_schemathesis(
        &schema,
        &token,
        &["--data-generation-method", "negative", "--checks", "not_a_server_error,negative_data_rejection"],
        4,
    )
    .await;
    assert_every_operation_ran(&out, &documented, &inputless);
    let me = crate::helpers::api().get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK, "the fuzzing token still works");
}

/// Schemathesis prints each operation with its outcome (`GET /api/v1/me .`
/// ran and passed, `S` skipped): every documented operation must have run,
/// but those in `may_skip` (operations with no input at all, which have no
/// invalid request to make).
fn assert_every_operation_ran(
    out: &str,
    documented: &std::collections::BTreeSet<String>,
    may_skip: &std::collections::BTreeSet<String>,
) {
    let mut ran = std::collections::BTreeSet::new();
    let mut skipped = std::collections::BTreeSet::new();
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [method, path, outcome, ..] = words[..] else { continue };
        if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method) || !path.starts_with("/api/") {
            continue;
        }
        let operation = format!("{method} {path}");
        if outcome == "S" {
            skipped.insert(operation)
        } else {
            ran.insert(operation)
        };
    }
    let missed: Vec<&String> = documented.difference(&ran).filter(|o| !may_skip.contains(*o)).collect();
    assert!(missed.is_empty(), "operations schemathesis did not run: {missed:?}\n{out}");
    let wrongly: Vec<&String> = skipped.difference(may_skip).collect();
    assert!(wrongly.is_empty(), "operations schemathesis skipped: {wrongly:?}\n{out}");
    eprintln!("schemathesis ran {} operations, skipped {}", ran.len(), skipped.len());
}

/// Runs schemathesis over `schema` with `examples` cases per operation.
async fn run_schemathesis(schema: &str, token: &str, mode: &[&str], examples: u32) -> String {
    let report = std::env::temp_dir().join(format!("kw-contract-{}", keyward::tokens::random_base62(8)));
    let mut child = tokio::process::Command::new(schemathesis())
        .arg("run")
        .arg(schema)
        .arg("--experimental=openapi-3.1")
        .args(mode)
        .args(["--hypothesis-max-examples", &examples.to_string(), "--hypothesis-seed", "20261130"])
        .args(["--hypothesis-deadline", "None"])
        .arg("--hypothesis-suppress-health-check=all")
        .args(["--request-timeout", "10000", "--workers", "1", "--no-color"])
        .arg("--header")
        .arg(format!("Authorization: Bearer {token}"))
        .arg(format!("--cassette-path={}", report.join("cassette.yaml").display()))
        .env("HYPOTHESIS_STORAGE_DIRECTORY", report.join("hypothesis"))
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("schemathesis (run .ci/prepare)");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let read = async move {
        use tokio::io::AsyncReadExt as _;
        let (mut out, mut err) = (String::new(), String::new());
        let (mut stdout, mut stderr) = (stdout, stderr);
        let _ = tokio::join!(stdout.read_to_string(&mut out), stderr.read_to_string(&mut err));
        (out, err)
    };
    let ((out, err), status) = tokio::time::timeout(Duration::from_secs(900), async {
        let output = read.await;
        (output, child.wait().await.unwrap())
    })
    .await
    .expect("schemathesis finishes within 15 minutes");
    assert!(
        status.success(),
        "schemathesis ({mode:?}) found disagreements (requests and answers: {}):\n{out}\n{err}",
        report.display()
    );
    assert!(out.contains("passed"), "{out}");
    let _ = std::fs::remove_dir_all(&report);
    out
}
