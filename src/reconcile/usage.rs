//! Step 6 of a run, usage (SPEC §4 `usage`): the licenses consumed before and after the run, the
//! overage against the licenses purchased, and what applying every removal and merge would leave.
//!
//! Architecture invariant: it only counts; it decides no recommendation and changes no row.

use crate::model::{Action, Developer, Recommendation, RowStatus, Subscription, Usage};

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
    }
}
