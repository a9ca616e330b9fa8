//! Store benchmark: `apply` of 10,000 removals on a 100,000-row table, and storing a run over
//! 100,000 rows, on SQLite and on PostgreSQL (when `SEATWARDEN_TEST_POSTGRES_URL`, default
//! postgres://postgres@127.0.0.1:5432/test, answers). The release binary, each command a separate
//! process timed from outside (wall time, and the child's peak RSS from wait4).
//!
//! Per backend: `developers import` of N rows, then `reconcile --csv recs.csv` against a directory
//! that lists every row, a tenth of them terminated (a stored run over N rows, whose N/10 `remove`
//! recommendations `apply` checks against; its "run stored" phase is read from `-v`). Then RUNS
//! times: the store is put back as it was set up (a file copy, or `CREATE DATABASE … TEMPLATE`,
//! untimed) and `apply recs.csv --force` is timed.
//!
//! Run: `cargo bench --bench store` (`SEATWARDEN_BENCH_ROWS=N`, `SEATWARDEN_BENCH_RUNS=N`,
//! `SEATWARDEN_BENCH_DIR=DIR` keeps the files).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use sqlx::{AnyConnection, AssertSqlSafe, Connection};

/// What one timed process did.
struct Measured {
    seconds: f64,
    peak_mb: f64,
    stderr: String,
}

