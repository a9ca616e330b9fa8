//! The store's two backends for the end-to-end scenarios: a real SQLite file in the scratch folder
//! and a fresh database on the machine's PostgreSQL. A scenario is one function over a [`Scratch`];
//! `on_both_backends!(scenario)` runs it on each (the PostgreSQL one is skipped, said once, when no
//! server answers — see `seatwarden::store::testing`).

use seatwarden::store::testing::TempPostgres;

use super::Scratch;

/// Run `f` to completion on a runtime of its own (the scenarios are plain tests).
pub fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

/// A PostgreSQL database that is dropped with the guard, whatever the test's outcome.
pub struct PostgresDb(Option<TempPostgres>);

impl PostgresDb {
    /// A fresh database, or `None` when the PostgreSQL scenarios are skipped.
    pub fn create() -> Option<PostgresDb> {
        block_on(TempPostgres::create()).map(|pg| PostgresDb(Some(pg)))
    }
    pub fn url(&self) -> &str {
        self.0.as_ref().map(|p| p.url.as_str()).unwrap_or_default()
    }
}

impl Drop for PostgresDb {
    fn drop(&mut self) {
        if let Some(pg) = self.0.take() {
            block_on(pg.drop_db());
        }
    }
}

/// Where a scenario's store is.
pub enum Backend {
    Sqlite,
    Postgres(PostgresDb),
}

impl Backend {
    /// A scratch folder whose commands use this backend (PostgreSQL through
    /// `SEATWARDEN__STORE__URL`; SQLite through the config's own `store.url`).
    pub fn scratch(&self) -> Scratch {
        let mut s = Scratch::new();
        if let Backend::Postgres(db) = self {
            s.env
                .push(("SEATWARDEN__STORE__URL".into(), db.url().to_string()));
        }
        s
    }

    /// The store's URL, for a test that reads it directly; `sqlite_file` for the SQLite one.
    pub fn url(&self, sqlite_file: &std::path::Path) -> String {
        match self {
            Backend::Sqlite => format!("sqlite://{}", sqlite_file.display()),
            Backend::Postgres(db) => db.url().to_string(),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Backend::Sqlite)
    }
}

/// `on_both_backends!(scenario)`: `scenario::sqlite` and `scenario::postgres`, each calling
/// `scenario(&Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($scenario:ident) => {
        mod $scenario {
            use $crate::support::backend::{Backend, PostgresDb};

            #[test]
            fn sqlite() {
                super::$scenario(&Backend::Sqlite);
            }

            #[test]
            fn postgres() {
                let Some(db) = PostgresDb::create() else {
                    return;
                };
                super::$scenario(&Backend::Postgres(db));
            }
        }
    };
}
