//! Seeds a database for `bench/run.py`: campaigns with structure, a token
//! for each intake level (source, campaign, global), API, private and
//! personal tokens, 100,000 tokens of mixed kinds and
//! 1,000,000 leads. Writes the secrets the load generator needs into the
//! directory given as the first argument. Uses the settings of the
//! environment (DATABASE_URL, KEYWARD_MASTER_KEY), like the server.

use std::io::Write as _;

use diesel::prelude::*;
use keyward::clock::Clock;
use keyward::config::{Settings, Source};
use keyward::domain::{Actor, IntakeMethod, Level};
use keyward::models::{NewTokenRow, User};
use keyward::services::campaigns::catalog::{Campaign, Filter};
use keyward::services::{
    NewToken, Services, campaigns, campaigns::filters, campaigns::structure, credentials::account_tokens,
    credentials::api_tokens, credentials::levels, credentials::personal_tokens,
};
use keyward::tokens::{TokenKind, format};
use secrecy::ExposeSecret as _;

const MIXED: usize = 100_000;
const LEADS: i64 = 1_000_000;

/// A campaign with a source `web`, the fields and select the load scripts
/// send, and a filter on the select.
async fn campaign(
    state: &Services,
    actor: &Actor,
    name: &str,
    slug: &str,
) -> anyhow::Result<(Campaign, keyward::services::campaigns::catalog::Source, Filter)> {
    let actor = actor.clone();
    let c = campaigns::create_campaign(
        state,
        actor.clone(),
        campaigns::NewCampaign { name: name.into(), slug: Some(slug.into()), description: String::new() },
    )
    .await
    .map_err(err)?;
    let s = campaigns::create_source(
        state,
        actor.clone(),
        c.id,
        campaigns::NewSource { name: "Web".into(), kind: "CS".into(), slug: Some("web".into()) },
    )
    .await
    .map_err(err)?;
    for (slug, label, field_type, required) in [("email", "Email", "email", true), ("name", "Name", "text", false)] {
        let field =
            structure::NewField { slug: slug.into(), label: label.into(), field_type: field_type.into(), required };
        structure::create_field(state, actor.clone(), c.id, field).await.map_err(err)?;
    }
    let options = ["SELECT_PARTNER", "VENDOR_NORTH"]
        .iter()
        .map(|o| structure::NewOption { slug: (*o).into(), label: (*o).into() })
        .collect();
    structure::create_select(
        state,
        actor.clone(),
        c.id,
        structure::NewSelect { slug: "select_partner".into(), label: "Partner".into(), options },
    )
    .await
    .map_err(err)?;
    let filter = filters::create(
        state,
        actor.clone(),
        c.id,
        filters::FilterInput {
            name: "Partner".into(),
            conditions: vec![filters::ConditionInput {
                select: "select_partner".into(),
                option: "SELECT_PARTNER".into(),
            }],
        },
    )
    .await
    .map_err(err)?;
    Ok((c, s, filter))
}

