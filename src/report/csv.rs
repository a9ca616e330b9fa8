//! The recommendations CSV (`reconcile --csv`): one row per recommendation, for a person to review
//! in a spreadsheet and hand back to `seatwarden apply` with only the rows to carry out left in.
//!
//! Never writes a cell a spreadsheet would run as a formula.

use crate::model::Developer;
use crate::report::json::RecommendationJson;
use crate::sei_csv::formula_safe;

/// The columns, in order. `developer` and `action` are what `apply` reads; the rest explain.
pub const HEADER: [&str; 10] = [
    "developer",
    "email",
    "name",
    "action",
    "reason",
    "into",
    "into_email",
    "confidence",
    "evidence",
    "applied",
];

/// Render the recommendations as CSV.
pub fn render(recommendations: &[RecommendationJson], table: &[Developer]) -> String {
    let email_of: std::collections::HashMap<&str, &str> = table
        .iter()
        .map(|d| (d.id.as_str(), d.email.as_str()))
        .collect();
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(HEADER);
    for r in recommendations {
        let into_email = r
            .into
            .as_deref()
            .and_then(|i| email_of.get(i).copied())
            .unwrap_or("");
        let confidence = format!("{:.2}", r.confidence);
        let evidence = r.evidence.join(" | ");
        let cells = [
            r.developer.as_str(),
            r.email.as_deref().unwrap_or(""),
            r.name.as_deref().unwrap_or(""),
            r.action.as_str(),
            r.reason.as_str(),
            r.into.as_deref().unwrap_or(""),
            into_email,
            confidence.as_str(),
            evidence.as_str(),
            "",
        ];
        let _ = w.write_record(cells.iter().map(|c| formula_safe(c).into_owned()));
    }
    crate::sei_csv::written_text(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Reason};

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(formula_safe("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(formula_safe("-1"), "'-1");
        assert_eq!(formula_safe("jane"), "jane");
    }

    #[test]
    fn one_row_per_recommendation_with_the_target_email() {
        let recs = vec![RecommendationJson {
            developer: "d2".into(),
            action: Action::Merge,
            reason: Reason::Duplicate,
            into: Some("d1".into()),
            confidence: 0.987,
            evidence: vec!["same email".into(), "=cmd".into()],
            email: Some("j@x.example".into()),
            name: Some("@jane".into()),
        }];
        let table = vec![Developer {
            id: "d1".into(),
            name: "Jane".into(),
            email: "jane@acme.example".into(),
            emails: vec![],
            status: crate::model::RowStatus::Active,
            title: None,
            department: None,
            manager_email: None,
            site: None,
            team: None,
            sub_role: None,
            first_seen: chrono::Utc::now(),
            last_activity: None,
            identities: vec![],
        }];
        let out = render(&recs, &table);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert_eq!(
            lines[1],
            "d2,j@x.example,'@jane,merge,duplicate,d1,jane@acme.example,0.99,same email | =cmd,"
        );
    }
}
