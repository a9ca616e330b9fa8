//! The guard's rules (`reconcile/guard.rs`, SPEC §3.6), run end to end: what a failed or guarded
//! source, or a directory's first run, withholds.

use super::*;

#[test]
fn absent_while_a_directory_failed_is_never_removed() {
    let o = Case::new(vec![
        row("a", "ada.lovelace@acme.example"),
        row("b", "bea.smith@acme.example"),
    ])
    .source(
        "okta",
        true,
        vec![okta(
            "1",
            "ada.lovelace@acme.example",
            AccountStatus::Active,
        )],
    )
    .failed("contractors", true)
    .run();
    assert_eq!(o.status, RunStatus::Degraded);
    assert!(
        o.recommendations.iter().all(|r| r.action != Action::Remove),
        "{:?}",
        o.recommendations
    );
}

#[test]
fn a_guarded_directory_withholds_every_absence_removal() {
    let table: Vec<Developer> = (0..20)
        .map(|i| row(&format!("r{i}"), &format!("p{i}@acme.example")))
        .collect();
    let mut case = Case::new(table).source(
        "okta",
        true,
        vec![okta("1", "p0@acme.example", AccountStatus::Active)],
    );
    case.last_good.insert("okta".into(), 20);
    let o = case.run();
    assert_eq!(o.sources[0].status, SourceStatus::Guarded);
    assert_eq!(o.status, RunStatus::Degraded);
    assert!(
        o.recommendations.iter().all(|r| r.action != Action::Remove),
        "{:?}",
        o.recommendations
    );
}

#[test]
fn first_run_of_a_directory_that_would_remove_many_by_absence_is_withheld() {
    let table: Vec<Developer> = (0..10)
        .map(|i| row(&format!("r{i}"), &format!("person{i}@acme.example")))
        .collect();
    let directory = vec![okta("1", "person0@acme.example", AccountStatus::Active)];
    let first = Case::new(table.clone())
        .source("okta", true, directory.clone())
        .run();
    assert!(
        first
            .recommendations
            .iter()
            .all(|r| r.action != Action::Remove),
        "{:?}",
        first.recommendations
    );
    let departed: Vec<_> = first
        .recommendations
        .iter()
        .filter(|r| r.reason == Reason::Departed)
        .collect();
    assert!(departed.len() >= 8, "{:?}", first.recommendations);
    assert!(
        departed.iter().all(|r| r.action == Action::Review),
        "{departed:?}"
    );
    assert!(
        departed[0].evidence.iter().any(|e| e.contains("first run")),
        "{departed:?}"
    );
    // With a baseline the guard compares with it instead, and absence removes again.
    let mut second = Case::new(table).source("okta", true, directory);
    second.last_good.insert("okta".into(), 1);
    let o = second.run();
    assert!(
        o.recommendations
            .iter()
            .filter(|r| r.reason == Reason::Departed)
            .all(|r| r.action == Action::Remove)
    );
}

#[test]
fn first_run_with_few_absences_removes_them() {
    let table: Vec<Developer> = (0..20)
        .map(|i| row(&format!("r{i}"), &format!("person{i}@acme.example")))
        .collect();
    let directory: Vec<Identity> = (0..19)
        .map(|i| {
            okta(
                &i.to_string(),
                &format!("person{i}@acme.example"),
                AccountStatus::Active,
            )
        })
        .collect();
    let o = Case::new(table).source("okta", true, directory).run();
    assert_eq!(
        action_reason(&o, "r19"),
        Some((Action::Remove, Reason::Departed))
    );
}
