//! Campaign API tokens, filters, the leads API, and the public API
//! documentation (seed 001).

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Agent, Answer, Api, TestApp};

/// Campaign `spring` with a required email, a `select_partner` select
/// (SELECT_PARTNER, VENDOR_NORTH), statuses new and sold, a source, and a
/// filter "Partner ABC – API access" (select_partner = SELECT_PARTNER).
pub(crate) async fn seed(api: &Api) -> i64 {
    assert_eq!(
        api.post("/api/v1/campaigns", json!({"name": "Spring", "slug": "spring"})).await.status,
        StatusCode::CREATED
    );
    api.post("/api/v1/campaigns/spring/sources", json!({"name": "Web", "kind": "CS"})).await;
    api.post(
        "/api/v1/campaigns/spring/fields",
        json!({"slug": "email", "label": "Email", "type": "email", "required": true}),
    )
    .await;
    api.post("/api/v1/campaigns/spring/fields", json!({"slug": "name", "label": "Name", "type": "text"})).await;
    api.post(
        "/api/v1/campaigns/spring/selects",
        json!({"slug": "select_partner", "label": "Lead source", "options": [{"slug": "SELECT_PARTNER", "label": "Partner ABC"}, {"slug": "VENDOR_NORTH", "label": "Vendor North"}]}),
    )
    .await;
    api.post("/api/v1/campaigns/spring/statuses", json!({"slug": "sold", "label": "Sold"})).await;
    let f = api
        .post(
            "/api/v1/campaigns/spring/filters",
            json!({"name": "Partner ABC – API access", "conditions": [{"select": "select_partner", "option": "SELECT_PARTNER"}]}),
        )
        .await;
    assert_eq!(f.status, StatusCode::CREATED, "{:?}", f.body);
    f.body["id"].as_i64().unwrap()
}

