//! Browser flow of seed 001's remaining parts: a relation made in the
//! console, a lead's page with its relations and files, and the campaign's
//! lead file types.

use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{Browser, finish};
use crate::helpers::{ADMIN_EMAIL, TestApp, api};
use crate::leads::{lead, seed};

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relations_files_and_file_types_in_the_console() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let rest = app.admin_api(&admin).await;
    seed(&rest).await;
    rest.post("/api/v1/campaigns", json!({"name": "Accounts", "slug": "accounts"})).await;
    rest.post("/api/v1/campaigns/accounts/fields", json!({"slug": "company", "label": "Company", "type": "text"}))
        .await;
    let acme = rest.post("/api/v1/campaigns/accounts/leads", json!({"fields": {"company": "ACME"}})).await;
    let acme = acme.body["id"].as_i64().unwrap();
    let campaign_id = {
        use diesel::prelude::*;
        use keyward::schema::campaigns::dsl::*;
        campaigns.filter(slug.eq("spring")).select(id).first::<i64>(&mut app.conn()).unwrap()
    };
    let token = rest.token.clone().unwrap();

    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        b.sign_in(ADMIN_EMAIL).await?;

        // A relation, made on the campaign's Relations tab.
        b.goto(&format!("/campaigns/{campaign_id}/relations")).await?;
        b.fill("input[name=slug]", "account").await?;
        b.fill("input[name=label]", "Account").await?;
        b.find("select[name=target_campaign] option[value=accounts]").await?.click().await?;
        b.click_and_load("form[action$='/relations'] button[type=submit]").await?;
        anyhow::ensure!(b.body_text().await?.contains("Relation account to Accounts added"));
        anyhow::ensure!(b.text("#relation-account").await?.contains("one lead"));
        b.look("relations").await?;

        // A lead linked to ACME, with a file.
        let mut body = lead("SELECT_PARTNER", "linked@example.com");
        body["relations"] = json!({"account": acme});
        let created = rest.post("/api/v1/campaigns/spring/leads", body).await;
        anyhow::ensure!(created.status == StatusCode::CREATED, "{:?}", created.body);
        let lead_id = created.body["id"].as_i64().unwrap();
        let up = api()
            .post(app.url(&format!("/api/v1/campaigns/spring/leads/{lead_id}/files?name=contract.pdf")))
            .bearer_auth(&token)
            .header("content-type", "application/pdf")
            .body(PDF.to_vec())
            .send()
            .await?;
        anyhow::ensure!(up.status() == StatusCode::CREATED, "upload: {}", up.status());

        b.goto(&format!("/campaigns/{campaign_id}/leads")).await?;
        b.click_and_load(&format!("#lead-{lead_id} a")).await?;
        anyhow::ensure!(b.body_text().await?.contains("linked@example.com"));
        anyhow::ensure!(b.text("#relations").await?.contains(&format!("#{acme}")), "the relation links to ACME");
        let files = b.text("#files").await?;
        anyhow::ensure!(files.contains("contract.pdf") && files.contains("application/pdf"), "{files}");
        b.look("lead-page").await?;
        let href = b.find("#files a").await?.attr("href").await?.unwrap_or_default();
        let download = admin.get(&href).await;
        anyhow::ensure!(download.status() == StatusCode::OK, "download: {}", download.status());
        anyhow::ensure!(download.bytes().await?.as_ref() == PDF, "the same bytes come down");
        b.click_and_load(&format!("#relations a[href$='/leads/{acme}']")).await?;
        anyhow::ensure!(b.body_text().await?.contains("ACME"), "the linked lead's page");

        // PDFs no longer accepted: the upload is refused.
        b.goto(&format!("/campaigns/{campaign_id}")).await?;
        b.click("#file-types input[value='application/pdf']").await?;
        b.click_and_load("#file-types button[type=submit]").await?;
        anyhow::ensure!(b.body_text().await?.contains("Lead file types saved"));
        let refused = api()
            .post(app.url(&format!("/api/v1/campaigns/spring/leads/{lead_id}/files?name=again.pdf")))
            .bearer_auth(&token)
            .header("content-type", "application/pdf")
            .body(PDF.to_vec())
            .send()
            .await?;
        anyhow::ensure!(refused.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", refused.status());
        Ok(())
    }
    .await;
    finish(b, "relations_files_console", result).await;
}

/// The imports list: who imported, when, the counts, and the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_imports_list_shows_who_when_counts_and_the_report() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let rest = app.admin_api(&admin).await;
    seed(&rest).await;
    let private = rest
        .post("/api/v1/settings/account-tokens/private", json!({"user": ADMIN_EMAIL, "description": "nightly import"}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = api()
        .post(app.url("/api/v1/import/leads?campaign=spring&format=csv&mode=partial"))
        .bearer_auth(&private)
        .header("content-type", "text/csv")
        .body("email,name\nada@example.com,Ada\nnot-an-email,Bob\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let import: serde_json::Value = res.json().await.unwrap();
    let campaign_id = {
        use diesel::prelude::*;
        use keyward::schema::campaigns::dsl::*;
        campaigns.filter(slug.eq("spring")).select(id).first::<i64>(&mut app.conn()).unwrap()
    };

    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        b.sign_in(ADMIN_EMAIL).await?;
        b.goto(&format!("/campaigns/{campaign_id}")).await?;
        b.click_and_load("nav.tabs a[href$='/imports']").await?;
        let row = b.text(&format!("#import-{}", import["id"])).await?;
        for expected in [ADMIN_EMAIL, &private[..15], "csv, partial", "Done", "Report (CSV)"] {
            anyhow::ensure!(row.contains(expected), "{expected} missing from: {row}");
        }
        b.look("imports").await?;
        let href = b.find(&format!("#import-{} a", import["id"])).await?.attr("href").await?.unwrap_or_default();
        let report = admin.get(&href).await.text().await?;
        anyhow::ensure!(report.contains("2,fields.email,`not-an-email` is not a valid email address"), "{report}");
        Ok(())
    }
    .await;
    finish(b, "imports_list", result).await;
}
