//! The reconcile job: fetch every source, load the store, reconcile, build the report, store the run.
//! The one function `reconcile` and `schedule` both call.
//!
//! Architecture invariant: the only place the rooms are wired together; it decides nothing itself.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{Config, SourceKind};
use crate::model::{Developer, RowStatus, SeiRow, Subscription};
use crate::reconcile::{self, Outcome, SourceInput, SourceOutcome};
use crate::report::json::{self, DriftJson, Report, RunMeta};
use crate::resolve::{Overrides, ResolveOptions};
use crate::sources::{self, FetchOutput, HttpCache, Secrets, SourceContext};
use crate::store::{OverrideKind, RunRecord, SourceRun, Store, StoreError};

/// Why a job could not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Bad input the user must fix (exit 2).
    #[error("{0}")]
    Input(String),
}

/// The result of one reconcile job.
#[derive(Debug)]
pub struct JobResult {
    pub report: Report,
    pub outcome: Outcome,
}

/// Run one reconciliation. With `dry_run` the store is opened read-only and nothing is written.
pub async fn reconcile(
    cfg: &Config,
    secrets: &Secrets,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<JobResult, JobError> {
    let started_at = now;
    let store = if dry_run {
        Store::open_read_only(&cfg.store.url).await?
    } else {
        Some(Store::open(&cfg.store.url).await?)
    };
    let cache: Option<Arc<dyn HttpCache>> =
        store.clone().map(|s| Arc::new(s) as Arc<dyn HttpCache>);
    let ctx = SourceContext {
        secrets: secrets.clone(),
        cache,
    };
    // The stored table loads while the sources are fetched.
    let load = async {
        match &store {
            Some(s) => Ok::<_, StoreError>((
                s.load_table().await?,
                s.last_good_counts().await?,
                s.overrides().await?,
            )),
            None => Ok((Vec::new(), HashMap::new(), Vec::new())),
        }
    };
    let phase = std::time::Instant::now();
    let (loaded, fetched) = tokio::join!(load, fetch_all(cfg, &ctx));
    let (mut table, last_good, stored_overrides) = loaded?;
    tracing::debug!(
        ms = phase.elapsed().as_millis() as u64,
        peak_rss_mb = peak_rss_mb(),
        "sources fetched"
    );

    // The harness source feeds the subscription and SEI's view of the table, not identities.
    let mut subscription: Option<Subscription> = cfg.subscription.clone();
    let mut sei_table: Option<(String, Vec<SeiRow>)> = None;
    let mut inputs = Vec::with_capacity(fetched.len());
    for (src, result) in cfg.sources.iter().zip(fetched) {
        let outcome = match result {
            Ok(mut out) => {
                if let Some(s) = out.subscription.take() {
                    subscription = Some(s);
                }
                if let Some(rows) = out.sei_table.take() {
                    sei_table = Some((src.name.clone(), rows));
                }
                if src.kind == SourceKind::Harness {
                    SourceOutcome::Counted(sei_table.as_ref().map(|(_, r)| r.len()).unwrap_or(0))
                } else {
                    SourceOutcome::Fetched(normalise_links(out.identities, cfg))
                }
            }
            Err(e) => {
                tracing::warn!(source = %src.name, error = %e, "source failed");
                SourceOutcome::Failed(e.to_string())
            }
        };
        inputs.push(SourceInput {
            name: src.name.clone(),
            kind: src.kind.as_str().to_string(),
            directory: src.directory,
            outcome,
        });
    }

    let mut drift = None;
    if let Some((source, rows)) = &sei_table {
        if table.is_empty() {
            tracing::info!(source = %source, rows = rows.len(), "seeding the empty developer table from SEI");
            table = rows_to_developers(rows, &[], now);
        } else {
            drift = Some(compute_drift(source, rows, &table));
        }
    }
    if table.is_empty()
        && let Some(seed) = &cfg.store.seed
    {
        table = read_seed(seed, now)?;
        tracing::info!(file = %seed.display(), rows = table.len(), "seeded the empty developer table");
    }

    let overrides = build_overrides(cfg, &table, &stored_overrides)?;
    let resolve_options = ResolveOptions {
        merge_threshold: cfg.resolution.merge_threshold,
        review_threshold: cfg.resolution.review_threshold,
        org_domains: cfg.resolution.org_domains.clone(),
        overrides,
        explain: Vec::new(),
        on_phase: crate::timing::logged_resolve_phases(),
    };
    tracing::debug!(
        peak_rss_mb = peak_rss_mb(),
        rows = table.len(),
        "table loaded"
    );
    let phase = std::time::Instant::now();
    let outcome = reconcile::reconcile(reconcile::Input {
        now,
        policy: &cfg.policy,
        resolve: &resolve_options,
        table,
        sources: inputs,
        last_good: &last_good,
        subscription,
    });

    tracing::debug!(
        ms = phase.elapsed().as_millis() as u64,
        peak_rss_mb = peak_rss_mb(),
        people = outcome.table.len(),
        "resolved and reconciled"
    );
    let finished_at = Utc::now().max(started_at);
    let meta = RunMeta {
        id: run_id(started_at),
        started_at,
        finished_at,
        dry_run,
    };
    let report = json::build(&meta, &outcome, drift);

    if let Some(store) = store.as_ref().filter(|_| !dry_run) {
        let record = RunRecord {
            id: meta.id.clone(),
            started_at,
            finished_at,
            status: match outcome.status {
                crate::model::RunStatus::Ok => "ok".into(),
                crate::model::RunStatus::Degraded => "degraded".into(),
            },
            licenses_purchased: outcome.subscription.as_ref().map(|s| s.licenses_purchased),
            consumed: outcome.usage.consumed_after,
            overage: outcome.usage.overage,
            duplicates: outcome.duplicates() as u64,
            recommendations: outcome.recommendations.len() as u64,
            summary: serde_json::to_string(&report.summary()).unwrap_or_default(),
            sources: outcome
                .sources
                .iter()
                .map(|s| SourceRun {
                    source: s.name.clone(),
                    kind: s.kind.clone(),
                    status: s.status.as_str().into(),
                    records: s.records,
                    error: s.error.clone(),
                })
                .collect(),
        };
        let phase = std::time::Instant::now();
        store.save_run(&record, &outcome.table).await?;
        tracing::debug!(
            ms = phase.elapsed().as_millis() as u64,
            peak_rss_mb = peak_rss_mb(),
            rows = outcome.table.len(),
            "run stored"
        );
    }
    if let Some(s) = store {
        s.close().await;
    }
    Ok(JobResult { report, outcome })
}

/// Fetch every source concurrently; a source that cannot even be built counts as failed.
async fn fetch_all(
    cfg: &Config,
    ctx: &SourceContext,
) -> Vec<Result<FetchOutput, sources::SourceError>> {
    let futures = cfg.sources.iter().map(|src| async move {
        let source = sources::build(src, ctx)?;
        let started = std::time::Instant::now();
        let out = source.fetch().await;
        match &out {
            Ok(o) => tracing::info!(source = %src.name, records = o.identities.len(), ms = started.elapsed().as_millis() as u64, "source fetched"),
            Err(e) => tracing::debug!(source = %src.name, error = %e, "source fetch failed"),
        }
        out
    });
    futures::future::join_all(futures).await
}

/// `sources.links` keys may name a kind (`github`) rather than a source name: map them to the one
/// source of that kind, so the resolver only ever sees source names.
fn normalise_links(
    mut identities: Vec<crate::model::Identity>,
    cfg: &Config,
) -> Vec<crate::model::Identity> {
    let by_kind: HashMap<&str, Vec<&str>> = cfg.sources.iter().fold(HashMap::new(), |mut m, s| {
        m.entry(s.kind.as_str()).or_default().push(s.name.as_str());
        m
    });
    for ident in &mut identities {
        for link in &mut ident.links {
            if cfg.sources.iter().any(|s| s.name == link.source) {
                continue;
            }
            if let Some(names) = by_kind.get(link.source.as_str())
                && names.len() == 1
            {
                link.source = names[0].to_string();
            }
        }
    }
    identities
}

/// The process's peak resident memory in MB (Linux `VmHWM`), for the phase logs.
pub fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// The overrides of the store and of the GitOps file, as identity keys.
fn build_overrides(
    cfg: &Config,
    table: &[Developer],
    stored: &[crate::store::StoredOverride],
) -> Result<Overrides, JobError> {
    let mut o = Overrides::default();
    for s in stored {
        let pair = (s.a.clone(), s.b.clone());
        match s.kind {
            OverrideKind::Merge => o.merge.push(pair),
            OverrideKind::Split => o.split.push(pair),
        }
    }
    if let Some(path) = &cfg.resolution.overrides {
        let file = crate::overrides::load(path).map_err(JobError::Input)?;
        for (list, target) in [(&file.merge, &mut o.merge), (&file.split, &mut o.split)] {
            for (a, b) in list {
                match (
                    crate::overrides::resolve_reference(a, table),
                    crate::overrides::resolve_reference(b, table),
                ) {
                    (Some(ka), Some(kb)) => target.push((ka, kb)),
                    _ => {
                        tracing::warn!(file = %path.display(), a = %a, b = %b, "override names a row that is not in the table; ignored")
                    }
                }
            }
        }
    }
    Ok(o)
}

/// The table from an SEI developer CSV file (`[store] seed`).
fn read_seed(path: &std::path::Path, now: DateTime<Utc>) -> Result<Vec<Developer>, JobError> {
    let name = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| JobError::Input(format!("{name}: cannot read: {e}")))?;
    let rows = crate::sei_csv::parse(&bytes).map_err(|e| JobError::Input(e.render_for(&name)))?;
    Ok(rows_to_developers(&rows, &[], now))
}

