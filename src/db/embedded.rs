//! The embedded default: with `DATABASE_URL` unset, Keyward runs a private
//! PostgreSQL cluster under `$KEYWARD_DATA_DIR/postgres`, from the server
//! binaries on PATH or under /usr/lib/postgresql/*/bin. It listens on a Unix
//! socket in a directory only its owner can enter (so trust authentication
//! is safe) and no TCP port, and is stopped when Keyward exits.
//!
//! initdb and postgres refuse to run as root. When Keyward runs as root the
//! cluster is owned by, and run as, the `postgres` system user.

use std::os::unix::fs::{PermissionsExt as _, chown};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context as _, bail};
use diesel::prelude::*;

/// Unix socket paths are limited to 108 bytes; `.s.PGSQL.5432` needs 14.
const MAX_SOCKET_DIR_LEN: usize = 90;

#[derive(Debug)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    cluster_dir: PathBuf,
    socket_dir: PathBuf,
    run_as: Option<(u32, u32)>,
    running: bool,
}

impl EmbeddedPostgres {
    /// Creates the cluster if needed, starts it and makes sure the `keyward`
    /// database exists.
    pub fn start(data_dir: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_server_binaries()?;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let data_dir = data_dir.canonicalize().with_context(|| format!("cannot resolve {}", data_dir.display()))?;
        let run_as = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .context("Keyward runs as root, and PostgreSQL refuses to: create a `postgres` system user to own the embedded cluster, run Keyward as another user, or set DATABASE_URL")?;
            Some((user.uid.as_raw(), user.gid.as_raw()))
        } else {
            None
        };

        let cluster_dir = data_dir.join("postgres");
        let socket_dir = socket_dir_for(&data_dir);
        for dir in [&cluster_dir, &socket_dir] {
            private_dir(dir, run_as)?;
        }
        let log_file = data_dir.join("postgres.log");
        if !log_file.exists() {
            std::fs::write(&log_file, b"")?;
        }
        if let Some((uid, gid)) = run_as {
            chown(&log_file, Some(uid), Some(gid))?;
        }

        let mut pg = Self { bin_dir, cluster_dir, socket_dir, run_as, running: false };
        for path in [&pg.cluster_dir, &pg.socket_dir] {
            if path.to_string_lossy().contains('\'') {
                bail!("{}: the embedded cluster's path must not contain a quote", path.display());
            }
        }

        if !pg.cluster_dir.join("PG_VERSION").exists() {
            tracing::info!(dir = %pg.cluster_dir.display(), "creating the embedded PostgreSQL cluster");
            let out = pg.run(
                "initdb",
                &[
                    "-D".as_ref(),
                    pg.cluster_dir.as_os_str(),
                    "-U".as_ref(),
                    "keyward".as_ref(),
                    "--auth=trust".as_ref(),
                    "-E".as_ref(),
                    "UTF8".as_ref(),
                    "--locale=C".as_ref(),
                ],
            )?;
            ensure_success("initdb", &out)?;
        }

        let status = pg.run("pg_ctl", &["-D".as_ref(), pg.cluster_dir.as_os_str(), "status".as_ref()])?;
        if status.status.success() {
            tracing::warn!("the embedded PostgreSQL of an earlier run is still running: using it");
        } else {
            let options = format!(
                "-c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0700",
                pg.socket_dir.display()
            );
            let out = pg.run(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    pg.cluster_dir.as_os_str(),
                    "-l".as_ref(),
                    log_file.as_os_str(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "60".as_ref(),
                    "-o".as_ref(),
                    options.as_ref(),
                    "start".as_ref(),
                ],
            )?;
            ensure_success("pg_ctl start", &out)
                .with_context(|| format!("the embedded PostgreSQL did not start: see {}", log_file.display()))?;
        }
        pg.running = true;
        pg.create_database()?;
        tracing::info!(socket = %pg.socket_dir.display(), "embedded PostgreSQL is running");
        Ok(pg)
    }

    pub fn database_url(&self) -> String {
        self.url_for("keyward")
    }

    fn url_for(&self, db: &str) -> String {
        let host: String = url::form_urlencoded::byte_serialize(self.socket_dir.to_string_lossy().as_bytes()).collect();
        format!("postgres://keyward@/{db}?host={host}")
    }

    fn create_database(&self) -> anyhow::Result<()> {
        let mut conn =
            PgConnection::establish(&self.url_for("postgres")).context("cannot connect to the embedded PostgreSQL")?;
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = 'keyward')",
        ))
        .get_result(&mut conn)?;
        if !exists {
            diesel::sql_query("CREATE DATABASE keyward").execute(&mut conn)?;
        }
        Ok(())
    }

    /// Stops the cluster (fast shutdown: open transactions roll back).
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if !self.running {
            return Ok(());
        }
        self.running = false;
        let out = self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.cluster_dir.as_os_str(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        )?;
        ensure_success("pg_ctl stop", &out)?;
        tracing::info!("embedded PostgreSQL stopped");
        Ok(())
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> anyhow::Result<Output> {
        let mut cmd = Command::new(self.bin_dir.join(program));
        cmd.args(args)
            .current_dir("/")
            .env_remove("PGDATA")
            .env_remove("PGHOST")
            .env_remove("PGPORT")
            // Its own process group: a Ctrl-C at the terminal reaches
            // Keyward, which then stops the cluster in order.
            .process_group(0);
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
        }
        cmd.output().with_context(|| format!("cannot run {}", self.bin_dir.join(program).display()))
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::error!(error = %format!("{e:#}"), "could not stop the embedded PostgreSQL");
        }
    }
}

fn ensure_success(what: &str, out: &Output) -> anyhow::Result<()> {
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    bail!("{what} failed ({}): {}{}", out.status, stderr.trim(), stdout.trim())
}

/// A directory only its owner may enter, owned by whoever runs PostgreSQL.
fn private_dir(dir: &Path, run_as: Option<(u32, u32)>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if let Some((uid, gid)) = run_as {
        chown(dir, Some(uid), Some(gid)).with_context(|| format!("cannot chown {}", dir.display()))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot chmod {}", dir.display()))
}

fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let preferred = data_dir.join("run");
    if preferred.as_os_str().len() <= MAX_SOCKET_DIR_LEN {
        return preferred;
    }
    let hash = crate::crypto::sha256(data_dir.as_os_str().as_encoded_bytes());
    let tag: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir().join(format!("keyward-{tag}"))
}

/// The directory holding initdb, pg_ctl and postgres: from PATH first, then
/// the newest /usr/lib/postgresql/<version>/bin.
pub fn find_server_binaries() -> anyhow::Result<PathBuf> {
    let has_all = |dir: &Path| ["initdb", "pg_ctl", "postgres"].iter().all(|b| dir.join(b).is_file());
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            // Resolve symlinks: pg_ctl finds postgres next to its real path.
            if let Ok(initdb) = dir.join("initdb").canonicalize()
                && let Some(real) = initdb.parent()
                && has_all(real)
            {
                return Ok(real.to_path_buf());
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_all(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).context(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or under /usr/lib/postgresql/*/bin: install PostgreSQL (e.g. `apt-get install postgresql`) or set DATABASE_URL to use an existing server",
    )
}
