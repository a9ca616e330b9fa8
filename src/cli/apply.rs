//! `seatwarden apply FILE`: carry out a reviewed recommendations CSV. Every row is re-checked
//! against the current table (the rows the file names, read by id) and the latest stored run
//! (`apply::plan`), the blast-radius cap is checked, and the changes and their audit entries are
//! written in one transaction under the store lock.
//!
//! Never changes anything when a row is refused (exit 2), when the file exceeds
//! `policy.max_apply_percent` without `--force` (exit 3), or with `--dry-run` (which takes no lock).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::anyhow;

use crate::apply::{self, Acting, LatestRun, Plan, Skip};
use crate::cli::{Exit, Failure, Output, lock_store};
use crate::config::Config;
use crate::model::{Action, Developer};
use crate::report::csv::ReviewedRow;
use crate::report::json::Report;
use crate::store::{RunRecord, Store, StoreError};
use crate::telemetry::Phase;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The reviewed CSV (`reconcile --csv`): the rows left in are applied; a row marked in its
    /// `applied` column, or still `review`, is left alone
    pub file: PathBuf,
    /// Print exactly what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Apply even when the file changes more than `policy.max_apply_percent` of the active rows
    #[arg(long)]
    pub force: bool,
    /// Also apply `review` rows whose action a reviewer set to `remove` or `merge`
    #[arg(long)]
    pub include_reviews: bool,
}

pub async fn run(cfg: &Config, args: &Args, out: Output, actor: &str) -> Result<Exit, Failure> {
    let file = args.file.display().to_string();
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::usage(anyhow!("{file}: cannot read: {e}")))?;
    let rows = crate::report::csv::parse(&bytes)
        .map_err(|e| Failure::usage(anyhow!("{}\nnothing was changed", e.render_for(&file))))?;
    let lock = match args.dry_run {
        true => None,
        false => Some(lock_store(cfg, "apply").await?),
    };
    let Some(store) = Store::open_for(&cfg.store.url, lock.as_ref()).await? else {
        return Err(Failure::usage(anyhow!(
            "{file}: the store {} is empty: nothing to apply",
            crate::store::redact_url(&cfg.store.url)
        )));
    };
    let timer = Phase::start();
    // Only the rows the file names (and their merge targets) are read: the rest cannot change.
    let table = store.rows_by_id(&named_rows(&rows)).await?;
    let active = store.active_rows().await?;
    let latest = latest_report(&store).await?;
    timer.done("rows and latest run read");
    let timer = Phase::start();
    let plan = apply::plan(
        &rows,
        &table,
        latest.as_ref().map(|r| LatestRun {
            id: &r.run.id,
            recommendations: &r.recommendations,
        }),
        args.include_reviews,
    );
    timer.done("rows checked");
    if !plan.refused.is_empty() {
        return Err(Failure::usage(anyhow!("{}", refused_message(&plan, &file))));
    }
    if !out.quiet {
        print!("{}", describe(&plan, &table, &file, active));
    }
    if let Err(over) = apply::check_cap(plan.changes.len(), active, cfg.policy.max_apply_percent)
        && !args.force
    {
        return Err(Failure::over_cap(over));
    }
    if args.dry_run {
        if !out.quiet {
            println!("dry run: nothing was changed");
        }
        return Ok(Exit::Success);
    }
    let acting = Acting {
        actor,
        now: chrono::Utc::now(),
        file: &file,
    };
    let timer = Phase::start();
    let applied = plan.carry_out(&table, &acting);
    store.update_rows(&applied.rows, &applied.audit).await?;
    timer.done("changes stored");
    store.close().await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    if !out.quiet {
        println!(
            "applied {} changes to {}, audited as {actor}",
            plan.changes.len(),
            store.display_url()
        );
    }
    Ok(Exit::Success)
}

/// Every developer id the file names, as a row or as a merge target, once each.
fn named_rows(rows: &[ReviewedRow]) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .iter()
        .flat_map(|r| std::iter::once(&r.developer).chain(r.into.as_ref()))
        .cloned()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The latest stored run's report (its summary), which the file's rows are checked against.
async fn latest_report(store: &Store) -> Result<Option<Report>, Failure> {
    let Some(RunRecord { id, summary, .. }) = store.latest_run().await? else {
        return Ok(None);
    };
    let report = serde_json::from_str(&summary).map_err(|e| StoreError::Corrupt {
        url: store.display_url().to_string(),
        message: format!("run {id}: summary: {e}"),
    })?;
    Ok(Some(report))
}

/// How many refused rows the error lists before summarising the rest.
const SHOWN_REFUSALS: usize = 50;

fn refused_message(plan: &Plan, file: &str) -> String {
    let mut text = format!(
        "{file}: {} of its rows cannot be applied; nothing was changed",
        plan.refused.len()
    );
    for r in plan.refused.iter().take(SHOWN_REFUSALS) {
        let _ = write!(text, "\n{file}:{r}");
    }
    if plan.refused.len() > SHOWN_REFUSALS {
        let _ = write!(text, "\n… and {} more", plan.refused.len() - SHOWN_REFUSALS);
    }
    text
}

/// What the plan changes, row by row, and the licenses before and after.
fn describe(plan: &Plan, table: &[Developer], file: &str, active: usize) -> String {
    let who = |i: usize| format!("{} <{}>", table[i].name, table[i].email);
    let left = |why: Skip| plan.skipped.iter().filter(|(_, s)| *s == why).count();
    let mut text = format!(
        "{file}: {} changes from run {} ({} left for review, {} marked applied)\n",
        plan.changes.len(),
        plan.run_id.as_deref().unwrap_or("-"),
        left(Skip::LeftForReview),
        left(Skip::MarkedApplied)
    );
    for c in &plan.changes {
        let into = c.into.map(|t| format!(" → {}", who(t))).unwrap_or_default();
        let _ = writeln!(
            text,
            "  {:<6} {}{into}  {} (line {})",
            c.action.as_str(),
            who(c.row),
            c.reason.as_str(),
            c.line
        );
    }
    let removed = plan.changes.len();
    let merged = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Merge)
        .count();
    let _ = writeln!(
        text,
        "Licenses   {active} consumed now · {} after ({} removed, {merged} merged)",
        active - removed,
        removed - merged
    );
    text
}
