//! Step 6 of a run, usage (SPEC §4 `usage`): the licenses consumed before and after the run, the
//! overage against the licenses purchased, what applying every removal and merge would leave, how
//! many rows the activity sources do not cover, and how many additions wait for a decision.
//!
//! Architecture invariant: it only counts; it decides no recommendation and changes no row.

use crate::model::{Action, Developer, Recommendation, RowStatus, Subscription, Usage};

use super::people::Person;
use super::recommend::last_activity;
use super::table::Additions;

/// What usage counts beside the table: computed before the table is updated.
pub(super) struct Coverage {
    pub activity_unknown: u64,
    pub withheld: u64,
}

/// `usage.activity_unknown` (SPEC §3.5, §4): the rows active after the run — kept, re-admitted or
/// added — whose person shows no engineering activity in any source (nor from an earlier run).
/// Such rows get no `inactive` recommendation; this figure says how much the activity sources miss.
pub(super) fn coverage(
    people: &[Person<'_>],
    table: &[Developer],
    additions: &Additions,
) -> Coverage {
    let mut activity_unknown = 0;
    for person in people {
        if last_activity(person, table).is_some() {
            continue;
        }
        let active = person
            .rows
            .iter()
            .filter(|&&r| table[r].status == RowStatus::Active)
            .count() as u64;
        activity_unknown += active;
    }
    for &(_, c) in &additions.readmitted {
        if last_activity(&people[c], table).is_none() {
            activity_unknown += 1;
        }
    }
    activity_unknown += additions
        .rows
        .iter()
        .filter(|d| d.last_activity.is_none())
        .count() as u64;
    Coverage {
        activity_unknown,
        withheld: additions.withheld,
    }
}

/// The rows that consume a license.
pub(super) fn active_rows(table: &[Developer]) -> u64 {
    table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .count() as u64
}

/// The usage of a run: `consumed_before` counted on the table before it, the rest on the table
/// after it (`after`, additions included) and its recommendations.
pub(super) fn usage(
    consumed_before: u64,
    after: &[Developer],
    recommendations: &[Recommendation],
    subscription: Option<&Subscription>,
    coverage: Coverage,
) -> Usage {
    let consumed_after = active_rows(after);
    let leaving = recommendations
        .iter()
        .filter(|r| matches!(r.action, Action::Remove | Action::Merge))
        .count() as u64;
    let purchased = subscription.map(|s| s.licenses_purchased);
    Usage {
        consumed_before,
        consumed_after,
        overage: purchased
            .map(|p| consumed_after.saturating_sub(p))
            .unwrap_or(0),
        consumed_if_applied: consumed_after.saturating_sub(leaving),
        activity_unknown: coverage.activity_unknown,
        withheld: coverage.withheld,
    }
}
