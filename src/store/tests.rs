//! The store against a real SQLite file and a real PostgreSQL (SEATWARDEN_TEST_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/test; set SEATWARDEN_SKIP_POSTGRES=1 where no server runs).

use super::*;
use crate::model::{IdentityRef, RowStatus};
use chrono::TimeZone;

fn dev(id: &str, email: &str, pos: usize) -> Developer {
    Developer {
        id: id.into(),
        name: format!("Dev {pos}"),
        email: email.into(),
        emails: vec![email.into(), format!("alt{pos}@example.org")],
        status: if pos.is_multiple_of(7) {
            RowStatus::Removed
        } else {
            RowStatus::Active
        },
        title: Some("Engineer".into()),
        department: None,
        manager_email: Some("boss@acme.example".into()),
        site: None,
        team: Some("Core".into()),
        sub_role: None,
        first_seen: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        last_activity: if pos.is_multiple_of(2) {
            Some(Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap())
        } else {
            None
        },
        identities: vec![IdentityRef {
            source: "github".into(),
            id: format!("{pos}"),
            login: Some(format!("dev{pos}")),
            email: None,
            name: None,
        }],
    }
}

fn run(id: &str, minute: u32, okta_records: u64, okta_status: &str) -> RunRecord {
    let t = Utc.with_ymd_and_hms(2026, 6, 1, 0, minute, 0).unwrap();
    RunRecord {
        id: id.into(),
        started_at: t,
        finished_at: t,
        status: "ok".into(),
        licenses_purchased: Some(10),
        consumed: 12,
        overage: 2,
        duplicates: 1,
        recommendations: 3,
        summary: "{}".into(),
        sources: vec![SourceRun {
            source: "okta".into(),
            kind: "okta".into(),
            status: okta_status.into(),
            records: okta_records,
            error: None,
        }],
    }
}

async fn exercise(store: &Store) {
    // Table round trip, larger than one insert batch, order kept.
    let rows: Vec<Developer> = (0..2500)
        .map(|i| dev(&format!("d{i:05}"), &format!("p{i}@acme.example"), i))
        .collect();
    store.replace_table(&rows).await.unwrap();
    let back = store.load_table().await.unwrap();
    assert_eq!(back, rows);

    // Runs: the guard baseline is the latest run where the source was ok.
    store
        .save_run(&run("r1", 1, 100, "ok"), &rows[..10])
        .await
        .unwrap();
    store
        .save_run(&run("r2", 2, 120, "ok"), &rows[..10])
        .await
        .unwrap();
    store
        .save_run(&run("r3", 3, 5, "guarded"), &rows[..10])
        .await
        .unwrap();
    assert_eq!(
        store.last_good_counts().await.unwrap().get("okta"),
        Some(&120)
    );
    let runs = store.runs().await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r1", "r2", "r3"]
    );
    assert_eq!(runs[0].overage, 2);
    assert_eq!(store.load_table().await.unwrap().len(), 10);

    // Overrides: a split replaces an earlier merge of the same pair, in either order.
    let a = IdentityKey {
        source: "table".into(),
        id: "d1".into(),
    };
    let b = IdentityKey {
        source: "table".into(),
        id: "d2".into(),
    };
    let now = Utc::now();
    store
        .add_override(
            &StoredOverride {
                kind: OverrideKind::Merge,
                a: a.clone(),
                b: b.clone(),
                note: None,
            },
            now,
        )
        .await
        .unwrap();
    store
        .add_override(
            &StoredOverride {
                kind: OverrideKind::Split,
                a: b.clone(),
                b: a.clone(),
                note: Some("twins".into()),
            },
            now,
        )
        .await
        .unwrap();
    let o = store.overrides().await.unwrap();
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].kind, OverrideKind::Split);
    assert_eq!(o[0].note.as_deref(), Some("twins"));

    // HTTP cache.
    let url = "https://api.github.com/orgs/acme/members?per_page=100";
    assert!(HttpCache::get(store, url).await.is_none());
    HttpCache::put(
        store,
        url,
        CachedResponse {
            etag: "W/\"1\"".into(),
            body: b"[1]".to_vec(),
        },
    )
    .await;
    HttpCache::put(
        store,
        url,
        CachedResponse {
            etag: "W/\"2\"".into(),
            body: b"[2]".to_vec(),
        },
    )
    .await;
    let c = HttpCache::get(store, url).await.unwrap();
    assert_eq!(
        (c.etag.as_str(), c.body.as_slice()),
        ("W/\"2\"", b"[2]".as_slice())
    );
}