fn err(e: keyward::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

fn write(dir: &std::path::Path, name: &str, lines: &[String]) -> anyhow::Result<()> {
    let mut f = std::fs::File::create(dir.join(name))?;
    for l in lines {
        writeln!(f, "{l}")?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "bench/results/seed".into()));
    std::fs::create_dir_all(&out)?;
    let settings = Settings::load(&Source::from_process()?)?;
    // Bulk rows go in through a connection of the seeder's own; everything
    // else through the services, as the console would.
    let url = settings.database_url.as_ref().map(|u| u.expose_secret().to_owned()).unwrap_or_default();
    let mut direct = PgConnection::establish(&url)?;
    let state = keyward::startup::connect(settings, Clock::system()).await?;
    let admin = User::by_email(&mut direct, "root@bench.local")?
        .ok_or_else(|| anyhow::anyhow!("run `keyward admin create --email root@bench.local` first"))?;
    let actor = Actor::user(admin.id, &admin.email, admin.role, None);

    let (c, s, filter) = campaign(&state, &actor, "Bench", "bench").await?;

    let form = Level::Source { campaign_id: c.id, source_id: s.id, method: IntakeMethod::Form };
    levels::set_enabled(&state, actor.clone(), form, true).await.map_err(err)?;
    let (_, form_token) = levels::show(&state, actor.clone(), form).await.map_err(err)?;
    let api = api_tokens::create(
        &state,
        actor.clone(),
        c.id,
        api_tokens::NewApiToken {
            name: "bench".into(),
            access: api_tokens::ApiTokenAccess { read: true, write: true, filter_id: Some(filter.id) },
        },
    )
    .await
    .map_err(err)?;
    let private = account_tokens::create_private(&state, actor.clone(), &admin.email, "bench").await.map_err(err)?;
    let personal = personal_tokens::create(&state, actor.clone(), admin.id, "bench", None).await.map_err(err)?;
    let secret = |i: &NewToken| i.secret.expose_secret().to_owned();
    let (by_campaign, _, _) = campaign(&state, &actor, "Bench campaign level", "bench-campaign").await?;
    let level = Level::Campaign(by_campaign.id);
    levels::set_enabled(&state, actor.clone(), level, true).await.map_err(err)?;
    let (_, campaign_token) = levels::show(&state, actor.clone(), level).await.map_err(err)?;
    campaign(&state, &actor, "Bench global level", "bench-global").await?;
    levels::set_enabled(&state, actor.clone(), Level::Global, true).await.map_err(err)?;
    let (_, global_token) = levels::show(&state, actor.clone(), Level::Global).await.map_err(err)?;
    write(&out, "form.txt", &[form_token.expose_secret().to_owned()])?;
    write(&out, "campaign.txt", &[campaign_token.expose_secret().to_owned()])?;
    write(&out, "global.txt", &[global_token.expose_secret().to_owned()])?;
    write(&out, "api.txt", &[secret(&api)])?;
    write(&out, "private.txt", &[secret(&private)])?;
    write(&out, "personal.txt", &[secret(&personal)])?;
    write(
        &out,
        "personal_digest.txt",
        &[state.keys.token_digest(&secret(&personal)).iter().map(|b| format!("{b:02x}")).collect()],
    )?;
    write(&out, "ids.txt", &[format!("{} {}", c.id, s.id)])?;

    // 100,000 tokens of mixed kinds, written in batches; their secrets are
    // kept for the cache-size run (a few personal ones for the revocation run).
    let now = state.now();
    let mut all_secrets = Vec::new();
    let mut revocable = Vec::new();
    let mut batch = Vec::new();
    for i in 0..MIXED {
        let kind = [TokenKind::Personal, TokenKind::CampaignApi, TokenKind::AccountPrivate][i % 3];
        let new = format::generate(kind);
        let digest = state.keys.token_digest(new.secret.expose_secret());
        let sealed = kind.retrievable().then(|| state.keys.seal(&new.key, &new.secret));
        if kind == TokenKind::Personal && revocable.len() < 120 {
            revocable.push(new.secret.expose_secret().to_owned());
        } else {
            all_secrets.push(new.secret.expose_secret().to_owned());
        }
        batch.push((kind, new.key, digest.to_vec(), sealed));
        if batch.len() == 5000 || i + 1 == MIXED {
            let rows: Vec<NewTokenRow<'_>> = batch
                .iter()
                .map(|(kind, key, digest, sealed)| NewTokenRow {
                    kind: *kind,
                    key,
                    digest,
                    sealed: sealed.as_deref(),
                    name: "seeded",
                    user_id: (*kind != TokenKind::CampaignApi).then_some(admin.id),
                    campaign_id: (*kind == TokenKind::CampaignApi).then_some(c.id),
                    source_id: None,
                    can_read: true,
                    can_write: false,
                    filter_id: None,
                    created_by: Some(admin.id),
                    created_at: now,
                    expires_at: None,
                    destination_id: None,
                    allowed_ips: &[],
                    rate_per_second: None,
                    rate_per_minute: None,
                })
                .collect();
            diesel::insert_into(keyward::schema::tokens::table).values(&rows).execute(&mut direct)?;
            batch.clear();
        }
    }
    write(&out, "all_tokens.txt", &all_secrets)?;
    write(&out, "revocable.txt", &revocable)?;

    // Made-up tokens (well-formed, unknown) and broken checksums.
    let made_up: Vec<String> =
        (0..10_000).map(|_| format::generate(TokenKind::Personal).secret.expose_secret().to_owned()).collect();
    let broken: Vec<String> = made_up
        .iter()
        .take(1000)
        .map(|t| format!("{}{}", &t[..t.len() - 1], if t.ends_with('a') { 'b' } else { 'a' }))
        .collect();
    write(&out, "unknown.txt", &made_up)?;
    write(&out, "broken.txt", &broken)?;

    // 1,000,000 leads, half inside the API token's filter.
    let conn = &mut direct;
    diesel::sql_query("SET statement_timeout = 0").execute(conn)?;
    diesel::sql_query(format!(
        "INSERT INTO leads (campaign_id, source_id, status, fields, selects, created_at, updated_at) \
         SELECT {cid}, {sid}, 'new', jsonb_build_object('email', 'lead' || g || '@example.com', 'name', 'Lead ' || g), \
                jsonb_build_object('select_partner', CASE WHEN g % 2 = 0 THEN 'SELECT_PARTNER' ELSE 'VENDOR_NORTH' END), \
                now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval \
         FROM generate_series(1, {LEADS}) g",
        cid = c.id,
        sid = s.id
    ))
    .execute(conn)?;
    diesel::sql_query("ANALYZE").execute(conn)?;
    println!("seeded: campaign {} source {}, {MIXED} tokens, {LEADS} leads", c.id, s.id);
    Ok(())
}
