//! The docs' shell examples run as pasted. Every example on `/docs/api`
//! and on a campaign's docs page is taken from the page's HTML and run with
//! bash against the live server, after the page's own `export` line (with
//! a real token in place of its placeholder), and must answer a status the
//! page documents for it. curl's own settings (`CURL_HOME`) make it print
//! the status; the example's text is run unchanged.
//!
//! The examples name one world: campaign `spring` with source `web`, field
//! `email`, select `select_partner`, status `sold`, user 42, lead 42, token
//! `kw_pat_AbCd1234`, …; run in the page's order, each finds what the ones
//! before it made. Where an id is the database's to choose, the test points
//! the sequence at the documented id before the example that makes it; a
//! token's key and a ping's id are random, so the test puts the ones the
//! examples answered in place of the documented ones, as a reader puts in
//! theirs. Deletes run last, in reverse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Answer, TestApp};

/// One shell example of a page.
#[derive(Debug)]
struct Example {
    /// `POST /api/v1/users`, where the page names it.
    op: String,
    /// Who may run it, as the page says.
    who: String,
    /// The statuses it answers when it works.
    answers: Vec<u16>,
    shell: String,
}

fn unescape(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

/// The page's `export` lines (variable → the line) and its examples.
fn examples_of(html: &str) -> (BTreeMap<String, String>, Vec<Example>) {
    let mut exports = BTreeMap::new();
    let mut examples = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<pre class=\"code\"") {
        rest = &rest[i..];
        let tag_end = rest.find('>').expect("a closed tag");
        let tag = &rest[..tag_end];
        let body_end = rest.find("</pre>").expect("a closed pre");
        let text = unescape(&rest[tag_end + 1..body_end]);
        if let Some(var) = attribute(tag, "data-export") {
            exports.insert(var, text.clone());
        } else if let Some(answers) = attribute(tag, "data-answers") {
            let answers: Vec<u16> = answers.split_whitespace().map(|s| s.parse().expect("a status")).collect();
            assert!(!answers.is_empty(), "an example with no documented success: {text}");
            examples.push(Example {
                op: attribute(tag, "data-op").unwrap_or_default(),
                who: attribute(tag, "data-who").unwrap_or_default(),
                answers,
                shell: text,
            });
        } else {
            assert!(!text.trim_start().starts_with("curl"), "a curl example the page does not mark: {text}");
        }
        rest = &rest[body_end..];
    }
    (exports, examples)
}

/// A working directory with the files the examples send, and a curl
/// configuration that prints each answer's status on a last line.
fn workdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kw-examples-{}", keyward::tokens::random_base62(8)));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".curlrc"), "silent\nshow-error\nmax-time = 30\nwrite-out = \"\\n%{http_code}\\n\"\n")
        .unwrap();
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    std::fs::write(dir.join("contract.pdf"), pdf).unwrap();
    std::fs::write(dir.join("leads.csv"), "email,select_partner\nbea@example.com,PARTNER_ABC\n").unwrap();
    dir
}

/// What an example answered: its status, its body as JSON (when it is),
/// and the whole run for a failure's message.
struct Ran {
    status: u16,
    body: serde_json::Value,
    transcript: String,
}

