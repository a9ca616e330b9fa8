//! The store under several commands at once, and across versions, on a real SQLite file and on the
//! real PostgreSQL (each scenario runs on both): three reconciles on a fresh store, an import made
//! while a reconcile waits on a slow source, and a store written by schema v1 upgraded in place.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::Row;

use crate::on_both_backends;
use crate::support::backend::{Backend, block_on};
use crate::support::*;

const DIRECTORY: &str = "id,name,email,status\n1,Ada Lovelace,ada@acme.example,Active\n2,Bob Stone,bob@acme.example,Active\n";

fn directory_at(url: &str) -> String {
    config_with(&format!(
        "[[sources]]\nname = \"hr\"\nkind = \"csv\"\nurl = \"{url}\"\ndirectory = true\n[sources.status]\nactive = [\"Active\"]\n"
    ))
}

fn three_reconciles_on_a_fresh_store_all_succeed_or_say_the_store_is_busy(b: &Backend) {
    let s = b.scratch();
    s.write("hr.csv", DIRECTORY);
    s.write("table.csv", &sei_csv(&ADA_AND_BOB));
    s.write(
        "seatwarden.toml",
        &directory_at("hr.csv").replace("[store]\n", "[store]\nseed = \"table.csv\"\n"),
    );
    let children: Vec<_> = (0..3).map(|_| s.spawn(&["reconcile", "-q"])).collect();
    let mut succeeded = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !stderr.contains("migrat") && !stderr.contains("already exists"),
            "{stderr}"
        );
        match out.status.code() {
            Some(0) => succeeded += 1,
            Some(1) => assert!(stderr.contains("the store is busy"), "{stderr}"),
            other => panic!("exit {other:?}: {stderr}"),
        }
    }
    assert!(succeeded >= 1);
    let list = s.run(&["developers", "list", "--json"]);
    list.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&list.stdout()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
}
on_both_backends!(three_reconciles_on_a_fresh_store_all_succeed_or_say_the_store_is_busy);

/// A loopback HTTP server that answers every request with `body` after `delay`; the flag is set
/// when the first request arrives.
fn slow_server(body: &'static str, delay: Duration) -> (String, Arc<AtomicBool>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hr.csv", listener.local_addr().unwrap());
    let asked = Arc::new(AtomicBool::new(false));
    let flag = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            flag.store(true, Ordering::SeqCst);
            std::thread::sleep(delay);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, asked)
}

fn an_import_made_during_a_slow_reconcile_is_not_lost(b: &Backend) {
    let s = b.scratch();
    let (url, asked) = slow_server(DIRECTORY, Duration::from_secs(3));
    s.write("seatwarden.toml", &directory_at(&url));
    s.import_table(&ADA_AND_BOB);
    let reconcile = s.spawn(&["reconcile", "-q"]);
    let started = Instant::now();
    while !asked.load(Ordering::SeqCst) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "reconcile never fetched"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The reconcile holds the lock while it fetches: the import waits for it, then goes on top.
    s.write("more.csv", &sei_csv(&[("cy@acme.example", "Cy Young")]));
    let waited = Instant::now();
    s.run(&["developers", "import", "more.csv"]).expect_code(0);
    assert!(
        waited.elapsed() >= Duration::from_secs(1),
        "the import did not wait"
    );
    let out = reconcile.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = s.run(&["developers", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&list.stdout()).unwrap();
    let rows = v.as_array().unwrap();
    let emails: Vec<&str> = rows.iter().map(|d| d["email"].as_str().unwrap()).collect();
    assert_eq!(
        emails,
        ["ada@acme.example", "bob@acme.example", "cy@acme.example"]
    );
    assert_eq!(
        rows[0]["identities"][0]["source"], "hr",
        "the reconcile was stored too"
    );
}
on_both_backends!(an_import_made_during_a_slow_reconcile_is_not_lost);

/// What a store holds, read directly.
#[derive(Debug, PartialEq)]
struct Contents {
    developers: Vec<(String, String)>,
    runs: Vec<String>,
    source_runs: i64,
    overrides: i64,
    migration_1: Vec<u8>,
}

async fn contents(url: &str) -> (Contents, Vec<i64>) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let developers = sqlx::query("SELECT id, data FROM developers ORDER BY position")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let runs = sqlx::query("SELECT id FROM runs ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let count = |table: &str| {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let pool = pool.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    let migrations = sqlx::query("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&pool)
        .await
        .unwrap();
    let versions = migrations.iter().map(|r| r.get::<i64, _>(0)).collect();
    let c = Contents {
        developers,
        runs,
        source_runs: count("source_runs").await,
        overrides: count("overrides").await,
        migration_1: migrations[0].get(1),
    };
    pool.close().await;
    (c, versions)
}

/// Put the release's v1 store where the backend keeps it; its URL.
fn v1_store(b: &Backend, s: &Scratch) -> String {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store");
    let file = s.path("v1.db");
    std::fs::copy(fixtures.join("v1.sqlite.db"), &file).unwrap();
    let url = b.url(&file);
    if !b.is_sqlite() {
        let dump = std::fs::read_to_string(fixtures.join("v1.postgres.sql")).unwrap();
        block_on(async {
            sqlx::any::install_default_drivers();
            let pool = sqlx::any::AnyPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await
                .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(dump))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
    }
    url
}

fn a_v1_store_upgrades_in_place_with_nothing_lost(b: &Backend) {
    let s = b.scratch();
    let url = v1_store(b, &s);
    s.write("seatwarden.toml", "[store]\nurl = \"sqlite://v1.db\"\n");
    let (before, versions) = block_on(contents(&url));
    assert_eq!(versions, [1]);
    assert_eq!((before.developers.len(), before.runs.len()), (34, 2));

    // Readers work on the old schema without changing it.
    let list = s.run(&["developers", "list", "--json"]);
    list.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&list.stdout()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 34);
    s.run(&["developers", "history", "sally.fields@acme.example"])
        .expect_code(0);
    assert_eq!(block_on(contents(&url)).1, [1]);

    // The first writer migrates, under the lock, and keeps everything.
    s.run(&[
        "developers",
        "split",
        "sally.fields@acme.example",
        "rick.hunter@acme.example",
    ])
    .expect_code(0);
    let (after, versions) = block_on(contents(&url));
    assert_eq!(versions, [1, 2, 3], "every migration applied");
    assert_eq!(after.developers, before.developers);
    assert_eq!(after.runs, before.runs);
    assert_eq!(after.source_runs, before.source_runs);
    assert_eq!(
        after.migration_1, before.migration_1,
        "migration 1 as released"
    );
    assert_eq!(after.overrides, before.overrides + 1);
    let history = s.run(&["developers", "history", "sally.fields@acme.example"]);
    assert!(
        history.stdout().contains("split_override"),
        "{}",
        history.stdout()
    );
}
on_both_backends!(a_v1_store_upgrades_in_place_with_nothing_lost);
