//! What the weekly report reads of the stored runs: every run's figures (without its summary, so
//! a long history of large runs stays small in memory), one run's summary by id, and the table's
//! rows as id, email, name and status only (all of them, or the ones a report names).
//!
//! Never writes: `report` without `--send` opens the store read-only.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, StoreError, parse_time};
use crate::model::{Developer, RowStatus};

/// One stored run's figures: the series the chart draws and SPEC §4's `history`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFigures {
    pub id: String,
    pub finished_at: DateTime<Utc>,
    pub status: String,
    pub licenses_purchased: Option<u64>,
    pub consumed: u64,
    pub overage: u64,
    pub duplicates: u64,
    pub recommendations: u64,
}

/// Ids per query of [`Store::names_of`]: few enough bind parameters for both databases.
const NAMES_BATCH: usize = 500;

fn count(v: i64) -> u64 {
    v.max(0) as u64
}

impl Store {
    /// Every stored run's figures, oldest first.
    pub async fn run_figures(&self) -> Result<Vec<RunFigures>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, finished_at, status, licenses_purchased, consumed, overage, duplicates, recommendations \
             FROM runs ORDER BY finished_at, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.db_err("cannot read runs"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let read = || -> Result<RunFigures, sqlx::Error> {
                Ok(RunFigures {
                    id: row.try_get(0)?,
                    finished_at: parse_time(Some(&row.try_get::<String, _>(1)?))
                        .unwrap_or_default(),
                    status: row.try_get(2)?,
                    licenses_purchased: row.try_get::<Option<i64>, _>(3)?.map(count),
                    consumed: count(row.try_get(4)?),
                    overage: count(row.try_get(5)?),
                    duplicates: count(row.try_get(6)?),
                    recommendations: count(row.try_get(7)?),
                })
            };
            out.push(read().map_err(self.db_err("cannot read runs"))?);
        }
        Ok(out)
    }

    /// The stored summary (SPEC §4 report without `developers`, JSON text) of run `id`.
    pub async fn run_summary(&self, id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT summary FROM runs WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.db_err("cannot read a run's summary"))?;
        match row {
            None => Ok(None),
            Some(row) => row
                .try_get(0)
                .map(Some)
                .map_err(self.db_err("cannot read a run's summary")),
        }
    }

    /// The rows with these ids, with their id, email, name and status only (the rest left empty, in
    /// no particular order): what a report needs to name a row, without decoding whole records.
    pub async fn names_of(&self, ids: &[&str]) -> Result<Vec<Developer>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(NAMES_BATCH) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let filter = format!("WHERE id IN ({})", marks.join(","));
            out.extend(self.names_where(&filter, chunk).await?);
        }
        Ok(out)
    }

    async fn names_where(&self, filter: &str, ids: &[&str]) -> Result<Vec<Developer>, StoreError> {
        use futures::TryStreamExt;
        let sql = format!("SELECT id, email, name, status FROM developers {filter}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id.to_string());
        }
        let mut out = Vec::new();
        let mut rows = query.fetch(&self.pool);
        let e = "cannot read the developer table";
        while let Some(row) = rows.try_next().await.map_err(self.db_err(e))? {
            let status: String = row.try_get(3).map_err(self.db_err(e))?;
            let status = if status == RowStatus::Removed.as_str() {
                RowStatus::Removed
            } else {
                RowStatus::Active
            };
            out.push(Developer::named(
                row.try_get(0).map_err(self.db_err(e))?,
                row.try_get(2).map_err(self.db_err(e))?,
                row.try_get(1).map_err(self.db_err(e))?,
                status,
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Developer, RowStatus};
    use crate::store::Store;
    use crate::store::testing::TempPostgres;

    async fn names_round_trip(store: &Store) {
        let rows: Vec<Developer> = (0..1200)
            .map(|i| {
                let status = if i % 3 == 0 {
                    RowStatus::Removed
                } else {
                    RowStatus::Active
                };
                Developer::named(
                    format!("d{i}"),
                    format!("Dev {i}"),
                    format!("d{i}@x.example"),
                    status,
                )
            })
            .collect();
        store.replace_table(&rows, &[]).await.unwrap();
        let ids: Vec<String> = (0..1200)
            .step_by(2)
            .map(|i| format!("d{i}"))
            .chain(["nobody".into()])
            .collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut got = store.names_of(&ids).await.unwrap();
        got.sort_by_key(|d| d.id[1..].parse::<u32>().unwrap());
        assert_eq!(
            got.len(),
            600,
            "two batches of 500 and one of 101, the unknown id left out"
        );
        assert_eq!(
            (got[1].id.as_str(), got[1].email.as_str()),
            ("d2", "d2@x.example")
        );
        assert_eq!(got[0].status, RowStatus::Removed);
        assert_eq!(got[1].status, RowStatus::Active);
        assert!(store.names_of(&[]).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn sqlite_names_of_reads_the_named_rows_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _lock) =
            crate::store::tests::open(&format!("sqlite://{}", dir.path().join("s.db").display()))
                .await;
        names_round_trip(&store).await;
        store.close().await;
    }

    #[tokio::test]
    async fn postgres_names_of_reads_the_named_rows_in_batches() {
        let Some(pg) = TempPostgres::create().await else {
            return;
        };
        let (store, _lock) = crate::store::tests::open(&pg.url).await;
        names_round_trip(&store).await;
        store.close().await;
        pg.drop_db().await;
    }
}
