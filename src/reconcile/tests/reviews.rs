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

/// Twelve rows at acme.example (so it is the company's domain, and two addresses there may be two
/// people) plus Mateusz Paprocki's row, which the caller adjusts.
fn table_with_mateusz(adjust: impl FnOnce(&mut Developer)) -> Vec<Developer> {
    let mut table: Vec<Developer> = (0..12)
        .map(|k| {
            let mut r = row(&format!("r{k}"), &format!("p{k}@acme.example"));
            r.name = format!("Person{k} Surname{k}");
            r
        })
        .collect();
    let mut r = row("a", "mateusz.paprocki@acme.example");
    r.name = "Mateusz Paprocki".into();
    adjust(&mut r);
    table.push(r);
    table
}

/// A GitHub account with no row that may be Mateusz Paprocki (same rare name, another address).
fn mateusz_on_github() -> Identity {
    Identity {
        name: Some("Mateusz Paprocki".into()),
        login: Some("mpaprocki".into()),
        ..github("77", "mpaprocki@acme.example", Some(days_ago(2)))
    }
}

#[test]
fn a_probable_match_in_the_tools_turns_an_inactivity_removal_into_a_review_and_is_not_added() {
    let table = table_with_mateusz(|r| r.last_activity = Some(days_ago(200)));
    let newcomer = github("78", "nia.new@acme.example", Some(days_ago(1)));
    let o = Case::new(table)
        .source("github", false, vec![mateusz_on_github(), newcomer])
        .run();
    let r = rec(&o, "a").expect("a recommendation for the inactive row");
    assert_eq!((r.action, r.reason), (Action::Review, Reason::Inactive));
    assert!(r.confidence <= 0.6, "{r:?}");
    assert!(
        r.evidence
            .iter()
            .any(|e| e.starts_with("may be the same person as github mpaprocki@acme.example")),
        "{r:?}"
    );
    assert_eq!(
        o.added.len(),
        1,
        "only the unrelated newcomer: {:?}",
        o.added
    );
    let added = o.table.iter().find(|d| d.id == o.added[0]).unwrap();
    assert_eq!(added.email, "nia.new@acme.example");
}

#[test]
fn a_probable_match_in_the_tools_to_a_row_with_no_recommendation_is_a_duplicate_review() {
    let table = table_with_mateusz(|_| {});
    let own = Identity {
        name: Some("Mateusz Paprocki".into()),
        ..github("76", "mateusz.paprocki@acme.example", Some(days_ago(3)))
    };
    let o = Case::new(table)
        .source("github", false, vec![own, mateusz_on_github()])
        .run();
    let r = rec(&o, "a").expect("a review of the row");
    assert_eq!(
        (r.action, r.reason, r.into.as_deref()),
        (Action::Review, Reason::Duplicate, None)
    );
    assert_eq!(
        r.evidence.last().map(String::as_str),
        Some("not added as a new developer until reviewed")
    );
    assert!(o.added.is_empty(), "{:?}", o.added);
}
