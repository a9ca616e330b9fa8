//! Drift: where SEI's own developer table (read through a `harness` source) and the stored table
//! disagree, by email. The report shows it as its `drift` object.
//!
//! Architecture invariant: a comparison only; it changes neither table and knows nothing of the
//! report's JSON (`report` converts a [`Drift`] into its own type).

use std::collections::HashSet;

use crate::model::{Developer, RowStatus, SeiRow};

/// How SEI's table differs from the stored one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Drift {
    /// The harness source it came from.
    pub source: String,
    /// Emails SEI holds that the stored table has no active row for (lowercased, sorted).
    pub only_in_sei: Vec<String>,
    /// Active rows' emails that SEI does not hold (lowercased, sorted).
    pub only_in_table: Vec<String>,
}

/// Compare SEI's rows (from `source`) with the stored table's active rows.
pub fn compute_drift(source: &str, sei: &[SeiRow], table: &[Developer]) -> Drift {
    let ours: HashSet<String> = table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .map(|d| d.email.to_lowercase())
        .collect();
    let theirs: HashSet<String> = sei.iter().map(|r| r.email.to_lowercase()).collect();
    let mut only_in_sei: Vec<String> = theirs.difference(&ours).cloned().collect();
    let mut only_in_table: Vec<String> = ours.difference(&theirs).cloned().collect();
    only_in_sei.sort();
    only_in_table.sort();
    Drift {
        source: source.to_string(),
        only_in_sei,
        only_in_table,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    use crate::reconcile::table::rows_to_developers;
    use crate::reconcile::tests::sei;

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
}
