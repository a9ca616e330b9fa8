//! The store against a real SQLite file and a real PostgreSQL (see `store::testing`: skipped, said
//! once, when no server answers, unless SEATWARDEN_REQUIRE_POSTGRES=1). Each behaviour is one
//! function over a URL, run on both backends.

use super::testing::TempPostgres;
use super::*;
use crate::model::{AuditAction, AuditEntry, IdentityRef, RowStatus};
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

/// Take the lock and open for writing, as every writing command does.
pub(super) async fn open(url: &str) -> (Store, LockGuard) {
    let lock = Store::lock(url, "test", std::time::Duration::from_secs(5))
        .await
        .unwrap();
    (Store::open(url, &lock).await.unwrap(), lock)
}

fn entry(action: AuditAction, developer: &str) -> AuditEntry {
    AuditEntry {
        at: Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
        actor: "alice".into(),
        action,
        developer: Some(developer.into()),
        email: Some(format!("{developer}@acme.example")),
        into: None,
        reason: Some("departed".into()),
        evidence: vec!["directory: departed".into()],
        run_id: Some("r1".into()),
        origin: Some("recs.csv:2".into()),
        detail: None,
    }
}

async fn exercise(store: &Store) {
    // Table round trip, larger than one insert batch, order kept.
    let rows: Vec<Developer> = (0..2500)
        .map(|i| dev(&format!("d{i:05}"), &format!("p{i}@acme.example"), i))
        .collect();
    store.replace_table(&rows, &[]).await.unwrap();
    let back = store.load_table().await.unwrap();
    assert_eq!(back, rows);

    // Runs: the guard baseline is the latest run where the source was ok.
    store
        .save_run(&run("r1", 1, 100, "ok"), &rows[..10], &[], 104)
        .await
        .unwrap();
    store
        .save_run(&run("r2", 2, 120, "ok"), &rows[..10], &[], 104)
        .await
        .unwrap();
    store
        .save_run(&run("r3", 3, 5, "guarded"), &rows[..10], &[], 104)
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
            &entry(AuditAction::MergeOverride, "d1"),
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
            &entry(AuditAction::MergeOverride, "d1"),
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
    let (store, lock) = open(&url).await;
    exercise(&store).await;
    store.close().await;
    // Reopening migrates nothing new and sees the same data.
    let again = Store::open(&url, &lock).await.unwrap();
    assert_eq!(again.load_table().await.unwrap().len(), 10);
    lock.release().await;
}

#[tokio::test]
async fn read_only_sqlite_store_leaves_the_file_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seatwarden.db");
    let url = format!("sqlite://{}", path.display());
    let (store, lock) = open(&url).await;
    store
        .replace_table(&[dev("d1", "a@acme.example", 1)], &[])
        .await
        .unwrap();
    store.close().await;
    lock.release().await;
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
        ro.replace_table(&[], &[]).await.is_err(),
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

#[tokio::test]
async fn postgres_store_round_trips_table_runs_overrides_and_cache() {
    let Some(pg) = TempPostgres::create().await else {
        return;
    };
    let (store, lock) = open(&pg.url).await;
    exercise(&store).await;
    store.close().await;
    lock.release().await;
    let again = Store::open_read_only(&pg.url)
        .await
        .unwrap()
        .expect("schema exists");
    assert_eq!(again.load_table().await.unwrap().len(), 10);
    assert!(
        again.replace_table(&[], &[]).await.is_err(),
        "a read-only PostgreSQL store refuses writes"
    );
    assert_eq!(again.load_table().await.unwrap().len(), 10);
    again.close().await;
    pg.drop_db().await;
}

/// A SQLite URL in a fresh folder (kept alive by the returned guard).
fn sqlite_url() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("seatwarden.db").display());
    (dir, url)
}

/// Run `check` against a fresh SQLite file and a fresh PostgreSQL database.
macro_rules! on_both_backends {
    ($check:ident) => {
        mod $check {
            #[tokio::test]
            async fn sqlite() {
                let (_dir, url) = super::sqlite_url();
                super::$check(&url).await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(pg) = super::TempPostgres::create().await else {
                    return;
                };
                super::$check(&pg.url).await;
                pg.drop_db().await;
            }
        }
    };
}