#[tokio::test]
async fn sqlite_store_round_trips_table_runs_overrides_and_cache() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("sub/seatwarden.db").display()
    );
    let store = Store::open(&url).await.unwrap();
    exercise(&store).await;
    store.close().await;
    // Reopening migrates nothing new and sees the same data.
    let again = Store::open(&url).await.unwrap();
    assert_eq!(again.load_table().await.unwrap().len(), 10);
}

#[tokio::test]
async fn read_only_sqlite_store_leaves_the_file_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seatwarden.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(&url).await.unwrap();
    store
        .replace_table(&[dev("d1", "a@acme.example", 1)])
        .await
        .unwrap();
    store.close().await;
    let before = std::fs::read(&path).unwrap();

    let ro = Store::open_read_only(&url)
        .await
        .unwrap()
        .expect("schema exists");
    assert_eq!(ro.load_table().await.unwrap().len(), 1);
    HttpCache::put(
        &ro,
        "https://x.example/",
        CachedResponse {
            etag: "e".into(),
            body: b"b".to_vec(),
        },
    )
    .await;
    assert!(
        ro.replace_table(&[]).await.is_err(),
        "a read-only store refuses writes"
    );
    ro.close().await;
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[tokio::test]
async fn read_only_open_of_a_missing_file_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.db");
    let got = Store::open_read_only(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(got.is_none());
    assert!(!path.exists());
}

#[test]
fn redact_url_hides_the_password() {
    assert_eq!(
        redact_url("postgres://u:hunter2@db/x"),
        "postgres://u:***@db/x"
    );
    assert_eq!(redact_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
}

/// A fresh PostgreSQL database for one test, dropped afterwards.
pub(crate) struct TempPostgres {
    pub url: String,
    admin_url: String,
    name: String,
}

impl TempPostgres {
    pub(crate) async fn create() -> Option<TempPostgres> {
        if std::env::var("SEATWARDEN_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
            eprintln!("SEATWARDEN_SKIP_POSTGRES=1: PostgreSQL test skipped");
            return None;
        }
        sqlx::any::install_default_drivers();
        let admin_url = std::env::var("SEATWARDEN_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("seatwarden_test_{}", uuid::Uuid::new_v4().simple());
        let admin = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is not reachable ({e}); set SEATWARDEN_SKIP_POSTGRES=1 to skip"));
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        Some(TempPostgres {
            url: url.to_string(),
            admin_url,
            name,
        })
    }

    pub(crate) async fn drop_db(self) {
        let admin = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.admin_url)
            .await
            .unwrap();
        let _ = sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&admin)
        .await;
        admin.close().await;
    }
}

#[tokio::test]
async fn postgres_store_round_trips_table_runs_overrides_and_cache() {
    let Some(pg) = TempPostgres::create().await else {
        return;
    };
    let store = Store::open(&pg.url).await.unwrap();
    exercise(&store).await;
    store.close().await;
    let again = Store::open_read_only(&pg.url)
        .await
        .unwrap()
        .expect("schema exists");
    assert_eq!(again.load_table().await.unwrap().len(), 10);
    assert!(
        again.replace_table(&[]).await.is_err(),
        "a read-only PostgreSQL store refuses writes"
    );
    assert_eq!(again.load_table().await.unwrap().len(), 10);
    again.close().await;
    pg.drop_db().await;
}