/// Table rows for SEI CSV rows, keeping the ids (and everything else) of rows with the same email.
pub fn rows_to_developers(
    rows: &[SeiRow],
    existing: &[Developer],
    now: DateTime<Utc>,
) -> Vec<Developer> {
    let by_email: HashMap<String, &Developer> = existing
        .iter()
        .map(|d| (d.email.to_lowercase(), d))
        .collect();
    let mut taken: std::collections::HashSet<String> =
        existing.iter().map(|d| d.id.clone()).collect();
    rows.iter()
        .map(|r| {
            let old = by_email.get(&r.email.to_lowercase()).copied();
            let id = match old {
                Some(d) => d.id.clone(),
                None => {
                    let id = reconcile::developer_id(&r.email, &taken);
                    taken.insert(id.clone());
                    id
                }
            };
            let mut emails = old.map(|d| d.emails.clone()).unwrap_or_default();
            if !emails.iter().any(|e| e.eq_ignore_ascii_case(&r.email)) {
                emails.insert(0, r.email.clone());
            }
            Developer {
                id,
                name: r.full_name.clone(),
                email: r.email.clone(),
                emails,
                status: RowStatus::Active,
                title: r.role.clone(),
                department: r.department.clone(),
                manager_email: r.manager_email.clone(),
                site: r.site.clone(),
                team: r.team.clone(),
                sub_role: r.sub_role.clone(),
                first_seen: old.map(|d| d.first_seen).unwrap_or(now),
                last_activity: old.and_then(|d| d.last_activity),
                identities: old.map(|d| d.identities.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

/// The active rows of the table as SEI CSV rows.
pub fn developers_to_rows(table: &[Developer]) -> Vec<SeiRow> {
    table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .map(|d| SeiRow {
            email: d.email.clone(),
            manager_email: d.manager_email.clone(),
            full_name: d.name.clone(),
            role: d.title.clone(),
            site: d.site.clone(),
            team: d.team.clone(),
            sub_role: d.sub_role.clone(),
            department: d.department.clone(),
        })
        .collect()
}

fn compute_drift(source: &str, sei: &[SeiRow], table: &[Developer]) -> DriftJson {
    let ours: std::collections::HashSet<String> = table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .map(|d| d.email.to_lowercase())
        .collect();
    let theirs: std::collections::HashSet<String> =
        sei.iter().map(|r| r.email.to_lowercase()).collect();
    let mut only_in_sei: Vec<String> = theirs.difference(&ours).cloned().collect();
    let mut only_in_table: Vec<String> = ours.difference(&theirs).cloned().collect();
    only_in_sei.sort();
    only_in_table.sort();
    DriftJson {
        source: source.to_string(),
        only_in_sei,
        only_in_table,
    }
}

fn run_id(t: DateTime<Utc>) -> String {
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", t.format("%Y%m%dT%H%M%SZ"), &rand[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sei(email: &str) -> SeiRow {
        SeiRow {
            email: email.into(),
            full_name: "X".into(),
            ..SeiRow::default()
        }
    }

    #[test]
    fn drift_lists_rows_only_sei_holds_and_active_rows_sei_lacks() {
        let now = Utc::now();
        let mut table = rows_to_developers(
            &[
                sei("ada@acme.example"),
                sei("bob@acme.example"),
                sei("gone@acme.example"),
            ],
            &[],
            now,
        );
        table[2].status = RowStatus::Removed;
        let drift = compute_drift(
            "sei",
            &[
                sei("ADA@acme.example"),
                sei("new@acme.example"),
                sei("gone@acme.example"),
            ],
            &table,
        );
        assert_eq!(drift.source, "sei");
        assert_eq!(
            drift.only_in_sei,
            ["gone@acme.example", "new@acme.example"],
            "a removed row is not in the table"
        );
        assert_eq!(drift.only_in_table, ["bob@acme.example"]);
    }

    #[test]
    fn rows_to_developers_keeps_the_id_and_history_of_a_known_email() {
        let now = Utc::now();
        let mut first = rows_to_developers(&[sei("ada@acme.example")], &[], now);
        first[0].last_activity = Some(now);
        let again = rows_to_developers(&[sei("Ada@acme.example")], &first, now);
        assert_eq!(again[0].id, first[0].id);
        assert_eq!(again[0].last_activity, Some(now));
        assert_eq!(again[0].email, "Ada@acme.example");
    }
}
