//! The Import API (seed 004): CSV and NDJSON, validated row by row,
//! `all_or_nothing` or `partial`, upsert by a field, Idempotency-Key, small
//! imports answered at once and large ones followed by id; logged with the
//! private token's assigned user.

use std::time::Duration;

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, Api, TestApp, api, eventually};
use crate::leads::seed;

struct World {
    app: TestApp,
    admin: Api,
    private: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let admin = app.admin_api(&admin).await;
    seed(&admin).await;
    let private = admin
        .post("/api/v1/settings/account-tokens/private", json!({"user": ADMIN_EMAIL, "description": "imports"}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    World { app, admin, private }
}

fn leads_in(app: &TestApp) -> i64 {
    keyward::schema::leads::table.count().get_result(&mut app.conn()).unwrap()
}

async fn import(
    w: &World,
    query: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
    key: Option<&str>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = api()
        .post(w.app.url(&format!("/api/v1/import/leads?{query}")))
        .bearer_auth(&w.private)
        .header("content-type", content_type)
        .body(body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, res.json().await.unwrap_or(Value::Null), headers)
}

const CSV: &str = "email,name,select_partner,status\n\
    ada@example.com,Ada,SELECT_PARTNER,new\n\
    bob@example.com,Bob,VENDOR_NORTH,sold\n\
    not-an-email,Carl,SELECT_PARTNER,\n\
    dee@example.com,Dee,,\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_import_stores_the_good_rows_and_reports_the_bad_ones() {
    let w = world().await;
    let before = leads_in(&w.app);
    let (status, report, _) = import(&w, "campaign=spring&format=csv&mode=partial", "text/csv", CSV, None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["state"].as_str(), report["imported"].as_i64(), report["rejected"].as_i64()),
        (Some("done"), Some(3), Some(1))
    );
    assert_eq!(
        report["errors"],
        json!([{"row": 3, "field": "fields.email", "message": "`not-an-email` is not a valid email address"}])
    );
    assert_eq!(leads_in(&w.app), before + 3);
    let bob = w.admin.get("/api/v1/campaigns/spring/leads?status=sold").await;
    assert_eq!(bob.body["items"][0]["fields"]["name"], "Bob");
    assert_eq!(bob.body["items"][0]["select_field_values"]["select_partner"], "VENDOR_NORTH");

    // Logged with the token's assigned user.
    let used: Vec<Value> = {
        use keyward::schema::audit_events::dsl::*;
        audit_events.filter(action.eq("token.used")).select(details).load(&mut w.app.conn()).unwrap()
    };
    assert!(used.iter().any(|d| d["used_for"] == "import" && d["assigned_to"] == ADMIN_EMAIL), "{used:?}");

