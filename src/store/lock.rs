//! The store-wide lock: one writing command at a time, held for the command's whole duration (a
//! reconcile that fetches for minutes before it writes included), taken before migrations run.
//!
//! - PostgreSQL: a session advisory lock (`pg_advisory_lock`'s try form, polled) on a connection of
//!   its own, held until the guard is released; the holder is named in the one row of `store_lock`.
//! - SQLite: an exclusive `flock` on `<database file>.lock` beside the database, with the holder
//!   written in it; the kernel releases it when the process ends, however it ends.
//!
//! Architecture invariant: only writers take it ([`Store::lock`] is the one way, and
//! [`Store::open`](super::Store::open) needs its guard); dry runs and readers never take it and never
//! wait. A second writer waits up to its timeout, then fails naming the holder.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Connection, Row};

use super::{Store, StoreError, redact_url, sqlite_path_of};

/// The key of seatwarden's advisory lock in a PostgreSQL database (any fixed number; "SEA7…").
const ADVISORY_KEY: i64 = 0x5EA7_3A2D_E000_0001;
/// How often a waiting writer tries again.
const POLL: Duration = Duration::from_millis(200);
/// `store_lock` is not a migration: it must exist before migrations run, and only the lock's holder
/// ever creates or writes it.
const CREATE_HOLDER_TABLE: &str = "CREATE TABLE IF NOT EXISTS store_lock (command TEXT NOT NULL, \
     pid BIGINT NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL)";