pub(crate) async fn api_token(api: &Api, read: bool, write: bool, filter: Option<i64>) -> String {
    let a = api
        .post(
            "/api/v1/campaigns/spring/api-tokens",
            json!({"name": format!("r{read} w{write}"), "read": read, "write": write, "filter_id": filter}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert!(a.body["key"].as_str().unwrap().starts_with("kw_api_"));
    a.body["token"].as_str().unwrap().to_owned()
}

pub(crate) fn lead(partner: &str, email: &str) -> Value {
    json!({"fields": {"email": email}, "select_field_values": {"select_partner": partner}})
}

fn ids(a: &Answer) -> Vec<i64> {
    a.body["items"].as_array().unwrap().iter().map(|l| l["id"].as_i64().unwrap()).collect()
}

fn campaign_id(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    keyward::schema::campaigns::table.select(keyward::schema::campaigns::id).first(&mut app.conn()).unwrap()
}

fn first_api_token_id(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    keyward::schema::tokens::table
        .filter(keyward::schema::tokens::kind.eq("campaign_api"))
        .select(keyward::schema::tokens::id)
        .first(&mut app.conn())
        .unwrap()
}

async fn setup() -> (TestApp, Agent, Api, i64) {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let filter = seed(&api).await;
    (app, admin, api, filter)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_token_sees_and_writes_only_the_leads_inside_its_filter() {
    let (app, _admin, admin_api, filter) = setup().await;
    let partner = admin_api.with(Some(&api_token(&admin_api, true, true, Some(filter)).await));
    // The admin's own token manages everything.
    let outside = admin_api.post("/api/v1/campaigns/spring/leads", lead("VENDOR_NORTH", "north@example.com")).await;
    assert_eq!(outside.status, StatusCode::CREATED);
    let outside_id = outside.body["id"].as_i64().unwrap();

    // Create: inside 201, outside 403 naming the required value.
    let inside = partner.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "abc@example.com")).await;
    assert_eq!(inside.status, StatusCode::CREATED, "{:?}", inside.body);
    let inside_id = inside.body["id"].as_i64().unwrap();
    for body in [lead("VENDOR_NORTH", "x@example.com"), json!({"fields": {"email": "y@example.com"}})] {
        let refused = partner.post("/api/v1/campaigns/spring/leads", body).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.body["error"]["code"], "insufficient_scope");
        assert!(
            refused.body["error"]["message"].as_str().unwrap().contains("`select_partner` must be `SELECT_PARTNER`"),
            "{:?}",
            refused.body
        );
    }
    // Validation applies before the filter.
    let invalid = partner
        .post(
            "/api/v1/campaigns/spring/leads",
            json!({"fields": {"email": "nope"}, "select_field_values": {"select_partner": "SELECT_PARTNER"}}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Read: the list and one lead.
    let list = partner.get("/api/v1/campaigns/spring/leads").await;
    assert_eq!(ids(&list), vec![inside_id]);
    assert_eq!(list.body["next_cursor"], Value::Null);
    assert_eq!(partner.get(&format!("/api/v1/campaigns/spring/leads/{inside_id}")).await.status, StatusCode::OK);
    let hidden = partner.get(&format!("/api/v1/campaigns/spring/leads/{outside_id}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "no existence leak");

    // Update: inside stays inside, moving out is refused, outside is 404.
    let ok = partner
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/spring/leads/{inside_id}"),
            Some(&json!({"status": "sold", "fields": {"name": "Abe"}})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["status"], "sold");
    assert_eq!(ok.body["fields"], json!({"email": "abc@example.com", "name": "Abe"}));
    let moved = partner
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/spring/leads/{inside_id}"),
            Some(&json!({"select_field_values": {"select_partner": "VENDOR_NORTH"}})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::FORBIDDEN);
    assert!(moved.body["error"]["message"].as_str().unwrap().contains("SELECT_PARTNER"));
    let cleared = partner
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/spring/leads/{inside_id}"),
            Some(&json!({"select_field_values": {"select_partner": null}})),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::FORBIDDEN, "removing the value moves it out too");
    let still = partner.get(&format!("/api/v1/campaigns/spring/leads/{inside_id}")).await;
    assert_eq!(still.body["select_field_values"]["select_partner"], "SELECT_PARTNER", "unchanged");
    let other = partner
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/spring/leads/{outside_id}"),
            Some(&json!({"status": "sold"})),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let required = partner
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/spring/leads/{inside_id}"),
            Some(&json!({"fields": {"email": null}})),
        )
        .await;
    assert_eq!(required.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Another campaign: refused, whatever the lead.
    admin_api.post("/api/v1/campaigns", json!({"name": "Autumn", "slug": "autumn"})).await;
    let elsewhere = partner.get("/api/v1/campaigns/autumn/leads").await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    assert_eq!(elsewhere.body["error"]["code"], "insufficient_scope");
    assert_eq!(partner.post("/api/v1/campaigns/autumn/leads", json!({})).await.status, StatusCode::FORBIDDEN);
    drop(app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_and_write_permissions_are_separate() {
    let (_app, _admin, admin_api, filter) = setup().await;
    let reader = admin_api.with(Some(&api_token(&admin_api, true, false, None).await));
    let writer = admin_api.with(Some(&api_token(&admin_api, false, true, Some(filter)).await));
    let created = writer.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "w@example.com")).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_i64().unwrap();
    for a in [
        writer.get("/api/v1/campaigns/spring/leads").await,
        writer.get(&format!("/api/v1/campaigns/spring/leads/{id}")).await,
    ] {
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert_eq!(a.body["error"]["code"], "insufficient_scope");
    }
    assert_eq!(reader.get(&format!("/api/v1/campaigns/spring/leads/{id}")).await.status, StatusCode::OK);
    for a in [
        reader.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "r@example.com")).await,
        reader
            .send(
                reqwest::Method::PATCH,
                &format!("/api/v1/campaigns/spring/leads/{id}"),
                Some(&json!({"status": "sold"})),
            )
            .await,
    ] {
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert_eq!(a.body["error"]["code"], "insufficient_scope");
    }
    // Both may read the schema; no filter means all leads.
    let schema = reader.get("/api/v1/campaigns/spring/schema").await;
    assert_eq!(schema.status, StatusCode::OK);
    assert_eq!(schema.body["token"]["filter"], Value::Null);
    assert_eq!(writer.get("/api/v1/campaigns/spring/schema").await.status, StatusCode::OK);
}

/// A token that may write but not read learns nothing from a PATCH but
/// which lead changed and when (before, it answered the whole lead), and a
/// patch that changes nothing writes nothing (before, it bumped
/// updated_at).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_only_token_cannot_read_through_a_patch_and_an_empty_patch_changes_nothing() {
    let (app, _admin, admin_api, _) = setup().await;
    let both = admin_api.with(Some(&api_token(&admin_api, true, true, None).await));
    let writer = admin_api.with(Some(&api_token(&admin_api, false, true, None).await));
    let created = both
        .post(
            "/api/v1/campaigns/spring/leads",
            json!({"fields": {"email": "secret@example.com", "name": "Secret Name"}, "select_field_values": {"select_partner": "VENDOR_NORTH"}}),
        )
        .await;
    let id = created.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/campaigns/spring/leads/{id}");
    let stored_updated_at = || {
        use diesel::prelude::*;
        keyward::schema::leads::table
            .find(id)
            .select(keyward::schema::leads::updated_at)
            .first::<time::OffsetDateTime>(&mut app.conn())
            .unwrap()
    };
    let before = stored_updated_at();

    for body in [json!({}), json!({"fields": {}}), json!({"fields": {"name": "Secret Name"}})] {
        let a = writer.send(reqwest::Method::PATCH, &path, Some(&body)).await;
        assert_eq!(a.status, StatusCode::OK, "{body}: {:?}", a.body);
        let keys: BTreeSet<&str> = a.body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["id", "updated_at"]), "{body}: the answer holds nothing of the lead");
        assert!(!a.body.to_string().contains("Secret"), "{body}");
        assert_eq!(stored_updated_at(), before, "{body} changed nothing, so it wrote nothing");
    }
    let a = writer.send(reqwest::Method::PATCH, &path, Some(&json!({"status": "sold"}))).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(!a.body.to_string().contains("Secret"), "a real change answers no content either");
    assert!(stored_updated_at() > before, "a real change moves updated_at");
    assert_eq!(both.get(&path).await.body["status"], "sold");
    // A token that may read gets the lead back.
    let a = both.send(reqwest::Method::PATCH, &path, Some(&json!({"fields": {"name": "Other"}}))).await;
    assert_eq!(a.body["fields"]["name"], "Other");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_stable_while_leads_keep_arriving() {
    let (app, _admin, admin_api, _filter) = setup().await;
    let reader = admin_api.with(Some(&api_token(&admin_api, true, false, None).await));
    {
        use diesel::prelude::*;
        diesel::sql_query(
            "INSERT INTO leads (campaign_id, status, fields, selects, created_at, updated_at) \
             SELECT c.id, 'new', jsonb_build_object('email', 'l' || g || '@example.com'), '{\"select_partner\": \"SELECT_PARTNER\"}', now(), now() \
             FROM campaigns c, generate_series(1, 250) g WHERE c.slug = 'spring'",
        )
        .execute(&mut app.conn())
        .unwrap();
    }
    let first_ids: BTreeSet<i64> = {
        let all = admin_api.get("/api/v1/campaigns/spring/leads?limit=500").await;
        ids(&all).into_iter().collect()
    };
    assert_eq!(first_ids.len(), 250);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let writer = admin_api.with(admin_api.token.as_deref());
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/campaigns/spring/leads?limit=100&cursor={c}"),
            None => "/api/v1/campaigns/spring/leads?limit=100".to_owned(),
        };
        // Leads arrive while we page.
        let (page, _, _) = tokio::join!(
            reader.get(&path),
            writer.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "new1@example.com")),
            writer.post("/api/v1/campaigns/spring/leads", lead("VENDOR_NORTH", "new2@example.com")),
        );
        assert_eq!(page.status, StatusCode::OK);
        seen.extend(ids(&page));
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 20);
    }
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no lead twice");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in id order");
    assert!(first_ids.is_subset(&unique), "no lead skipped");

    // Limits and filters of the listing.
    assert_eq!(reader.get("/api/v1/campaigns/spring/leads?limit=501").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(reader.get("/api/v1/campaigns/spring/leads?cursor=abc").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reader.get("/api/v1/campaigns/spring/leads?updated_since=yesterday").await.status,
        StatusCode::BAD_REQUEST
    );
    let sold = reader.get("/api/v1/campaigns/spring/leads?status=sold").await;
    assert!(ids(&sold).is_empty());
    assert_eq!(reader.get("/api/v1/campaigns/spring/leads?status=nope").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let future = reader.get("/api/v1/campaigns/spring/leads?updated_since=2999-01-01T00:00:00Z").await;
    assert!(ids(&future).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_names_fields_values_statuses_and_the_tokens_filter() {
    let (_app, _admin, admin_api, filter) = setup().await;
    let partner = admin_api.with(Some(&api_token(&admin_api, true, true, Some(filter)).await));
    let s = partner.get("/api/v1/campaigns/spring/schema").await.body;
    assert_eq!(s["campaign"]["slug"], "spring");
    // A field in the view every other answer gives it.
    let field = &s["fields"][0];
    assert_eq!(
        (&field["slug"], &field["label"], &field["type"], &field["required"], &field["public"]),
        (&json!("email"), &json!("Email"), &json!("email"), &json!(true), &json!(false))
    );
    assert!(field["id"].as_i64().is_some(), "{field}");
    assert_eq!(s["selects"][0]["options"][1]["slug"], "VENDOR_NORTH");
    assert_eq!(
        s["statuses"].as_array().unwrap().iter().map(|x| x["slug"].as_str().unwrap()).collect::<Vec<_>>(),
        vec!["new", "sold"]
    );
    assert_eq!(s["token"]["read"], true);
    assert_eq!(s["token"]["filter"]["conditions"], json!([{"select": "select_partner", "option": "SELECT_PARTNER"}]));
    assert_eq!(
        s["create_schema"]["properties"]["select_field_values"]["properties"]["select_partner"]["enum"],
        json!(["SELECT_PARTNER"])
    );
    assert_eq!(s["create_schema"]["properties"]["fields"]["required"], json!(["email"]));
    assert!(s["update_schema"]["properties"]["status"]["enum"].as_array().unwrap().contains(&json!("sold")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_in_use_cannot_be_deleted_and_editing_it_moves_its_tokens_at_once() {
    let (app, admin, admin_api, filter) = setup().await;
    let partner = admin_api.with(Some(&api_token(&admin_api, true, false, Some(filter)).await));
    admin_api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "a@example.com")).await;
    let north =
        admin_api.post("/api/v1/campaigns/spring/leads", lead("VENDOR_NORTH", "n@example.com")).await.body["id"]
            .as_i64()
            .unwrap();
    let cid = campaign_id(&app);
    let page = format!("/campaigns/{cid}/filters");
    let res = admin.submit(&page, &format!("{page}/{filter}/delete"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = admin.page(&page).await;
    assert!(
        body.contains("is used by 1 API token") && body.contains("Partner ABC – API access"),
        "refused with a clear message"
    );

    // Edit the condition: the token now sees the other slice.
    let res = admin
        .submit(
            &page,
            &format!("{page}/{filter}"),
            &[("name", "Partner ABC – API access"), ("condition", "select_partner=VENDOR_NORTH"), ("condition", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(ids(&partner.get("/api/v1/campaigns/spring/leads").await), vec![north]);

    // Bad input comes back with messages and what was chosen.
    let res = admin.submit(&page, &page, &[("name", ""), ("condition", "select_partner=NOPE")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("Give the filter a clear name") && body.contains("not an option of select_partner"));
    let res = admin.submit(&page, &page, &[("name", "Nothing")]).await;
    assert!(res.text().await.unwrap().contains("Add at least one condition"));
    let dup = admin_api
        .post(
            "/api/v1/campaigns/spring/filters",
            json!({"name": "Twice", "conditions": [{"select": "select_partner", "option": "SELECT_PARTNER"}, {"select": "select_partner", "option": "VENDOR_NORTH"}]}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Once the token is revoked, the filter can go.
    let token_id = first_api_token_id(&app);
    let tokens_page = format!("/campaigns/{cid}/api/tokens");
    let res = admin.submit(&tokens_page, &format!("{tokens_page}/{token_id}/revoke"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(partner.get("/api/v1/campaigns/spring/leads").await.body["error"]["code"], "token_revoked");
    let res = admin.submit(&page, &format!("{page}/{filter}/delete"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = admin.page(&page).await;
    assert!(body.contains("deleted"));
    let actions = app.audit_actions();
    for a in ["filter.created", "filter.updated", "filter.deleted"] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_tokens_permissions_and_filter_change_at_once_and_bad_edits_change_nothing() {
    let (app, admin, admin_api, filter) = setup().await;
    let secret = api_token(&admin_api, true, false, None).await;
    let partner = admin_api.with(Some(&secret));
    let inside = admin_api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "a@example.com")).await;
    let inside = inside.body["id"].as_i64().unwrap();
    let north = admin_api.post("/api/v1/campaigns/spring/leads", lead("VENDOR_NORTH", "n@example.com")).await;
    let north = north.body["id"].as_i64().unwrap();
    assert_eq!(ids(&partner.get("/api/v1/campaigns/spring/leads").await).len(), 2, "read, no filter: every lead");
    let token_id = first_api_token_id(&app);
    let path = format!("/api/v1/campaigns/spring/api-tokens/{token_id}");

    // Bad edits: a clear message, and the token keeps what it had.
    let none = admin_api.put(&path, json!({"read": false, "write": false})).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.body.to_string().contains("Choose Read, Write or both"), "{:?}", none.body);
    let foreign = admin_api.put(&path, json!({"read": true, "filter_id": filter + 1000})).await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(foreign.body.to_string().contains("Choose one of this campaign's filters"));
    assert_eq!(ids(&partner.get("/api/v1/campaigns/spring/leads").await).len(), 2, "nothing changed");
    assert!(
        partner.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "x@example.com")).await.status
            == StatusCode::FORBIDDEN
    );

    // Narrow it to the filter: the next request sees only the filter's leads.
    let narrowed = admin_api.put(&path, json!({"read": true, "write": false, "filter_id": filter})).await;
    assert_eq!(narrowed.status, StatusCode::OK, "{:?}", narrowed.body);
    assert_eq!(narrowed.body["filter_id"], filter);
    assert_eq!(ids(&partner.get("/api/v1/campaigns/spring/leads").await), vec![inside]);
    assert_eq!(partner.get(&format!("/api/v1/campaigns/spring/leads/{north}")).await.status, StatusCode::NOT_FOUND);

    // Widen it to Write in the console: the same token now creates leads.
    let cid = campaign_id(&app);
    let edit = format!("/campaigns/{cid}/api/tokens/{token_id}/edit");
    let (status, form) = admin.page(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&format!("<option value=\"{filter}\" selected>")), "the form starts from what the token has");
    let res = admin.submit(&edit, &edit, &[("filter_id", &filter.to_string())]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Choose Read, Write or both"));
    let res = admin.submit(&edit, &edit, &[("read", "on"), ("write", "on"), ("filter_id", &filter.to_string())]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = admin.page(&format!("/campaigns/{cid}/api/tokens")).await;
    assert!(list.contains("saved") && list.contains("Write"));
    let created = partner.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "w@example.com")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);

    // The old filter assignment is gone from the token: the filter can be
    // deleted once no live token uses it.
    assert_eq!(admin_api.put(&path, json!({"read": true, "write": true})).await.status, StatusCode::OK);
    assert_eq!(ids(&partner.get("/api/v1/campaigns/spring/leads").await).len(), 3, "every lead again");
    let filters = format!("/campaigns/{cid}/filters");
    admin.submit(&filters, &format!("{filters}/{filter}/delete"), &[]).await;
    let (_, body) = admin.page(&filters).await;
    assert!(body.contains("deleted"), "the filter is free");

    let changes = app.audit_actions().iter().filter(|a| *a == "token.access_changed").count();
    assert_eq!(changes, 3, "one audit entry per change, none for refused edits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_tokens_are_shown_on_request_with_an_audit_entry_and_revoked_with_a_confirmation() {
    let (app, admin, _api, filter) = setup().await;
    let cid = campaign_id(&app);
    let page = format!("/campaigns/{cid}/api/tokens");
    let res = admin.submit(&page, &page, &[("name", "Nobody"), ("filter_id", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Choose Read, Write or both"));
    let res = admin
        .submit(
            &page,
            &page,
            &[
                ("name", "Partner ABC – read/write"),
                ("read", "on"),
                ("write", "on"),
                ("filter_id", &filter.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, list) = admin.page(&page).await;
    assert!(
        list.contains("Partner ABC – read/write")
            && list.contains("Partner ABC – API access")
            && list.contains("admin@example.com")
    );
    let key = list.split("<code>kw_api_").nth(1).unwrap()[..8].to_owned();
    assert!(list.contains("/docs/c/") && list.contains(&format!("?key=kw_api_{key}")), "the link icon");
    let token_id: i64 = list.split("id=\"api-token-").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    let res = admin.submit(&page, &format!("{page}/{token_id}/show"), &[]).await;
    let shown = crate::helpers::value_of(&res.text().await.unwrap(), &format!("api-value-{token_id}")).unwrap();
    assert!(shown.starts_with(&format!("kw_api_{key}")) && shown.len() == 49);
    assert!(app.audit_actions().contains(&"token.shown".to_owned()));
    let (status, confirm) = admin.page(&format!("{page}/{token_id}/revoke")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("cannot be undone"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_documentation_follows_the_structure_and_states_a_tokens_filter() {
    let (app, admin, admin_api, filter) = setup().await;
    let token = api_token(&admin_api, true, true, Some(filter)).await;
    let key = &token[..15];
    let public_id: String = {
        use diesel::prelude::*;
        keyward::schema::campaigns::table.select(keyward::schema::campaigns::public_id).first(&mut app.conn()).unwrap()
    };
    let anonymous = app.agent();
    let (status, page) = anonymous.page(&format!("/docs/c/{public_id}")).await;
    assert_eq!(status, StatusCode::OK, "no login");
    for expected in [
        "fields.email",
        "Email",
        "required",
        "select_field_values.select_partner",
        "SELECT_PARTNER",
        "VENDOR_NORTH",
        "<code>sold</code>",
        "insufficient_scope",
        "validation_failed",
        "curl",
        "POST /leads/{id}/files",
        "This campaign has no relations.",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
    assert!(!page.contains(&token[15..]), "no secret");

    let (_, with_key) = anonymous.page(&format!("/docs/c/{public_id}?key={key}")).await;
    assert!(
        with_key.contains("Your token") && with_key.contains("Partner ABC – API access") && with_key.contains("Write")
    );
    assert!(
        with_key.contains("&quot;select_partner&quot;: &quot;SELECT_PARTNER&quot;")
            || with_key.contains("\"select_partner\": \"SELECT_PARTNER\"")
            || with_key.contains("&#34;select_partner&#34;")
    );
    let (_, unknown) = anonymous.page(&format!("/docs/c/{public_id}?key=kw_api_Nope1234")).await;
    assert!(unknown.contains("not a token of this campaign"));
    assert_eq!(anonymous.get("/docs/c/doesnotexist").await.status(), StatusCode::NOT_FOUND);

    // The page follows the structure.
    admin_api
        .post("/api/v1/campaigns/spring/fields", json!({"slug": "budget", "label": "Budget", "type": "number"}))
        .await;
    let (_, page) = anonymous.page(&format!("/docs/c/{public_id}")).await;
    assert!(page.contains("fields.budget"));

    // The OpenAPI document is valid OpenAPI 3.1.
    for url in [format!("/docs/c/{public_id}/openapi.json"), format!("/docs/c/{public_id}/openapi.json?key={key}")] {
        let res = anonymous.get(&url).await;
        assert_eq!(res.status(), StatusCode::OK);
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/v1/campaigns/spring/leads"]["post"].is_object());
        assert!(doc["components"]["schemas"]["LeadCreate"]["properties"]["fields"]["properties"]["budget"].is_object());
        validate_openapi(&doc);
    }
    let _ = admin;
}

/// Checks a document with openapi-spec-validator (installed by .ci/prepare).
pub(crate) fn validate_openapi(doc: &Value) {
    let path = std::env::temp_dir().join(format!("kw-openapi-{}.json", keyward::tokens::random_base62(8)));
    std::fs::write(&path, serde_json::to_vec(doc).unwrap()).unwrap();
    let out = crate::helpers::output_within(
        std::process::Command::new(crate::helpers::python())
        .args([
            "-c",
            "import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')",
        ])
        .arg(&path),
        std::time::Duration::from_secs(60),
    );
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "invalid OpenAPI: {}", String::from_utf8_lossy(&out.stderr));
}
