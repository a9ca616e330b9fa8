//! `seatwarden demo`: the bundled demo organisation, with its dates moved to today, reconciled in a
//! scratch folder with an embedded SQLite store.
//!
//! Never touches the network or any file outside its scratch folder.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use chrono::NaiveDate;

use crate::cli::{Exit, Failure, Output};

/// The day the bundled demo data is written relative to.
pub const ANCHOR: (i32, u32, u32) = (2026, 11, 1);

const FILES: [(&str, &str); 5] = [
    ("demo.toml", include_str!("../../config/demo.toml")),
    (
        "demo/developers.csv",
        include_str!("../../config/demo/developers.csv"),
    ),
    (
        "demo/directory.csv",
        include_str!("../../config/demo/directory.csv"),
    ),
    (
        "demo/contractors.csv",
        include_str!("../../config/demo/contractors.csv"),
    ),
    (
        "demo/codehost.json",
        include_str!("../../config/demo/codehost.json"),
    ),
];

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to write the demo organisation and its store [default: a `seatwarden-demo` folder in the temp dir]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub reconcile: crate::cli::reconcile::Args,
}

/// Move every `YYYY-MM-DD` date in `text` by `days`.
pub fn shift_dates(text: &str, days: i64) -> String {
    static DATE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\d{4}-\d{2}-\d{2}").expect("static pattern")
    });
    DATE.replace_all(text, |c: &regex::Captures<'_>| {
        let parsed = NaiveDate::parse_from_str(&c[0], "%Y-%m-%d");
        match parsed {
            Ok(d) => (d + chrono::Duration::days(days))
                .format("%Y-%m-%d")
                .to_string(),
            Err(_) => c[0].to_string(),
        }
    })
    .into_owned()
}

/// Write the demo organisation into `dir` with its data dates moved by `days`; returns the config path.
pub fn write_demo(dir: &Path, days: i64) -> Result<PathBuf, Failure> {
    let fail = |p: &Path, e: std::io::Error| Failure::runtime(anyhow!("{}: {e}", p.display()));
    std::fs::create_dir_all(dir.join("demo")).map_err(|e| fail(dir, e))?;
    for (name, text) in FILES {
        let path = dir.join(name);
        // The config's subscription period stays as written; only the data moves with the calendar.
        let body = if name.ends_with(".toml") {
            text.to_string()
        } else {
            shift_dates(text, days)
        };
        std::fs::write(&path, body).map_err(|e| fail(&path, e))?;
    }
    let db = dir.join("demo/seatwarden-demo.db");
    if db.exists() {
        std::fs::remove_file(&db).map_err(|e| fail(&db, e))?;
    }
    Ok(dir.join("demo.toml"))
}

pub async fn run(args: &DemoArgs, out: Output, actor: &str) -> Result<Exit, Failure> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("seatwarden-demo"));
    let (y, m, d) = ANCHOR;
    let anchor = NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| Failure::runtime(anyhow!("bad demo anchor")))?;
    let days = (chrono::Utc::now().date_naive() - anchor).num_days();
    let config_path = write_demo(&dir, days)?;
    let cfg = crate::cli::load_config(&config_path)?;
    let exit = crate::cli::reconcile::run(&cfg, &args.reconcile, out, actor).await?;
    if !out.quiet {
        println!();
        println!(
            "The demo organisation and its SQLite store are in {}. Try:",
            dir.display()
        );
        println!(
            "  seatwarden --config {} developers list",
            config_path.display()
        );
        println!(
            "  seatwarden --config {} developers export",
            config_path.display()
        );
        println!(
            "  seatwarden --config {} reconcile --dry-run --json -",
            config_path.display()
        );
    }
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_dates_moves_dates_and_timestamps() {
        assert_eq!(
            shift_dates("2026-11-01T10:00:00Z and 2026-12-31", 1),
            "2026-11-02T10:00:00Z and 2027-01-01"
        );
    }

    #[test]
    fn shift_dates_leaves_other_numbers() {
        assert_eq!(
            shift_dates("4521337+carlosm, E001", 30),
            "4521337+carlosm, E001"
        );
    }
}
