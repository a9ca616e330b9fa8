//! The store: the developer table, the runs (history and per-source counts for the guard), manual
//! overrides, the audit trail ([`audit`]), the HTTP ETag cache and the report's delivery receipts
//! (`receipts.rs`); the history the weekly report reads is in `history.rs`. SQLite by default,
//! PostgreSQL by URL; one code path and the same versioned migrations for both (sqlx `Any`, portable
//! SQL, `$N` placeholders, times as RFC 3339 text). One writer at a time: [`lock`].
//!
//! Architecture invariant: the only module that speaks SQL. A save is one transaction, and the audit
//! entries of a change are written in the change's own transaction. A writable store is only opened
//! under the store lock, and migrations run under it. A read-only store (dry runs) never writes a
//! byte to the database file. Retention prunes runs, never the audit trail.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Row};

pub mod audit;
pub mod lock;
#[doc(hidden)]
pub mod testing;

pub use lock::{Holder, LockGuard};

use crate::model::{AuditEntry, Developer};
use crate::resolve::IdentityKey;
use crate::sources::{CachedResponse, HttpCache};

mod history;
mod receipts;

pub use history::RunFigures;
pub use receipts::{Receipt, ReceiptStatus};

/// A store failure, naming the store (URL without password) and what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {url}: {what}")]
    Db {
        url: String,
        what: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("store {url}: {what}")]
    Migrate {
        url: String,
        what: &'static str,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("store {url}: {message}")]
    Corrupt { url: String, message: String },
    /// Another writer held the store lock for the whole wait.
    #[error(
        "the store is busy: {url} is held by {holder}; gave up after waiting {waited_secs} s (store.lock_timeout_secs)"
    )]
    Busy {
        url: String,
        holder: String,
        waited_secs: u64,
    },
    #[error("store lock {path}: cannot take it")]
    Lock {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// One source's outcome in a stored run.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRun {
    pub source: String,
    pub kind: String,
    pub status: String,
    pub records: u64,
    pub error: Option<String>,
}

/// A finished, non-dry run as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub status: String,
    pub licenses_purchased: Option<u64>,
    pub consumed: u64,
    pub overage: u64,
    pub duplicates: u64,
    pub recommendations: u64,
    /// The SPEC §4 report without `developers`, as JSON text.
    pub summary: String,
    pub sources: Vec<SourceRun>,
}

impl RunRecord {
    /// The stored form of a run: its report without `developers` (the summary) and the figures
    /// the history needs.
    pub fn from_report(
        report: &crate::report::json::Report,
    ) -> Result<RunRecord, serde_json::Error> {
        let time = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .expect("the report's own RFC 3339 time")
        };
        let recommendations = &report.recommendations;
        Ok(RunRecord {
            id: report.run.id.clone(),
            started_at: time(&report.run.started_at),
            finished_at: time(&report.run.finished_at),
            status: match report.run.status {
                crate::model::RunStatus::Ok => "ok".into(),
                crate::model::RunStatus::Degraded => "degraded".into(),
            },
            licenses_purchased: report.subscription.licenses_purchased,
            consumed: report.usage.consumed_after,
            overage: report.usage.overage,
            duplicates: recommendations
                .iter()
                .filter(|r| r.reason == crate::model::Reason::Duplicate)
                .count() as u64,
            recommendations: recommendations.len() as u64,
            summary: serde_json::to_string(&report.summary())?,
            sources: report
                .sources
                .iter()
                .map(|s| SourceRun {
                    source: s.name.clone(),
                    kind: s.kind.clone(),
                    status: s.status.as_str().into(),
                    records: s.records,
                    error: s.error.clone(),
                })
                .collect(),
        })
    }
}

/// What a run reads from the store before it decides.
#[derive(Debug, Default)]
pub struct StoredState {
    pub table: Vec<Developer>,
    /// Each source's record count in its last good run (the guard's baseline).
    pub last_good: HashMap<String, u64>,
    pub overrides: Vec<StoredOverride>,
    /// The removals, merges and restores recorded since the latest stored run.
    pub applied: Vec<AuditEntry>,
}