/// Who holds the lock: the command, its process and host, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub command: String,
    pub pid: u32,
    pub host: String,
    pub since: DateTime<Utc>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` (pid {} on {}, since {})",
            self.command,
            self.pid,
            self.host,
            self.since
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    }
}

impl Holder {
    fn this_process(command: &str) -> Holder {
        Holder {
            command: command.to_string(),
            pid: std::process::id(),
            host: this_host(),
            since: Utc::now(),
        }
    }
}

/// The machine's host name, for the holder's line.
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unknown host".into())
}

/// Proof that this process holds the store's lock; [`LockGuard::release`] gives it back (dropping
/// it does too, when the file or the connection closes).
#[derive(Debug)]
pub struct LockGuard {
    url: String,
    held: Held,
}

#[derive(Debug)]
enum Held {
    File(std::fs::File),
    Postgres(AnyConnection),
    /// `sqlite::memory:` lives in one process: nothing to share.
    InMemory,
}

/// One try at the lock.
enum Attempt {
    Acquired(Held),
    /// Someone else has it (named when they could be read).
    Busy(Option<Holder>),
}

impl Store {
    /// Take the store-wide lock for `command`, waiting up to `timeout` for another writer to finish.
    /// Fails with [`StoreError::Busy`] naming the holder when the wait runs out.
    pub async fn lock(
        url: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<LockGuard, StoreError> {
        let mut lock = Locker::open(url).await?;
        let me = Holder::this_process(command);
        let started = Instant::now();
        let mut announced = false;
        loop {
            match lock.attempt(&me).await? {
                Attempt::Acquired(held) => {
                    return Ok(LockGuard {
                        url: url.to_string(),
                        held,
                    });
                }
                Attempt::Busy(holder) => {
                    let holder = holder.map_or_else(|| "another command".into(), |h| h.to_string());
                    if started.elapsed() >= timeout {
                        return Err(StoreError::Busy {
                            url: redact_url(url),
                            holder,
                            waited_secs: timeout.as_secs(),
                        });
                    }
                    if !announced {
                        tracing::info!(%holder, timeout_secs = timeout.as_secs(), "the store is busy; waiting");
                        announced = true;
                    }
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    }
}

/// What a lock attempt works on: the lock file, or a connection of the lock's own.
enum Locker {
    File { path: PathBuf, file: std::fs::File },
    Postgres(Option<AnyConnection>),
    InMemory,
}

impl Locker {
    async fn open(url: &str) -> Result<Locker, StoreError> {
        if !url.starts_with("sqlite:") {
            sqlx::any::install_default_drivers();
            let conn = AnyConnection::connect(url)
                .await
                .map_err(|source| StoreError::Db {
                    url: redact_url(url),
                    what: "cannot connect to take the store lock",
                    source,
                })?;
            return Ok(Locker::Postgres(Some(conn)));
        }
        let Some(db) = sqlite_path_of(url) else {
            return Ok(Locker::InMemory);
        };
        let path = lock_path(&db);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(parent);
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|source| StoreError::Lock {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Locker::File { path, file })
    }

    async fn attempt(&mut self, me: &Holder) -> Result<Attempt, StoreError> {
        match self {
            Locker::InMemory => Ok(Attempt::Acquired(Held::InMemory)),
            Locker::File { path, file } => try_file(path, file, me),
            Locker::Postgres(conn) => {
                let acquired = match conn.as_mut() {
                    Some(c) => try_advisory(c, me).await?,
                    None => false,
                };
                if !acquired {
                    let holder = match conn.as_mut() {
                        Some(c) => advisory_holder(c).await,
                        None => None,
                    };
                    return Ok(Attempt::Busy(holder));
                }
                match conn.take() {
                    Some(c) => Ok(Attempt::Acquired(Held::Postgres(c))),
                    None => Ok(Attempt::Busy(None)),
                }
            }
        }
    }
}

/// The lock file of a SQLite database: `seatwarden.db` → `seatwarden.db.lock`.
pub fn lock_path(db: &std::path::Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn try_file(
    path: &std::path::Path,
    file: &mut std::fs::File,
    me: &Holder,
) -> Result<Attempt, StoreError> {
    let io_err = |source| StoreError::Lock {
        path: path.display().to_string(),
        source,
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(path)
                .ok()
                .and_then(|text| serde_json::from_str(text.trim()).ok());
            return Ok(Attempt::Busy(holder));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io_err(e)),
    }
    // A holder's line is JSON of four plain fields: it always serialises.
    let line = serde_json::to_string(me).expect("a holder serialises");
    file.set_len(0).map_err(io_err)?;
    let mut writer: &std::fs::File = file;
    writer
        .write_all(format!("{line}\n").as_bytes())
        .and_then(|_| writer.flush())
        .map_err(io_err)?;
    let held = file.try_clone().map_err(io_err)?;
    Ok(Attempt::Acquired(Held::File(held)))
}

async fn try_advisory(conn: &mut AnyConnection, me: &Holder) -> Result<bool, StoreError> {
    let err = |what: &'static str| {
        move |source| StoreError::Db {
            url: "the store lock".into(),
            what,
            source,
        }
    };
    let row = sqlx::query("SELECT pg_try_advisory_lock($1)")
        .bind(ADVISORY_KEY)
        .fetch_one(&mut *conn)
        .await
        .map_err(err("cannot try the advisory lock"))?;
    let acquired: bool = row
        .try_get(0)
        .map_err(err("cannot try the advisory lock"))?;
    if !acquired {
        return Ok(false);
    }
    sqlx::query(CREATE_HOLDER_TABLE)
        .execute(&mut *conn)
        .await
        .map_err(err("cannot name the lock's holder"))?;
    sqlx::query("DELETE FROM store_lock")
        .execute(&mut *conn)
        .await
        .map_err(err("cannot name the lock's holder"))?;
    sqlx::query("INSERT INTO store_lock (command, pid, host, since) VALUES ($1, $2, $3, $4)")
        .bind(me.command.clone())
        .bind(i64::from(me.pid))
        .bind(me.host.clone())
        .bind(me.since.to_rfc3339())
        .execute(&mut *conn)
        .await
        .map_err(err("cannot name the lock's holder"))?;
    Ok(true)
}

/// The holder's row, when there is one to read (the table may not exist yet on a fresh store).
async fn advisory_holder(conn: &mut AnyConnection) -> Option<Holder> {
    let row = sqlx::query("SELECT command, pid, host, since FROM store_lock")
        .fetch_optional(&mut *conn)
        .await
        .ok()??;
    let since: String = row.try_get(3).ok()?;
    Some(Holder {
        command: row.try_get(0).ok()?,
        pid: u32::try_from(row.try_get::<i64, _>(1).ok()?).ok()?,
        host: row.try_get(2).ok()?,
        since: DateTime::parse_from_rfc3339(&since)
            .ok()?
            .with_timezone(&Utc),
    })
}

impl LockGuard {
    /// The store URL the lock was taken for.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Give the lock back: the next writer may go.
    pub async fn release(self) {
        match self.held {
            Held::InMemory => {}
            Held::File(file) => {
                let _ = file.set_len(0);
                let _ = file.unlock();
            }
            Held::Postgres(mut conn) => {
                let _ = sqlx::query("DELETE FROM store_lock")
                    .execute(&mut conn)
                    .await;
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(ADVISORY_KEY)
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
        }
    }
}
