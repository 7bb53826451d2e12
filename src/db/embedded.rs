//! The embedded default: with `DATABASE_URL` unset, Keyward runs a private
//! PostgreSQL cluster under `$KEYWARD_DATA_DIR/postgres`, from the server
//! binaries on PATH or under /usr/lib/postgresql/*/bin. It listens on a Unix
//! socket in a directory only its owner can enter (so trust authentication
//! is safe) and no TCP port.
//!
//! Several Keyward processes may use one cluster at once (`keyward serve`,
//! and `keyward token issue` beside it). Each holds a shared lock on
//! `postgres.state/users` while it uses the cluster; starting and stopping
//! happen under an exclusive `postgres.state/start` lock, so two processes
//! never start it at once. A process that starts the cluster leaves a
//! marker (`postgres.state/started`); the last process out stops a cluster
//! with the marker, and never one someone else started.
//!
//! initdb and postgres refuse to run as root. When Keyward runs as root the
//! cluster is owned by, and run as, the `postgres` system user.

use std::fs::File;
use std::os::unix::fs::{PermissionsExt as _, chown};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context as _, bail};
use diesel::prelude::*;
use nix::fcntl::{Flock, FlockArg};

/// Unix socket paths are limited to 108 bytes; `.s.PGSQL.5432` needs 14.
const MAX_SOCKET_DIR_LEN: usize = 90;

#[derive(Debug)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    cluster_dir: PathBuf,
    socket_dir: PathBuf,
    /// Locks and the marker: `start`, `users`, `started`.
    state_dir: PathBuf,
    run_as: Option<(u32, u32)>,
    /// Held (shared) while this process uses the cluster.
    users: Option<Flock<File>>,
}

impl EmbeddedPostgres {
    /// Creates the cluster if needed, starts it unless it is running
    /// already, and makes sure the `keyward` database exists.
    pub fn start(data_dir: &Path) -> anyhow::Result<Self> {
        Self::start_with(data_dir, &[])
    }

    /// [`start`](Self::start), with server settings (`name`, `value`) for a
    /// cluster this call starts.
    pub fn start_with(data_dir: &Path, settings: &[(&str, &str)]) -> anyhow::Result<Self> {
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
        let state_dir = data_dir.join("postgres.state");
        for dir in [&cluster_dir, &socket_dir, &state_dir] {
            private_dir(dir, run_as)?;
        }
        let start_lock = lock(&state_dir.join("start"), FlockArg::LockExclusive)?;
        let log_file = data_dir.join("postgres.log");
        if !log_file.exists() {
            std::fs::write(&log_file, b"")?;
        }
        if let Some((uid, gid)) = run_as {
            chown(&log_file, Some(uid), Some(gid))?;
        }

        let mut pg = Self { bin_dir, cluster_dir, socket_dir, state_dir, run_as, users: None };
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

        if pg.is_running()? {
            tracing::info!("the embedded PostgreSQL is running already (another Keyward process started it): using it");
        } else {
            let mut options = format!(
                "-c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0700",
                pg.socket_dir.display()
            );
            for (name, value) in settings {
                options.push_str(&format!(" -c {name}={value}"));
            }
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
            std::fs::write(pg.state_dir.join("started"), std::process::id().to_string())?;
        }
        pg.users = Some(lock(&pg.state_dir.join("users"), FlockArg::LockShared)?);
        pg.create_database()?;
        drop(start_lock);
        tracing::info!(socket = %pg.socket_dir.display(), "embedded PostgreSQL is running");
        Ok(pg)
    }

    fn is_running(&self) -> anyhow::Result<bool> {
        Ok(self.run("pg_ctl", &["-D".as_ref(), self.cluster_dir.as_os_str(), "status".as_ref()])?.status.success())
    }

    /// The cluster's data directory (`$KEYWARD_DATA_DIR/postgres`).
    pub fn cluster_dir(&self) -> &Path {
        &self.cluster_dir
    }

    /// The directory holding the server binaries in use.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The directory of the locks and the marker.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Who runs the cluster, when Keyward runs as root.
    pub fn run_as(&self) -> Option<(u32, u32)> {
        self.run_as
    }

    /// A URL for the database `db` of this cluster.
    pub fn url_of(&self, db: &str) -> String {
        self.url_for(db)
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

    /// Stops using the cluster; stops the cluster too if this is the last
    /// Keyward process using it and a Keyward process started it.
    pub fn release(&mut self) -> anyhow::Result<()> {
        let Some(users) = self.users.take() else {
            return Ok(());
        };
        drop(users);
        let _start = lock(&self.state_dir.join("start"), FlockArg::LockExclusive)?;
        let marker = self.state_dir.join("started");
        match lock(&self.state_dir.join("users"), FlockArg::LockExclusiveNonblock) {
            Ok(_alone) if marker.exists() => {
                self.stop()?;
                std::fs::remove_file(&marker)?;
            }
            Ok(_alone) => tracing::info!("leaving the embedded PostgreSQL running: Keyward did not start it"),
            Err(_) => {
                tracing::info!("leaving the embedded PostgreSQL running for the other Keyward processes using it")
            }
        }
        Ok(())
    }

    /// Stops the cluster (fast shutdown: open transactions roll back),
    /// whoever uses it.
    pub fn stop(&self) -> anyhow::Result<()> {
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
        if let Err(e) = self.release() {
            tracing::error!(error = %format!("{e:#}"), "could not release the embedded PostgreSQL");
        }
    }
}

/// Opens (creating) `path` and locks it as `how`.
fn lock(path: &Path, how: FlockArg) -> anyhow::Result<Flock<File>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("cannot open the lock {}", path.display()))?;
    Flock::lock(file, how).map_err(|(_, errno)| anyhow::anyhow!("cannot lock {}: {errno}", path.display()))
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
