//! Usage (`reconcile/usage.rs`, SPEC §4 `usage`), run end to end.

use super::*;

#[test]
fn removed_rows_get_no_recommendation_and_consume_nothing() {
    let mut r = row("a", "ada.lovelace@acme.example");
    r.status = RowStatus::Removed;
    let o = Case::new(vec![r]).source("okta", true, vec![]).run();
    assert!(o.recommendations.is_empty());
    assert_eq!(o.usage.consumed_before, 0);
}

#[test]
fn usage_counts_before_after_overage_and_if_applied() {
    let mut case = Case::new(vec![
        row("a", "ada.lovelace@acme.example"),
        row("b", "bea.smith@acme.example"),
        row("c", "cy.young@acme.example"),
    ])
    .source(
        "okta",
        true,
        vec![
            okta("1", "ada.lovelace@acme.example", AccountStatus::Active),
            okta("2", "bea.smith@acme.example", AccountStatus::Departed),
            okta("3", "cy.young@acme.example", AccountStatus::Active),
            okta("4", "nia.new@acme.example", AccountStatus::Active),
        ],
    )
    .source(
        "github",
        false,
        vec![github("5", "nia.new@acme.example", Some(days_ago(1)))],
    );
    case.licenses = Some(2);
    let o = case.run();
    assert_eq!(
        o.usage,
        Usage {
            consumed_before: 3,
            consumed_after: 4,
            overage: 2,
            consumed_if_applied: 3,
            // a, b and c show no activity anywhere; the addition has a GitHub activity date
            activity_unknown: 3,
            withheld: 0,
        }
    );
}
