//! Every console page at a phone's width (390 px) and a desktop's (1280
//! px): nothing scrolls sideways, and every row action is inside the
//! window (below 640 px tables become stacked cards). Screenshots of five
//! screens at both widths go to `docs/screens/` when `KEYWARD_SCREENS=1`.

use serde_json::json;

use crate::browser::{Browser, finish};
use crate::helpers::{ADMIN_EMAIL, TestApp};
use crate::leads::{api_token, seed};

/// What a page measures: the document's width, the window's, and the row
/// actions that end past the window's right edge.
const MEASURE: &str = r#"
const actions = [...document.querySelectorAll('td a.button, td button, td .switch, .actions a, .actions button, .card-actions a, .row-actions a, .row-actions button')]
  .filter(e => e.offsetParent !== null && !e.closest('dialog'));
const out = actions.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => (e.textContent || e.getAttribute('aria-label') || e.tagName).trim().slice(0, 40));
const wide = [...document.body.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('dialog') && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 0.5))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).replace(/ /g, '.') : '') + (e.name ? '[name=' + e.name + ']' : ''));
const clipped = window.innerWidth >= 1000
  ? [...document.querySelectorAll('.table-wrap')].filter(t => t.scrollWidth > t.clientWidth + 1)
      .map(t => (t.closest('section') || t).querySelector('h2, h3')?.textContent?.trim() || 'a table')
  : [];
return [document.documentElement.scrollWidth, window.innerWidth, out, wide, clipped];
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_console_page_scrolls_sideways_at_390_or_1280_px() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let filter = seed(&api).await;
    api_token(&api, true, true, Some(filter)).await;
    let lead = api
        .post("/api/v1/campaigns/spring/leads", json!({"fields": {"email": "a-very-long-address-of-someone@example-company.test", "name": "Ann"}, "select_field_values": {"select_partner": "SELECT_PARTNER"}}))
        .await;
    let lid = lead.body["id"].as_i64().unwrap();
    api.post(
        "/api/v1/settings/account-tokens/private",
        json!({"user": ADMIN_EMAIL, "description": "nightly export to the warehouse"}),
    )
    .await;
    api.post("/api/v1/settings/account-tokens/public", json!({})).await;
    api.put("/api/v1/settings/global-token", json!({"enabled": true})).await;
    let (key, _) = admin.create_personal_token("a long description of what this token is for").await;
    admin.generate_profile_token().await;
    app.user_with_role(&admin, "someone.with.a.long.name@example-company.test", "support").await;
    let (cid, sid, public_id) = {
        use diesel::prelude::*;
        use keyward::schema::{campaigns, sources};
        let mut conn = app.conn();
        let (cid, public_id): (i64, String) =
            campaigns::table.select((campaigns::id, campaigns::public_id)).first(&mut conn).unwrap();
        let sid: i64 = sources::table.select(sources::id).first(&mut conn).unwrap();
        (cid, sid, public_id)
    };
    let pages: Vec<String> = [
        "/".to_owned(),
        "/profile".into(),
        "/profile/tokens".into(),
        "/settings/tokens".into(),
        "/settings/account-tokens".into(),
        "/settings/token-policy".into(),
        "/settings/destinations".into(),
        "/campaigns".into(),
        format!("/campaigns/{cid}"),
        format!("/campaigns/{cid}/settings/tokens"),
        format!("/campaigns/{cid}/sources"),
        format!("/campaigns/{cid}/sources/{sid}"),
        format!("/campaigns/{cid}/sources/{sid}/tokens"),
        format!("/campaigns/{cid}/fields"),
        format!("/campaigns/{cid}/selects"),
        format!("/campaigns/{cid}/statuses"),
        format!("/campaigns/{cid}/relations"),
        format!("/campaigns/{cid}/filters"),
        format!("/campaigns/{cid}/api/tokens"),
        format!("/campaigns/{cid}/destinations"),
        format!("/campaigns/{cid}/imports"),
        format!("/campaigns/{cid}/leads"),
        format!("/campaigns/{cid}/leads/{lid}"),
        "/support/tokens".into(),
        "/users".into(),
        "/audit".into(),
        "/dev/outbox".into(),
        format!("/tokens/{key}"),
        format!("/docs/c/{public_id}"),
        "/docs/api".into(),
    ]
    .into();
    // The screens the README shows (`KEYWARD_SCREENS=1` writes them).
    let screens: Vec<(String, &str)> = vec![
        ("/".to_owned(), "dashboard"),
        ("/settings/tokens".to_owned(), "token-management"),
        (format!("/campaigns/{cid}/api/tokens"), "campaign-api-tokens"),
        ("/support/tokens".to_owned(), "support"),
        (format!("/tokens/{key}"), "token-usage"),
    ];
    let b = Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        b.sign_in(ADMIN_EMAIL).await?;
        let mut problems = Vec::new();
        for (w, h) in [(390, 844), (1280, 900)] {
            b.client.set_window_size(w, h).await?;
            for page in &pages {
                b.goto(page).await?;
                let v = b.client.execute(MEASURE, vec![]).await?;
                let (scroll, inner, out, wide, clipped): (f64, f64, Vec<String>, Vec<String>, Vec<String>) =
                    serde_json::from_value(v)?;
                if !clipped.is_empty() {
                    problems.push(format!("{w} px {page}: tables scroll sideways: {clipped:?}"));
                }
                if scroll > inner + 0.5 {
                    problems
                        .push(format!("{w} px {page}: the page is {scroll} px wide in a {inner} px window ({wide:?})"));
                }
                if !out.is_empty() {
                    problems.push(format!("{w} px {page}: row actions off-screen: {out:?}"));
                }
                if let Some(name) = screens.iter().find(|(p, _)| p == page).map(|(_, n)| n)
                    && std::env::var_os("KEYWARD_SCREENS").is_some()
                {
                    if w < 640 && matches!(*name, "token-management" | "campaign-api-tokens" | "support") {
                        // On a phone, show the rows as cards.
                        b.client.execute("document.querySelector('.table-wrap')?.scrollIntoView()", vec![]).await?;
                    }
                    let png = b.client.screenshot().await?;
                    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screens");
                    std::fs::create_dir_all(&dir)?;
                    std::fs::write(dir.join(format!("{name}-{w}.png")), png)?;
                }
            }
        }
        anyhow::ensure!(problems.is_empty(), "\n{}", problems.join("\n"));
        Ok(())
    }
    .await;
    finish(b, "layout_every_page", result).await;
}
