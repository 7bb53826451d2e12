//! Input PostgreSQL cannot store: a NUL character anywhere (a URL's path or
//! query, a console form, an API body, a lead value) is refused with a 400
//! or 422 that names where it is, and nothing is written. Before, each of
//! these answered 500.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Answer, TestApp, api};

fn count(app: &TestApp, table: &str) -> i64 {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!("(SELECT count(*) FROM {table})")))
        .get_result(&mut app.conn())
        .unwrap()
}

fn assert_refused(what: &str, a: &Answer, field: Option<&str>) {
    assert!(
        a.status == StatusCode::BAD_REQUEST || a.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {} {:?}",
        a.status,
        a.body
    );
    let text = a.body.to_string();
    if let Some(field) = field {
        assert!(text.contains(field), "{what}: names `{field}`: {text}");
    }
    assert!(!text.to_lowercase().contains("postgres") && !text.contains("invalid byte"), "{what}: no driver text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_character_is_refused_wherever_it_comes_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let mgmt = app.admin_api(&admin).await;
    assert_eq!(mgmt.post("/api/v1/campaigns", json!({"name": "Nul", "slug": "nul"})).await.status, StatusCode::CREATED);
    mgmt.post(
        "/api/v1/campaigns/nul/fields",
        json!({"slug": "note", "label": "Note", "type": "text", "required": false}),
    )
    .await;
    mgmt.post("/api/v1/campaigns/nul/sources", json!({"name": "Web", "kind": "CS", "slug": "web"})).await;
    let (campaigns, fields, leads, audit) =
        (count(&app, "campaigns"), count(&app, "fields"), count(&app, "leads"), count(&app, "audit_events"));

    // A URL: the path, then the query string; console and API alike.
    for path in ["/docs/c/ab%00cd", "/api/v1/campaigns/n%00ul/leads", "/audit?actor=x%00y", "/api/v1/tokens?owner=a%00"]
    {
        let res = admin.get(path).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains("NUL"), "{path}: says why: {body}");
    }

    // API bodies: a name, a label, a reason, lead values (with and without
    // a token), an RFC 7009 form.
    let nul = "a\u{0}b";
    let a = mgmt.post("/api/v1/campaigns", json!({"name": nul})).await;
    assert_refused("a campaign name", &a, Some("name"));
    let a = mgmt
        .post("/api/v1/campaigns/nul/fields", json!({"slug": "other", "label": nul, "type": "text", "required": false}))
        .await;
    assert_refused("a field label", &a, Some("label"));
    let a = mgmt
        .post(
            "/api/v1/campaigns/nul/selects",
            json!({"slug": "s", "label": "S", "options": [{"slug": "x", "label": nul}]}),
        )
        .await;
    assert_refused("an option label", &a, Some("options[0].label"));
    let key = {
        let a = mgmt.get("/api/v1/tokens?kind=personal").await;
        a.body["data"][0]["key"].as_str().unwrap().to_owned()
    };
    let a = mgmt.post(&format!("/api/v1/tokens/{key}/revoke"), json!({"reason": nul})).await;
    assert_refused("a revoke reason", &a, Some("reason"));
    assert_eq!(mgmt.get("/api/v1/me").await.status, StatusCode::OK, "the token was not revoked");
    let intake = crate::helpers::Api::new(&app.base, None);
    let a = intake.post("/api/v1/campaigns/nul/sources/web/form", json!({"fields": {"note": nul}})).await;
    assert_refused("a lead value through intake, no token", &a, Some("fields.note"));
    let a = mgmt.post("/api/v1/campaigns/nul/leads", json!({"fields": {"note": nul}})).await;
    assert_refused("a lead value through the leads API", &a, Some("fields.note"));
    let res = api().post(app.url("/api/v1/tokens/revoke")).form(&[("token", nul)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "an RFC 7009 form");

    // Console forms: a name, a label, a reason.
    let campaign_id: i64 = {
        use keyward::schema::campaigns;
        campaigns::table.filter(campaigns::slug.eq("nul")).select(campaigns::id).first(&mut app.conn()).unwrap()
    };
    for (page, action, fields) in [
        ("/campaigns", "/campaigns".to_owned(), vec![("name", nul)]),
        (
            "/campaigns",
            format!("/campaigns/{campaign_id}/fields"),
            vec![("slug", "other"), ("label", nul), ("type", "text")],
        ),
        ("/support/tokens", "/support/tokens/1/revoke".to_owned(), vec![("reason", nul)]),
    ] {
        let res = admin.submit(page, &action, &fields).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{action}");
        let body = res.text().await.unwrap();
        let field = fields.iter().find(|(_, v)| v.contains('\u{0}')).unwrap().0;
        assert!(body.contains(&format!("`{field}`")), "{action}: names the field: {body}");
    }

    assert_eq!(count(&app, "campaigns"), campaigns, "no campaign written");
    assert_eq!(count(&app, "fields"), fields, "no field written");
    assert_eq!(count(&app, "leads"), leads, "no lead written");
    assert_eq!(count(&app, "audit_events"), audit, "nothing audited: nothing happened");
}
