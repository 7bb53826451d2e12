//! The command line: `serve` (the default), `migrate`, `admin create`,
//! `token issue`, `sweep`. Every command that needs the database starts the
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
    /// Issue tokens from the shell.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
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
    match command {
        Command::Serve => serve(settings, &mut signals).await,
        Command::Migrate => interruptible(&mut signals, migrate(settings)).await,
        Command::Admin { command: AdminCommand::Create { email, .. } } => {
            let password = read_password()?;
            interruptible(&mut signals, admin_create(settings, email, password)).await
        }
        Command::Token { command: TokenCommand::Issue { user, kind, description } } => {
            interruptible(&mut signals, issue_token(settings, kind, user, description)).await
        }
        Command::Token { command: TokenCommand::Regenerate { key, grace } } => {
            interruptible(&mut signals, regenerate_token(settings, key, grace)).await
        }
        Command::Sweep => interruptible(&mut signals, sweep(settings)).await,
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
            crate::services::personal_tokens::issue_from_cli(&state, &email, &description).await
        }
        (IssueKind::Personal, None) => anyhow::bail!("a personal token needs --user EMAIL"),
        (IssueKind::Reporter, _) => {
            crate::services::leaks::create_reporter(&state, crate::domain::Actor::command_line(), &description).await
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
    let r = crate::services::token_manage::regenerate(&state, crate::domain::Actor::command_line(), &key, grace)
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
