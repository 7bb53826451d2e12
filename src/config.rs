//! Settings, read once at start from `KEYWARD_*` environment variables and an
//! optional `keyward.toml` (environment wins). Every value is parsed here, so
//! a bad one stops start-up with one line that names the variable.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use url::Url;

/// A bad configuration value: which variable, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

impl ConfigError {
    fn new(var: &str, message: impl Into<String>) -> Self {
        Self { var: var.to_owned(), message: message.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Everything Keyward can be told from outside. Passed around as
/// `Arc<Settings>`; there is no global.
#[derive(Debug)]
pub struct Settings {
    /// Where the HTTP server listens (`KEYWARD_BIND`).
    pub bind: SocketAddr,
    /// PostgreSQL to use; `None` runs the embedded cluster (`DATABASE_URL`).
    /// It may be a transaction pooler (PgBouncer) when
    /// `direct_database_url` names the server itself.
    pub database_url: Option<SecretString>,
    /// The server itself, for what a transaction pooler cannot carry:
    /// migrations (a session lock) and LISTEN (`KEYWARD_DIRECT_DATABASE_URL`;
    /// default: `database_url`).
    pub direct_database_url: Option<SecretString>,
    /// Embedded cluster, key file and file outbox live here (`KEYWARD_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Base of every link in emails (`KEYWARD_PUBLIC_URL`), without a trailing slash.
    pub public_url: String,
    /// Whether `public_url` was set, or derived from `bind` (and so follows
    /// the port actually bound when `bind` asks for port 0).
    pub public_url_explicit: bool,
    /// SMTP relay; `None` writes .eml files under `data_dir/mail` (`KEYWARD_SMTP_URL`).
    pub smtp_url: Option<SecretString>,
    /// Sender of every email (`KEYWARD_MAIL_FROM`).
    pub mail_from: String,
    /// 32-byte master key; `None` uses (or creates) `data_dir/master.key` (`KEYWARD_MASTER_KEY`).
    pub master_key: Option<SecretBox<[u8; 32]>>,
    /// Mark cookies Secure and send HSTS (`KEYWARD_SECURE_COOKIES`, default true).
    pub secure_cookies: bool,
    /// The proxies (CIDRs) whose `X-Forwarded-For` names the client
    /// (`KEYWARD_TRUST_PROXY`, default none).
    pub trust_proxy: crate::netlist::Allowlist,
    /// `KEYWARD_LOG_FORMAT`: text or json.
    pub log_format: LogFormat,
    /// Database pool size (`KEYWARD_DB_POOL_SIZE`).
    pub db_pool_size: u32,
    /// How long a request waits for a database connection before 503
    /// (`KEYWARD_DB_POOL_TIMEOUT_MS`).
    pub db_pool_timeout: Duration,
    /// HTTP worker threads (`KEYWARD_WORKERS`, default: one per core).
    pub workers: usize,
    /// A console session ends after this long without a request (`KEYWARD_SESSION_IDLE_MINUTES`).
    pub session_idle: Duration,
    /// ... and after this long whatever happens (`KEYWARD_SESSION_MAX_HOURS`).
    pub session_absolute: Duration,
    /// Life of a profile API token (`KEYWARD_PROFILE_TOKEN_DAYS`, default 180).
    pub profile_token_days: i64,
    /// Life of a ping before its post must arrive (`KEYWARD_PING_TTL_SECONDS`, default 600).
    pub ping_ttl: Duration,
    /// First retry delay of undelivered mail; doubles per attempt (`KEYWARD_MAIL_RETRY_MS`).
    pub mail_retry_base: Duration,
    /// How often the outbox worker looks for due mail when nothing wakes it.
    pub mail_poll: Duration,
    /// How often expired tokens are swept (`KEYWARD_SWEEP_SECONDS`).
    pub sweep_interval: Duration,
    /// How often batched token usage is written (`KEYWARD_USAGE_FLUSH_MS`).
    pub usage_flush_interval: Duration,
    /// Answer token checks and campaign lookups from in-process caches
    /// (`KEYWARD_CACHE`, default true; off for benchmarks and debugging).
    pub cache: bool,
    /// Failed token checks one IP may make per minute before 429 (`KEYWARD_FAILED_TOKEN_LIMIT`, 0 = off).
    pub failed_token_limit: u32,
    /// Failed sign-ins per email (and, times four, per IP) in 15 minutes before 429.
    pub login_failure_limit: u32,
    /// Largest lead file accepted, in bytes (`KEYWARD_MAX_FILE_BYTES`, default 10 MiB).
    pub max_file_bytes: u64,
    /// First retry delay of a failed webhook delivery; doubles per attempt, up to a day (`KEYWARD_WEBHOOK_RETRY_MS`).
    pub webhook_retry_base: Duration,
    /// How often the webhook worker looks for due events when nothing wakes it (`KEYWARD_WEBHOOK_POLL_MS`).
    pub webhook_poll: Duration,
    /// How long a destination has to answer (`KEYWARD_WEBHOOK_TIMEOUT_SECONDS`).
    pub webhook_timeout: Duration,
    /// Deliveries one instance has in flight at once (`KEYWARD_WEBHOOK_CONCURRENCY`).
    pub webhook_concurrency: usize,
}

/// Where raw values come from: the environment, then `keyward.toml`.
pub struct Source {
    env: HashMap<String, String>,
    file: HashMap<String, String>,
}

impl Source {
    /// The process environment and `keyward.toml` (or `KEYWARD_CONFIG`) if it exists.
    pub fn from_process() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let path = env.get("KEYWARD_CONFIG").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("keyward.toml"));
        let explicit = env.contains_key("KEYWARD_CONFIG");
        let file = if path.exists() {
            read_toml(&path)?
        } else if explicit {
            return Err(ConfigError::new("KEYWARD_CONFIG", format!("{} does not exist", path.display())));
        } else {
            HashMap::new()
        };
        Ok(Self { env, file })
    }

    /// Only the given pairs (tests, and callers that build settings by hand).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self { env: pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(), file: HashMap::new() }
    }

