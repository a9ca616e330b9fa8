//! The reasons of SPEC §3.5 (`reconcile/recommend.rs`), run end to end: one test per rule, named for
//! the case it pins.

use super::*;

#[test]
fn active_in_the_directory_gets_no_recommendation() {
    let o = Case::new(vec![row("a", "ada.lovelace@acme.example")])
        .source(
            "okta",
            true,
            vec![okta(
                "1",
                "ada.lovelace@acme.example",
                AccountStatus::Active,
            )],
        )
        .run();
    assert!(o.recommendations.is_empty(), "{:?}", o.recommendations);
    assert_eq!(o.status, RunStatus::Ok);
}

#[test]
fn deprovisioned_in_the_directory_is_removed_as_departed() {
    let o = Case::new(vec![row("a", "ada.lovelace@acme.example")])
        .source(
            "okta",
            true,
            vec![okta(
                "1",
                "ada.lovelace@acme.example",
                AccountStatus::Departed,
            )],
        )
        .run();
    assert_eq!(
        action_reason(&o, "a"),
        Some((Action::Remove, Reason::Departed))
    );
}

#[test]
fn absent_from_every_healthy_directory_is_removed_as_departed() {
    let mut case = Case::new(vec![
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
    );
    case.last_good.insert("okta".into(), 1);
    let o = case.run();
    assert_eq!(
        action_reason(&o, "b"),
        Some((Action::Remove, Reason::Departed))
    );
    assert!(rec(&o, "b").unwrap().evidence[0].contains("not found in any directory"));
}

#[test]
fn suspended_is_a_review_not_a_removal() {
    let o = Case::new(vec![row("a", "ada.lovelace@acme.example")])
        .source(
            "okta",
            true,
            vec![okta(
                "1",
                "ada.lovelace@acme.example",
                AccountStatus::Suspended,
            )],
        )
        .run();
    assert_eq!(
        action_reason(&o, "a"),
        Some((Action::Review, Reason::Departed))
    );
}

#[test]
fn source_flagged_bot_is_removed_as_bot() {
    let mut bot = github("9", "release-automation@acme.example", Some(days_ago(1)));
    bot.is_bot = true;
    let o = Case::new(vec![row("a", "release-automation@acme.example")])
        .source("github", false, vec![bot])
        .run();
    assert_eq!(action_reason(&o, "a"), Some((Action::Remove, Reason::Bot)));
}

#[test]
fn excluded_department_is_removed_as_excluded_role() {
    let mut case = Case::new(vec![row("a", "ada.lovelace@acme.example")]);
    case.policy.exclude_departments = vec!["sales".into()];
    let mut o1 = okta("1", "ada.lovelace@acme.example", AccountStatus::Active);
    o1.department = Some("Sales".into());
    let o = case.source("okta", true, vec![o1]).run();
    assert_eq!(
        action_reason(&o, "a"),
        Some((Action::Remove, Reason::ExcludedRole))
    );
}

#[test]
fn inactive_past_the_grace_period_is_removed() {
    let o = Case::new(vec![row("a", "ada.lovelace@acme.example")])
        .source(
            "okta",
            true,
            vec![okta(
                "1",
                "ada.lovelace@acme.example",
                AccountStatus::Active,
            )],
        )
        .source(
            "github",
            false,
            vec![github(
                "7",
                "ada.lovelace@acme.example",
                Some(days_ago(200)),
            )],
        )
        .run();
    assert_eq!(
        action_reason(&o, "a"),
        Some((Action::Remove, Reason::Inactive))
    );
}

#[test]
fn recent_activity_is_not_inactive() {
    let o = Case::new(vec![row("a", "ada.lovelace@acme.example")])
        .source(
            "github",
            false,
            vec![github("7", "ada.lovelace@acme.example", Some(days_ago(10)))],
        )
        .run();
    assert!(rec(&o, "a").is_none());
}

#[test]
fn inactive_within_the_grace_period_is_kept() {
    let mut r = row("a", "ada.lovelace@acme.example");
    r.first_seen = days_ago(10);
    let o = Case::new(vec![r])
        .source(
            "github",
            false,
            vec![github(
                "7",
                "ada.lovelace@acme.example",
                Some(days_ago(200)),
            )],
        )
        .run();
    assert!(rec(&o, "a").is_none(), "{:?}", o.recommendations);
}

#[test]
fn grace_period_counts_from_the_earliest_creation_date_a_source_reports() {
    let mut r = row("a", "ada.lovelace@acme.example");
    r.first_seen = days_ago(5);
    let mut g = github("7", "ada.lovelace@acme.example", Some(days_ago(200)));
    g.created_at = Some(days_ago(300));
    let o = Case::new(vec![r]).source("github", false, vec![g]).run();
    assert_eq!(
        action_reason(&o, "a"),
        Some((Action::Remove, Reason::Inactive))
    );
}

#[test]
fn no_activity_data_at_all_is_not_inactive() {
    let o = Case::new(vec![row("a", "ada.lovelace@acme.example")])
        .source(
            "github",
            false,
            vec![github("7", "ada.lovelace@acme.example", None)],
        )
        .run();
    assert!(rec(&o, "a").is_none(), "{:?}", o.recommendations);
}

#[test]
fn missing_from_every_activity_source_is_a_review() {
    let o = Case::new(vec![
        row("a", "ada.lovelace@acme.example"),
        row("b", "bea.smith@acme.example"),
    ])
    .source(
        "okta",
        true,
        vec![
            okta("1", "ada.lovelace@acme.example", AccountStatus::Active),
            okta("2", "bea.smith@acme.example", AccountStatus::Active),
        ],
    )
    .source(
        "github",
        false,
        vec![github("7", "ada.lovelace@acme.example", Some(days_ago(3)))],
    )
    .run();
    assert_eq!(
        action_reason(&o, "b"),
        Some((Action::Review, Reason::Inactive))
    );
}

#[test]
fn inactivity_is_withheld_when_a_tool_source_failed() {
    let o = Case::new(vec![row("a", "ada.lovelace@acme.example")])
        .source(
            "github",
            false,
            vec![github(
                "7",
                "ada.lovelace@acme.example",
                Some(days_ago(200)),
            )],
        )
        .failed("gitlab", false)
        .run();
    assert_eq!(
        action_reason(&o, "a"),
        Some((Action::Review, Reason::Inactive))
    );
}

#[test]
fn duplicate_rows_merge_into_the_row_the_directory_knows() {
    let mut old = row("old", "jane@personal.example");
    old.first_seen = days_ago(900);
    let o = Case::new(vec![old, row("new", "jane@acme.example")])
        .source(
            "okta",
            true,
            vec![Identity {
                emails: vec!["jane@acme.example".into(), "jane@personal.example".into()],
                ..okta("1", "jane@acme.example", AccountStatus::Active)
            }],
        )
        .run();
    let r = rec(&o, "old").expect("duplicate found");
    assert_eq!(
        (r.action, r.reason, r.into.as_deref()),
        (Action::Merge, Reason::Duplicate, Some("new"))
    );
    assert!(rec(&o, "new").is_none());
    assert_eq!(o.usage.consumed_if_applied, 1);
}

#[test]
fn protected_email_is_never_recommended() {
    let mut case = Case::new(vec![row("a", "ceo@acme.example")]);
    case.policy.protect = vec!["ceo@acme.example".into()];
    let o = case
        .source(
            "okta",
            true,
            vec![okta("1", "ceo@acme.example", AccountStatus::Departed)],
        )
        .run();
    assert!(o.recommendations.is_empty());
}

#[test]
fn unseen_row_without_a_directory_is_a_review() {
    let o = Case::new(vec![row("a", "ada.lovelace@acme.example")])
        .source("github", false, vec![])
        .run();
    assert_eq!(
        action_reason(&o, "a"),
        Some((Action::Review, Reason::Unseen))
    );
}

#[test]
fn one_recommendation_per_row_with_the_removal_first() {
    let mut bot = okta("1", "svc-build@acme.example", AccountStatus::Departed);
    bot.login = Some("svc-build".into());
    let o = Case::new(vec![row("a", "svc-build@acme.example")])
        .source("okta", true, vec![bot])
        .run();
    assert_eq!(o.recommendations.len(), 1);
    let r = &o.recommendations[0];
    assert_eq!(r.action, Action::Remove);
    assert!(
        r.evidence.iter().any(|e| e.starts_with("also:")),
        "{:?}",
        r.evidence
    );
}

#[test]
fn recommendations_are_sorted_most_certain_first() {
    let mut bot = github("9", "bea.smith@acme.example", Some(days_ago(1)));
    bot.is_bot = true;
    let o = Case::new(vec![
        row("a", "ada.lovelace@acme.example"),
        row("b", "bea.smith@acme.example"),
    ])
    .source(
        "okta",
        true,
        vec![okta("1", "bea.smith@acme.example", AccountStatus::Active)],
    )
    .source("github", false, vec![bot])
    .run();
    let confs: Vec<f64> = o.recommendations.iter().map(|r| r.confidence).collect();
    assert!(confs.windows(2).all(|w| w[0] >= w[1]), "{confs:?}");
    assert_eq!(o.recommendations[0].reason, Reason::Bot);
}

#[test]
fn duplicate_evidence_follows_the_path_between_the_rows() {
    let o = Case::new(vec![
        row("old", "jane@personal.example"),
        row("new", "jane@acme.example"),
    ])
    .source(
        "okta",
        true,
        vec![Identity {
            emails: vec!["jane@acme.example".into(), "jane@personal.example".into()],
            ..okta("1", "jane@acme.example", AccountStatus::Active)
        }],
    )
    .source(
        "github",
        false,
        vec![github("9", "jane@acme.example", Some(days_ago(1)))],
    )
    .run();
    let r = rec(&o, "old").unwrap();
    // The path starts at the old row's own address; the GitHub account is not on the path.
    assert!(
        r.evidence[0].contains("jane@personal.example"),
        "{:?}",
        r.evidence
    );
    assert!(
        !r.evidence.iter().any(|e| e.contains("github")),
        "{:?}",
        r.evidence
    );
}
