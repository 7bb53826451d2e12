//! The campaign screens and the Token Management screens, by form posts.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Agent, TestApp, location, value_of};

async fn campaign_id(admin: &Agent, name: &str) -> i64 {
    let res = admin.submit("/campaigns", "/campaigns", &[("name", name)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "create {name}");
    location(&res).trim_start_matches("/campaigns/").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_are_created_edited_and_archived_in_the_console() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let res = admin.submit("/campaigns", "/campaigns", &[("name", "  "), ("slug", "Bad Slug")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("This is required.") && body.contains("not a valid slug") && body.contains("value=\"Bad Slug\"")
    );

    let id = campaign_id(&admin, "Spring Sale").await;
    let (_, page) = admin.page(&format!("/campaigns/{id}")).await;
    assert!(page.contains("Spring Sale") && page.contains("spring-sale"));
    let res = admin
        .submit(
            &format!("/campaigns/{id}"),
            &format!("/campaigns/{id}"),
            &[("name", "Spring Sale 2027"), ("description", "for partners")],
        )
        .await;
    assert_eq!(location(&res), format!("/campaigns/{id}"));
    let res = admin.submit("/campaigns", "/campaigns", &[("name", "Other"), ("slug", "spring-sale")]).await;
    assert!(res.text().await.unwrap().contains("already used"));

    let (_, list) = admin.page("/campaigns").await;
    assert!(list.contains("Spring Sale 2027"));
    admin
        .submit(
            &format!("/campaigns/{id}"),
            &format!("/campaigns/{id}/archive"),
            &[("value", "on"), ("confirmed", "yes")],
        )
        .await;
    let (_, list) = admin.page("/campaigns").await;
    assert!(list.contains("Archived"));
    let actions = app.audit_actions();
    assert!(actions.contains(&"campaign.created".into()) && actions.contains(&"campaign.archived".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_structure_pages_add_and_remove_fields_selects_options_and_statuses() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let id = campaign_id(&admin, "Structured").await;
    let fields = format!("/campaigns/{id}/fields");
    let res = admin.submit(&fields, &fields, &[("slug", "9lives"), ("label", "Lives"), ("type", "number")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("start with a letter"));
    let res = admin
        .submit(&fields, &fields, &[("slug", "email"), ("label", "Email"), ("type", "email"), ("required", "on")])
        .await;
    assert_eq!(location(&res), fields);
    let (_, page) = admin.page(&fields).await;
    assert!(page.contains("<code>email</code>") && page.contains("checked"));

    let selects = format!("/campaigns/{id}/selects");
    let res = admin
        .submit(
            &selects,
            &selects,
            &[
                ("slug", "select_partner"),
                ("label", "Partner"),
                ("options", "SELECT_PARTNER | Partner ABC\nVENDOR_NORTH"),
            ],
        )
        .await;
    assert_eq!(location(&res), selects);
    let (_, page) = admin.page(&selects).await;
    assert!(page.contains("SELECT_PARTNER") && page.contains("Partner ABC") && page.contains("VENDOR_NORTH"));
    let select_id: i64 = page.split("id=\"select-").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    let res = admin
        .submit(
            &selects,
            &format!("{selects}/{select_id}/options"),
            &[("option_slug", "bad slug"), ("option_label", "x")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("not a valid slug") && body.contains("value=\"bad slug\""), "typed value kept");
    admin
        .submit(
            &selects,
            &format!("{selects}/{select_id}/options"),
            &[("option_slug", "EXTERNAL"), ("option_label", "External booking provider")],
        )
        .await;
    let (_, page) = admin.page(&selects).await;
    assert!(page.contains("External booking provider"));

    let statuses = format!("/campaigns/{id}/statuses");
    let (_, page) = admin.page(&statuses).await;
    assert!(page.contains("<code>new</code>") && page.contains("Default"), "a new campaign has a default status");
    admin.submit(&statuses, &statuses, &[("slug", "sold"), ("label", "Sold"), ("default", "on")]).await;
    let (_, page) = admin.page(&statuses).await;
    let new_id: i64 = page.split("/statuses/").nth(1).unwrap().split('/').next().unwrap().parse().unwrap();
    // Deleting has a confirmation page without JS.
    let (status, confirm) = admin.page(&format!("{statuses}/{new_id}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("cannot be undone"));
    let res = admin.submit(&statuses, &format!("{statuses}/{new_id}/delete"), &[]).await;
    assert_eq!(location(&res), statuses);

    // The structure is what intake validates against, at once.
    let api = crate::helpers::Api::new(&app.base, None);
    let src = app.admin_api(&admin).await;
    src.post(&format!("/api/v1/campaigns/{id}/sources"), json!({"name": "Web", "kind": "CS"})).await;
    let a = api
        .post(
            &format!("/api/v1/campaigns/{id}/sources/web/form"),
            json!({"fields": {}, "select_field_values": {"select_partner": "EXTERNAL"}}),
        )
        .await;
    assert_eq!(a.body["error"]["fields"]["fields.email"], "is required");
    let a = api
        .post(
            &format!("/api/v1/campaigns/{id}/sources/web/form"),
            json!({"fields": {"email": "a@b.co"}, "select_field_values": {"select_partner": "EXTERNAL"}}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.body["status"], "sold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_management_follows_roles() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let id = campaign_id(&admin, "Roles").await;
    let boss = app.user_with_role(&admin, "boss@example.com", "admin").await;
    let support = app.user_with_role(&admin, "help@example.com", "support").await;
    assert_eq!(
        boss.get("/settings/tokens").await.status(),
        StatusCode::FORBIDDEN,
        "admins do not manage the global token"
    );
    let res = boss.submit("/campaigns", "/settings/tokens/global/enabled", &[("value", "on")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(boss.get(&format!("/campaigns/{id}/settings/tokens")).await.status(), StatusCode::OK);
    for path in ["/campaigns".to_owned(), format!("/campaigns/{id}/settings/tokens")] {
        assert_eq!(support.get(&path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let res = support.submit("/profile", &format!("/campaigns/{id}/settings/tokens/show"), &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "support cannot reveal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_is_audit_logged_and_regenerate_has_a_confirmation_and_replaces_the_token() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let id = campaign_id(&admin, "Levels").await;
    let page = format!("/campaigns/{id}/settings/tokens");
    let res = admin.submit(&page, &format!("{page}/enabled"), &[("value", "on")]).await;
    assert_eq!(location(&res), page);
    let (_, body) = admin.page(&page).await;
    assert!(body.contains("aria-checked=\"true\"") && body.contains("kw_cmp_") && body.contains("••••"));
    let masked = value_of(&body, "value-campaign").unwrap();
    assert!(masked.ends_with("••••"), "masked: {masked}");

    // Show without JS: the page comes back with the value.
    let res = admin.submit(&page, &format!("{page}/show"), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = value_of(&res.text().await.unwrap(), "value-campaign").unwrap();
    assert!(token.starts_with("kw_cmp_") && token.len() == 49);
    // Show with JS asks for JSON.
    let csrf = admin.csrf(&page).await;
    let json: serde_json::Value = admin
        .client
        .post(admin.url(&format!("{page}/show")))
        .header("accept", "application/json")
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["token"], token.as_str());
    let shown: Vec<(String, String)> = {
        use diesel::prelude::*;
        use keyward::schema::audit_events::dsl::*;
        audit_events.filter(action.eq("token.shown")).select((actor, target)).load(&mut app.conn()).unwrap()
    };
    assert_eq!(shown.len(), 2);
    assert!(shown.iter().all(|(who, what)| who == crate::helpers::ADMIN_EMAIL && token.starts_with(what.as_str())));

    // Regenerate: a confirmation page without JS, then a new token shown once.
    let (status, confirm) = admin.page(&format!("{page}/regenerate")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("stops working"));
    let res = admin.submit(&page, &format!("{page}/regenerate"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST, then 303 to the page that shows it once");
    let (_, body) = admin.page(&page).await;
    let new = value_of(&body, "value-campaign").unwrap();
    assert_ne!(new, token);
    assert!(body.contains("old one stopped working"));
    // A refresh shows no secret, and regenerates nothing.
    let (_, again) = admin.page(&page).await;
    assert!(!again.contains(&new[15..]) && again.contains(&new[..15]), "shown once");
    let intake = crate::helpers::Api::new(&app.base, Some(&token));
    let src = app.admin_api(&admin).await;
    src.post(&format!("/api/v1/campaigns/{id}/sources"), json!({"name": "Web", "kind": "CS"})).await;
    let a = intake.post(&format!("/api/v1/campaigns/{id}/sources/web/form"), json!({})).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.body["error"]["code"], "token_revoked");
    let a = intake.with(Some(&new)).post(&format!("/api/v1/campaigns/{id}/sources/web/form"), json!({})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.level.as_deref(), Some("campaign"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organisation_token_list_filters_by_kind_campaign_and_status_and_pages() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    api.post("/api/v1/campaigns", json!({"name": "A"})).await;
    api.post("/api/v1/campaigns", json!({"name": "B"})).await;
    api.put("/api/v1/campaigns/a/token", json!({"enabled": true})).await;
    api.put("/api/v1/campaigns/b/token", json!({"enabled": true})).await;
    api.post("/api/v1/campaigns/b/token/regenerate", json!({})).await;
    for i in 0..55 {
        admin.create_personal_token(&format!("t{i}")).await;
    }
    let (_, page) = admin.page("/settings/tokens?kind=campaign").await;
    assert_eq!(page.matches("<code>kw_cmp_").count(), 3, "two live and one revoked campaign token");
    assert!(!page.contains("kw_pat_"));
    let (_, page) = admin.page("/settings/tokens?kind=campaign&status=revoked").await;
    assert_eq!(page.matches("<code>kw_cmp_").count(), 1);
    assert!(page.contains("regenerated"));
    let b: i64 = {
        use diesel::prelude::*;
        keyward::schema::campaigns::table
            .filter(keyward::schema::campaigns::slug.eq("b"))
            .select(keyward::schema::campaigns::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let (_, page) = admin.page(&format!("/settings/tokens?campaign={b}&status=active")).await;
    assert_eq!(page.matches("<code>kw_cmp_").count(), 1);

    let (_, first) = admin.page("/settings/tokens?kind=personal").await;
    let older: String =
        first.split("before=").nth(1).expect("an Older link").chars().take_while(char::is_ascii_digit).collect();

    let (_, second) = admin.page(&format!("/settings/tokens?kind=personal&before={older}")).await;
    let keys = |p: &str| p.matches("<code>kw_pat_").count();
    assert_eq!(keys(&first), 50);
    assert_eq!(keys(&second), 6, "56 personal tokens in all (55 + the API's)");
    assert!(!first.contains("kw_pat_") || !second.contains(&first[first.find("<code>kw_pat_").unwrap()..][..22]));
}