/// A manual decision that every run respects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideKind {
    Merge,
    Split,
}

impl OverrideKind {
    fn as_str(self) -> &'static str {
        match self {
            OverrideKind::Merge => "merge",
            OverrideKind::Split => "split",
        }
    }
}

/// A stored override between two identities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOverride {
    pub kind: OverrideKind,
    pub a: IdentityKey,
    pub b: IdentityKey,
    pub note: Option<String>,
}

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// SQLite wants `?` placeholders in large statements (it resolves each named `$N` by a linear
    /// search, which makes a 15,000-parameter insert quadratic); PostgreSQL only knows `$N`.
    sqlite: bool,
    /// For messages: the URL without its password.
    display_url: String,
    read_only: bool,
    /// The newest migration applied (what a read-only store of an older version can be asked).
    schema_version: i64,
}

const DEVELOPER_COLUMNS: &str = "id, email, name, status, data, position";
const DEVELOPER_COLUMN_COUNT: usize = 6;
/// Rows per INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters.
const INSERT_BATCH: usize = 1000;

/// The schema's versions, in order: `(version, description, SQL)`. Portable SQL for SQLite and
/// PostgreSQL alike. A released migration is never edited (sqlx checks each one's checksum); a change
/// to the schema is a new file and a new line here.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial schema",
        include_str!("migrations/0001_initial.sql"),
    ),
    (2, "audit trail", include_str!("migrations/0002_audit.sql")),
    (
        3,
        "delivery receipts",
        include_str!("migrations/0003_receipts.sql"),
    ),
];

fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sqlx::SqlStr::from_static(sql),
                    false,
                )
            })
            .collect(),
    )
}

/// The file path in a `sqlite:` URL (query string dropped); None for other stores and `:memory:`.
pub fn sqlite_path_of(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let rest = rest.split('?').next().unwrap_or(rest);
    if rest.is_empty() || rest == ":memory:" {
        return None;
    }
    Some(std::path::PathBuf::from(rest))
}

