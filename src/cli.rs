//! The command line: `serve` (the default), `migrate`, `admin create`,
//! `token issue|list|revoke|regenerate`, `user list|create`, `sweep`. Every command that needs the database starts the
//! embedded cluster when `DATABASE_URL` is unset, and stops it at the end.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret as _, SecretString};

use crate::clock::Clock;
use crate::config::{Settings, Source};
use crate::db::embedded::EmbeddedPostgres;
use crate::startup::{self, Application};

#[derive(Parser, Debug)]
#[command(name = "keyward", version, about = "Self-hosted API-token manager")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the console and the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage console users from the shell.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Issue, list, regenerate and revoke tokens from the shell.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// List and invite console users from the shell.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Expire and delete due tokens, end stale sessions, and exit.
    Sweep,
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Issue a token and print it once (automation, break-glass).
    Issue {
        /// Email of the user the token acts as (personal tokens).
        #[arg(long, required_if_eq("kind", "personal"))]
        user: Option<String>,
        #[arg(long, value_enum)]
        kind: IssueKind,
        #[arg(long)]
        description: String,
    },
    /// List tokens (metadata only, newest first).
    List {
        /// A kind: global, campaign, source_form, personal, account_private...
        #[arg(long)]
        kind: Option<String>,
        /// Part of the owner's email.
        #[arg(long)]
        owner: Option<String>,
        /// active, deactivated, expired or revoked.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its key, with a reason its owner is told.
    Revoke {
        key: String,
        #[arg(long)]
        reason: String,
    },
    /// Regenerate a token by its key and print the new one once; the old
    /// one keeps working for the grace period (0, the default: it stops now).
    Regenerate {
        /// The token key, e.g. kw_pat_AbCd1234.
        key: String,
        /// How long the old token keeps working: seconds, or 90m, 1h, 1d, 7d (at most 7 days).
        #[arg(long, default_value = "0", value_parser = parse_grace)]
        grace: time::Duration,
    },
}