    /// `KEYWARD_BIND` is looked up as `KEYWARD_BIND` in the environment and as
    /// `bind` in the file. Empty values count as unset.
    fn get(&self, var: &str) -> Option<&str> {
        let file_key = var.trim_start_matches("KEYWARD_").to_ascii_lowercase();
        self.env.get(var).or_else(|| self.file.get(&file_key)).map(String::as_str).filter(|v| !v.trim().is_empty())
    }
}

fn read_toml(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let var = "KEYWARD_CONFIG";
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(var, format!("cannot read {}: {e}", path.display())))?;
    let table: toml::Table =
        text.parse().map_err(|e| ConfigError::new(var, format!("{} is not valid TOML: {e}", path.display())))?;
    table
        .into_iter()
        .map(|(k, v)| {
            let value = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(ConfigError::new(
                        var,
                        format!(
                            "{}: `{k}` must be a string, integer or boolean, not {}",
                            path.display(),
                            other.type_str()
                        ),
                    ));
                }
            };
            Ok((k, value))
        })
        .collect()
}

impl Settings {
    pub fn load(source: &Source) -> Result<Self, ConfigError> {
        let bind: SocketAddr = parse(source, "KEYWARD_BIND", "127.0.0.1:8080", |v| {
            v.parse().map_err(|_| format!("`{v}` is not a socket address like 127.0.0.1:8080"))
        })?;
        let public_url_explicit = source.get("KEYWARD_PUBLIC_URL").is_some();
        let public_url = match source.get("KEYWARD_PUBLIC_URL") {
            Some(v) => parse_public_url(v).map_err(|m| ConfigError::new("KEYWARD_PUBLIC_URL", m))?,
            None => default_public_url(bind),
        };
        let postgres_url = |key: &'static str| {
            source
                .get(key)
                .map(|v| {
                    if v.starts_with("postgres://") || v.starts_with("postgresql://") {
                        Ok(SecretString::from(v.to_owned()))
                    } else {
                        Err(ConfigError::new(key, "must be a postgres:// or postgresql:// URL"))
                    }
                })
                .transpose()
        };
        let database_url = postgres_url("DATABASE_URL")?;
        let direct_database_url = postgres_url("KEYWARD_DIRECT_DATABASE_URL")?;
        if direct_database_url.is_some() && database_url.is_none() {
            return Err(ConfigError::new(
                "KEYWARD_DIRECT_DATABASE_URL",
                "is set but DATABASE_URL is not: set DATABASE_URL to the pooler's URL as well",
            ));
        }
        let smtp_url = source
            .get("KEYWARD_SMTP_URL")
            .map(|v| match Url::parse(v) {
                Ok(u) if matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some() => {
                    Ok(SecretString::from(v.to_owned()))
                }
                _ => Err(ConfigError::new(
                    "KEYWARD_SMTP_URL",
                    "must be an smtp:// or smtps:// URL with a host, e.g. smtp://mail.example.com:587",
                )),
            })
            .transpose()?;
        let master_key = source
            .get("KEYWARD_MASTER_KEY")
            .map(|v| {
                parse_master_key(v)
                    .map(|k| SecretBox::new(Box::new(k)))
                    .map_err(|m| ConfigError::new("KEYWARD_MASTER_KEY", m))
            })
            .transpose()?;
        let mail_from = source.get("KEYWARD_MAIL_FROM").unwrap_or("Keyward <keyward@localhost>").to_owned();
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "KEYWARD_MAIL_FROM",
                format!("`{mail_from}` is not a mailbox like Keyward <keyward@example.com>"),
            ));
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());

        Ok(Self {
            bind,
            database_url,
            direct_database_url,
            data_dir: PathBuf::from(source.get("KEYWARD_DATA_DIR").unwrap_or("./var")),
            public_url,
            public_url_explicit,
            smtp_url,
            mail_from,
            master_key,
            secure_cookies: parse(source, "KEYWARD_SECURE_COOKIES", "true", parse_bool)?,
            trust_proxy: parse(source, "KEYWARD_TRUST_PROXY", "", |v| {
                match v.trim() {
                "" | "false" | "none" => Ok(crate::netlist::Allowlist::default()),
                "true" => Err("name the proxies that may set X-Forwarded-For, as CIDRs (e.g. 10.0.0.0/8,127.0.0.1), instead of true".to_owned()),
                list => crate::netlist::Allowlist::parse_text(list),
            }
            })?,
            log_format: parse(source, "KEYWARD_LOG_FORMAT", "text", |v| match v {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err(format!("`{v}` is not one of: text, json")),
            })?,
            db_pool_timeout: Duration::from_millis(parse(source, "KEYWARD_DB_POOL_TIMEOUT_MS", "10000", |v| {
                number(v, 100, 600_000)
            })?),
            db_pool_size: parse(source, "KEYWARD_DB_POOL_SIZE", "16", |v| number(v, 1, 500))?,
            workers: parse(source, "KEYWARD_WORKERS", &cores.to_string(), |v| number(v, 1, 256))?,
            session_idle: minutes(parse(source, "KEYWARD_SESSION_IDLE_MINUTES", "120", |v| number(v, 1, 7 * 24 * 60))?),
            session_absolute: minutes(
                60 * parse(source, "KEYWARD_SESSION_MAX_HOURS", "12", |v| number(v, 1, 24 * 90))?,
            ),
            profile_token_days: parse(source, "KEYWARD_PROFILE_TOKEN_DAYS", "180", |v| number(v, 2, 3650))?,
            ping_ttl: Duration::from_secs(parse(source, "KEYWARD_PING_TTL_SECONDS", "600", |v| number(v, 1, 86_400))?),
            mail_retry_base: Duration::from_millis(parse(source, "KEYWARD_MAIL_RETRY_MS", "5000", |v| {
                number(v, 10, 3_600_000)
            })?),
            mail_poll: Duration::from_millis(parse(source, "KEYWARD_MAIL_POLL_MS", "2000", |v| {
                number(v, 10, 600_000)
            })?),
            sweep_interval: Duration::from_secs(parse(source, "KEYWARD_SWEEP_SECONDS", "300", |v| {
                number(v, 1, 86_400)
            })?),
            usage_flush_interval: Duration::from_millis(parse(source, "KEYWARD_USAGE_FLUSH_MS", "10000", |v| {
                number(v, 10, 60_000)
            })?),
            cache: parse(source, "KEYWARD_CACHE", "true", parse_bool)?,
            failed_token_limit: parse(source, "KEYWARD_FAILED_TOKEN_LIMIT", "60", |v| number(v, 0, 1_000_000))?,
            login_failure_limit: parse(source, "KEYWARD_LOGIN_FAILURE_LIMIT", "5", |v| number(v, 1, 1000))?,
            max_file_bytes: parse(source, "KEYWARD_MAX_FILE_BYTES", "10485760", |v| number(v, 1, 1 << 40))?,
            webhook_retry_base: Duration::from_millis(parse(source, "KEYWARD_WEBHOOK_RETRY_MS", "10000", |v| {
                number(v, 10, 3_600_000)
            })?),
            webhook_poll: Duration::from_millis(parse(source, "KEYWARD_WEBHOOK_POLL_MS", "1000", |v| {
                number(v, 10, 600_000)
            })?),
            webhook_timeout: Duration::from_secs(parse(source, "KEYWARD_WEBHOOK_TIMEOUT_SECONDS", "10", |v| {
                number(v, 1, 120)
            })?),
            webhook_concurrency: parse(source, "KEYWARD_WEBHOOK_CONCURRENCY", "16", |v| number(v, 1, 256))?,
        })
    }

    /// The server itself: `KEYWARD_DIRECT_DATABASE_URL`, else `DATABASE_URL`.
    pub fn direct_url(&self) -> Option<&str> {
        self.direct_database_url.as_ref().or(self.database_url.as_ref()).map(|u| u.expose_secret())
    }

    /// Whether `DATABASE_URL` is a transaction pooler: another direct URL
    /// is given. Through a pooler, consecutive transactions of one
    /// connection may run on different server sessions, so no named
    /// prepared statement (nor any other session state) can be kept.
    pub fn behind_pooler(&self) -> bool {
        match (&self.database_url, &self.direct_database_url) {
            (Some(pooled), Some(direct)) => pooled.expose_secret() != direct.expose_secret(),
            _ => false,
        }
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    pub fn smtp_url(&self) -> Option<&str> {
        self.smtp_url.as_ref().map(|s| s.expose_secret())
    }

    /// An absolute link into the console, for emails.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

fn parse<T>(
    source: &Source,
    var: &str,
    default: &str,
    f: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    f(source.get(var).unwrap_or(default).trim()).map_err(|m| ConfigError::new(var, m))
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("`{v}` is not a boolean (true or false)")),
    }
}

