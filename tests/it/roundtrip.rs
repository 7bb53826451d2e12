//! Whatever a lead can be stored with can always be read back: a property
//! test. Values for every field type (random, and a corpus of the awkward:
//! the largest floats, exponents, unicode, control characters, NULs,
//! impossible dates) go in through intake and the leads API; each is either
//! refused with a 4xx and nothing stored, or stored, and then read back as
//! it was sent (an email in its normal form, a phone trimmed) from
//! PostgreSQL, through get, every list page and both export formats. A 5xx
//! anywhere fails.
//! The seed is printed on failure; `KEYWARD_ROUNDTRIP_SEED` replays it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, Api, TestApp};

const CASES: usize = 150;

/// A value as it is sent: the literal JSON text (so that `1E+2` and
/// `-0.0` reach the server as written), and what it should read back as.
struct Case {
    slug: &'static str,
    literal: String,
}

fn corpus() -> Vec<(&'static str, String)> {
    let mut c: Vec<(&'static str, String)> = [
        "-1.7976931348623157e+308",
        "1.7976931348623157e308",
        "9007199254740991",
        "-9007199254740991",
        "9007199254740992",
        "18446744073709551615",
        "-9223372036854775808",
        "5e-324",
        "1e-300",
        "-0.0",
        "0",
        "1E+2",
        "123.456e-2",
        "0.1",
        "3.141592653589793238462643383279",
        "1e15",
        "1e16",
    ]
    .iter()
    .map(|n| ("amount", (*n).to_owned()))
    .collect();
    for text in [
        "",
        " ",
        "=HYPERLINK(\"x\")",
        "+1-1",
        "@SUM(A1)",
        "line\nbreak\r\ttab",
        "quote \" backslash \\ slash /",
        "\u{1F600} emoji, \u{202E}rtl, e\u{301}",
        "\u{0}nul",
        "a\u{0}b",
        "\u{7f}\u{1}\u{1f}",
        "\u{FFFF}\u{10FFFF}",
    ] {
        c.push(("note", serde_json::to_string(text).unwrap()));
    }
    c.push(("note", serde_json::to_string(&"x".repeat(5000)).unwrap()));
    c.push(("note", serde_json::to_string(&"é".repeat(5001)).unwrap()));
    for email in ["ann@example.com", "ANN@Example.COM", "no-at-sign", "a@b", "\"quoted\"@example.com", "ü@例え.jp"] {
        c.push(("email", serde_json::to_string(email).unwrap()));
    }
    for phone in ["+1 (555) 010-0000", "12345", "123456", "1".repeat(21).as_str(), "+44 20 7946 0958", "call me"] {
        c.push(("phone", serde_json::to_string(phone).unwrap()));
    }
    for date in ["2026-01-31", "2026-02-30", "0000-01-01", "9999-12-31", "2026-1-1", "31/01/2026", "2026-13-01"] {
        c.push(("born", serde_json::to_string(date).unwrap()));
    }
    for (slug, v) in [("amount", "\"12\""), ("amount", "true"), ("note", "42"), ("note", "[\"a\"]"), ("born", "{}")] {
        c.push((slug, v.to_owned()));
    }
    c
}

fn random_case(rng: &mut StdRng) -> Case {
    match rng.random_range(0..5) {
        0 => {
            let literal = match rng.random_range(0..4) {
                0 => rng.random_range(-1_000_000i64..1_000_000).to_string(),
                1 => serde_json::to_string(&(rng.random::<f64>() * 10f64.powi(rng.random_range(-20..20)))).unwrap(),
                2 => {
                    let f = f64::from_bits(rng.random());
                    if f.is_finite() { serde_json::to_string(&f).unwrap() } else { "1".into() }
                }
                _ => format!("{}e{}", rng.random_range(-999i64..999), rng.random_range(-320..320)),
            };
            Case { slug: "amount", literal }
        }
        1 => {
            let len = rng.random_range(0..80);
            let text: String = (0..len)
                .map(|_| match rng.random_range(0..6) {
                    0 => char::from(rng.random_range(0x20u8..0x7f)),
                    1 => char::from_u32(rng.random_range(0x80..0x800)).unwrap_or('x'),
                    2 => char::from_u32(rng.random_range(0x800..0xD800)).unwrap_or('x'),
                    3 => char::from_u32(rng.random_range(0x1F300..0x1FAFF)).unwrap_or('x'),
                    4 => char::from(rng.random_range(1u8..0x20)),
                    _ => ['"', '\\', '=', '+', '-', '@', ',', '\n'][rng.random_range(0..8)],
                })
                .collect();
            Case { slug: "note", literal: serde_json::to_string(&text).unwrap() }
        }
        2 => {
            let local: String =
                (0..rng.random_range(1..12)).map(|_| char::from(rng.random_range(b'a'..=b'z'))).collect();
            Case { slug: "email", literal: serde_json::to_string(&format!("{local}@example.com")).unwrap() }
        }
        3 => {
            let phone: String = (0..rng.random_range(3..25))
                .map(|_| ['0', '1', '5', '9', ' ', '+', '-', '(', ')', '.', 'x'][rng.random_range(0..11)])
                .collect();
            Case { slug: "phone", literal: serde_json::to_string(&phone).unwrap() }
        }
        _ => {
            let date = format!(
                "{:04}-{:02}-{:02}",
                rng.random_range(0..10000),
                rng.random_range(0..14),
                rng.random_range(0..33)
            );
            Case { slug: "born", literal: serde_json::to_string(&date).unwrap() }
        }
    }
}

