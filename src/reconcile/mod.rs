//! Reconcile: take the resolved people, the stored table and the policy, and decide — employment,
//! eligibility, additions, updates, one recommendation per row, usage and the guard (SPEC §3).
//! [`reconcile`] runs the six steps in order; each step's rules live in a file of their own:
//!
//! 1. [`guard`]: how far each source is trusted this run (SPEC §3.6);
//! 2. `people`: the table's rows and the sources' identities resolved together into people;
//! 3. `recommend`: which row keeps a person's license, and the reasons of SPEC §3.5 with their evidence;
//! 4. `reviews`: when a weak link becomes a `review` — only where deciding it changes the table —
//!    or turns a removal it could contradict into one;
//! 5. [`table`]: additions and updates (SPEC §3.4), row ids, and the SEI CSV row conversions;
//! 6. `usage`: licenses consumed before, after and if applied, the rows no activity source covers
//!    and the additions withheld (SPEC §4).
//!
//! Beside them: [`employment`] (SPEC §3.2), [`policy`] (the policy and its eligibility rules),
//! `context` (the read-only facts every rule reads), [`drift`] (SEI's table against ours) and
//! [`identities`] (SEI's developer identities against the accounts attached to our rows).
//!
//! Architecture invariant: pure. `now` comes in as a parameter; no clock, file, socket or I/O crate,
//! and nothing from `config`, `report`, `sources`, `store` or `job`. Removals are only ever
//! recommendations; nothing here deletes a row. When evidence is thin the answer is `review`, never
//! `remove`.

mod context;
pub mod drift;
pub mod employment;
pub mod guard;
pub mod identities;
mod people;
pub mod policy;
mod recommend;
mod reviews;
pub mod table;
mod usage;

pub use guard::{SourceInput, SourceOutcome, SourceReport};
pub use policy::Policy;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::model::{Developer, Reason, Recommendation, RunStatus, Subscription, Usage};
use crate::resolve::{self, ResolveOptions};

use context::Context;

/// Everything a reconciliation decides from.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub now: DateTime<Utc>,
    pub policy: &'a Policy,
    pub resolve: &'a ResolveOptions,
    /// The stored table; the outcome's table is this one, updated and extended.
    pub table: Vec<Developer>,
    pub sources: Vec<SourceInput>,
    /// Each source's record count in its last good run (the guard's baseline).
    pub last_good: &'a HashMap<String, u64>,
    pub subscription: Option<Subscription>,
}

/// The decision of one run.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: RunStatus,
    pub sources: Vec<SourceReport>,
    /// The table after this run: every row, additions at the end.
    pub table: Vec<Developer>,
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub recommendations: Vec<Recommendation>,
    pub usage: Usage,
    pub subscription: Option<Subscription>,
}

impl Outcome {
    /// Rows recommended for a merge, plus duplicate reviews.
    pub fn duplicates(&self) -> usize {
        self.recommendations
            .iter()
            .filter(|r| r.reason == Reason::Duplicate)
            .count()
    }
}

/// Run the reconciliation.
pub fn reconcile(input: Input<'_>) -> Outcome {
    let (policy, table) = (input.policy, input.table);

    // 1. Sources and the guard.
    let checked = guard::check_sources(input.sources, input.last_good, policy.max_drop_percent);

    // 2. Resolve table rows and source identities together.
    let all = people::identities_to_resolve(&table, checked.identities);
    let resolution = resolve::resolve(&all, input.resolve);
    let people = people::people_of(&resolution.clusters, &all, table.len());
    let absence_withheld = guard::first_run_absence_guard(
        &people,
        &table,
        &checked.health.directories,
        policy,
        input.last_good,
    );
    let mut ctx = Context::new(input.now, policy, &table, checked.health, absence_withheld);
    ctx.tied_strongly = people::rows_tied_strongly(&resolution.merges, &all, table.len());

    // 3. One recommendation per active row, duplicates first.
    let mut decisions = recommend::recommend_rows(&people, &resolution.merges, &ctx);

    // 4. Weak links: reviews between rows, and softening of removals that a probable match contradicts.
    //    The people a weak link ties to a row wait for a decision before they are added.
    let blocked_additions = reviews::apply_weak_links(&resolution, &people, &mut decisions, &ctx);

    // 5. Additions are decided against the table as it was; then the table is updated in place.
    let additions = table::additions(&people, &blocked_additions, &ctx);
    let consumed_before = usage::active_rows(&table);
    let coverage = usage::coverage(&people, &table, &additions);
    let after = table::table_after(table, additions, &people, &decisions.target_of_cluster);

    // 6. Usage.
    let recommendations = recommend::most_certain_first(decisions.by_row);
    let subscription = input.subscription;
    let usage = usage::usage(
        consumed_before,
        &after.table,
        &recommendations,
        subscription.as_ref(),
        coverage,
    );
    Outcome {
        status: checked.status,
        sources: checked.reports,
        table: after.table,
        added: after.added,
        updated: after.updated,
        recommendations,
        usage,
        subscription,
    }
}

#[cfg(test)]
mod tests;