/// Run the binary with `env`, returning its wall time, peak RSS and stderr.
#[allow(clippy::zombie_processes)] // the child is reaped by wait4 below, which also yields its rusage
fn measure(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Measured {
    let started = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seatwarden"));
    cmd.current_dir(dir)
        .arg("--config")
        .arg(dir.join("seatwarden.toml"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn seatwarden");
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten by wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet waited for; the pointers are to live locals.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    assert!(rc == pid, "wait4 failed");
    let stderr = reader.join().unwrap_or_default();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    assert!(
        code == 0,
        "seatwarden {} exited {code}: {stderr}",
        args.join(" ")
    );
    Measured {
        seconds,
        peak_mb: usage.ru_maxrss as f64 / 1024.0,
        stderr,
    }
}

/// The table (N rows), and a directory that lists them all, every tenth terminated.
fn generate(dir: &Path, n: usize) {
    let mut table =
        String::from("Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\n");
    let mut directory = String::from("id,name,email,status\n");
    for i in 0..n {
        let _ = writeln!(
            table,
            "p{i}@acme.example,,Person {i},Engineer,,Team {},,Engineering",
            i % 300
        );
        let status = if i % 10 == 3 { "Terminated" } else { "Active" };
        let _ = writeln!(directory, "E{i},Person {i},p{i}@acme.example,{status}");
    }
    std::fs::write(dir.join("table.csv"), table).unwrap();
    std::fs::write(dir.join("directory.csv"), directory).unwrap();
    std::fs::write(
        dir.join("seatwarden.toml"),
        "[subscription]\nlicenses = 95000\n\n[store]\nurl = \"sqlite://base.db\"\n\n\
         [[sources]]\nname = \"directory\"\nkind = \"csv\"\nurl = \"directory.csv\"\ndirectory = true\n\
         [sources.status]\nactive = [\"Active\"]\ndeparted = [\"Terminated\"]\n",
    )
    .unwrap();
}

/// The `ms` of the `-v` JSON log line whose message is `phase`.
fn phase_ms(stderr: &str, phase: &str) -> Option<u64> {
    stderr.lines().find_map(|line| {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        (v["message"] == phase).then(|| v["ms"].as_u64())?
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Where the bench's store is, and how to put it back as it was set up.
enum Backend {
    Sqlite,
    Postgres { admin: String, base: String },
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres { .. } => "PostgreSQL",
        }
    }

    /// The URL of the store the set-up commands write (`base`) or a run's copy (`run`).
    fn url(&self, dir: &Path, db: &str) -> String {
        match self {
            Backend::Sqlite => format!("sqlite://{}", dir.join(format!("{db}.db")).display()),
            Backend::Postgres { admin, base } => {
                let mut url = url::Url::parse(admin).unwrap();
                url.set_path(&if db == "base" {
                    base.clone()
                } else {
                    format!("{base}_run")
                });
                url.to_string()
            }
        }
    }

    /// Make the `run` store a fresh copy of `base` (untimed).
    async fn reset_run_copy(&self, dir: &Path) {
        match self {
            Backend::Sqlite => {
                let _ = std::fs::remove_file(dir.join("run.db.lock"));
                std::fs::copy(dir.join("base.db"), dir.join("run.db")).unwrap();
            }
            Backend::Postgres { admin, base } => {
                let mut conn = AnyConnection::connect(admin).await.unwrap();
                for sql in [
                    format!("DROP DATABASE IF EXISTS {base}_run WITH (FORCE)"),
                    format!("CREATE DATABASE {base}_run TEMPLATE {base}"),
                ] {
                    sqlx::query(AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await
                        .unwrap();
                }
                let _ = conn.close().await;
            }
        }
    }

    async fn drop_all(&self) {
        if let Backend::Postgres { admin, base } = self {
            let mut conn = AnyConnection::connect(admin).await.unwrap();
            for db in [format!("{base}_run"), base.clone()] {
                let sql = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
                let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut conn).await;
            }
            let _ = conn.close().await;
        }
    }
}

async fn bench(backend: &Backend, dir: &Path, n: usize, runs: usize) {
    let store = |db: &str| vec![("SEATWARDEN__STORE__URL", backend.url(dir, db))];
    let import = measure(
        dir,
        &store("base"),
        &["developers", "import", "table.csv", "-q"],
    );
    let stored = measure(
        dir,
        &store("base"),
        &[
            "reconcile",
            "--csv",
            "recs.csv",
            "-v",
            "--log-format",
            "json",
        ],
    );
    let removals = std::fs::read_to_string(dir.join("recs.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let name = backend.name();
    println!(
        "{name:<10} developers import {n:>7} rows                {:>6.2} s  {:>5.0} MB peak",
        import.seconds, import.peak_mb
    );
    println!(
        "{name:<10} reconcile (stored) {n:>7} rows, run stored in {:>5} ms {:>6.2} s  {:>5.0} MB peak   (target: storing < 5 s on PostgreSQL)",
        phase_ms(&stored.stderr, "run stored").unwrap_or_default(),
        stored.seconds,
        stored.peak_mb
    );
    let mut times = Vec::with_capacity(runs);
    let mut peak: f64 = 0.0;
    for _ in 0..runs {
        backend.reset_run_copy(dir).await;
        let m = measure(dir, &store("run"), &["apply", "recs.csv", "--force", "-q"]);
        times.push(m.seconds);
        peak = peak.max(m.peak_mb);
    }
    let (min, max) = (
        times.iter().copied().fold(f64::MAX, f64::min),
        times.iter().copied().fold(0.0, f64::max),
    );
    println!(
        "{name:<10} apply {removals:>6} removals on {n:>7} rows     {:>6.2} s  {peak:>5.0} MB peak   (median of {runs}, {min:.2}–{max:.2} s; target < 2 s SQLite, < 5 s PostgreSQL)",
        median(times)
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let var = |k: &str, default: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (n, runs) = (
        var("SEATWARDEN_BENCH_ROWS", 100_000),
        var("SEATWARDEN_BENCH_RUNS", 5),
    );
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = std::env::var("SEATWARDEN_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["base.db", "base.db.lock", "run.db", "recs.csv"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    generate(&dir, n);
    bench(&Backend::Sqlite, &dir, n, runs).await;

    sqlx::any::install_default_drivers();
    let Some(pg) = seatwarden::store::testing::TempPostgres::create().await else {
        println!("PostgreSQL: not reachable, not measured");
        return;
    };
    let base = url::Url::parse(&pg.url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_string();
    let backend = Backend::Postgres {
        admin: seatwarden::store::testing::admin_url(),
        base,
    };
    bench(&backend, &dir, n, runs).await;
    backend.drop_all().await;
    pg.drop_db().await;
}
