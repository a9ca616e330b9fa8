//! Test support, shared by the unit tests and the integration suite: a throwaway PostgreSQL database.
//! Never used by the binary.
//!
//! The server is `SEATWARDEN_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//! When it cannot be reached the PostgreSQL tests are skipped, saying so once per test binary on
//! stderr, unless `SEATWARDEN_REQUIRE_POSTGRES=1` (CI), which makes them fail.
//! `SEATWARDEN_SKIP_POSTGRES=1` skips them without trying.

use std::io::Write;
use std::sync::{Mutex, Once};
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

static SKIPPED: Once = Once::new();
/// Set once the server was found unreachable: later tests skip without trying again.
static UNREACHABLE: Mutex<bool> = Mutex::new(false);

fn say_skipped_once(why: &str) {
    // Straight to the process's stderr: the test harness captures `eprintln!`.
    SKIPPED.call_once(|| {
        let _ = writeln!(std::io::stderr(), "PostgreSQL tests skipped: {why}");
    });
}

fn required() -> bool {
    std::env::var("SEATWARDEN_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The server the tests use.
pub fn admin_url() -> String {
    std::env::var("SEATWARDEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh PostgreSQL database for one test, dropped by [`TempPostgres::drop_db`].
#[derive(Debug)]
pub struct TempPostgres {
    pub url: String,
    admin_url: String,
    name: String,
}

impl TempPostgres {
    /// A new empty database, or `None` when the tests are skipped (see the module doc).
    pub async fn create() -> Option<TempPostgres> {
        if std::env::var("SEATWARDEN_SKIP_POSTGRES").is_ok_and(|v| v == "1") && !required() {
            say_skipped_once("SEATWARDEN_SKIP_POSTGRES=1");
            return None;
        }
        sqlx::any::install_default_drivers();
        let admin_url = admin_url();
        let unreachable = UNREACHABLE.lock().map(|u| *u).unwrap_or(false);
        if unreachable && !required() {
            return None;
        }
        let connect = AnyConnection::connect(&admin_url);
        let why = match tokio::time::timeout(Duration::from_secs(5), connect).await {
            Ok(Ok(admin)) => return Some(TempPostgres::create_on(admin, admin_url).await),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no answer within 5 s".to_string(),
        };
        assert!(
            !required(),
            "PostgreSQL at {admin_url} is not reachable ({why}) and SEATWARDEN_REQUIRE_POSTGRES=1"
        );
        if let Ok(mut u) = UNREACHABLE.lock() {
            *u = true;
        }
        say_skipped_once(&format!(
            "{admin_url} is not reachable ({why}); set SEATWARDEN_REQUIRE_POSTGRES=1 to fail instead"
        ));
        None
    }

    async fn create_on(mut admin: AnyConnection, admin_url: String) -> TempPostgres {
        let name = format!("seatwarden_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} at {admin_url}: {e}"));
        let _ = admin.close().await;
        let mut url = url::Url::parse(&admin_url)
            .unwrap_or_else(|e| panic!("SEATWARDEN_TEST_POSTGRES_URL {admin_url}: {e}"));
        url.set_path(&name);
        TempPostgres {
            url: url.to_string(),
            admin_url,
            name,
        }
    }

    /// Drop the database (connections still open to it are ended).
    pub async fn drop_db(self) {
        let Ok(admin) = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.admin_url)
            .await
        else {
            return;
        };
        let _ = sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&admin)
        .await;
        admin.close().await;
    }
}