async fn set_up(app: &TestApp) -> (Api, Api, String) {
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    assert_eq!(
        api.post("/api/v1/campaigns", json!({"name": "Round trip", "slug": "rt"})).await.status,
        StatusCode::CREATED
    );
    for (slug, kind) in
        [("amount", "number"), ("note", "text"), ("email", "email"), ("phone", "phone"), ("born", "date")]
    {
        let a = api
            .post("/api/v1/campaigns/rt/fields", json!({"slug": slug, "label": slug, "type": kind, "required": false}))
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    }
    let a = api.post("/api/v1/campaigns/rt/sources", json!({"name": "Web", "kind": "CS", "slug": "web"})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let a = api.post("/api/v1/campaigns/rt/api-tokens", json!({"name": "rw", "read": true, "write": true})).await;
    let leads = api.with(Some(a.body["token"].as_str().unwrap()));
    let a = api
        .post("/api/v1/settings/account-tokens/private", json!({"user": ADMIN_EMAIL, "description": "export"}))
        .await;
    (api, leads, a.body["token"].as_str().unwrap().to_owned())
}

async fn raw_post(app: &TestApp, path: &str, token: Option<&str>, body: String) -> (StatusCode, Value) {
    let mut req = crate::helpers::api().post(app.url(path)).header("content-type", "application/json").body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// What a value sent for a field of `slug` must read back as: the value
/// itself (numbers as numbers, compared by value), but an email address in
/// its normal form and a phone number trimmed, as the field types store
/// them. `None`: a value that is no value (blank), stored as nothing.
fn expected(slug: &str, sent: &Value) -> Option<Value> {
    match (slug, sent) {
        (_, Value::String(s)) if s.trim().is_empty() => None,
        ("email", Value::String(s)) => {
            Some(Value::String(keyward::domain::EmailAddress::parse(s).expect("an accepted address").into_string()))
        }
        ("phone", Value::String(s)) => Some(Value::String(s.trim().to_owned())),
        _ => Some(sent.clone()),
    }
}

/// The same value, however its number is written (`1E+2` = `100`).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// A CSV cell of a value: strings as they are (a formula-like one with
/// its leading `'`), numbers parsed.
fn same_in_csv(cell: &str, value: &Value) -> bool {
    match value {
        Value::String(s) => cell == keyward::csv_util::safe_cell(s),
        // A negative number starts like a formula: its `'` goes first.
        other => cell.trim_start_matches('\'').parse::<f64>().ok().zip(other.as_f64()).is_some_and(|(x, y)| x == y),
    }
}

fn lead_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    keyward::schema::leads::table.count().get_result(&mut app.conn()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatever_a_lead_is_stored_with_reads_back_through_get_list_and_export() {
    let seed: u64 =
        std::env::var("KEYWARD_ROUNDTRIP_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    let app = TestApp::spawn().await;
    let (_, leads, private) = set_up(&app).await;
    let leads_token = leads.token.clone().unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut cases: Vec<Case> = corpus().into_iter().map(|(slug, literal)| Case { slug, literal }).collect();
    cases.extend((0..CASES).map(|_| random_case(&mut rng)));

    // Each lead stored: its id, the field, and what was sent for it.
    let mut stored: Vec<(i64, &'static str, Option<Value>)> = Vec::new();
    for case in &cases {
        let body = format!("{{\"fields\": {{\"{}\": {}}}}}", case.slug, case.literal);
        let what = format!("seed {seed}, {} = {}", case.slug, case.literal.chars().take(120).collect::<String>());
        let before = lead_count(&app);
        let through_intake = raw_post(&app, "/api/v1/campaigns/rt/sources/web/form", None, body.clone()).await;
        let through_api = raw_post(&app, "/api/v1/campaigns/rt/leads", Some(&leads_token), body).await;
        for (how, (status, answer)) in [("intake", &through_intake), ("the leads API", &through_api)] {
            assert!(
                status == &StatusCode::CREATED || status.is_client_error(),
                "{how} answered {status} for {what}: {answer}"
            );
            if status == &StatusCode::CREATED {
                let sent: Value = serde_json::from_str(&case.literal).expect("a value the test wrote");
                let want = expected(case.slug, &sent);
                let got = answer["fields"].get(case.slug);
                assert!(
                    match (&want, got) {
                        (Some(w), Some(g)) => same(w, g),
                        (None, None) => true,
                        _ => false,
                    },
                    "{how} answered {got:?} for {what}"
                );
                stored.push((answer["id"].as_i64().unwrap(), case.slug, want));
            } else {
                assert!(answer["error"]["code"].is_string(), "{how}: a refusal says why ({what}): {answer}");
            }
        }
        assert_eq!(
            through_intake.0, through_api.0,
            "intake and the leads API agree on {what}: {} / {}",
            through_intake.1, through_api.1
        );
        let expected = before + i64::from(through_intake.0 == StatusCode::CREATED) * 2;
        assert_eq!(lead_count(&app), expected, "a refused lead leaves nothing ({what})");
    }
    assert!(stored.len() > cases.len() / 2, "most values are storable");

    // Every read must give what was sent: `check` compares one.
    let check = |how: &str, id: i64, got: Option<&Value>| {
        let (_, slug, want) = stored.iter().find(|(i, ..)| *i == id).unwrap_or_else(|| panic!("{how}: lead {id}?"));
        let ok = match (want, got) {
            (Some(w), Some(g)) => same(w, g),
            (None, None | Some(Value::Null)) => true,
            _ => false,
        };
        assert!(ok, "{how}: lead {id}'s {slug} is {got:?}, sent {want:?} (seed {seed})");
    };
    // In PostgreSQL.
    for (id, slug, _) in &stored {
        use diesel::prelude::*;
        let fields: Value = keyward::schema::leads::table
            .find(id)
            .select(keyward::schema::leads::fields)
            .first(&mut app.conn())
            .unwrap();
        check("PostgreSQL", *id, fields.get(*slug));
    }
    // Get: each one.
    for (id, slug, _) in &stored {
        let a = leads.get(&format!("/api/v1/campaigns/rt/leads/{id}")).await;
        assert_eq!(a.status, StatusCode::OK, "lead {id} (seed {seed}): {:?}", a.body);
        check("get", *id, a.body["fields"].get(*slug));
    }
    // List: every page, every lead, each as sent.
    let mut listed = std::collections::BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let a = leads.get(&format!("/api/v1/campaigns/rt/leads?limit=100{cursor}")).await;
        assert_eq!(a.status, StatusCode::OK, "a leads page (seed {seed}): {:?}", a.body);
        for item in a.body["items"].as_array().unwrap() {
            let id = item["id"].as_i64().unwrap();
            let slug = stored.iter().find(|(i, ..)| *i == id).map(|(_, s, _)| *s).unwrap_or("?");
            check("the list", id, item["fields"].get(slug));
            assert!(listed.insert(id), "lead {id} listed twice (seed {seed})");
        }
        match a.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(listed.len(), stored.len(), "the list holds every lead (seed {seed})");
    // Export, both formats, complete.
    for format in ["ndjson", "csv"] {
        let res = crate::helpers::api()
            .get(app.url(&format!("/api/v1/export/leads?campaign=rt&format={format}")))
            .bearer_auth(&private)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().await.expect("the export completes");
        let mut rows = 0;
        if format == "ndjson" {
            for line in text.lines() {
                let lead: Value = serde_json::from_str(line).expect("each line is JSON");
                let id = lead["id"].as_i64().unwrap();
                let slug = stored.iter().find(|(i, ..)| *i == id).map(|(_, s, _)| *s).unwrap_or("?");
                check("the ndjson export", id, lead["fields"].get(slug));
                rows += 1;
            }
        } else {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let headers = reader.headers().expect("a header row").clone();
            for record in reader.records() {
                let record = record.expect("each record is CSV");
                let id: i64 = record[0].parse().expect("an id first");
                let (_, slug, want) = stored.iter().find(|(i, ..)| *i == id).expect("a lead the test stored");
                let column = headers.iter().position(|h| h == format!("fields.{slug}")).expect("a column per field");
                let cell = &record[column];
                let ok = match want {
                    Some(w) => same_in_csv(cell, w),
                    None => cell.is_empty(),
                };
                assert!(ok, "the csv export: lead {id}'s {slug} is {cell:?}, sent {want:?} (seed {seed})");
                rows += 1;
            }
        }
        assert_eq!(rows, stored.len(), "the {format} export holds every lead (seed {seed})");
    }
}
