//! Pipeline benchmark: the release binary on a generated organisation of N people (default 100,000).
//!
//! - `developers import` of an N-row SEI CSV (target: under 2 s for 100,000 rows);
//! - `reconcile` (stored, and `--dry-run`) over three file sources holding N people
//!   (target: under 5 s and 500 MB peak for 100,000).
//!
//! - `report --send` of the weekly report over 104 stored runs of that table (the two runs above
//!   plus 102 earlier weekly copies), by email to an SMTP server inside this process
//!   (target: under 2 s and 300 MB peak).
//!
//! Run: `cargo bench --bench pipeline` (SEATWARDEN_BENCH_PEOPLE=N to change the size). Each command is
//! a separate process; wall time and that process's peak RSS (wait4 rusage) are printed.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[allow(dead_code)]
#[path = "../tests/support/smtp.rs"]
mod smtp;

const FIRST: [&str; 24] = [
    "Ada", "Bob", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi",
    "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor",
    "Wen", "Yusuf",
];
const LAST: [&str; 20] = [
    "Silva", "Novak", "Okafor", "Tanaka", "Garcia", "Muller", "Rossi", "Kim", "Haddad", "Berg",
    "Patel", "Chen", "Ivanova", "Mendes", "Larsen", "Dubois", "Kowalski", "Nguyen", "Adeyemi",
    "Fischer",
];

fn name(i: usize) -> String {
    // Unique per person: the number keeps homonyms apart, as real directories do with ids.
    format!(
        "{} {} {}",
        FIRST[i % FIRST.len()],
        LAST[(i / FIRST.len()) % LAST.len()],
        i
    )
}

