//! Drift: where SEI's own developer table (read through a `harness` source) and the stored table
//! disagree, by email, with what SEI's table holds that an import would refuse (its findings). The
//! report shows it as its `drift` object; `developers export --push` shows the same comparison as
//! what an upload would change.
//!
//! Architecture invariant: a comparison only; it changes neither table and knows nothing of the
//! report's JSON (`report` converts a [`Drift`] into its own type).

use std::collections::HashSet;

use crate::model::{Developer, RowStatus, SeiRow, SeiTable};

/// How SEI's table differs from the stored one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Drift {
    /// The harness source it came from.
    pub source: String,
    /// Emails SEI holds that the stored table has no active row for (lowercased, sorted).
    pub only_in_sei: Vec<String>,
    /// Active rows' emails that SEI does not hold (lowercased, sorted).
    pub only_in_table: Vec<String>,
    /// What SEI's table holds that an import would refuse (a duplicate email, a manager who is no
    /// row, …), by line.
    pub findings: Vec<String>,
}

/// Compare SEI's table (from `source`) with the table's active rows.
pub fn compute_drift(source: &str, sei: &SeiTable, table: &[Developer]) -> Drift {
    let ours = table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .map(|d| d.email.as_str());
    compare(source, sei, ours)
}

/// What uploading `upload` over SEI's table changes: `only_in_sei` are the rows SEI would lose,
/// `only_in_table` the rows it would gain.
pub fn upload_drift(source: &str, sei: &SeiTable, upload: &[SeiRow]) -> Drift {
    compare(source, sei, upload.iter().map(|r| r.email.as_str()))
}

fn compare<'a>(source: &str, sei: &SeiTable, ours: impl Iterator<Item = &'a str>) -> Drift {
    let ours: HashSet<String> = ours.map(str::to_lowercase).collect();
    let theirs: HashSet<String> = sei.rows.iter().map(|r| r.email.to_lowercase()).collect();
    let mut only_in_sei: Vec<String> = theirs.difference(&ours).cloned().collect();
    let mut only_in_table: Vec<String> = ours.difference(&theirs).cloned().collect();
    only_in_sei.sort();
    only_in_table.sort();
    Drift {
        source: source.to_string(),
        only_in_sei,
        only_in_table,
        findings: sei.findings.clone(),
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
        let live = SeiTable {
            rows: vec![
                sei("ADA@acme.example"),
                sei("new@acme.example"),
                sei("gone@acme.example"),
            ],
            findings: vec!["line 4: Email: duplicate of line 2".into()],
        };
        let drift = compute_drift("sei", &live, &table);
        assert_eq!(drift.source, "sei");
        assert_eq!(
            drift.only_in_sei,
            ["gone@acme.example", "new@acme.example"],
            "a removed row is not in the table"
        );
        assert_eq!(drift.only_in_table, ["bob@acme.example"]);
        assert_eq!(drift.findings, live.findings);
    }

    #[test]
    fn an_upload_loses_the_rows_it_lacks_and_gains_the_rest() {
        let live = SeiTable {
            rows: vec![sei("ada@acme.example"), sei("bob@acme.example")],
            findings: Vec::new(),
        };
        let drift = upload_drift(
            "sei",
            &live,
            &[sei("Bob@acme.example"), sei("carol@acme.example")],
        );
        assert_eq!(drift.only_in_sei, ["ada@acme.example"], "lost");
        assert_eq!(drift.only_in_table, ["carol@acme.example"], "gained");
    }
}
