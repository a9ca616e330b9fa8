//! The audit trail in the store: entries are appended inside the transaction of the change they
//! record, numbered in the order they were written, and read back per row (`developers history`) or
//! since the previous run (the report's `applied`).
//!
//! Architecture invariant: append-only. Nothing here updates or deletes an entry, and retention
//! never touches this table.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Store, StoreError, placeholders};
use crate::model::{AuditAction, AuditEntry};

const AUDIT_COLUMNS: &str =
    "seq, at, actor, action, developer, email, into_id, reason, evidence, run_id, origin, detail";
const AUDIT_COLUMN_COUNT: usize = 12;
/// Entries per INSERT: 12,000 bind parameters, within both databases' limits.
const AUDIT_BATCH: usize = 1000;
/// The first schema version that has the audit table.
pub(super) const AUDIT_SCHEMA: i64 = 2;

/// The number of the newest entry (0 for none).
pub(super) async fn last_seq(conn: &mut sqlx::AnyConnection) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM audit")
        .fetch_one(&mut *conn)
        .await?;
    row.try_get(0)
}

/// Append `entries` after the newest one; returns the number of the last entry now stored.
pub(super) async fn append(
    conn: &mut sqlx::AnyConnection,
    entries: &[AuditEntry],
    sqlite: bool,
) -> Result<i64, sqlx::Error> {
    let mut seq = last_seq(conn).await?;
    for chunk in entries.chunks(AUDIT_BATCH) {
        let sql = format!(
            "INSERT INTO audit ({AUDIT_COLUMNS}) VALUES {}",
            placeholders(chunk.len(), AUDIT_COLUMN_COUNT, sqlite)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for e in chunk {
            seq += 1;
            // A list of strings always serialises.
            let evidence =
                serde_json::to_string(&e.evidence).expect("a list of strings serialises");
            q = q
                .bind(seq)
                .bind(e.at.to_rfc3339())
                .bind(e.actor.clone())
                .bind(e.action.as_str())
                .bind(e.developer.clone())
                .bind(e.email.clone())
                .bind(e.into.clone())
                .bind(e.reason.clone())
                .bind(evidence)
                .bind(e.run_id.clone())
                .bind(e.origin.clone())
                .bind(e.detail.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(seq)
}

impl Store {
    /// Every entry about the rows `developers` or the email `email` (case-insensitive), oldest first.
    pub async fn history(
        &self,
        developers: &[String],
        email: &str,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        if self.schema_version < AUDIT_SCHEMA {
            return Ok(Vec::new()); // a v1 store opened read-only: no trail yet
        }
        let mut sql = format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE LOWER(email) = LOWER($1)");
        for i in 0..developers.len() {
            sql.push_str(&format!(" OR developer = ${}", i + 2));
        }
        sql.push_str(" ORDER BY seq");
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(email.to_string());
        for d in developers {
            q = q.bind(d.clone());
        }
        let rows = q
            .fetch_all(&self.pool)
            .await
            .map_err(self.db_err("cannot read the audit trail"))?;
        rows.iter().map(|r| self.entry_from_row(r)).collect()
    }

    /// The removals, merges and restores recorded after the latest stored run (all of them before
    /// the first run): what the next report shows as applied since the last run.
    pub async fn applied_since_last_run(&self) -> Result<Vec<AuditEntry>, StoreError> {
        if self.schema_version < AUDIT_SCHEMA {
            return Ok(Vec::new());
        }
        let seen = sqlx::query("SELECT audit_seq FROM runs ORDER BY finished_at DESC, id DESC")
            .fetch_optional(&self.pool)
            .await
            .map_err(self.db_err("cannot read runs"))?;
        let seen: i64 = match seen {
            Some(row) => row
                .try_get::<Option<i64>, _>(0)
                .map_err(self.db_err("cannot read runs"))?
                .unwrap_or(0),
            None => 0,
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > $1 AND action IN ('removed', 'merged', 'restored') ORDER BY seq"
        )))
        .bind(seen)
        .fetch_all(&self.pool)
        .await
        .map_err(self.db_err("cannot read the audit trail"))?;
        rows.iter().map(|r| self.entry_from_row(r)).collect()
    }

    fn entry_from_row(&self, row: &AnyRow) -> Result<AuditEntry, StoreError> {
        let seq: i64 = row
            .try_get(0)
            .map_err(self.db_err("cannot read the audit trail"))?;
        let corrupt = |what: &str| StoreError::Corrupt {
            url: self.display_url.clone(),
            message: format!("audit entry {seq}: {what}"),
        };
        let text = |i: usize| -> Result<Option<String>, StoreError> {
            row.try_get::<Option<String>, _>(i)
                .map_err(|e| corrupt(&e.to_string()))
        };
        let at = text(1)?.unwrap_or_default();
        let action = text(3)?.unwrap_or_default();
        let evidence = text(8)?.unwrap_or_default();
        Ok(AuditEntry {
            at: DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| corrupt(&format!("at: `{at}` is not an RFC 3339 time")))?,
            actor: text(2)?.unwrap_or_default(),
            action: AuditAction::from_word(&action)
                .ok_or_else(|| corrupt(&format!("action: unknown `{action}`")))?,
            developer: text(4)?,
            email: text(5)?,
            into: text(6)?,
            reason: text(7)?,
            evidence: serde_json::from_str(&evidence)
                .map_err(|e| corrupt(&format!("evidence: {e}")))?,
            run_id: text(9)?,
            origin: text(10)?,
            detail: text(11)?,
        })
    }
}