/// The URL with any password replaced, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Open for writing (creating a SQLite file if needed) and migrate, under the store lock `lock`
    /// (taken by [`Store::lock`] for the same URL).
    pub async fn open(url: &str, lock: &LockGuard) -> Result<Store, StoreError> {
        debug_assert_eq!(lock.url(), url, "the lock is for another store");
        let connect_url = if url.starts_with("sqlite:") && !url.contains("mode=") {
            if let Some(path) = sqlite_path_of(url)
                && let Some(parent) = path.parent()
                && !parent.as_os_str().is_empty()
            {
                let _ = std::fs::create_dir_all(parent);
            }
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_string()
        };
        let mut store = Store::connect(url, &connect_url, false).await?;
        migrator()
            .run(&store.pool)
            .await
            .map_err(|source| StoreError::Migrate {
                url: store.display_url.clone(),
                what: "cannot apply migrations",
                source,
            })?;
        store.schema_version = store.read_schema_version().await?;
        Ok(store)
    }

    /// Open for a run: read-only for a dry run (`None` as the lock, `Ok(None)` for an empty store),
    /// else for writing under `lock`.
    pub async fn open_for(
        url: &str,
        lock: Option<&LockGuard>,
    ) -> Result<Option<Store>, StoreError> {
        match lock {
            None => Store::open_read_only(url).await,
            Some(lock) => Store::open(url, lock).await.map(Some),
        }
    }

    /// Open without ever writing: SQLite in `mode=ro`, PostgreSQL with read-only transactions.
    /// `Ok(None)` when the SQLite file does not exist yet or has no schema (an empty store).
    pub async fn open_read_only(url: &str) -> Result<Option<Store>, StoreError> {
        let connect_url = if url.starts_with("sqlite:") {
            match sqlite_path_of(url) {
                Some(p) if !p.exists() => return Ok(None),
                _ => {}
            }
            let base = url.split('?').next().unwrap_or(url);
            format!("{base}?mode=ro")
        } else {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}options=-c%20default_transaction_read_only%3Don")
        };
        let mut store = Store::connect(url, &connect_url, true).await?;
        if !store.has_schema().await? {
            return Ok(None);
        }
        store.schema_version = store.read_schema_version().await?;
        Ok(Some(store))
    }

    async fn read_schema_version(&self) -> Result<i64, StoreError> {
        let row =
            sqlx::query("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .map_err(self.db_err("cannot read the schema version"))?;
        row.try_get(0)
            .map_err(self.db_err("cannot read the schema version"))
    }

    async fn connect(url: &str, connect_url: &str, read_only: bool) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let display_url = redact_url(url);
        let pool = pool_options(url)
            .connect(connect_url)
            .await
            .map_err(|source| StoreError::Db {
                url: display_url.clone(),
                what: "cannot connect",
                source,
            })?;
        Ok(Store {
            pool,
            sqlite: url.starts_with("sqlite:"),
            display_url,
            read_only,
            schema_version: 0,
        })
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn display_url(&self) -> &str {
        &self.display_url
    }

    fn db_err(&self, what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
        move |source| StoreError::Db {
            url: self.display_url.clone(),
            what,
            source,
        }
    }

    async fn has_schema(&self) -> Result<bool, StoreError> {
        // Works on both: SQLite's sqlite_master is absent on PostgreSQL, so probe the table itself.
        match sqlx::query("SELECT COUNT(*) FROM developers")
            .fetch_one(&self.pool)
            .await
        {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(_)) => Ok(false),
            Err(e) => Err(self.db_err("cannot read the schema")(e)),
        }
    }

    /// Close the pool (flushes SQLite).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // -----------------------------------------------------------------------------------------
    // The developer table.
    // -----------------------------------------------------------------------------------------

    /// The table, the guard's baselines and the overrides; all empty without a store (a dry run on
    /// a store that does not exist yet).
    pub async fn load_state(store: Option<&Store>) -> Result<StoredState, StoreError> {
        let Some(s) = store else {
            return Ok(StoredState::default());
        };
        Ok(StoredState {
            table: s.load_table().await?,
            last_good: s.last_good_counts().await?,
            overrides: s.overrides().await?,
            applied: s.applied_since_last_run().await?,
        })
    }

    /// Every row, in table order. Rows are decoded as they stream in, never all held twice.
    pub async fn load_table(&self) -> Result<Vec<Developer>, StoreError> {
        use futures::TryStreamExt;
        let mut out = Vec::new();
        let mut rows =
            sqlx::query("SELECT id, data FROM developers ORDER BY position").fetch(&self.pool);
        while let Some(row) = rows
            .try_next()
            .await
            .map_err(self.db_err("cannot read the developer table"))?
        {
            out.push(self.developer_from_row(&row)?);
        }
        Ok(out)
    }

    /// The rows with these ids, in table order (ids that name no row are left out).
    pub async fn rows_by_id(&self, ids: &[String]) -> Result<Vec<Developer>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        let mut positions = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(INSERT_BATCH) {
            // One "row" of chunk.len() values is the IN list: `(?,?,…)`.
            let list = placeholders(1, chunk.len(), self.sqlite);
            let sql = format!("SELECT id, data, position FROM developers WHERE id IN {list}");
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone());
            }
            let rows = q
                .fetch_all(&self.pool)
                .await
                .map_err(self.db_err("cannot read the developer table"))?;
            for row in rows {
                let position: i64 = row
                    .try_get(2)
                    .map_err(self.db_err("cannot read the developer table"))?;
                positions.push((position, out.len()));
                out.push(self.developer_from_row(&row)?);
            }
        }
        positions.sort_unstable();
        let mut slots: Vec<Option<Developer>> = out.into_iter().map(Some).collect();
        Ok(positions
            .into_iter()
            .filter_map(|(_, i)| slots[i].take())
            .collect())
    }

    /// How many rows consume a license.
    pub async fn active_rows(&self) -> Result<usize, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM developers WHERE status = 'active'")
            .fetch_one(&self.pool)
            .await
            .map_err(self.db_err("cannot count the active rows"))?;
        let n: i64 = row
            .try_get(0)
            .map_err(self.db_err("cannot count the active rows"))?;
        Ok(usize::try_from(n).unwrap_or_default())
    }

    fn developer_from_row(&self, row: &AnyRow) -> Result<Developer, StoreError> {
        let corrupt = |what: String| StoreError::Corrupt {
            url: self.display_url.clone(),
            message: what,
        };
        let id: String = row
            .try_get(0)
            .map_err(|e| corrupt(format!("developers.id: {e}")))?;
        let data: String = row
            .try_get(1)
            .map_err(|e| corrupt(format!("developer {id}: data: {e}")))?;
        serde_json::from_str(&data).map_err(|e| corrupt(format!("developer {id}: data: {e}")))
    }

    /// Make `rows` the whole table and record `audit`, in one transaction.
    pub async fn replace_table(
        &self,
        rows: &[Developer],
        audit: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        write_table(&mut tx, rows, self.sqlite)
            .await
            .map_err(self.db_err("cannot write the developer table"))?;
        audit::append(&mut tx, audit, self.sqlite)
            .await
            .map_err(self.db_err("cannot write the audit trail"))?;
        tx.commit()
            .await
            .map_err(self.db_err("cannot commit the developer table"))?;
        Ok(())
    }

    /// Replace the rows of `changed` (matched by id; their order and the other rows stay) and record
    /// `audit`, in one transaction: all of it or nothing.
    pub async fn update_rows(
        &self,
        changed: &[Developer],
        audit: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        update_developers(&mut tx, changed, self.sqlite)
            .await
            .map_err(self.db_err("cannot update the developer table"))?;
        audit::append(&mut tx, audit, self.sqlite)
            .await
            .map_err(self.db_err("cannot write the audit trail"))?;
        stall_before_commit_for_tests();
        tx.commit()
            .await
            .map_err(self.db_err("cannot commit the changes"))?;
        Ok(())
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        self.pool
            .begin()
            .await
            .map_err(self.db_err("cannot begin a transaction"))
    }

    /// Store a finished run, the table after it and the run's audit entries (rows it re-added), then
    /// prune the runs beyond the newest `keep_runs` with their per-source rows: one transaction.
    pub async fn save_run(
        &self,
        run: &RunRecord,
        rows: &[Developer],
        audit: &[AuditEntry],
        keep_runs: u32,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        write_table(&mut tx, rows, self.sqlite)
            .await
            .map_err(self.db_err("cannot write the developer table"))?;
        let audit_seq = audit::append(&mut tx, audit, self.sqlite)
            .await
            .map_err(self.db_err("cannot write the audit trail"))?;
        sqlx::query(
            "INSERT INTO runs (id, started_at, finished_at, status, licenses_purchased, consumed, overage, duplicates, recommendations, summary, audit_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(run.id.clone())
        .bind(run.started_at.to_rfc3339())
        // Fixed width to the nanosecond: runs are ordered by this text, and two runs can finish
        // within one second (a reconcile right after an apply).
        .bind(run.finished_at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
        .bind(run.status.clone())
        .bind(run.licenses_purchased.map(|v| v as i64))
        .bind(run.consumed as i64)
        .bind(run.overage as i64)
        .bind(run.duplicates as i64)
        .bind(run.recommendations as i64)
        .bind(run.summary.clone())
        .bind(audit_seq)
        .execute(&mut *tx)
        .await
        .map_err(self.db_err("cannot record the run"))?;
        for s in &run.sources {
            sqlx::query(
                "INSERT INTO source_runs (run_id, source, kind, status, records, error) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(run.id.clone())
            .bind(s.source.clone())
            .bind(s.kind.clone())
            .bind(s.status.clone())
            .bind(s.records as i64)
            .bind(s.error.clone())
            .execute(&mut *tx)
            .await
            .map_err(self.db_err("cannot record the run's sources"))?;
        }
        prune_runs(&mut tx, keep_runs)
            .await
            .map_err(self.db_err("cannot prune old runs"))?;
        tx.commit()
            .await
            .map_err(self.db_err("cannot commit the run"))?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Runs.
    // -----------------------------------------------------------------------------------------

    /// For each source, the record count of its latest run with status `ok` (the guard's baseline).
    pub async fn last_good_counts(&self) -> Result<HashMap<String, u64>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.source, s.records, r.finished_at FROM source_runs s JOIN runs r ON r.id = s.run_id \
             WHERE s.status = 'ok' ORDER BY r.finished_at",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.db_err("cannot read source history"))?;
        let mut out = HashMap::new();
        for row in rows {
            let source: String = row
                .try_get(0)
                .map_err(self.db_err("cannot read source history"))?;
            let records: i64 = row
                .try_get(1)
                .map_err(self.db_err("cannot read source history"))?;
            out.insert(source, records.max(0) as u64); // later rows overwrite: the latest wins
        }
        Ok(out)
    }

    /// Every stored run, oldest first (without per-source details).
    pub async fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, started_at, finished_at, status, licenses_purchased, consumed, overage, duplicates, recommendations, summary \
             FROM runs ORDER BY finished_at, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.db_err("cannot read runs"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.run_from_row(&row)?);
        }
        Ok(out)
    }

    /// The newest stored run, if any.
    pub async fn latest_run(&self) -> Result<Option<RunRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, started_at, finished_at, status, licenses_purchased, consumed, overage, duplicates, recommendations, summary \
             FROM runs ORDER BY finished_at DESC, id DESC",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(self.db_err("cannot read runs"))?;
        row.map(|r| self.run_from_row(&r)).transpose()
    }

    /// A `runs` row (the first ten columns); a time that is not RFC 3339 is a corrupt store, never 1970.
    fn run_from_row(&self, row: &AnyRow) -> Result<RunRecord, StoreError> {
        let e = self.db_err("cannot read runs");
        let read = || -> Result<(RunRecord, [String; 2]), sqlx::Error> {
            let times = [row.try_get::<String, _>(1)?, row.try_get::<String, _>(2)?];
            let run = RunRecord {
                id: row.try_get(0)?,
                started_at: DateTime::<Utc>::MIN_UTC,
                finished_at: DateTime::<Utc>::MIN_UTC,
                status: row.try_get(3)?,
                licenses_purchased: row.try_get::<Option<i64>, _>(4)?.map(|v| v.max(0) as u64),
                consumed: row.try_get::<i64, _>(5)?.max(0) as u64,
                overage: row.try_get::<i64, _>(6)?.max(0) as u64,
                duplicates: row.try_get::<i64, _>(7)?.max(0) as u64,
                recommendations: row.try_get::<i64, _>(8)?.max(0) as u64,
                summary: row.try_get(9)?,
                sources: Vec::new(),
            };
            Ok((run, times))
        };
        let (mut run, [started, finished]) = read().map_err(e)?;
        let time = |what: &str, text: &str| {
            parse_time(Some(text)).ok_or_else(|| StoreError::Corrupt {
                url: self.display_url.clone(),
                message: format!("run {}: {what}: `{text}` is not an RFC 3339 time", run.id),
            })
        };
        run.started_at = time("started_at", &started)?;
        run.finished_at = time("finished_at", &finished)?;
        Ok(run)
    }

    // -----------------------------------------------------------------------------------------
    // Overrides.
    // -----------------------------------------------------------------------------------------

    /// Record a manual merge or split (idempotent). The pair is stored in a canonical order.
    pub async fn add_override(
        &self,
        o: &StoredOverride,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let (a, b) = if o.a <= o.b {
            (&o.a, &o.b)
        } else {
            (&o.b, &o.a)
        };
        // A new decision replaces an opposite earlier one about the same pair.
        let opposite = match o.kind {
            OverrideKind::Merge => OverrideKind::Split,
            OverrideKind::Split => OverrideKind::Merge,
        };
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(self.db_err("cannot begin a transaction"))?;
        sqlx::query("DELETE FROM overrides WHERE kind = $1 AND a_source = $2 AND a_id = $3 AND b_source = $4 AND b_id = $5")
            .bind(opposite.as_str())
            .bind(a.source.clone())
            .bind(a.id.clone())
            .bind(b.source.clone())
            .bind(b.id.clone())
            .execute(&mut *tx)
            .await
            .map_err(self.db_err("cannot write an override"))?;
        sqlx::query(
            "INSERT INTO overrides (kind, a_source, a_id, b_source, b_id, created_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (kind, a_source, a_id, b_source, b_id) DO UPDATE SET note = excluded.note",
        )
        .bind(o.kind.as_str())
        .bind(a.source.clone())
        .bind(a.id.clone())
        .bind(b.source.clone())
        .bind(b.id.clone())
        .bind(now.to_rfc3339())
        .bind(o.note.clone())
        .execute(&mut *tx)
        .await
        .map_err(self.db_err("cannot write an override"))?;
        audit::append(&mut tx, std::slice::from_ref(audit), self.sqlite)
            .await
            .map_err(self.db_err("cannot write the audit trail"))?;
        tx.commit()
            .await
            .map_err(self.db_err("cannot commit an override"))?;
        Ok(())
    }

    /// Every stored override.
    pub async fn overrides(&self) -> Result<Vec<StoredOverride>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, a_source, a_id, b_source, b_id, note FROM overrides ORDER BY created_at",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.db_err("cannot read overrides"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let e = self.db_err("cannot read overrides");
            let kind: String = row
                .try_get(0)
                .map_err(self.db_err("cannot read overrides"))?;
            let kind = match kind.as_str() {
                "merge" => OverrideKind::Merge,
                "split" => OverrideKind::Split,
                other => {
                    return Err(StoreError::Corrupt {
                        url: self.display_url.clone(),
                        message: format!("overrides.kind: unknown `{other}`"),
                    });
                }
            };
            let read = || -> Result<StoredOverride, sqlx::Error> {
                Ok(StoredOverride {
                    kind,
                    a: IdentityKey {
                        source: row.try_get(1)?,
                        id: row.try_get(2)?,
                    },
                    b: IdentityKey {
                        source: row.try_get(3)?,
                        id: row.try_get(4)?,
                    },
                    note: row.try_get(5)?,
                })
            };
            out.push(read().map_err(e)?);
        }
        Ok(out)
    }

    // -----------------------------------------------------------------------------------------
    // HTTP cache.
    // -----------------------------------------------------------------------------------------

    async fn cache_get(&self, url: &str) -> Result<Option<CachedResponse>, StoreError> {
        let row = sqlx::query("SELECT etag, body FROM http_cache WHERE url = $1")
            .bind(url.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.db_err("cannot read the HTTP cache"))?;
        match row {
            None => Ok(None),
            Some(row) => {
                let etag: String = row
                    .try_get(0)
                    .map_err(self.db_err("cannot read the HTTP cache"))?;
                let body: String = row
                    .try_get(1)
                    .map_err(self.db_err("cannot read the HTTP cache"))?;
                Ok(Some(CachedResponse {
                    etag,
                    body: body.into_bytes(),
                }))
            }
        }
    }

    async fn cache_put(&self, url: &str, response: &CachedResponse) -> Result<(), StoreError> {
        // Bodies are JSON or CSV text; a non-UTF-8 body is simply not cached.
        let Ok(body) = std::str::from_utf8(&response.body) else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO http_cache (url, etag, body) VALUES ($1, $2, $3) \
             ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, body = excluded.body",
        )
        .bind(url.to_string())
        .bind(response.etag.clone())
        .bind(body.to_string())
        .execute(&self.pool)
        .await
        .map_err(self.db_err("cannot write the HTTP cache"))?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl HttpCache for Store {
    async fn get(&self, url: &str) -> Option<CachedResponse> {
        match self.cache_get(url).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "HTTP cache unavailable");
                None
            }
        }
    }

    async fn put(&self, url: &str, response: CachedResponse) {
        if self.read_only {
            return; // a dry run writes nothing, not even cache entries
        }
        if let Err(e) = self.cache_put(url, &response).await {
            tracing::warn!(error = %e, "HTTP cache not updated");
        }
    }
}

