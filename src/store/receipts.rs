//! Delivery receipts: one per run and channel, so the weekly report reaches each channel once per
//! run (SPEC §1 `report --send`). `deliver` decides with them; this file only reads and writes them.
//!
//! Never stores a secret: `detail` is what was sent (recipient count, messages) or the error, and
//! errors from `deliver` name servers and hosts, never passwords or webhook URLs.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, StoreError, parse_time};

/// How a channel's last delivery of a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptStatus {
    Sent,
    Failed,
}

impl ReceiptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptStatus::Sent => "sent",
            ReceiptStatus::Failed => "failed",
        }
    }
}

/// One run's delivery on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub run_id: String,
    /// `email` or `webhook`.
    pub channel: String,
    pub status: ReceiptStatus,
    pub at: DateTime<Utc>,
    pub detail: String,
    /// Sends tried for this run and channel so far.
    pub attempts: u64,
}

impl Store {
    /// The receipt of `run_id` on `channel`, if any delivery was tried.
    pub async fn receipt(
        &self,
        run_id: &str,
        channel: &str,
    ) -> Result<Option<Receipt>, StoreError> {
        let e = "cannot read delivery receipts";
        let row = sqlx::query(
            "SELECT status, at, detail, attempts FROM delivery_receipts WHERE run_id = $1 AND channel = $2",
        )
        .bind(run_id.to_string())
        .bind(channel.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(self.db_err(e))?;
        let Some(row) = row else { return Ok(None) };
        let status: String = row.try_get(0).map_err(self.db_err(e))?;
        let at: String = row.try_get(1).map_err(self.db_err(e))?;
        Ok(Some(Receipt {
            run_id: run_id.to_string(),
            channel: channel.to_string(),
            status: if status == ReceiptStatus::Sent.as_str() {
                ReceiptStatus::Sent
            } else {
                ReceiptStatus::Failed
            },
            at: parse_time(Some(&at)).unwrap_or_default(),
            detail: row.try_get(2).map_err(self.db_err(e))?,
            attempts: row.try_get::<i64, _>(3).map_err(self.db_err(e))?.max(0) as u64,
        }))
    }

    /// Record how a delivery ended; a later attempt replaces the row and counts one more attempt.
    pub async fn record_receipt(
        &self,
        run_id: &str,
        channel: &str,
        status: ReceiptStatus,
        at: DateTime<Utc>,
        detail: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO delivery_receipts (run_id, channel, status, at, detail, attempts) VALUES ($1, $2, $3, $4, $5, 1) \
             ON CONFLICT (run_id, channel) DO UPDATE SET status = excluded.status, at = excluded.at, \
             detail = excluded.detail, attempts = delivery_receipts.attempts + 1",
        )
        .bind(run_id.to_string())
        .bind(channel.to_string())
        .bind(status.as_str())
        .bind(at.to_rfc3339())
        .bind(detail.to_string())
        .execute(&self.pool)
        .await
        .map_err(self.db_err("cannot record a delivery receipt"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::TempPostgres;

    async fn receipts_round_trip(store: &Store) {
        let t = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(store.receipt("r1", "email").await.unwrap(), None);
        store
            .record_receipt("r1", "email", ReceiptStatus::Failed, t, "smtp down")
            .await
            .unwrap();
        store
            .record_receipt("r1", "email", ReceiptStatus::Sent, t, "to 2 recipients")
            .await
            .unwrap();
        let r = store.receipt("r1", "email").await.unwrap().unwrap();
        assert_eq!(
            (r.status, r.detail.as_str(), r.attempts, r.at),
            (ReceiptStatus::Sent, "to 2 recipients", 2, t)
        );
        // Another channel and another run are their own receipts.
        assert_eq!(store.receipt("r1", "webhook").await.unwrap(), None);
        assert_eq!(store.receipt("r2", "email").await.unwrap(), None);
    }

    #[tokio::test]
    async fn sqlite_receipts_count_attempts_and_keep_the_last_outcome() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let (store, _lock) = crate::store::tests::open(&url).await;
        receipts_round_trip(&store).await;
        store.close().await;
    }

    #[tokio::test]
    async fn postgres_receipts_count_attempts_and_keep_the_last_outcome() {
        let Some(pg) = TempPostgres::create().await else {
            return;
        };
        let (store, _lock) = crate::store::tests::open(&pg.url).await;
        receipts_round_trip(&store).await;
        store.close().await;
        pg.drop_db().await;
    }
}
