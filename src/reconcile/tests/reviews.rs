//! When thin evidence becomes a review (`reconcile/reviews.rs`, SPEC §3.3), run end to end.

use super::*;

#[test]
fn homonyms_the_directory_lists_separately_are_neither_merged_nor_reviewed() {
    let mut a = row("a", "john.smith@acme.example");
    a.name = "John Smith".into();
    let mut b = row("b", "john.smith2@acme.example");
    b.name = "John Smith".into();
    let john = |id: &str, email: &str| Identity {
        name: Some("John Smith".into()),
        ..okta(id, email, AccountStatus::Active)
    };
    let o = Case::new(vec![a, b])
        .source(
            "okta",
            true,
            vec![
                john("1", "john.smith@acme.example"),
                john("2", "john.smith2@acme.example"),
            ],
        )
        .run();
    assert!(o.recommendations.is_empty(), "{:?}", o.recommendations);
}

#[test]
fn same_name_at_two_company_addresses_without_a_directory_is_a_review_not_a_merge() {
    // SPEC §3.3: weak evidence short of unambiguous is a review. With no directory, the domain
    // most rows share is the company's: two addresses there may be two people.
    let mut table: Vec<Developer> = (0..12)
        .map(|k| {
            let mut r = row(&format!("r{k}"), &format!("p{k}@acme.example"));
            r.name = format!("Person{k} Surname{k}");
            r
        })
        .collect();
    for (id, email) in [
        ("a", "mateusz.paprocki@acme.example"),
        ("b", "mpaprocki@acme.example"),
    ] {
        let mut r = row(id, email);
        r.name = "Mateusz Paprocki".into();
        table.push(r);
    }
    let o = Case::new(table).source("github", false, vec![]).run();
    let reviewed: Vec<&Recommendation> = o
        .recommendations
        .iter()
        .filter(|r| r.reason == Reason::Duplicate)
        .collect();
    assert_eq!(reviewed.len(), 1, "{:?}", o.recommendations);
    let r = reviewed[0];
    assert_eq!(r.action, Action::Review);
    assert!(["a", "b"].contains(&r.developer.as_str()), "{r:?}");
    assert!(
        r.evidence
            .iter()
            .any(|e| e.contains("different work emails")),
        "{r:?}"
    );
    assert!(o.recommendations.iter().all(|r| r.action != Action::Merge));
}