fn pool_options(url: &str) -> AnyPoolOptions {
    // SQLite serialises writers anyway; one connection avoids "database is locked".
    let max = if url.starts_with("sqlite:") { 1 } else { 4 };
    AnyPoolOptions::new().max_connections(max)
}

fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.with_timezone(&Utc))
}

async fn write_table(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rows: &[Developer],
    sqlite: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM developers")
        .execute(&mut **tx)
        .await?;
    for (chunk_index, chunk) in rows.chunks(INSERT_BATCH).enumerate() {
        let sql = format!(
            "INSERT INTO developers ({DEVELOPER_COLUMNS}) VALUES {}",
            placeholders(chunk.len(), DEVELOPER_COLUMN_COUNT, sqlite)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (i, d) in chunk.iter().enumerate() {
            let data = row_json(d);
            q = q
                .bind(d.id.clone())
                .bind(d.email.clone())
                .bind(d.name.clone())
                .bind(d.status.as_str())
                .bind(data)
                .bind((chunk_index * INSERT_BATCH + i) as i64);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// `(?,?,…),(?,?,…)…` for `rows` rows of `columns` values: `?` for SQLite (see [`Store`]), `$N`
/// for PostgreSQL.
fn placeholders(rows: usize, columns: usize, sqlite: bool) -> String {
    let mut sql = String::with_capacity(rows * columns * 6);
    let mut n = 0;
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            if sqlite {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&n.to_string());
            }
        }
        sql.push(')');
    }
    sql
}

/// The row JSON of the `data` column. A row is strings, dates, vectors and enums, with no map keys:
/// serialising it cannot fail, and an empty value must never be stored in its place.
fn row_json(d: &Developer) -> String {
    serde_json::to_string(d).expect("a developer row serialises")
}

/// Rewrite the rows of `changed` in place (same id, same position), in batches of one statement:
/// `UPDATE … FROM (VALUES …)` works on SQLite (3.33+) and PostgreSQL alike.
async fn update_developers(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    changed: &[Developer],
    sqlite: bool,
) -> Result<(), sqlx::Error> {
    const COLUMNS: usize = 5;
    for chunk in changed.chunks(INSERT_BATCH) {
        let sql = format!(
            "UPDATE developers SET email = v.column2, name = v.column3, status = v.column4, data = v.column5 \
             FROM (VALUES {}) AS v WHERE developers.id = v.column1",
            placeholders(chunk.len(), COLUMNS, sqlite)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for d in chunk {
            q = q
                .bind(d.id.clone())
                .bind(d.email.clone())
                .bind(d.name.clone())
                .bind(d.status.as_str())
                .bind(row_json(d));
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Delete the runs beyond the newest `keep`, and their per-source rows. The audit trail stays.
async fn prune_runs(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    keep: u32,
) -> Result<(), sqlx::Error> {
    const KEPT: &str = "SELECT id FROM runs ORDER BY finished_at DESC, id DESC LIMIT $1";
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM source_runs WHERE run_id NOT IN ({KEPT})"
    )))
    .bind(i64::from(keep))
    .execute(&mut **tx)
    .await?;
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM runs WHERE id NOT IN ({KEPT})"
    )))
    .bind(i64::from(keep))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Test hook: with `SEATWARDEN_TEST_STALL_BEFORE_COMMIT_SECS=N`, a change waits N seconds after its
/// writes and before its commit, saying so on stderr, so that a test can kill the process inside
/// the transaction. Unset, it does nothing.
fn stall_before_commit_for_tests() {
    let secs = std::env::var("SEATWARDEN_TEST_STALL_BEFORE_COMMIT_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(secs) = secs {
        eprintln!("test hook: stalling {secs} s before the commit");
        std::thread::sleep(std::time::Duration::from_secs(secs));
    }
}

#[cfg(test)]
mod tests;
