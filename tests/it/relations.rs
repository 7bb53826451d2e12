//! Relations (seed 001): named links from a campaign's leads to leads of a
//! target campaign, one or many, required or not; written and read by id
//! through the leads API and intake; ids that do not exist or that the
//! token's filter hides are refused; deleting a linked-to lead is refused
//! or unlinks, by the relation's option.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};
use crate::leads::{api_token, lead, seed};

fn links(app: &TestApp) -> i64 {
    keyward::schema::lead_links::table.count().get_result(&mut app.conn()).unwrap()
}

fn lead_count(app: &TestApp) -> i64 {
    keyward::schema::leads::table.count().get_result(&mut app.conn()).unwrap()
}

/// Campaign `accounts` (one lead), and `spring` (seed's) with relations
/// `account` (to one account, refuses deletes) and `referrers` (to many
/// spring leads, unlinks).
async fn world() -> (TestApp, Api, i64) {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    seed(&api).await;
    api.post("/api/v1/campaigns", json!({"name": "Accounts", "slug": "accounts"})).await;
    api.post("/api/v1/campaigns/accounts/fields", json!({"slug": "company", "label": "Company", "type": "text"})).await;
    let a = api
        .post(
            "/api/v1/campaigns/spring/relations",
            json!({"slug": "account", "label": "Account", "target_campaign": "accounts", "many": false}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(
        (a.body["target_campaign"].as_str(), a.body["on_delete"].as_str()),
        (Some("accounts"), Some("restrict"))
    );
    let r = api
        .post(
            "/api/v1/campaigns/spring/relations",
            json!({"slug": "referrers", "label": "Referred by", "target_campaign": "spring", "many": true, "on_delete": "unlink"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let acme = api.post("/api/v1/campaigns/accounts/leads", json!({"fields": {"company": "ACME"}})).await;
    (app, api, acme.body["id"].as_i64().unwrap())
}

fn with_relations(partner: &str, email: &str, relations: Value) -> Value {
    let mut l = lead(partner, email);
    l["relations"] = relations;
    l
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_link_to_leads_by_id_and_read_their_links_back() {
    let (app, api, acme) = world().await;
    let first = api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "first@example.com")).await;
    let first = first.body["id"].as_i64().unwrap();
    assert_eq!(
        api.get(&format!("/api/v1/campaigns/spring/leads/{first}")).await.body["relations"],
        json!({"account": null, "referrers": []}),
        "a lead of a campaign with relations shows them, empty"
    );

    let a = api
        .post(
            "/api/v1/campaigns/spring/leads",
            with_relations(
                "SELECT_PARTNER",
                "second@example.com",
                json!({"account": acme, "referrers": [first, first]}),
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(a.body["relations"], json!({"account": acme, "referrers": [first]}));
    let second = a.body["id"].as_i64().unwrap();
    let read = api.get(&format!("/api/v1/campaigns/spring/leads/{second}")).await;
    assert_eq!(read.body["relations"], json!({"account": acme, "referrers": [first]}));
    let listed = api.get("/api/v1/campaigns/spring/leads").await;
    let row = listed.body["items"].as_array().unwrap().iter().find(|l| l["id"] == second).unwrap().clone();
    assert_eq!(row["relations"]["account"], acme);

    // PATCH replaces one relation's links, leaves the others.
    let patched = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/spring/leads/{second}"),
            Some(&json!({"relations": {"referrers": []}})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(patched.body["relations"], json!({"account": acme, "referrers": []}));

    // Intake carries relations too.
    let source = api.get("/api/v1/campaigns/spring/schema").await;
    let web = source.body["sources"][0]["slug"].as_str().map(str::to_owned).unwrap_or_else(|| "web".to_owned());
    let form = Api::new(&app.base, None)
        .post(
            &format!("/api/v1/campaigns/spring/sources/{web}/form"),
            with_relations("SELECT_PARTNER", "f@example.com", json!({"account": acme})),
        )
        .await;
    assert_eq!(form.status, StatusCode::CREATED, "{:?}", form.body);
    assert_eq!(form.body["relations"]["account"], acme);

    // Export: NDJSON carries the object, CSV a column per relation.
    let private = api
        .post(
            "/api/v1/settings/account-tokens/private",
            json!({"user": crate::helpers::ADMIN_EMAIL, "description": "x"}),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let csv = crate::helpers::api()
        .get(app.url("/api/v1/export/leads?campaign=spring&format=csv"))
        .bearer_auth(&private)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.lines().next().unwrap().ends_with("relations.account,relations.referrers"), "{csv}");
    assert!(csv.contains(&format!(",{acme},")), "{csv}");
}

/// The public docs, the schema endpoint and the OpenAPI document list each
/// relation with its options, and the files endpoints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documentation_lists_relations_with_their_options_and_the_files_endpoints() {
    let (app, api, _) = world().await;
    let public_id: String = {
        use keyward::schema::campaigns::dsl::*;
        campaigns.filter(slug.eq("spring")).select(public_id).first(&mut app.conn()).unwrap()
    };
    let (status, page) = app.agent().page(&format!("/docs/c/{public_id}")).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "relations.account",
        "Accounts (<code>accounts</code>)",
        "one lead",
        "many leads",
        "refused while linked to (409)",
        "the link goes",
        "POST /leads/{id}/files",
        "application/pdf",
    ] {
        assert!(page.contains(expected), "{expected} missing from the docs page");
    }
    assert!(!page.contains("not part of this API"));

    let schema = api.get("/api/v1/campaigns/spring/schema").await;
    let mut relation = schema.body["relations"][0].clone();
    assert!(relation["id"].as_i64().is_some(), "{relation}");
    relation.as_object_mut().unwrap().remove("id");
    assert_eq!(
        relation,
        json!({"slug": "account", "label": "Account", "target_campaign": "accounts", "many": false, "required": false, "on_delete": "restrict"})
    );
    let doc = app.agent().get(&format!("/docs/c/{public_id}/openapi.json")).await.json::<Value>().await.unwrap();
    let create = &doc["components"]["schemas"]["LeadCreate"]["properties"]["relations"]["properties"];
    assert_eq!(create["account"]["x-keyward-relation"]["target_campaign"], "accounts");
    assert_eq!(create["referrers"]["type"], json!(["array", "null"]));
    assert_eq!(create["referrers"]["x-keyward-relation"]["on_delete"], "unlink");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/campaigns/spring/leads/{id}/files"));
    assert!(paths["/api/v1/campaigns/spring/leads/{id}/files/{file_id}"]["get"]["responses"]["206"].is_object());
    assert!(paths["/api/v1/campaigns/spring/leads/{id}"]["delete"]["responses"]["409"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_to_missing_or_hidden_leads_are_refused_and_nothing_is_stored() {
    let (app, api, acme) = world().await;
    let filter = {
        use keyward::schema::filters::dsl::*;
        filters.select(id).first::<i64>(&mut app.conn()).unwrap()
    };
    let outside = api.post("/api/v1/campaigns/spring/leads", lead("VENDOR_NORTH", "out@example.com")).await;
    let outside = outside.body["id"].as_i64().unwrap();
    let partner = Api::new(&app.base, Some(&api_token(&api, true, true, Some(filter)).await));
    let (before_leads, before_links) = (lead_count(&app), links(&app));

    for (relations, field, says) in [
        (json!({"account": 999_999}), "relations.account", "no lead 999999 in campaign `accounts`"),
        (json!({"referrers": [outside]}), "relations.referrers", "that this token may see"),
        (json!({"account": [acme]}), "relations.account", "must be one lead id"),
        (json!({"referrers": acme}), "relations.referrers", "must be a list of lead ids"),
        (json!({"referrers": [-1]}), "relations.referrers", "not a lead id"),
        (json!({"nope": 1}), "relations.nope", "unknown relation"),
    ] {
        let a = partner
            .post(
                "/api/v1/campaigns/spring/leads",
                with_relations("SELECT_PARTNER", "p@example.com", relations.clone()),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{relations}: {:?}", a.body);
        let message = a.body["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(message.contains(says), "{relations}: {message}");
    }
    // The admin sees every spring lead: the same link is fine for them.
    let ok = api
        .post(
            "/api/v1/campaigns/spring/leads",
            with_relations("SELECT_PARTNER", "a@example.com", json!({"referrers": [outside]})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    assert_eq!((lead_count(&app), links(&app)), (before_leads + 1, before_links + 1), "only the admin's lead");

    // A required relation.
    api.post(
        "/api/v1/campaigns/accounts/relations",
        json!({"slug": "owner", "label": "Owner", "target_campaign": "spring", "required": true}),
    )
    .await;
    let missing = api.post("/api/v1/campaigns/accounts/leads", json!({"fields": {"company": "Orphan"}})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body["error"]["fields"]["relations.owner"].as_str().unwrap().contains("required"));
    assert_eq!(lead_count(&app), before_leads + 1, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_linked_lead_is_refused_or_unlinks_by_the_relations_option() {
    let (_app, api, acme) = world().await;
    let referrer = api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "ref@example.com")).await;
    let referrer = referrer.body["id"].as_i64().unwrap();
    let linked = api
        .post(
            "/api/v1/campaigns/spring/leads",
            with_relations("SELECT_PARTNER", "l@example.com", json!({"account": acme, "referrers": [referrer]})),
        )
        .await;
    let linked = linked.body["id"].as_i64().unwrap();

    // `account` refuses: ACME stays, and says who links to it.
    let res = api.send(reqwest::Method::DELETE, &format!("/api/v1/campaigns/accounts/leads/{acme}"), None).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{:?}", res.body);
    let message = res.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("lead {linked}")) && message.contains("`account`"), "{message}");
    assert_eq!(api.get(&format!("/api/v1/campaigns/accounts/leads/{acme}")).await.status, StatusCode::OK);

    // `referrers` unlinks: the referrer goes, the link with it.
    let res = api.send(reqwest::Method::DELETE, &format!("/api/v1/campaigns/spring/leads/{referrer}"), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{:?}", res.body);
    let after = api.get(&format!("/api/v1/campaigns/spring/leads/{linked}")).await;
    assert_eq!(after.body["relations"], json!({"account": acme, "referrers": []}));

    // Once nothing links to ACME, it can go.
    api.send(
        reqwest::Method::PATCH,
        &format!("/api/v1/campaigns/spring/leads/{linked}"),
        Some(&json!({"relations": {"account": null}})),
    )
    .await;
    let res = api.send(reqwest::Method::DELETE, &format!("/api/v1/campaigns/accounts/leads/{acme}"), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&format!("/api/v1/campaigns/accounts/leads/{acme}")).await.status, StatusCode::NOT_FOUND);
}
