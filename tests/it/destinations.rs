//! Destinations (seed 002, issue 15): events delivered signed to a real
//! HTTP receiver on loopback; retried while it is down and delivered once
//! it is back; delivered once across two instances; a regenerated secret
//! overlapping the old one; the URL rules, at save time and at delivery
//! time; a destination failing for three days paused and its owner mailed.

use std::time::Duration;

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Api, Options, TestApp};
use crate::leads::{lead, seed};
use crate::receiver::{Received, Receiver};

const WAIT: Duration = Duration::from_secs(20);

fn fast() -> Vec<(String, String)> {
    vec![("KEYWARD_WEBHOOK_RETRY_MS".into(), "100".into()), ("KEYWARD_WEBHOOK_POLL_MS".into(), "50".into())]
}

/// A campaign, and the super admin's rules allowing this machine: the
/// tests' receivers listen on loopback.
async fn world(options: Options) -> (TestApp, Api) {
    let app = TestApp::spawn_with(options).await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    seed(&api).await;
    let rules = json!({"allow_private": false, "allow_http": false, "allow_loopback": true});
    let a = api.put("/api/v1/settings/destination-rules", rules.clone()).await;
    assert_eq!((a.status, &a.body), (StatusCode::OK, &rules));
    (app, api)
}

async fn destination(api: &Api, url: &str, events: &[&str], filter: Option<i64>) -> (i64, String) {
    let a = api
        .post(
            "/api/v1/campaigns/spring/destinations",
            json!({"name": "CRM", "url": url, "events": events, "filter_id": filter}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    let secret = a.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("kw_whk_") && a.body["key"].as_str().unwrap().starts_with("kw_whk_"));
    (a.body["id"].as_i64().unwrap(), secret)
}

/// The error of the latest try of a destination's latest delivery, if any.
async fn last_error(api: &Api, id: i64) -> Option<String> {
    let log = api.get(&format!("/api/v1/destinations/{id}/deliveries")).await;
    log.body["items"][0]["tries"]
        .as_array()
        .and_then(|t| t.last().cloned())
        .and_then(|t| t["error"].as_str().map(str::to_owned))
}

fn source_slug(app: &TestApp) -> String {
    use keyward::schema::sources::dsl::*;
    sources.select(slug).first(&mut app.conn()).unwrap()
}

fn verifies(r: &Received, secret: &str, now: i64) -> bool {
    keyward::webhook::verify(r.header("keyward-signature"), secret, &r.body, now, 300)
}

/// The super admin (user 1) acting directly through the services.
fn root() -> keyward::domain::Actor {
    keyward::domain::Actor::user(1, crate::helpers::ADMIN_EMAIL, keyward::domain::Role::SuperAdmin, None)
}

fn pending(app: &TestApp) -> i64 {
    use keyward::schema::webhook_events::dsl::*;
    webhook_events.filter(state.eq("pending")).count().get_result(&mut app.conn()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_from_intake_arrives_signed_and_later_changes_follow_in_order() {
    let (app, api) = world(Options { env: fast(), ..Default::default() }).await;
    let receiver = Receiver::start().await;
    let events = ["lead.created", "lead.updated", "lead.status_changed", "token.created"];
    let (id, secret) = destination(&api, &receiver.url(), &events, None).await;

    let form = Api::new(&app.base, None)
        .post(
            &format!("/api/v1/campaigns/spring/sources/{}/form", source_slug(&app)),
            lead("SELECT_PARTNER", "ada@example.com"),
        )
        .await;
    assert_eq!(form.status, StatusCode::CREATED, "{:?}", form.body);
    let got = receiver.wait_for(1, WAIT).await;
    let first = &got[0];
    assert_eq!(first.path, "/hook");
    assert_eq!(first.header("keyward-event"), "lead.created");
    assert_eq!(first.header("content-type"), "application/json");
    assert!(first.header("keyward-delivery").starts_with("evt_"));
    assert!(verifies(first, &secret, app.clock.now().unix_timestamp()), "the signature verifies with the secret shown");
    assert!(!verifies(first, "kw_whk_someone_else", app.clock.now().unix_timestamp()));
    let body = first.json();
    assert_eq!((body["type"].as_str(), body["campaign"].as_str()), (Some("lead.created"), Some("spring")));
    assert_eq!(body["data"]["fields"]["email"], "ada@example.com");
    assert_eq!(body["id"], first.header("keyward-delivery"));

    // A status change: lead.updated, then lead.status_changed, in order.
    let lead_id = form.body["id"].as_i64().unwrap();
    let patched = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/campaigns/spring/leads/{lead_id}"),
            Some(&json!({"status": "sold"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    let got = receiver.wait_for(3, WAIT).await;
    assert_eq!(
        (got[1].header("keyward-event"), got[2].header("keyward-event")),
        ("lead.updated", "lead.status_changed")
    );
    assert_eq!(got[2].json()["data"]["previous_status"], "new");

    // A campaign token created: its metadata, never the token.
    let t = api.post("/api/v1/campaigns/spring/api-tokens", json!({"name": "partner", "read": true})).await;
    let got = receiver.wait_for(4, WAIT).await;
    assert_eq!(got[3].header("keyward-event"), "token.created");
    assert_eq!(got[3].json()["data"]["key"], t.body["key"]);
    assert!(!String::from_utf8_lossy(&got[3].body).contains(t.body["token"].as_str().unwrap()), "no secret");

    let log = api.get(&format!("/api/v1/destinations/{id}/deliveries")).await;
    assert_eq!(log.status, StatusCode::OK);
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|i| i["state"] == "delivered" && i["tries"][0]["status_code"] == 200), "{items:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_destination_gets_only_the_leads_inside_its_filter() {
    let (app, api) = world(Options { env: fast(), ..Default::default() }).await;
    let filter = {
        use keyward::schema::filters::dsl::*;
        filters.select(id).first::<i64>(&mut app.conn()).unwrap()
    };
    let receiver = Receiver::start().await;
    destination(&api, &receiver.url(), &["lead.created"], Some(filter)).await;
    api.post("/api/v1/campaigns/spring/leads", lead("VENDOR_NORTH", "out@example.com")).await;
    api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "in@example.com")).await;
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(got[0].json()["data"]["fields"]["email"], "in@example.com");
    // The delivery is recorded just after the receiver answers it.
    assert!(crate::helpers::eventually(WAIT, || async { pending(&app) == 0 }).await, "nothing left pending");
    assert_eq!(receiver.received().len(), 1, "the lead outside the filter made no event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_receiver_down_events_are_retried_and_all_arrive_once_it_is_back() {
    let (app, api) = world(Options { env: fast(), ..Default::default() }).await;
    let port = Receiver::free_port().await;
    let (id, _) = destination(&api, &format!("http://127.0.0.1:{port}/hook"), &["lead.created"], None).await;
    for i in 0..5 {
        api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", &format!("l{i}@example.com"))).await;
    }
    // Nothing listens: attempts fail and are scheduled again.
    let failed = crate::helpers::eventually(WAIT, || async {
        let log = api.get(&format!("/api/v1/destinations/{id}/deliveries")).await;
        log.body["items"].as_array().is_some_and(|i| i.iter().any(|e| e["attempts"].as_i64() >= Some(2)))
    })
    .await;
    assert!(failed, "failed attempts are retried");
    assert_eq!(pending(&app), 5);

    let receiver = Receiver::start_on(port).await;
    let got = receiver.wait_for(5, WAIT).await;
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("keyward-delivery")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "each event arrives");
    let drained = crate::helpers::eventually(WAIT, || async { pending(&app) == 0 }).await;
    assert!(drained, "none is left pending");
    let emails: Vec<String> =
        got.iter().map(|r| r.json()["data"]["fields"]["email"].as_str().unwrap().to_owned()).collect();
    assert_eq!(emails.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_each_event_once() {
    let (a, api) = world(Options { env: fast(), ..Default::default() }).await;
    let b = TestApp::spawn_with(Options { attach: Some(a.attachment()), env: fast(), ..Default::default() }).await;
    let receiver = Receiver::start().await;
    destination(&api, &receiver.url(), &["lead.created"], None).await;
    let (on_a, on_b) = (Api::new(&a.base, None), Api::new(&b.base, None));
    let source = source_slug(&a);
    for i in 0..40 {
        let app = if i % 2 == 0 { &on_a } else { &on_b };
        let r = app
            .post(
                &format!("/api/v1/campaigns/spring/sources/{source}/form"),
                lead("SELECT_PARTNER", &format!("x{i}@example.com")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    receiver.wait_for(40, WAIT).await;
    let drained = crate::helpers::eventually(WAIT, || async { pending(&a) == 0 }).await;
    assert!(drained);
    let got = receiver.received();
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("keyward-delivery")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((got.len(), ids.len()), (40, 40), "40 events, each delivered once");
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regenerated_secret_signs_beside_the_old_one_until_the_overlap_ends() {
    let (app, api) = world(Options { env: fast(), ..Default::default() }).await;
    let receiver = Receiver::start().await;
    let (id, old) = destination(&api, &receiver.url(), &["lead.created"], None).await;
    let old_key = &old[..15];
    let r = api.post(&format!("/api/v1/tokens/{old_key}/regenerate"), json!({"grace_seconds": 3600})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let new = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(r.body["old_key"], old_key);
    assert!(r.body["old_valid_until"].is_string());

    api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "during@example.com")).await;
    let got = receiver.wait_for(1, WAIT).await;
    let now = app.clock.now().unix_timestamp();
    assert_eq!(got[0].header("keyward-signature").matches("v1=").count(), 2, "two signatures during the overlap");
    assert!(verifies(&got[0], &new, now) && verifies(&got[0], &old, now));

    // After the overlap: the old secret no longer signs.
    app.clock.advance(time::Duration::hours(2));
    keyward::jobs::sweeper::sweep_once(&app.state).await.unwrap();
    api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "after@example.com")).await;
    let got = receiver.wait_for(2, WAIT).await;
    let now = app.clock.now().unix_timestamp();
    assert_eq!(got[1].header("keyward-signature").matches("v1=").count(), 1);
    assert!(verifies(&got[1], &new, now) && !verifies(&got[1], &old, now));
    let _ = id;

    // Without an overlap the old one stops at once; more than 7 days is refused.
    let r = api.post(&format!("/api/v1/tokens/{}/regenerate", &new[..15]), json!({"grace_seconds": 604_801})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_destinations_are_refused_and_nothing_is_saved() {
    let (app, api) = world(Options::default()).await;
    let count = || -> (i64, i64) {
        let d: i64 = keyward::schema::destinations::table.count().get_result(&mut app.conn()).unwrap();
        let t: i64 = {
            use keyward::schema::tokens::dsl::*;
            tokens.filter(kind.eq("destination")).count().get_result(&mut app.conn()).unwrap()
        };
        (d, t)
    };
    let own = app.url("/hook");
    for (url, events, field, says) in [
        ("not a url", vec!["lead.created"], "url", "is not a URL"),
        ("http://hooks.example.com/in", vec!["lead.created"], "url", "must be https://"),
        ("https://169.254.169.254/latest/meta-data", vec!["lead.created"], "url", "link-local"),
        ("https://metadata.google.internal/", vec!["lead.created"], "url", "metadata"),
        ("https://10.1.2.3/hook", vec!["lead.created"], "url", "private"),
        (own.as_str(), vec!["lead.created"], "url", "Keyward itself"),
        ("https://hooks.example.com/in", vec!["lead.exploded"], "events", "`lead.exploded` is not an event"),
        ("https://hooks.example.com/in", vec![], "events", "at least one"),
    ] {
        let a =
            api.post("/api/v1/campaigns/spring/destinations", json!({"name": "x", "url": url, "events": events})).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {:?}", a.body);
        let message = a.body["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(message.contains(says), "{url}: {message}");
    }
    assert_eq!(count(), (0, 0), "nothing saved");
}

/// This machine is the super admin's to allow: with the rules off, a
/// destination on loopback is refused however it is spelt, and one saved
/// while it was allowed is refused at delivery, with no connection made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_machine_is_refused_unless_the_rules_allow_it() {
    let (app, api) = world(Options { env: fast(), ..Default::default() }).await;
    let receiver = Receiver::start().await;
    let (id, _) = destination(&api, &receiver.url(), &["lead.created"], None).await;
    let off = json!({"allow_private": true, "allow_http": true, "allow_loopback": false});
    let a = api.put("/api/v1/settings/destination-rules", off).await;
    assert_eq!(a.status, StatusCode::OK);
    let saved = || -> i64 { keyward::schema::destinations::table.count().get_result(&mut app.conn()).unwrap() };
    let port = receiver.url().split(':').nth(2).and_then(|p| p.split('/').next()).unwrap().to_owned();
    for host in
        ["127.0.0.1", "localhost", "localhost.", "[::1]", "2130706433", "0x7f.0.0.1", "127.1", "[::ffff:127.0.0.1]"]
    {
        let url = format!("http://{host}:{port}/hook");
        let a = api
            .post("/api/v1/campaigns/spring/destinations", json!({"name": "x", "url": url, "events": ["lead.created"]}))
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {:?}", a.body);
        assert!(
            a.body["error"]["fields"]["url"].as_str().unwrap_or_default().contains("this machine"),
            "{url}: {:?}",
            a.body
        );
    }
    assert_eq!(saved(), 1, "nothing more saved");
    api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "a@example.com")).await;
    let error = || last_error(&api, id);
    assert!(crate::helpers::eventually(WAIT, || async { error().await.is_some() }).await, "the delivery was tried");
    assert!(error().await.unwrap().contains("this machine"), "{:?}", error().await);
    assert!(receiver.received().is_empty(), "no connection reached the receiver");
}

/// Rules are checked again at delivery time: a destination saved while
/// private addresses were allowed is refused once they are not, without a
/// connection; a redirect is not followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_checks_the_rules_again_and_does_not_follow_redirects() {
    let (app, api) = world(Options { env: fast(), ..Default::default() }).await;
    keyward::services::delivery::destinations::set_rules(
        &app.state,
        root(),
        keyward::domain::DestinationRules { allow_private: true, allow_http: true, allow_loopback: true },
    )
    .await
    .unwrap();
    let (private_id, _) = destination(&api, "http://10.255.255.1:9/hook", &["lead.created"], None).await;
    keyward::services::delivery::destinations::set_rules(
        &app.state,
        root(),
        keyward::domain::DestinationRules { allow_loopback: true, ..Default::default() },
    )
    .await
    .unwrap();
    let receiver = Receiver::start().await;
    receiver.answer_with(302);
    let (redirect_id, _) = destination(&api, &receiver.url(), &["lead.created"], None).await;
    api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "a@example.com")).await;

    let first_error = |id: i64| last_error(&api, id);
    let refused = crate::helpers::eventually(WAIT, || async { first_error(private_id).await.is_some() }).await;
    assert!(refused);
    let why = first_error(private_id).await.unwrap();
    assert!(why.contains("private"), "{why}");
    let redirected = crate::helpers::eventually(WAIT, || async { first_error(redirect_id).await.is_some() }).await;
    assert!(redirected);
    assert!(first_error(redirect_id).await.unwrap().contains("redirects are not followed"));
    assert_eq!(receiver.received().iter().filter(|r| r.path == "/elsewhere").count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_failing_for_three_days_is_paused_and_its_owner_mailed() {
    let (app, api) = world(Options { env: fast(), ..Default::default() }).await;
    let receiver = Receiver::start().await;
    receiver.answer_with(500);
    let (id, _) = destination(&api, &receiver.url(), &["lead.created"], None).await;
    api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "a@example.com")).await;
    // The first failure is recorded: the failing streak has begun.
    let failing = crate::helpers::eventually(WAIT, || async {
        use keyward::schema::destinations::dsl::*;
        destinations.select(failing_since).first::<Option<time::OffsetDateTime>>(&mut app.conn()).unwrap().is_some()
    })
    .await;
    assert!(failing);
    // Three days of failures later, the next failure pauses it.
    app.clock.advance(time::Duration::days(3) + time::Duration::minutes(1));
    let mail = app.smtp.wait_for(crate::helpers::ADMIN_EMAIL, "was paused").await;
    assert!(mail.text.contains("CRM") && mail.text.contains(&receiver.url()), "{}", mail.text);
    let paused = api.get(&format!("/api/v1/destinations/{id}/deliveries")).await;
    assert_eq!(paused.status, StatusCode::OK);
    assert!(app.audit_actions().contains(&"destination.paused".to_owned()));

    // Paused: nothing is sent; events queue; resumed, they arrive.
    let before = receiver.received().len();
    api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "b@example.com")).await;
    receiver.answer_with(200);
    keyward::services::delivery::destinations::set_active(&app.state, root(), id, true).await.unwrap();
    let got = receiver.wait_for(before + 2, WAIT).await;
    let emails: Vec<Value> = got[before..].iter().map(|r| r.json()["data"]["fields"]["email"].clone()).collect();
    assert!(emails.contains(&json!("a@example.com")) && emails.contains(&json!("b@example.com")), "{emails:?}");
}

/// The Python the public docs show verifies a real delivery, and refuses a
/// tampered one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_python_verifies_a_real_delivery() {
    let (app, api) = world(Options { env: fast(), ..Default::default() }).await;
    let receiver = Receiver::start().await;
    let (_, secret) = destination(&api, &receiver.url(), &["lead.created"], None).await;
    api.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "py@example.com")).await;
    let got = receiver.wait_for(1, WAIT).await;
    let (_, page) = app
        .agent()
        .page(&format!("/docs/c/{}", {
            use keyward::schema::campaigns::dsl::*;
            campaigns.filter(slug.eq("spring")).select(public_id).first::<String>(&mut app.conn()).unwrap()
        }))
        .await;
    assert!(page.contains("Keyward-Signature") && page.contains("5 minutes"), "the docs explain it");

    let dir = std::env::temp_dir().join(format!("kw-verify-{}", keyward::tokens::random_base62(6)));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("body"), &got[0].body).unwrap();
    std::fs::write(dir.join("tampered"), [&got[0].body[..], b" "].concat()).unwrap();
    let script = format!(
        "{}\nimport sys\nbody = open(sys.argv[2], 'rb').read()\nprint('valid' if verify(sys.argv[1], body, sys.argv[3]) else 'invalid')\n",
        keyward::services::docs::WEBHOOK_VERIFY_PY
    );
    std::fs::write(dir.join("verify.py"), script).unwrap();
    let run = |body: &str| {
        let out = crate::helpers::output_within(
            std::process::Command::new(crate::helpers::python())
                .arg(dir.join("verify.py"))
                .arg(got[0].header("keyward-signature"))
                .arg(dir.join(body))
                .arg(&secret),
            std::time::Duration::from_secs(60),
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(run("body"), "valid");
    assert_eq!(run("tampered"), "invalid");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The console: create a destination, see its secret once, send a test
/// event and read it in the delivery log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_is_made_and_tested_in_the_browser() {
    let (app, _api) = world(Options { env: fast(), ..Default::default() }).await;
    let receiver = Receiver::start().await;
    let campaign_id = {
        use keyward::schema::campaigns::dsl::*;
        campaigns.filter(slug.eq("spring")).select(id).first::<i64>(&mut app.conn()).unwrap()
    };
    let b = crate::browser::Browser::start(&app.base).await.expect("start headless Chromium");
    let result = async {
        b.sign_in(crate::helpers::ADMIN_EMAIL).await?;
        b.goto(&format!("/campaigns/{campaign_id}/destinations")).await?;
        b.fill("input[name=name]", "Sales CRM").await?;
        b.fill("input[name=url]", &receiver.url()).await?;
        b.click("input[name=events][value='lead.created']").await?;
        b.click_and_load("form[action$='/destinations'] button[type=submit]").await?;
        let secret = b.find("#created-secret").await?.prop("value").await?.unwrap_or_default();
        anyhow::ensure!(secret.starts_with("kw_whk_"), "the secret is shown: {secret}");
        b.look("destination-created").await?;
        let did: i64 = {
            use keyward::schema::destinations::dsl::*;
            destinations.select(id).first(&mut app.conn())?
        };
        let page = format!("/campaigns/{campaign_id}/destinations/{did}");

        b.click_and_load("form[action$='/test'] button[type=submit]").await?;
        anyhow::ensure!(b.find("#created-secret").await.is_err(), "the secret is not shown again");
        let got = receiver.wait_for(1, WAIT).await;
        anyhow::ensure!(got[0].header("keyward-event") == "test");
        anyhow::ensure!(keyward::webhook::verify(
            got[0].header("keyward-signature"),
            &secret,
            &got[0].body,
            app.clock.now().unix_timestamp(),
            300
        ));
        let mut log = String::new();
        for _ in 0..100 {
            b.goto(&page).await?;
            log = b.text("#deliveries").await?;
            if log.contains("200") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::ensure!(log.contains("test") && log.contains("200"), "the delivery log shows it: {log}");
        b.look("destination-log").await?;
        Ok(())
    }
    .await;
    crate::browser::finish(b, "destination_console", result).await;
}
