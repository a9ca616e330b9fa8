//! Runs the release binary on one organisation: writes the config an admin of it would write,
//! runs `reconcile`, keeps the report, the recommendations CSV and the logs in its folder, and
//! reads the report back (only the fields the scorer needs, in SPEC §4's words).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::sim::generate::{ENGINEERING_DEPARTMENTS, OTHER_DEPARTMENTS};
use crate::sim::vendors::ENV;

/// The config: the policy an admin of a company like this sets, and the sources.
pub fn config(sources: &str) -> String {
    let mut excluded: Vec<String> = OTHER_DEPARTMENTS
        .iter()
        .map(|(d, _)| format!("\"{d}\""))
        .collect();
    excluded.push(format!("\"{}\"", crate::sim::generate::IT_DEPARTMENT));
    format!(
        "[store]\nurl = \"sqlite://seatwarden.db\"\n\n[policy]\ninactive_after_days = {}\nnew_developer_grace_days = {}\nexclude_departments = [{}]\nadd_new_developers = true\nbot_patterns = [\"^svc-\"]\n\n{sources}",
        crate::sim::INACTIVE_AFTER_DAYS,
        crate::sim::GRACE_DAYS,
        excluded.join(", ")
    )
}

/// The engineering departments the policy leaves in (everything not excluded).
pub fn engineering_departments() -> Vec<String> {
    ENGINEERING_DEPARTMENTS
        .iter()
        .map(|d| d.to_string())
        .collect()
}

#[derive(Deserialize)]
pub struct Report {
    pub run: RunInfo,
    pub sources: Vec<SourceInfo>,
    pub developers: Vec<Developer>,
    pub changes: Changes,
    pub recommendations: Vec<Recommendation>,
}

#[derive(Deserialize)]
pub struct RunInfo {
    pub status: String,
}

#[derive(Deserialize)]
pub struct SourceInfo {
    pub name: String,
    pub status: String,
    pub records: u64,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct Developer {
    pub id: String,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub identities: Vec<IdentityRef>,
}

#[derive(Deserialize)]
pub struct IdentityRef {
    pub source: String,
    pub id: String,
}

#[derive(Deserialize)]
pub struct Changes {
    pub added: Vec<String>,
}

#[derive(Deserialize)]
pub struct Recommendation {
    pub developer: String,
    pub action: String,
    pub reason: String,
    pub into: Option<String>,
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// One run of the binary.
pub struct Outcome {
    pub exit: Option<i32>,
    pub wall: Duration,
    pub report: Option<Report>,
    pub stderr: PathBuf,
}

/// Runs `seatwarden --config DIR/seatwarden.toml reconcile ARGS` in `dir`; `stem` names the
/// report, CSV and log files it leaves there.
pub fn reconcile(dir: &Path, stem: &str, dry_run: bool) -> Outcome {
    let report = dir.join(format!("{stem}.json"));
    let csv = dir.join(format!("{stem}.csv"));
    let stdout = dir.join(format!("{stem}.stdout.txt"));
    let stderr = dir.join(format!("{stem}.log"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seatwarden"));
    cmd.current_dir(dir)
        .arg("--config")
        .arg(dir.join("seatwarden.toml"))
        .args(["--log-format", "json", "reconcile"]);
    if dry_run {
        cmd.arg("--dry-run");
    }
    cmd.arg("--json").arg(&report).arg("--csv").arg(&csv);
    for (k, _) in std::env::vars() {
        if k.starts_with("SEATWARDEN") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(ENV.iter().copied()).env("NO_COLOR", "1");
    cmd.stdout(Stdio::from(
        std::fs::File::create(&stdout).expect("stdout file"),
    ));
    cmd.stderr(Stdio::from(
        std::fs::File::create(&stderr).expect("log file"),
    ));
    let started = Instant::now();
    let status = cmd.status().expect("run seatwarden");
    let wall = started.elapsed();
    let report = std::fs::read(&report).ok().and_then(|bytes| {
        serde_json::from_slice(&bytes)
            .map_err(|e| eprintln!("{stem}.json: {e}"))
            .ok()
    });
    Outcome {
        exit: status.code(),
        wall,
        report,
        stderr,
    }
}