/// A second writer waits, then gives up naming the first; once released, the lock is free again.
async fn the_lock_admits_one_writer_and_names_it_to_the_next(url: &str) {
    let first = Store::lock(url, "reconcile", std::time::Duration::from_secs(1))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = Store::lock(url, "apply", std::time::Duration::from_millis(600))
        .await
        .unwrap_err();
    assert!(started.elapsed() >= std::time::Duration::from_millis(600));
    let text = err.to_string();
    assert!(text.starts_with("the store is busy:"), "{text}");
    assert!(
        text.contains("`reconcile`") && text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
    first.release().await;
    let again = Store::lock(url, "apply", std::time::Duration::from_secs(1))
        .await
        .unwrap();
    again.release().await;
}
on_both_backends!(the_lock_admits_one_writer_and_names_it_to_the_next);

/// Retention keeps the newest runs and their source rows; the audit trail is never pruned.
async fn retention_keeps_the_newest_runs_and_the_whole_audit_trail(url: &str) {
    let (store, lock) = open(url).await;
    let rows = vec![dev("d1", "a@acme.example", 1)];
    for (i, id) in ["r1", "r2", "r3", "r4"].iter().enumerate() {
        let audit = [entry(AuditAction::ReAdded, &format!("d{i}"))];
        store
            .save_run(&run(id, i as u32 + 1, 10, "ok"), &rows, &audit, 2)
            .await
            .unwrap();
    }
    let runs = store.runs().await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r3", "r4"]
    );
    let sources: i64 = sqlx::query("SELECT COUNT(*) FROM source_runs")
        .fetch_one(&store.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(sources, 2);
    let audit: i64 = sqlx::query("SELECT COUNT(*) FROM audit")
        .fetch_one(&store.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(audit, 4);
    assert_eq!(store.latest_run().await.unwrap().unwrap().id, "r4");
    store.close().await;
    lock.release().await;
}
on_both_backends!(retention_keeps_the_newest_runs_and_the_whole_audit_trail);

/// Changed rows are rewritten in place with their audit entries; history finds them by id or
/// email, and "applied since the last run" starts after the latest run's entries.
async fn update_rows_rewrites_in_place_and_audits(url: &str) {
    let (store, lock) = open(url).await;
    let rows: Vec<Developer> = (1..=3)
        .map(|i| dev(&format!("d{i}"), &format!("d{i}@acme.example"), i))
        .collect();
    store
        .save_run(&run("r1", 1, 10, "ok"), &rows, &[], 104)
        .await
        .unwrap();
    let mut changed = rows[1].clone();
    changed.status = RowStatus::Removed;
    changed.emails.push("extra@acme.example".into());
    store
        .update_rows(
            std::slice::from_ref(&changed),
            &[entry(AuditAction::Removed, "d2")],
        )
        .await
        .unwrap();
    let back = store.load_table().await.unwrap();
    assert_eq!(
        back,
        vec![rows[0].clone(), changed.clone(), rows[2].clone()]
    );
    let some = ["d3", "nobody", "d2"].map(String::from);
    assert_eq!(
        store.rows_by_id(&some).await.unwrap(),
        vec![changed, rows[2].clone()],
        "by id, in table order"
    );
    assert_eq!(store.active_rows().await.unwrap(), 2);
    let history = store.history(&["d2".into()], "nobody@x").await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0], entry(AuditAction::Removed, "d2"));
    assert_eq!(
        store.history(&[], "D2@acme.example").await.unwrap().len(),
        1
    );
    let applied = store.applied_since_last_run().await.unwrap();
    assert_eq!(applied.len(), 1);
    store
        .save_run(&run("r2", 2, 10, "ok"), &back, &[], 104)
        .await
        .unwrap();
    assert!(store.applied_since_last_run().await.unwrap().is_empty());
    store.close().await;
    lock.release().await;
}
on_both_backends!(update_rows_rewrites_in_place_and_audits);

/// A run whose stored time is not RFC 3339 is a corrupt store, never 1970.
async fn a_corrupt_run_time_is_an_error_not_1970(url: &str) {
    let (store, lock) = open(url).await;
    store
        .save_run(&run("r1", 1, 10, "ok"), &[], &[], 104)
        .await
        .unwrap();
    sqlx::query("UPDATE runs SET finished_at = 'yesterday'")
        .execute(&store.pool)
        .await
        .unwrap();
    let err = store.runs().await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("`yesterday`"), "{err}");
    store.close().await;
    lock.release().await;
}
on_both_backends!(a_corrupt_run_time_is_an_error_not_1970);

/// Two runs that finish within one second (a reconcile right after an apply) are ordered by the
/// instant each finished, not by their ids: the later one is the latest run whatever its id.
async fn runs_within_one_second_are_ordered_by_their_finish(url: &str) {
    let (store, lock) = open(url).await;
    let rows = vec![dev("d1", "a@acme.example", 1)];
    let mut earlier = run("20260601T000000Z-ffffff", 0, 5, "ok");
    let mut later = run("20260601T000000Z-000000", 0, 5, "ok");
    earlier.finished_at += chrono::Duration::milliseconds(100);
    later.finished_at += chrono::Duration::milliseconds(900);
    store.save_run(&earlier, &rows, &[], 10).await.unwrap();
    store.save_run(&later, &rows, &[], 10).await.unwrap();
    let latest = store.latest_run().await.unwrap().expect("a stored run");
    assert_eq!(latest.id, later.id);
    let ids: Vec<String> = store
        .runs()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, [earlier.id.clone(), later.id.clone()], "oldest first");
    store.close().await;
    lock.release().await;
}
on_both_backends!(runs_within_one_second_are_ordered_by_their_finish);
