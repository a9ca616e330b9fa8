//! The reconcile job: read the local files, take the store lock (not for a dry run), fetch every
//! source while the store loads, reconcile, build the report, store the run with the audit entries
//! of the rows it re-added. The one function `reconcile` and `schedule` both call.
//!
//! Architecture invariant: the place one run's rooms are wired together. It decides nothing itself
//! (which table a run starts from, which overrides apply, who is re-added, every rule: the rooms
//! decide) and never looks at a source's kind. A stored run holds the store lock from before the
//! fetch until after the save, so nothing written meanwhile is saved over.

mod gather;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::model::{AuditAction, AuditEntry, Developer, RowStatus, Subscription};
use crate::overrides::{self, OverridesError};
use crate::reconcile::{self, Outcome, table::Start};
use crate::report::json::{self, DriftJson, IdentityDriftJson, Report, RunMeta};
use crate::sei_csv::{self, FileError};
use crate::sources::{self, HttpCache, Secrets, SourceContext};
use crate::store::{LockGuard, RunRecord, Store, StoreError};
use crate::telemetry::{self, Phase};
use gather::Gathered;

/// Why a job could not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The overrides file is unreadable or wrong (exit 2).
    #[error(transparent)]
    Overrides(#[from] OverridesError),
    /// The seed file is unreadable or not a valid SEI developer CSV (exit 2).
    #[error(transparent)]
    Seed(#[from] FileError),
    /// The run's summary could not be written as JSON (a bug; nothing was stored).
    #[error("cannot write the run's summary")]
    Summary(#[from] serde_json::Error),
}

/// The result of one reconcile job.
#[derive(Debug)]
pub struct JobResult {
    pub report: Report,
    pub outcome: Outcome,
}

/// Run one reconciliation. With `dry_run` the store is opened read-only and nothing is written;
/// otherwise the store lock is held for the whole run. `actor` signs the run's audit entries.
pub async fn reconcile(
    cfg: &Config,
    secrets: &Secrets,
    dry_run: bool,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<JobResult, JobError> {
    // The local files first: a typo in one is exit 2 in milliseconds, not after a full fetch.
    let overrides_file = cfg.resolution.overrides.as_deref().map(overrides::load);
    let overrides_file = overrides_file.transpose()?;
    let seed = cfg.store.seed.as_deref().map(sei_csv::read_file);
    let seed = seed.transpose()?;
    let (store, lock) = open_store(cfg, dry_run).await?;
    let ctx = SourceContext {
        secrets: secrets.clone(),
        cache: store.clone().map(|s| Arc::new(s) as Arc<dyn HttpCache>),
        now: Some(now),
    };
    let timer = Phase::start();
    let (stored, fetched) = tokio::join!(
        Store::load_state(store.as_ref()),
        sources::fetch_all(&cfg.sources, &ctx)
    );
    let stored = stored?;
    timer.done("sources fetched");

    let removed_before = removed_ids(&stored.table);
    let gathered = Gathered::new(cfg, fetched);
    let (table, start, drift) =
        reconcile::table::starting_table(stored.table, gathered.sei(), seed.as_deref(), now);
    if start != Start::Stored {
        tracing::info!(from = ?start, rows = table.len(), "seeded the empty developer table");
    }
    let overrides = overrides::combine(&stored.overrides, overrides_file.as_ref(), &table);
    let subscription = gathered.subscription.or_else(|| cfg.subscription.clone());
    let outcome = decide(
        cfg,
        overrides,
        table,
        gathered.inputs,
        &stored.last_good,
        subscription,
        now,
    );

    let finished_at = Utc::now().max(now);
    let (id, started_at) = (run_id(now), now);
    let meta = RunMeta {
        id,
        started_at,
        finished_at,
        dry_run,
    };
    // Identity drift is read against the table after this run: its rows carry the accounts this
    // run attached.
    let identity_drift = gathered
        .sei_identities
        .as_ref()
        .map(|(source, sei)| reconcile::identities::identity_drift(source, &outcome.table, sei));
    let mut report = json::build(
        &meta,
        &outcome,
        drift.map(DriftJson::from),
        identity_drift.map(IdentityDriftJson::from),
    );
    report.applied = json::applied_json(&stored.applied);
    if let Some(store) = store.as_ref().filter(|_| !dry_run) {
        let readded = readded_entries(&outcome, &removed_before, &meta.id, finished_at, actor);
        store_run(
            store,
            &report,
            &outcome,
            &readded,
            finished_at,
            cfg.store.keep_runs,
        )
        .await?;
    }
    close(store, lock).await;
    Ok(JobResult { report, outcome })
}

/// Resolve and reconcile (SPEC §3): the only step that decides anything, and pure.
fn decide(
    cfg: &Config,
    overrides: crate::resolve::Overrides,
    table: Vec<Developer>,
    sources: Vec<reconcile::SourceInput>,
    last_good: &std::collections::HashMap<String, u64>,
    subscription: Option<Subscription>,
    now: DateTime<Utc>,
) -> Outcome {
    let timer = Phase::start();
    let resolve = cfg
        .resolution
        .options(overrides, telemetry::logged_resolve_phases());
    let outcome = reconcile::reconcile(reconcile::Input {
        now,
        policy: &cfg.policy,
        resolve: &resolve,
        table,
        sources,
        last_good,
        subscription,
    });
    timer.done("resolved and reconciled");
    outcome
}

/// The store to run against: read-only for a dry run, else under the store lock (held until
/// [`close`]).
async fn open_store(
    cfg: &Config,
    dry_run: bool,
) -> Result<(Option<Store>, Option<LockGuard>), JobError> {
    let lock = match dry_run {
        true => None,
        false => Some(Store::lock(&cfg.store.url, "reconcile", cfg.store.lock_timeout).await?),
    };
    let store = Store::open_for(&cfg.store.url, lock.as_ref()).await?;
    Ok((store, lock))
}

/// Close the store, then give the lock back.
async fn close(store: Option<Store>, lock: Option<LockGuard>) {
    if let Some(s) = store {
        s.close().await;
    }
    if let Some(lock) = lock {
        lock.release().await;
    }
}

/// Store the run: its record (ordered by the instant it finished, the report saying the second),
/// the table after it and the audit entries of rows it re-added, in one transaction.
async fn store_run(
    store: &Store,
    report: &Report,
    outcome: &Outcome,
    readded: &[AuditEntry],
    finished_at: DateTime<Utc>,
    keep_runs: u32,
) -> Result<(), JobError> {
    let timer = Phase::start();
    let mut record = RunRecord::from_report(report)?;
    record.finished_at = finished_at;
    store
        .save_run(&record, &outcome.table, readded, keep_runs)
        .await?;
    timer.done("run stored");
    Ok(())
}

/// The ids of the rows that were removed when the run started.
fn removed_ids(table: &[Developer]) -> HashSet<String> {
    table
        .iter()
        .filter(|d| d.status == RowStatus::Removed)
        .map(|d| d.id.clone())
        .collect()
}

/// A "re-added" audit entry for each added row that was a removed row of the stored table
/// (reconcile re-admits such a row only when the directory shows its person active and eligible).
fn readded_entries(
    outcome: &Outcome,
    removed_before: &HashSet<String>,
    run_id: &str,
    at: DateTime<Utc>,
    actor: &str,
) -> Vec<AuditEntry> {
    outcome
        .added
        .iter()
        .filter(|id| removed_before.contains(id.as_str()))
        .map(|id| AuditEntry {
            at,
            actor: actor.to_string(),
            action: AuditAction::ReAdded,
            developer: Some(id.clone()),
            email: outcome
                .table
                .iter()
                .find(|d| d.id == *id)
                .map(|d| d.email.clone()),
            into: None,
            reason: Some("re-added".into()),
            evidence: vec!["the directory shows them active and eligible again".into()],
            run_id: Some(run_id.to_string()),
            origin: Some("reconcile".into()),
            detail: None,
        })
        .collect()
}

/// The run's id: the one its log lines carry ([`telemetry::in_run`]), else a new one.
fn run_id(t: DateTime<Utc>) -> String {
    telemetry::current_run_id().unwrap_or_else(|| telemetry::new_run_id(t))
}