    // An export imports again: its extra columns are ignored.
    let export = api()
        .get(w.app.url("/api/v1/export/leads?campaign=spring&format=csv"))
        .bearer_auth(&w.private)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (status, again, _) = import(&w, "campaign=spring&format=csv", "text/csv", export, None).await;
    assert_eq!((status, again["imported"].as_i64()), (StatusCode::OK, Some(3)), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_or_nothing_stores_nothing_when_a_row_is_bad() {
    let w = world().await;
    let before = leads_in(&w.app);
    let (status, report, _) = import(&w, "campaign=spring&format=csv&mode=all_or_nothing", "text/csv", CSV, None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["imported"].as_i64(), report["rejected"].as_i64(), report["rows"].as_i64()),
        (Some(0), Some(1), Some(4))
    );
    assert_eq!(report["errors"][0]["row"], 3);
    assert_eq!(leads_in(&w.app), before, "nothing stored");

    let good: String = CSV.lines().filter(|l| !l.starts_with("not-an-email")).map(|l| format!("{l}\n")).collect();
    let (_, report, _) = import(&w, "campaign=spring&format=csv&mode=all_or_nothing", "text/csv", good, None).await;
    assert_eq!((report["imported"].as_i64(), report["rejected"].as_i64()), (Some(3), Some(0)), "{report}");
    assert_eq!(leads_in(&w.app), before + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ndjson_with_relations_upserts_by_a_field_and_retries_are_answered_once() {
    let w = world().await;
    w.admin.post("/api/v1/campaigns", json!({"name": "Accounts", "slug": "accounts"})).await;
    w.admin
        .post("/api/v1/campaigns/accounts/fields", json!({"slug": "company", "label": "Company", "type": "text"}))
        .await;
    let acme = w.admin.post("/api/v1/campaigns/accounts/leads", json!({"fields": {"company": "ACME"}})).await;
    let acme = acme.body["id"].as_i64().unwrap();
    w.admin
        .post(
            "/api/v1/campaigns/spring/relations",
            json!({"slug": "account", "label": "Account", "target_campaign": "accounts"}),
        )
        .await;
    let rows = |name: &str| {
        [
            json!({"fields": {"email": "ada@example.com", "name": name}, "relations": {"account": acme}}),
            json!({"fields": {"email": "bob@example.com", "name": name}}),
            json!({"fields": {"email": "zed@example.com"}, "relations": {"account": 999_999}}),
        ]
        .iter()
        .map(|r| format!("{r}\n"))
        .collect::<String>()
    };
    let before = leads_in(&w.app);
    let (status, first, _) = import(
        &w,
        "campaign=spring&format=ndjson&mode=partial&upsert=email",
        "application/x-ndjson",
        rows("First"),
        Some("batch-1"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (first["imported"].as_i64(), first["updated"].as_i64(), first["rejected"].as_i64()),
        (Some(2), Some(0), Some(1))
    );
    assert!(first["errors"][0]["message"].as_str().unwrap().contains("no lead 999999 in campaign `accounts`"));
    assert_eq!(leads_in(&w.app), before + 2);

    // The same key and body: the first answer, nothing new.
    let (status, again, headers) = import(
        &w,
        "campaign=spring&format=ndjson&mode=partial&upsert=email",
        "application/x-ndjson",
        rows("First"),
        Some("batch-1"),
    )
    .await;
    assert_eq!((status, again["id"].clone()), (StatusCode::OK, first["id"].clone()));
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(leads_in(&w.app), before + 2);
    let (status, _, _) = import(
        &w,
        "campaign=spring&format=ndjson&mode=partial&upsert=email",
        "application/x-ndjson",
        rows("Other"),
        Some("batch-1"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Upsert: the same emails update their leads.
    let (_, second, _) = import(
        &w,
        "campaign=spring&format=ndjson&mode=partial&upsert=email",
        "application/x-ndjson",
        rows("Second"),
        Some("batch-2"),
    )
    .await;
    assert_eq!((second["imported"].as_i64(), second["updated"].as_i64()), (Some(2), Some(2)), "{second}");
    assert_eq!(leads_in(&w.app), before + 2, "updated, not added");
    let listed = w.admin.get("/api/v1/campaigns/spring/leads").await;
    let ada = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["fields"]["email"] == "ada@example.com")
        .unwrap()
        .clone();
    assert_eq!((ada["fields"]["name"].as_str(), ada["relations"]["account"].as_i64()), (Some("Second"), Some(acme)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_import_answers_202_and_is_followed_to_its_report() {
    let w = world().await;
    let mut body = String::from("email,name,select_partner\n");
    let mut n = 0;
    while body.len() <= 1024 * 1024 + 1 {
        n += 1;
        let email = if n % 1000 == 0 { format!("bad{n}") } else { format!("lead{n}@example.com") };
        body.push_str(&format!("{email},Lead number {n} with a longer name,SELECT_PARTNER\n"));
    }
    let before = leads_in(&w.app);
    let (status, queued, headers) = import(&w, "campaign=spring&format=csv&mode=partial", "text/csv", body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let id = queued["id"].as_i64().unwrap();
    assert_eq!(headers["location"], format!("/api/v1/imports/{id}"));

    let follow = Api::new(&w.app.base, Some(&w.private));
    let done = eventually(Duration::from_secs(60), || async {
        follow.get(&format!("/api/v1/imports/{id}")).await.body["state"] == "done"
    })
    .await;
    assert!(done, "the import finished within a minute");
    let report = follow.get(&format!("/api/v1/imports/{id}")).await.body;
    let bad = n / 1000;
    assert_eq!((report["rows"].as_i64(), report["rejected"].as_i64()), (Some(n), Some(bad)), "{report}");
    assert_eq!(report["imported"].as_i64(), Some(n - bad));
    assert_eq!(leads_in(&w.app), before + n - bad);
    let csv =
        api().get(w.app.url(&format!("/api/v1/imports/{id}?format=csv"))).bearer_auth(&w.private).send().await.unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("row,field,message\n1000,fields.email,"), "{csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_imports_are_refused_with_a_reason_and_store_nothing() {
    let w = world().await;
    let before = leads_in(&w.app);
    let imports_count = || -> i64 { keyward::schema::imports::table.count().get_result(&mut w.app.conn()).unwrap() };
    for (query, body, status, says) in [
        (
            "campaign=spring&format=csv",
            "email,shoe_size\na@example.com,42\n",
            StatusCode::UNPROCESSABLE_ENTITY,
            "the column `shoe_size` is not one of this campaign's",
        ),
        (
            "campaign=spring&format=csv",
            "email,email\na@example.com,b@example.com\n",
            StatusCode::UNPROCESSABLE_ENTITY,
            "appears twice",
        ),
        ("campaign=spring&format=csv", "", StatusCode::UNPROCESSABLE_ENTITY, "is empty"),
        (
            "campaign=spring&format=csv&upsert=nope",
            "email\na@example.com\n",
            StatusCode::UNPROCESSABLE_ENTITY,
            "`nope` is not a field",
        ),
        ("campaign=nope&format=csv", "email\na@example.com\n", StatusCode::NOT_FOUND, ""),
        (
            "campaign=spring&format=xml",
            "email\na@example.com\n",
            StatusCode::BAD_REQUEST,
            "format must be csv or ndjson",
        ),
        ("campaign=spring&mode=maybe", "email\na@example.com\n", StatusCode::BAD_REQUEST, "mode must be"),
        ("format=csv", "email\na@example.com\n", StatusCode::BAD_REQUEST, "campaign is required"),
    ] {
        let (got, answer, _) = import(&w, query, "text/csv", body, None).await;
        assert_eq!(got, status, "{query}: {answer}");
        assert!(answer.to_string().contains(says), "{query}: {answer}");
    }
    // A NUL in a row is that row's error, not the import's.
    let (_, report, _) = import(
        &w,
        "campaign=spring&format=ndjson&mode=partial",
        "application/x-ndjson",
        "{\"fields\": {\"email\": \"a@example.com\", \"name\": \"x\\u0000y\"}}\n",
        None,
    )
    .await;
    assert_eq!(
        (report["rejected"].as_i64(), report["errors"][0]["field"].as_str()),
        (Some(1), Some("fields.name")),
        "{report}"
    );
    // Only a private token imports.
    let res = api()
        .post(w.app.url("/api/v1/import/leads?campaign=spring"))
        .bearer_auth(w.admin.token.as_deref().unwrap())
        .body("email\na@example.com\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(leads_in(&w.app), before, "nothing stored");
    assert_eq!(imports_count(), 1, "only the NUL import was recorded");
}

/// An import whose server stopped mid-way is not left "running" forever:
/// the sweeper marks it failed, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_interrupted_by_a_stop_is_marked_failed_by_the_sweeper() {
    let w = world().await;
    let (_, report, _) = import(&w, "campaign=spring&format=csv", "text/csv", "email\na@example.com\n", None).await;
    let id = report["id"].as_i64().unwrap();
    // As a stopped server leaves it: running, untouched for a quarter hour.
    diesel::sql_query(format!(
        "UPDATE imports SET state = 'running', finished_at = NULL, updated_at = now() - interval '15 minutes' WHERE id = {id}"
    ))
    .execute(&mut w.app.conn())
    .unwrap();
    keyward::jobs::sweeper::sweep_once(&w.app.state).await.unwrap();
    let after = Api::new(&w.app.base, Some(&w.private)).get(&format!("/api/v1/imports/{id}")).await.body;
    assert_eq!(after["state"], "failed");
    assert!(after["failure"].as_str().unwrap().contains("interrupted"), "{after}");
}