fn number<T>(v: &str, min: T, max: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match v.parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(format!("`{v}` is not a whole number from {min} to {max}")),
    }
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

pub fn default_public_url(bind: SocketAddr) -> String {
    let host = if bind.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else if bind.is_ipv6() {
        format!("[{}]", bind.ip())
    } else {
        bind.ip().to_string()
    };
    format!("http://{host}:{}", bind.port())
}

fn parse_public_url(v: &str) -> Result<String, String> {
    let url = Url::parse(v).map_err(|e| format!("`{v}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("`{v}` must be an http:// or https:// URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{v}` must not have a query or fragment"));
    }
    Ok(v.trim_end_matches('/').to_owned())
}

/// 32 bytes, as 64 hex digits or standard/URL-safe base64.
pub fn parse_master_key(v: &str) -> Result<[u8; 32], String> {
    let v = v.trim();
    let bytes = if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&v[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| "not valid hex".to_owned())?
    } else {
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        engines
            .iter()
            .find_map(|e| e.decode(v).ok())
            .ok_or_else(|| "must be 32 bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)".to_owned())?
    };
    bytes.try_into().map_err(|b: Vec<u8>| format!("must be exactly 32 bytes, got {}", b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::load(&Source::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_need_nothing_set() {
        let s = load(&[]).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        assert!(s.database_url.is_none());
        assert!(s.secure_cookies);
        assert_eq!(s.profile_token_days, 180);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = load(&[("KEYWARD_BIND", "nonsense")]).unwrap_err();
        assert_eq!(err.var, "KEYWARD_BIND");
        assert!(err.to_string().starts_with("KEYWARD_BIND: "));

        for (var, value) in [
            ("KEYWARD_SECURE_COOKIES", "maybe"),
            ("KEYWARD_SMTP_URL", "http://mail"),
            ("KEYWARD_PUBLIC_URL", "ftp://x"),
            ("KEYWARD_MASTER_KEY", "short"),
            ("DATABASE_URL", "mysql://x"),
            ("KEYWARD_PROFILE_TOKEN_DAYS", "0"),
        ] {
            assert_eq!(load(&[(var, value)]).unwrap_err().var, var, "{var}={value}");
        }
    }

    #[test]
    fn a_direct_url_beside_another_database_url_means_a_pooler() {
        let direct = "postgres://keyward@db.internal:5432/keyward";
        let pooled = load(&[
            ("DATABASE_URL", "postgres://keyward@pgbouncer:6432/keyward"),
            ("KEYWARD_DIRECT_DATABASE_URL", direct),
        ])
        .unwrap();
        assert!(pooled.behind_pooler());
        assert_eq!(pooled.direct_url(), Some(direct));
        let plain = load(&[("DATABASE_URL", direct)]).unwrap();
        assert!(!plain.behind_pooler());
        assert_eq!(plain.direct_url(), Some(direct));
        assert!(!load(&[("DATABASE_URL", direct), ("KEYWARD_DIRECT_DATABASE_URL", direct)]).unwrap().behind_pooler());
        for pairs in [
            vec![("KEYWARD_DIRECT_DATABASE_URL", direct)],
            vec![("DATABASE_URL", direct), ("KEYWARD_DIRECT_DATABASE_URL", "x")],
        ] {
            assert_eq!(load(&pairs).unwrap_err().var, "KEYWARD_DIRECT_DATABASE_URL");
        }
    }

    #[test]
    fn master_key_accepts_hex_and_base64() {
        let hex = "00".repeat(31) + "ff";
        assert_eq!(parse_master_key(&hex).unwrap()[31], 0xff);
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(parse_master_key(&b64).unwrap(), [7u8; 32]);
        assert!(parse_master_key("AAAA").is_err());
    }
}