/// `90`, `90s`, `30m`, `1h`, `7d`.
fn parse_grace(text: &str) -> Result<time::Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: i64 = number.parse().map_err(|_| format!("`{text}` is not a duration such as 3600, 90m, 1h or 7d"))?;
    match unit {
        "" | "s" => Ok(time::Duration::seconds(n)),
        "m" => Ok(time::Duration::minutes(n)),
        "h" => Ok(time::Duration::hours(n)),
        "d" => Ok(time::Duration::days(n)),
        _ => Err(format!("`{text}` is not a duration such as 3600, 90m, 1h or 7d")),
    }
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// List console users and API users.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Invite a user (the invitation is mailed by the running server).
    Create {
        #[arg(long)]
        email: String,
        /// super_admin, admin, support or member.
        #[arg(long, default_value = "member")]
        role: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum IssueKind {
    Personal,
    /// A leak reporter's token, for `POST /api/v1/tokens/leaked`.
    Reporter,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Create a super admin (the first one, or another as break-glass).
    Create {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Source::from_process().and_then(|s| Settings::load(&s)) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("keyward: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("keyward: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keyward: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Points `settings` at the embedded cluster if no `DATABASE_URL` is set.
fn database(settings: &mut Settings) -> anyhow::Result<Option<EmbeddedPostgres>> {
    if settings.database_url.is_some() {
        return Ok(None);
    }
    let pg = EmbeddedPostgres::start(&settings.data_dir)?;
    settings.database_url = Some(SecretString::from(pg.database_url()));
    Ok(Some(pg))
}

async fn run(command: Command, mut settings: Settings) -> anyhow::Result<()> {
    // Listen for SIGINT/SIGTERM before anything starts, so that a signal
    // during start-up still stops the embedded cluster on the way out.
    let mut signals = Signals::new()?;
    // Dropped last: the embedded cluster stops after everything else.
    let _embedded = database(&mut settings)?;
    let result = command_result(command, settings, &mut signals).await;
    // No connection is still being opened when the cluster stops and the
    // process exits.
    if !crate::db::quiesce(std::time::Duration::from_secs(5)) {
        tracing::warn!("a database connection was still being opened at exit");
    }
    result
}

async fn command_result(command: Command, settings: Settings, signals: &mut Signals) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(settings, signals).await,
        Command::Migrate => interruptible(signals, migrate(settings)).await,
        Command::Admin { command: AdminCommand::Create { email, .. } } => {
            let password = read_password()?;
            interruptible(signals, admin_create(settings, email, password)).await
        }
        Command::Token { command: TokenCommand::Issue { user, kind, description } } => {
            interruptible(signals, issue_token(settings, kind, user, description)).await
        }
        Command::Token { command: TokenCommand::Regenerate { key, grace } } => {
            interruptible(signals, regenerate_token(settings, key, grace)).await
        }
        Command::Token { command: TokenCommand::List { kind, owner, status, limit, json } } => {
            interruptible(signals, list_tokens(settings, kind, owner, status, limit, json)).await
        }
        Command::Token { command: TokenCommand::Revoke { key, reason } } => {
            interruptible(signals, revoke_token(settings, key, reason)).await
        }
        Command::User { command: UserCommand::List { json } } => {
            interruptible(signals, list_users(settings, json)).await
        }
        Command::User { command: UserCommand::Create { email, role, json } } => {
            interruptible(signals, create_user(settings, email, role, json)).await
        }
        Command::Sweep => interruptible(signals, sweep(settings)).await,
    }
}

/// Runs `work` unless a signal comes first.
async fn interruptible(signals: &mut Signals, work: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::select! {
        result = work => result,
        () = signals.recv() => {
            tracing::info!("interrupted");
            Ok(())
        }
    }
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    startup::connect(settings, Clock::system()).await?;
    println!("Migrations are up to date.");
    Ok(())
}

async fn admin_create(settings: Settings, email: String, password: SecretString) -> anyhow::Result<()> {
    let state = startup::connect(settings, Clock::system()).await?;
    let user = crate::services::accounts::create_super_admin(&state, &email, password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Created super admin {} (id {}).", user.email, user.id);
    Ok(())
}

async fn issue_token(
    settings: Settings,
    kind: IssueKind,
    email: Option<String>,
    description: String,
) -> anyhow::Result<()> {
    let state = startup::connect(settings, Clock::system()).await?;
    let new = match (kind, email) {
        (IssueKind::Personal, Some(email)) => {
            crate::services::credentials::personal_tokens::issue_from_cli(&state, &email, &description).await
        }
        (IssueKind::Personal, None) => anyhow::bail!("a personal token needs --user EMAIL"),
        (IssueKind::Reporter, _) => {
            crate::services::credentials::leaks::create_reporter(
                &state,
                crate::domain::Actor::command_line(),
                &description,
            )
            .await
        }
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The token goes to stdout alone, so that scripts can capture it; the
    // note goes to stderr.
    eprintln!(
        "{} token {}{}; it is shown once, store it now:",
        new.token.kind.label(),
        new.token.display_key(),
        new.token.user_id.map(|_| " for its user").unwrap_or_default()
    );
    println!("{}", new.secret.expose_secret());
    Ok(())
}

async fn regenerate_token(settings: Settings, key: String, grace: time::Duration) -> anyhow::Result<()> {
    let state = startup::connect(settings, Clock::system()).await?;
    let r = crate::services::credentials::token_manage::regenerate(
        &state,
        crate::domain::Actor::command_line(),
        &key,
        grace,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let old = match r.old_valid_until {
        Some(until) => format!("{} keeps working until {}", r.old_key, crate::clock::rfc3339(until)),
        None => format!("{} stopped working now", r.old_key),
    };
    eprintln!("{} replaces it ({old}); the new token is shown once, store it now:", r.new.token.display_key());
    println!("{}", r.new.secret.expose_secret());
    Ok(())
}

fn failed(e: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn list_tokens(
    settings: Settings,
    kind: Option<String>,
    owner: Option<String>,
    status: Option<String>,
    limit: i64,
    json: bool,
) -> anyhow::Result<()> {
    use crate::domain::{TokenKind, TokenStatus};
    let kind = kind.map(|k| k.parse::<TokenKind>()).transpose().map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
    let status = status
        .map(|s| {
            TokenStatus::parse(&s)
                .ok_or_else(|| anyhow::anyhow!("--status: one of active, deactivated, expired, revoked"))
        })
        .transpose()?;
    anyhow::ensure!((1..=10_000).contains(&limit), "--limit: from 1 to 10000");
    let state = startup::connect(settings, Clock::system()).await?;
    let search = crate::services::TokenSearch { kind, owner, status, limit, ..Default::default() };
    let rows =
        crate::services::credentials::support::search_details(&state, &crate::domain::Actor::command_line(), search)
            .await
            .map_err(failed)?;
    let now = state.now();
    let mut out = std::io::stdout().lock();
    if !json {
        writeln!(out, "{:<16} {:<16} {:<12} {:<28} NAME", "KEY", "KIND", "STATUS", "OWNER")?;
    }
    for detail in &rows {
        let r = &detail.listing;
        let t = &r.token;
        if json {
            // One token per line, in the view the tokens API answers.
            writeln!(out, "{}", serde_json::to_string(&crate::api::tokens::views::TokenView::new(detail, now))?)?;
        } else {
            let owner = r.owner_email.as_deref().or(r.campaign_slug.as_deref()).unwrap_or("");
            writeln!(
                out,
                "{:<16} {:<16} {:<12} {:<28} {}",
                t.display_key(),
                t.kind.as_str(),
                t.status(now).as_str(),
                owner,
                t.name
            )?;
        }
    }
    Ok(())
}

async fn revoke_token(settings: Settings, key: String, reason: String) -> anyhow::Result<()> {
    let state = startup::connect(settings, Clock::system()).await?;
    let actor = crate::domain::Actor::command_line();
    let token = crate::services::credentials::support::by_key(&state, &actor, key).await.map_err(failed)?;
    let token =
        crate::services::credentials::support::revoke(&state, actor, token.id, &reason).await.map_err(failed)?;
    println!("{} revoked; its owner is told why.", token.display_key());
    Ok(())
}

async fn list_users(settings: Settings, json: bool) -> anyhow::Result<()> {
    let state = startup::connect(settings, Clock::system()).await?;
    let users = crate::services::users::list(&state, &crate::domain::Actor::command_line()).await.map_err(failed)?;
    let mut out = std::io::stdout().lock();
    if !json {
        writeln!(out, "{:<6} {:<36} {:<12} STATUS", "ID", "EMAIL", "ROLE")?;
    }
    for u in &users {
        let status = u.status();
        if json {
            writeln!(out, "{}", serde_json::to_string(&crate::api::users::views::UserView::from(u))?)?;
        } else {
            writeln!(out, "{:<6} {:<36} {:<12} {}", u.id, u.email, u.role.as_str(), status)?;
        }
    }
    Ok(())
}

async fn create_user(settings: Settings, email: String, role: String, json: bool) -> anyhow::Result<()> {
    let role = role.parse::<crate::domain::Role>().map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    let state = startup::connect(settings, Clock::system()).await?;
    let user = crate::services::users::invite(&state, crate::domain::Actor::command_line(), &email, role)
        .await
        .map_err(failed)?;
    if json {
        println!("{}", serde_json::to_string(&crate::api::users::views::UserView::from(&user))?);
    } else {
        println!(
            "Invited {} as {} (id {}); the invitation is mailed by the running server.",
            user.email,
            user.role.label(),
            user.id
        );
    }
    Ok(())
}

async fn sweep(settings: Settings) -> anyhow::Result<()> {
    let state = startup::connect(settings, Clock::system()).await?;
    let report = crate::jobs::sweeper::sweep_once(&state).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Sweep done: {report}");
    Ok(())
}

fn read_password() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(SecretString::from(password))
}

async fn serve(settings: Settings, signals: &mut Signals) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    let public_url = app.services().settings.public_url.clone();
    let mut banner = format!("Keyward is listening on {public_url} (port {})\n", app.port());
    if let Some(code) = app.setup_code() {
        banner.push_str(&format!(
            "\n  Keyward is not set up yet. Open {public_url}/setup and enter this one-time setup code:\n\n      {code}\n\n"
        ));
    }
    // Not println!: a closed stdout must not take the server down.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    drop(out);

    let handle = app.handle();
    let running = app.run_until_stopped();
    tokio::pin!(running);
    tokio::select! {
        result = &mut running => return result.map_err(Into::into),
        () = signals.recv() => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
    // Graceful: the listener closes, in-flight requests finish, then the
    // background jobs stop; the embedded cluster stops after this returns.
    let stop = handle.stop(true);
    let (result, ()) = tokio::join!(running, stop);
    result?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGINT and SIGTERM, registered once at start.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}