fn generate(dir: &Path, n: usize) {
    let day = |d: i64| {
        (chrono::Utc::now() - chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut sei =
        String::from("Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\n");
    let mut directory =
        String::from("id,name,email,title,department,manager_email,status,github,created_at\n");
    let mut codehost = String::from("{\"users\": [\n");
    for i in 0..n {
        let email = format!("p{i}@acme.example");
        let manager = if i % 50 == 0 {
            String::new()
        } else {
            format!("p{}@acme.example", i - i % 50)
        };
        let dept = if i % 40 == 7 { "Sales" } else { "Engineering" };
        // The table: everyone, plus a +tag duplicate for 2% (added below), minus 1% new hires.
        if i % 100 != 98 {
            let _ = writeln!(
                sei,
                "{email},{manager},{},Engineer,Lisbon,Team {},,{dept}",
                name(i),
                i % 300
            );
        }
        if i % 50 == 3 {
            let _ = writeln!(sei, "p{i}+sei@acme.example,,{},Engineer,,,,{dept}", name(i));
        }
        let status = if i % 33 == 5 { "Terminated" } else { "Active" };
        let _ = writeln!(
            directory,
            "E{i},{},{email},Engineer,{dept},{manager},{status},gh{i},{}",
            name(i),
            day(400 + (i % 500) as i64)
        );
        if i % 10 != 9 {
            let activity = if i % 25 == 11 { 200 } else { (i % 60) as i64 };
            let bot = i % 1000 == 17;
            let _ = writeln!(
                codehost,
                "{}{{\"id\": {}, \"username\": \"gh{i}\", \"name\": \"{}\", \"email\": null, \"last_activity_on\": \"{}\", \"bot\": {bot}}}",
                if codehost.ends_with("[\n") { "" } else { "," },
                100_000 + i,
                name(i),
                day(activity)
            );
        }
    }
    codehost.push_str("]}\n");
    std::fs::write(dir.join("developers.csv"), sei).unwrap();
    std::fs::write(dir.join("directory.csv"), directory).unwrap();
    std::fs::write(dir.join("codehost.json"), codehost).unwrap();
    std::fs::write(
        dir.join("seatwarden.toml"),
        r#"[subscription]
licenses = 95000

[store]
url = "sqlite://bench.db"

[policy]
exclude_departments = ["Sales"]

[[sources]]
name = "directory"
kind = "csv"
url = "directory.csv"
directory = true
[sources.status]
active = ["Active"]
departed = ["Terminated"]
[sources.links]
codehost = "github"

[[sources]]
name = "codehost"
kind = "json"
url = "codehost.json"
records = "/users"
[sources.fields]
id = "/id"
login = "/username"
name = "/name"
email = "/email"
last_activity = "/last_activity_on"
bot = "/bot"
"#,
    )
    .unwrap();
}

/// Run the binary, returning (seconds, peak RSS in MB, stdout).
#[allow(clippy::zombie_processes)] // the child is reaped by wait4 below, which also yields its rusage
fn measure(dir: &Path, args: &[&str]) -> (f64, f64, String) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_seatwarden"))
        .current_dir(dir)
        .arg("--config")
        .arg(dir.join("seatwarden.toml"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn seatwarden");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten by wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet waited for; the pointers are to live locals.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    assert!(rc == pid, "wait4 failed");
    let out = reader.join().unwrap_or_default();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    assert!(code == 0, "seatwarden {} exited {code}", args.join(" "));
    (seconds, usage.ru_maxrss as f64 / 1024.0, out)
}

fn main() {
    let n: usize = std::env::var("SEATWARDEN_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    // SEATWARDEN_BENCH_DIR keeps the generated organisation for profiling.
    let kept = std::env::var("SEATWARDEN_BENCH_DIR")
        .ok()
        .map(std::path::PathBuf::from);
    let temp = tempfile::tempdir().expect("temp dir");
    let dir_path = kept.unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir_path).expect("bench dir");
    let _ = std::fs::remove_file(dir_path.join("bench.db"));
    let started = Instant::now();
    generate(&dir_path, n);
    let dir = dir_path.as_path();
    println!(
        "generated an organisation of {n} people in {:.2} s ({})",
        started.elapsed().as_secs_f64(),
        dir_path.display()
    );
    let rows = std::fs::read_to_string(dir.join("developers.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;

    let (s, mb, _) = measure(dir, &["developers", "import", "developers.csv", "-q"]);
    println!(
        "developers import   {rows:>7} rows      {s:>6.2} s  {mb:>6.0} MB peak   (target < 2 s for 100,000)"
    );

    let (s, mb, out) = measure(dir, &["reconcile", "--dry-run", "--json", "dry.json", "-q"]);
    let _ = out;
    println!(
        "reconcile --dry-run {n:>7} people    {s:>6.2} s  {mb:>6.0} MB peak   (target < 5 s, < 500 MB)"
    );

    let (s, mb, _) = measure(dir, &["reconcile", "-q"]);
    println!(
        "reconcile (stored)  {n:>7} people    {s:>6.2} s  {mb:>6.0} MB peak   (target < 5 s, < 500 MB)"
    );
    // Every scheduled run after the first: the rows now carry the accounts attached last time.
    let (s, mb, _) = measure(dir, &["reconcile", "-q"]);
    println!(
        "reconcile (again)   {n:>7} people    {s:>6.2} s  {mb:>6.0} MB peak   (target < 5 s, < 500 MB)"
    );

    bench_report(dir);

    // Read only after the last child has run: a child's peak RSS as wait4 reports it includes this
    // process's own peak at the time it was spawned (exec accounts the memory it replaces), and
    // the parsed 80 MB report takes this process past 400 MB.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("dry.json")).unwrap()).unwrap();

    let recs = report["recommendations"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(0);
    let count = |reason: &str| {
        report["recommendations"]
            .as_array()
            .map(|a| a.iter().filter(|r| r["reason"] == reason).count())
            .unwrap_or(0)
    };
    println!(
        "decisions: {} added, {recs} recommendations (duplicate {}, departed {}, bot {}, excluded_role {}, inactive {}), usage {}",
        report["changes"]["added"]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0),
        count("duplicate"),
        count("departed"),
        count("bot"),
        count("excluded_role"),
        count("inactive"),
        report["usage"]
    );
}

/// Copy the latest stored run into `weeks` earlier weekly runs (same summary, consumption a little
/// lower each week back), so the store holds a long history.
async fn seed_history(db: &Path, weeks: usize) {
    let url = format!("sqlite://{}", db.display());
    let pool = sqlx::sqlite::SqlitePool::connect(&url)
        .await
        .expect("bench store");
    let latest: (String, String) =
        sqlx::query_as("SELECT id, finished_at FROM runs ORDER BY finished_at DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .expect("a stored run");
    let last = chrono::DateTime::parse_from_rfc3339(&latest.1).expect("RFC 3339");
    for week in 1..=weeks {
        let at = (last - chrono::Duration::weeks(week as i64)).to_rfc3339();
        sqlx::query(
            "INSERT INTO runs (id, started_at, finished_at, status, licenses_purchased, consumed, overage, duplicates, recommendations, summary) \
             SELECT id || '-' || $1, $2, $2, status, licenses_purchased, MAX(0, consumed - $1 * 20), MAX(0, overage - $1 * 20), duplicates, recommendations, summary \
             FROM runs WHERE id = $3",
        )
        .bind(week as i64)
        .bind(at)
        .bind(latest.0.clone())
        .execute(&pool)
        .await
        .expect("seed a run");
    }
    pool.close().await;
}

/// `report --send` over 104 stored runs, to an SMTP server of this process.
fn bench_report(dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(seed_history(&dir.join("bench.db"), 102));
    let sink = runtime.block_on(smtp::SmtpSink::start(smtp::Tls::StartTls));
    std::fs::write(dir.join("ca.pem"), &sink.ca_pem).expect("ca.pem");
    let mut config = std::fs::read_to_string(dir.join("seatwarden.toml")).expect("config");
    config.push_str(&format!(
        "\n[report.email]\nsmtp_url = \"smtp://127.0.0.1:{}\"\nca_file = \"ca.pem\"\nfrom = \"seatwarden@acme.example\"\nto = [\"leads@acme.example\"]\n",
        sink.port
    ));
    std::fs::write(dir.join("seatwarden.toml"), config).expect("config");
    let (s, mb, _) = measure(dir, &["report", "--send", "-q"]);
    let got = sink.received();
    let bytes = got.first().map_or(0, |m| m.data.len());
    println!(
        "report --send       104 runs, 1 email ({:.1} MB) {s:>6.2} s  {mb:>6.0} MB peak   (target < 2 s, < 300 MB)",
        bytes as f64 / 1e6
    );
    assert_eq!(got.len(), 1, "one email");
    let (s, mb, _) = measure(dir, &["report", "--send", "-q"]);
    println!("report --send again (receipt: nothing sent) {s:>6.2} s  {mb:>6.0} MB peak");
    assert_eq!(sink.received().len(), 1, "the second send mailed again");
}
