//! Prometheus metrics of every run (`reconcile`, `report --send`): built with `prometheus-client`
//! in the Prometheus text format (0.0.4), written atomically to `[metrics] textfile` (node_exporter's
//! textfile collector), POSTed to `[metrics] pushgateway_url`, and served by `schedule` on
//! `[schedule] listen`.
//!
//! Each command owns its metric families (`seatwarden_reconcile_…`, `seatwarden_report_…`, and
//! the reconcile's figures); a run replaces its own families and keeps the others, so a failed run
//! leaves the last success time (and the last figures) in place and adds its failure. Never fails a
//! run: a metrics file or Pushgateway that cannot be written is a warning.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::config::MetricsConfig;
use crate::model::{Reason, RunStatus, SourceStatus};
use crate::report::json::Report;

/// The `Content-Type` of what [`render`] writes.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

type FloatGauge = Gauge<f64, AtomicU64>;
type Labelled = Family<Vec<(String, String)>, FloatGauge>;

/// Which command a run was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Reconcile,
    Report,
}

impl Command {
    fn as_str(self) -> &'static str {
        match self {
            Command::Reconcile => "reconcile",
            Command::Report => "report",
        }
    }
}

/// What a finished reconcile decided, as the metrics need it.
#[derive(Debug, Clone)]
pub struct Figures {
    pub licenses_purchased: Option<u64>,
    pub consumed: u64,
    pub overage: u64,
    pub consumed_if_applied: u64,
    pub degraded: bool,
    /// Recommendations per reason (every reason, zeros included).
    pub by_reason: Vec<(&'static str, u64)>,
    /// (name, status, records) per source.
    pub sources: Vec<(String, SourceStatus, u64)>,
}

impl Figures {
    pub fn of(report: &Report) -> Figures {
        let by_reason = Reason::ALL
            .iter()
            .map(|r| {
                let n = report.recommendations.iter().filter(|x| x.reason == *r);
                (r.as_str(), n.count() as u64)
            })
            .collect();
        Figures {
            licenses_purchased: report.subscription.licenses_purchased,
            consumed: report.usage.consumed_after,
            overage: report.usage.overage,
            consumed_if_applied: report.usage.consumed_if_applied,
            degraded: report.run.status == RunStatus::Degraded,
            by_reason,
            sources: report
                .sources
                .iter()
                .map(|s| (s.name.clone(), s.status, s.records))
                .collect(),
        }
    }
}

/// One finished (or failed) run.
#[derive(Debug, Clone)]
pub struct Run {
    pub command: Command,
    pub finished_at: DateTime<Utc>,
    pub duration: Duration,
    /// The run's exit code (SPEC §1); 0 and 3 finished (a degraded run still wrote its report).
    pub exit_code: u8,
    /// A reconcile's figures, when it got that far.
    pub figures: Option<Figures>,
}

impl Run {
    fn finished(&self) -> bool {
        matches!(self.exit_code, 0 | 3)
    }
}

fn gauge(reg: &mut Registry, name: &str, help: &str, value: f64) {
    let g = FloatGauge::default();
    g.set(value);
    reg.register(name, help, g);
}

fn labelled(reg: &mut Registry, name: &str, help: &str, key: &str, values: &[(String, f64)]) {
    let family = Labelled::default();
    for (label, v) in values {
        family
            .get_or_create(&vec![(key.to_string(), label.clone())])
            .set(*v);
    }
    reg.register(name, help, family);
}

fn register_run(reg: &mut Registry, run: &Run) {
    let c = run.command.as_str();
    let at = run.finished_at.timestamp_millis() as f64 / 1000.0;
    gauge(
        reg,
        &format!("{c}_last_run_timestamp_seconds"),
        &format!("When the last `{c}` run ended (Unix time)"),
        at,
    );
    let (key, what) = match run.finished() {
        true => ("last_success", "finished (exit 0 or 3)"),
        false => ("last_failure", "failed (exit 1 or 2)"),
    };
    gauge(
        reg,
        &format!("{c}_{key}_timestamp_seconds"),
        &format!("When the last `{c}` run that {what} ended (Unix time)"),
        at,
    );
    gauge(
        reg,
        &format!("{c}_last_exit_code"),
        &format!("The exit code of the last `{c}` run (SPEC §1)"),
        f64::from(run.exit_code),
    );
    gauge(
        reg,
        &format!("{c}_duration_seconds"),
        &format!("How long the last `{c}` run took"),
        run.duration.as_secs_f64(),
    );
}

fn register_figures(reg: &mut Registry, f: &Figures) {
    if let Some(p) = f.licenses_purchased {
        gauge(
            reg,
            "licenses_purchased",
            "Developer licenses purchased",
            p as f64,
        );
    }
    gauge(
        reg,
        "licenses_consumed",
        "Developer licenses consumed by the table after the last run",
        f.consumed as f64,
    );
    gauge(
        reg,
        "licenses_overage",
        "Licenses consumed beyond those purchased",
        f.overage as f64,
    );
    gauge(
        reg,
        "licenses_consumed_if_applied",
        "Licenses consumed if every recommendation were applied",
        f.consumed_if_applied as f64,
    );
    gauge(
        reg,
        "reconcile_degraded",
        "1 when the last run was degraded (a source failed or tripped the guard)",
        f64::from(u8::from(f.degraded)),
    );
    let reasons: Vec<(String, f64)> = f
        .by_reason
        .iter()
        .map(|(r, n)| (r.to_string(), *n as f64))
        .collect();
    labelled(
        reg,
        "recommendations",
        "Removal recommendations of the last run, by reason",
        "reason",
        &reasons,
    );
    let up: Vec<(String, f64)> = f
        .sources
        .iter()
        .map(|(n, s, _)| (n.clone(), f64::from(u8::from(*s == SourceStatus::Ok))))
        .collect();
    labelled(
        reg,
        "source_up",
        "1 when the source was fetched and trusted in the last run, 0 when it failed or tripped the guard",
        "source",
        &up,
    );
    let records: Vec<(String, f64)> = f
        .sources
        .iter()
        .map(|(n, _, r)| (n.clone(), *r as f64))
        .collect();
    labelled(
        reg,
        "source_records",
        "Records the source returned in the last run",
        "source",
        &records,
    );
}

/// The run's own metric families, in the Prometheus text format.
pub fn render(run: &Run) -> String {
    let mut reg = Registry::with_prefix("seatwarden");
    register_run(&mut reg, run);
    if let Some(f) = &run.figures {
        register_figures(&mut reg, f);
    }
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_text::encode(&mut text, &reg);
    text
}

/// The family a line of the text format belongs to (`# HELP name …`, `# TYPE name …`, `name{…} v`).
fn family_of(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("# HELP ")
        .or_else(|| line.strip_prefix("# TYPE "))
        .unwrap_or(line);
    if rest.starts_with('#') || rest.trim().is_empty() {
        return None;
    }
    let end = rest.find(['{', ' ']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// `fresh` plus every family of `previous` that `fresh` does not have.
pub fn merge(previous: &str, fresh: &str) -> String {
    let fresh_families: HashSet<&str> = fresh.lines().filter_map(family_of).collect();
    let mut out = String::from(fresh);
    for line in previous.lines() {
        match family_of(line) {
            Some(f) if !fresh_families.contains(f) => {
                out.push_str(line);
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// Everything the process has written so far (what `/metrics` serves).
static LATEST: Mutex<String> = Mutex::new(String::new());

/// The metrics `/metrics` serves: the last written text, or, before the first run of this
/// process, what the textfile holds.
pub fn latest(cfg: &MetricsConfig) -> String {
    let latest = LATEST
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    if latest.is_empty() {
        cfg.textfile
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    } else {
        latest
    }
}

/// Write `path` atomically: a temporary file in the same folder, then a rename.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// POST `text` to the Pushgateway (only the families it names are replaced in the group).
pub async fn push(url: &url::Url, job: &str, text: &str) -> Result<(), String> {
    let base = url.as_str().trim_end_matches('/');
    let target = format!("{base}/metrics/job/{job}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let resp = client
        .post(&target)
        .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
        .body(text.to_string())
        .send()
        .await
        .map_err(|e| format!("{target}: {e}"))?;
    match resp.status() {
        s if s.is_success() => Ok(()),
        s => Err(format!("{target}: HTTP {s}")),
    }
}

/// Record a run: merge its families into what was written before, write the textfile, push.
/// Problems are logged as warnings; the run's outcome does not change.
pub async fn record(cfg: &MetricsConfig, run: &Run) {
    let fresh = render(run);
    let merged = merge(&latest(cfg), &fresh);
    *LATEST.lock().unwrap_or_else(PoisonError::into_inner) = merged.clone();
    if let Some(path) = &cfg.textfile {
        match write_atomically(path, &merged) {
            Ok(()) => tracing::debug!(file = %path.display(), "metrics written"),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot write the metrics file")
            }
        }
    }
    if let Some(url) = &cfg.pushgateway_url {
        match push(url, &cfg.job, &fresh).await {
            Ok(()) => tracing::debug!(url = %url, "metrics pushed"),
            Err(e) => tracing::warn!(error = %e, "cannot push the metrics"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(exit_code: u8, figures: Option<Figures>) -> Run {
        Run {
            command: Command::Reconcile,
            finished_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            duration: Duration::from_millis(1500),
            exit_code,
            figures,
        }
    }

    fn figures() -> Figures {
        Figures {
            licenses_purchased: Some(28),
            consumed: 30,
            overage: 2,
            consumed_if_applied: 20,
            degraded: false,
            by_reason: vec![("duplicate", 3), ("inactive", 7)],
            sources: vec![
                ("okta".into(), SourceStatus::Ok, 120),
                ("gh".into(), SourceStatus::Failed, 0),
            ],
        }
    }

    #[test]
    fn a_finished_run_writes_its_figures_under_seatwarden_names() {
        let text = render(&run(0, Some(figures())));
        for line in [
            "seatwarden_reconcile_last_success_timestamp_seconds 1800000000.0",
            "seatwarden_licenses_purchased 28.0",
            "seatwarden_licenses_overage 2.0",
            "seatwarden_recommendations{reason=\"inactive\"} 7.0",
            "seatwarden_source_up{source=\"gh\"} 0.0",
            "seatwarden_source_records{source=\"okta\"} 120.0",
            "seatwarden_reconcile_duration_seconds 1.5",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        assert!(!text.contains("last_failure"));
    }

    #[test]
    fn a_failed_run_keeps_the_last_success_and_the_last_figures() {
        let ok = render(&run(0, Some(figures())));
        let failed = render(&run(1, None));
        let merged = merge(&ok, &failed);
        assert!(
            merged.contains("seatwarden_reconcile_last_success_timestamp_seconds 1800000000.0")
        );
        assert!(
            merged.contains("seatwarden_reconcile_last_failure_timestamp_seconds 1800000000.0")
        );
        assert!(merged.contains("seatwarden_reconcile_last_exit_code 1.0"));
        assert!(!merged.contains("seatwarden_reconcile_last_exit_code 0.0"));
        assert!(merged.contains("seatwarden_source_up{source=\"okta\"} 1.0"));
        // One HELP and one TYPE per family: the fresh family replaced the old one.
        assert_eq!(
            merged
                .matches("# TYPE seatwarden_reconcile_last_exit_code ")
                .count(),
            1
        );
    }

    #[test]
    fn the_textfile_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seatwarden.prom");
        write_atomically(&path, "a 1\n").unwrap();
        write_atomically(&path, "b 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b 2\n");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
