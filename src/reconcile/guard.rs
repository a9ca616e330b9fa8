//! Step 1 of a run, the guard (SPEC §3.6): how far each source is trusted this run. A source that
//! failed, or returned far fewer records than its last good run, is not trusted to say who is
//! missing; nor is a directory's first run when absence alone would call many rows departed.
//!
//! Architecture invariant: pure; the baselines come in as numbers. It only withholds — it marks
//! sources `failed` / `guarded` and says why absence is not trusted — and never recommends anything
//! itself.

use std::collections::HashMap;

use crate::model::{Developer, Identity, RowStatus, RunStatus, SourceStatus};

use super::employment::{Directories, Employment, employment_of};
use super::people::Person;
use super::policy::Policy;

/// What one source delivered to this run.
#[derive(Debug, Clone)]
pub enum SourceOutcome {
    Fetched(Vec<Identity>),
    /// A source that delivers no identities (the SEI subscription and table), with its record count
    /// so the guard still watches it.
    Counted(usize),
    Failed(String),
}

/// One configured source's contribution.
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub name: String,
    pub kind: String,
    pub directory: bool,
    pub outcome: SourceOutcome,
}

/// How one source fared (SPEC §4 `sources`).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceReport {
    pub name: String,
    pub kind: String,
    pub status: SourceStatus,
    pub records: u64,
    pub error: Option<String>,
}

/// What the rules need to know about the sources' health.
#[derive(Debug, Clone, Default)]
pub(super) struct SourceHealth {
    /// The directory sources, each with whether it is healthy.
    pub directories: Directories,
    /// Tool (non-directory) sources that failed or were guarded: newer activity may be there.
    pub unhealthy_tools: Vec<String>,
}

/// Step 1's result: the report of every source, the run's status, the identities the sources
/// delivered, and their health.
pub(super) struct Checked {
    pub reports: Vec<SourceReport>,
    pub status: RunStatus,
    /// Each fetched source's identities, in configuration order.
    pub identities: Vec<Vec<Identity>>,
    pub health: SourceHealth,
}

/// Judge every source against its last good run.
pub(super) fn check_sources(
    sources: Vec<SourceInput>,
    last_good: &HashMap<String, u64>,
    max_drop_percent: f64,
) -> Checked {
    let mut reports = Vec::with_capacity(sources.len());
    let mut identities: Vec<Vec<Identity>> = Vec::new();
    let mut health = SourceHealth::default();
    for s in sources {
        let (status, records, error) = assess(
            &s.outcome,
            last_good.get(&s.name).copied(),
            max_drop_percent,
        );
        let healthy = status == SourceStatus::Ok;
        if s.directory {
            health.directories.sources.push((s.name.clone(), healthy));
        } else if !healthy {
            health.unhealthy_tools.push(s.name.clone());
        }
        if let SourceOutcome::Fetched(ids) = s.outcome {
            identities.push(ids);
        }
        reports.push(SourceReport {
            name: s.name,
            kind: s.kind,
            status,
            records,
            error,
        });
    }
    Checked {
        status: run_status(&reports),
        reports,
        identities,
        health,
    }
}

/// A source's status, record count and error this run, given its last good count.
fn assess(
    outcome: &SourceOutcome,
    last_good: Option<u64>,
    max_drop_percent: f64,
) -> (SourceStatus, u64, Option<String>) {
    let records = match outcome {
        SourceOutcome::Fetched(ids) => ids.len(),
        SourceOutcome::Counted(n) => *n,
        SourceOutcome::Failed(e) => return (SourceStatus::Failed, 0, Some(e.clone())),
    };
    let status = status_for(records, last_good, max_drop_percent);
    let records = records as u64;
    let error = (status == SourceStatus::Guarded).then(|| {
        format!(
            "returned {records} records, more than {max_drop_percent}% fewer than its last good run ({}); nothing is inferred from absence in it",
            last_good.unwrap_or(0)
        )
    });
    (status, records, error)
}

/// The status of a source that returned `records` this run, given its last good count.
pub fn status_for(records: usize, last_good: Option<u64>, max_drop_percent: f64) -> SourceStatus {
    let Some(baseline) = last_good.filter(|&b| b > 0) else {
        return SourceStatus::Ok;
    };
    let records = records as f64;
    let baseline = baseline as f64;
    let drop_percent = (baseline - records) / baseline * 100.0;
    if drop_percent > max_drop_percent {
        SourceStatus::Guarded
    } else {
        SourceStatus::Ok
    }
}

/// A run is `ok` only when every source is.
fn run_status(reports: &[SourceReport]) -> RunStatus {
    if reports.iter().all(|r| r.status == SourceStatus::Ok) {
        RunStatus::Ok
    } else {
        RunStatus::Degraded
    }
}

/// The guard compares a source with its last good run; a directory's first run has none, so a
/// truncated export would pass. On a first run, when absence alone would call more than
/// `max_drop_percent` of the active rows departed, those removals become reviews until a stored run
/// gives the directory a baseline. Returns the reason absence is not trusted, if it is not.
pub(super) fn first_run_absence_guard(
    people: &[Person<'_>],
    table: &[Developer],
    directories: &Directories,
    policy: &Policy,
    last_good: &HashMap<String, u64>,
) -> Option<String> {
    let new_directories: Vec<&str> = directories
        .sources
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !last_good.contains_key(*name))
        .collect();
    if new_directories.is_empty() {
        return None;
    }
    let active_rows = table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .count();
    let absent = people
        .iter()
        .filter(|p| p.rows.iter().any(|&r| table[r].status == RowStatus::Active))
        .filter(|p| {
            matches!(
                employment_of(&p.identities, directories),
                Employment::Absent { .. }
            )
        })
        .count();
    let limit = active_rows as f64 * policy.max_drop_percent / 100.0;
    if absent == 0 || (absent as f64) <= limit {
        return None;
    }
    Some(format!(
        "withheld: first run of {} with no earlier run to compare, and absence alone would call {absent} of {active_rows} rows departed (more than {}%); confirm with a stored run",
        new_directories.join(", "),
        policy.max_drop_percent
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_run_without_a_baseline_is_ok() {
        assert_eq!(status_for(0, None, 10.0), SourceStatus::Ok);
    }

    #[test]
    fn drop_within_the_limit_is_ok() {
        assert_eq!(status_for(90, Some(100), 10.0), SourceStatus::Ok);
    }

    #[test]
    fn drop_beyond_the_limit_is_guarded() {
        assert_eq!(status_for(89, Some(100), 10.0), SourceStatus::Guarded);
    }

    #[test]
    fn empty_answer_after_a_full_one_is_guarded() {
        assert_eq!(status_for(0, Some(3), 10.0), SourceStatus::Guarded);
    }

    #[test]
    fn growth_is_ok() {
        assert_eq!(status_for(500, Some(100), 10.0), SourceStatus::Ok);
    }
}