/// Runs the export line (with `token` for its placeholder) and the example
/// with bash.
async fn run(dir: &Path, export: &str, token: &str, example: &Example) -> Ran {
    let open = export.find('"').unwrap_or_else(|| panic!("an export line with a quoted placeholder: {export}"));
    let close = open + 1 + export[open + 1..].find('"').expect("a closing quote");
    let export = format!("{}\"{token}\"{}", &export[..open], &export[close + 1..]);
    let script = format!("{export}\n{}\n", example.shell);
    let child = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .env("CURL_HOME", dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("bash");
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("an example finishes within a minute")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = stdout.trim_end().rsplit_once('\n').unwrap_or(("", stdout.trim()));
    Ran {
        status: status.trim().parse().unwrap_or(0),
        body: serde_json::from_str(body).unwrap_or_default(),
        transcript: format!("{script}\n--- answered:\n{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    }
}

/// The example as its reader runs it: with the keys of their tokens in
/// place of the documented ones.
fn yours(example: &Example, mine: &[(&str, String)]) -> Example {
    let mut shell = example.shell.clone();
    for (documented, real) in mine {
        shell = shell.replace(documented, real);
    }
    Example { shell, op: example.op.clone(), who: example.who.clone(), answers: example.answers.clone() }
}

fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement).execute(&mut app.conn()).unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// Points a sequence so that the next row it numbers is 42.
fn next_is_42(app: &TestApp, sequence: &str) {
    sql(app, &format!("SELECT setval('{sequence}', 41)"));
}

fn created(a: Answer) -> serde_json::Value {
    assert!(a.status == StatusCode::CREATED || a.status == StatusCode::OK, "{:?} {}", a.status, a.body);
    a.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shell_example_of_the_docs_runs_as_pasted() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let api = app.admin_api(&admin).await;
    let token = admin.generate_profile_token().await;
    // What the examples take as given: the campaign a relation points to,
    // the analyst an account private token is for, and the tokens of the
    // kinds some endpoints take.
    created(api.post("/api/v1/campaigns", json!({"name": "Accounts", "slug": "accounts"})).await);
    app.user_with_role(&admin, "analyst@example.com", "admin").await;
    let public = created(api.post("/api/v1/settings/account-tokens/public", json!({})).await)["token"]
        .as_str()
        .expect("a public token")
        .to_owned();
    let private = created(
        api.post(
            "/api/v1/settings/account-tokens/private",
            json!({"description": "examples", "user": "analyst@example.com"}),
        )
        .await,
    )["token"]
        .as_str()
        .expect("a private token")
        .to_owned();
    let reporter = created(api.post("/api/v1/settings/reporters", json!({"description": "examples"})).await)["token"]
        .as_str()
        .expect("a reporter token")
        .to_owned();
    // The tokens the examples need, kept as the examples answer them (an
    // example that regenerates one answers the new value).
    let mut tokens: BTreeMap<&str, String> =
        BTreeMap::from([("kw_pub_", public), ("kw_prv_", private), ("kw_rep_", reporter)]);
    // The token an example takes: the kind its "Who" names, else the super
    // admin's. Intake takes the token of the level that decides it: the
    // examples before it turn on the global, the campaign's and the
    // source's form token.
    let token_for = |tokens: &BTreeMap<&str, String>, example: &Example| -> String {
        let level = |kinds: &[&str]| kinds.iter().find_map(|k| tokens.get(k).cloned());
        if example.op.ends_with("/sources/{s}/form") {
            return level(&["form", "campaign", "global"]).unwrap_or_default();
        }
        if example.op.ends_with("/sources/{s}/ping") || example.op.ends_with("/sources/{s}/post") {
            return level(&["campaign", "global"]).unwrap_or_default();
        }
        ["kw_pub_", "kw_prv_", "kw_rep_"]
            .iter()
            .find(|k| example.who.contains(*k))
            .and_then(|k| tokens.get(k).cloned())
            .unwrap_or_else(|| token.clone())
    };
    // Documented key or id → the one the example that made it answered.
    let mut mine: Vec<(&str, String)> = Vec::new();
    let dir = workdir();
    let mut broken = Vec::new();
    let mut ran = 0;

    let (_, html) = app.agent().page("/docs/api").await;
    let (exports, examples) = examples_of(&html);
    let export = exports.get("KEYWARD_TOKEN").expect("/docs/api's export line");
    assert!(examples.len() >= 90, "{} examples on /docs/api", examples.len());
    let (deletes, others): (Vec<&Example>, Vec<&Example>) = examples.iter().partition(|e| e.op.starts_with("DELETE "));
    let mut check = |example: &Example, ran_: &Ran| {
        ran += 1;
        if !example.answers.contains(&ran_.status) {
            broken.push(format!(
                "{} answered {}, documented {:?}:\n{}",
                example.op, ran_.status, example.answers, ran_.transcript
            ));
        }
    };
    for example in others {
        match example.op.as_str() {
            "POST /api/v1/users" => next_is_42(&app, "users_id_seq"),
            "POST /api/v1/campaigns/{c}/filters" => next_is_42(&app, "filters_id_seq"),
            "POST /api/v1/campaigns/{c}/sources/{s}/form" => next_is_42(&app, "leads_id_seq"),
            "POST /api/v1/campaigns/{c}/leads/{id}/files" => next_is_42(&app, "lead_files_id_seq"),
            "POST /api/v1/import/leads" => next_is_42(&app, "imports_id_seq"),
            "POST /api/v1/campaigns/{c}/destinations" => next_is_42(&app, "destinations_id_seq"),
            "POST /api/v1/destinations/{id}/test" => next_is_42(&app, "webhook_events_id_seq"),
            "POST /api/v1/campaigns/{c}/api-tokens" => next_is_42(&app, "tokens_id_seq"),
            _ => {}
        }
        let answer = run(&dir, export, &token_for(&tokens, example), &yours(example, &mine)).await;
        check(example, &answer);
        let made = answer.body["token"].as_str().map(str::to_owned);
        // A token's key and a ping's id are random: the examples after
        // this one name the one it made by the documented value, which a
        // reader replaces with theirs.
        let key = || answer.body["key"].as_str().map(str::to_owned).expect("the key of the token made");
        match example.op.as_str() {
            "POST /api/v1/me/tokens" => mine.push(("kw_pat_AbCd1234", key())),
            "POST /api/v1/api-users/{id}/tokens" => mine.push(("kw_pat_WxYz3456", key())),
            "POST /api/v1/campaigns/{c}/api-tokens" => mine.push(("kw_api_QrSt9012", key())),
            "POST /api/v1/settings/account-tokens/private" => mine.push(("kw_prv_EfGh5678", key())),
            "POST /api/v1/settings/account-tokens/private/{key}/reset" => mine.push(("kw_prv_IjKl9012", key())),
            "POST /api/v1/campaigns/{c}/sources/{s}/ping" => mine.push((
                keyward::services::docs::api_doc::EXAMPLE_PING_ID,
                answer.body["ping_id"].as_str().expect("a ping id").to_owned(),
            )),
            "POST /api/v1/settings/account-tokens/public" => {
                tokens.insert("kw_pub_", made.expect("the public token made"));
            }
            "PUT /api/v1/settings/global-token" | "POST /api/v1/settings/global-token/regenerate" => {
                tokens.insert("global", made.expect("the global token"));
            }
            "PUT /api/v1/campaigns/{c}/token" | "POST /api/v1/campaigns/{c}/token/regenerate" => {
                tokens.insert("campaign", made.expect("the campaign token"));
            }
            "PUT /api/v1/campaigns/{c}/sources/{s}/tokens/{m}"
            | "POST /api/v1/campaigns/{c}/sources/{s}/tokens/{m}/regenerate" => {
                tokens.insert("form", made.expect("the source's form token"));
            }
            _ => {}
        }
    }

    // A campaign's page, as its partner reads it: their campaign API token,
    // and the token of the level that decides the source's intake.
    let public_id: String = {
        use keyward::schema::campaigns::dsl::*;
        campaigns.filter(slug.eq("spring")).select(public_id).first(&mut app.conn()).unwrap()
    };
    let partner = created(
        api.post("/api/v1/campaigns/spring/api-tokens", json!({"name": "Partner", "read": true, "write": true})).await,
    )["token"]
        .as_str()
        .expect("a campaign API token")
        .to_owned();
    let intake =
        created(api.put("/api/v1/campaigns/spring/sources/web/tokens/form", json!({"enabled": true})).await)["token"]
            .as_str()
            .expect("the source's form token")
            .to_owned();
    let (_, html) = app.agent().page(&format!("/docs/c/{public_id}")).await;
    let (exports, campaign_examples) = examples_of(&html);
    assert!(campaign_examples.len() >= 5, "{campaign_examples:?}");
    for example in &campaign_examples {
        let (var, value) = if example.shell.contains("$KEYWARD_INTAKE_TOKEN") {
            ("KEYWARD_INTAKE_TOKEN", &intake)
        } else {
            ("KEYWARD_TOKEN", &partner)
        };
        let export = exports.get(var).unwrap_or_else(|| panic!("the campaign page's export line for {var}"));
        check(example, &run(&dir, export, value, example).await);
    }

    for example in deletes.into_iter().rev() {
        check(example, &run(&dir, export, &token_for(&tokens, example), &yours(example, &mine)).await);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(broken.is_empty(), "{} of {ran} examples broken:\n\n{}", broken.len(), broken.join("\n\n"));
    eprintln!("{ran} examples ran as pasted");
}
