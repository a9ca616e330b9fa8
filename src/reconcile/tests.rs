//! One test per rule of SPEC §3, on plain values, named for the case it pins.

use super::*;
use crate::model::AccountStatus;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

fn days_ago(d: i64) -> DateTime<Utc> {
    now() - chrono::Duration::days(d)
}

fn row(id: &str, email: &str) -> Developer {
    Developer {
        id: id.into(),
        name: format!("Name {id}"),
        email: email.into(),
        emails: vec![email.into()],
        status: RowStatus::Active,
        title: None,
        department: None,
        manager_email: None,
        site: None,
        team: None,
        sub_role: None,
        first_seen: days_ago(400),
        last_activity: None,
        identities: Vec::new(),
    }
}

fn person(source: &str, id: &str, email: &str, status: AccountStatus, directory: bool) -> Identity {
    Identity {
        source: source.into(),
        id: id.into(),
        emails: vec![email.into()],
        name: Some(format!("Person {id}")),
        status,
        directory,
        ..Identity::default()
    }
}

fn okta(id: &str, email: &str, status: AccountStatus) -> Identity {
    person("okta", id, email, status, true)
}

fn github(id: &str, email: &str, activity: Option<DateTime<Utc>>) -> Identity {
    Identity {
        login: Some(format!("gh{id}")),
        last_activity: activity,
        ..person("github", id, email, AccountStatus::Active, false)
    }
}

struct Case {
    policy: Policy,
    table: Vec<Developer>,
    sources: Vec<SourceInput>,
    last_good: HashMap<String, u64>,
    licenses: Option<u64>,
}

impl Case {
    fn new(table: Vec<Developer>) -> Case {
        Case {
            policy: Policy::default(),
            table,
            sources: Vec::new(),
            last_good: HashMap::new(),
            licenses: Some(100),
        }
    }
    fn source(mut self, name: &str, directory: bool, ids: Vec<Identity>) -> Case {
        self.sources.push(SourceInput {
            name: name.into(),
            kind: if directory {
                "okta".into()
            } else {
                "github".into()
            },
            directory,
            outcome: SourceOutcome::Fetched(ids),
        });
        self
    }
    fn failed(mut self, name: &str, directory: bool) -> Case {
        self.sources.push(SourceInput {
            name: name.into(),
            kind: "okta".into(),
            directory,
            outcome: SourceOutcome::Failed(format!("{name}: https://x.example/api: HTTP 503")),
        });
        self
    }
    fn run(&self) -> Outcome {
        reconcile(Input {
            now: now(),
            policy: &self.policy,
            resolve: &ResolveOptions::default(),
            table: self.table.clone(),
            sources: self.sources.clone(),
            last_good: &self.last_good,
            subscription: self.licenses.map(|l| Subscription {
                licenses_purchased: l,
                period_start: None,
                period_end: None,
            }),
        })
    }
}

fn rec<'a>(o: &'a Outcome, id: &str) -> Option<&'a Recommendation> {
    o.recommendations.iter().find(|r| r.developer == id)
}

fn action_reason(o: &Outcome, id: &str) -> Option<(Action, Reason)> {
    rec(o, id).map(|r| (r.action, r.reason))
}

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
fn removed_rows_get_no_recommendation_and_consume_nothing() {
    let mut r = row("a", "ada.lovelace@acme.example");
    r.status = RowStatus::Removed;
    let o = Case::new(vec![r]).source("okta", true, vec![]).run();
    assert!(o.recommendations.is_empty());
    assert_eq!(o.usage.consumed_before, 0);
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
fn new_employed_developer_in_the_tools_is_added() {
    let o = Case::new(vec![])
        .source(
            "okta",
            true,
            vec![okta("1", "nia.new@acme.example", AccountStatus::Active)],
        )
        .source(
            "github",
            false,
            vec![github("5", "nia.new@acme.example", Some(days_ago(2)))],
        )
        .run();
    assert_eq!(o.added.len(), 1);
    assert_eq!(o.table[0].email, "nia.new@acme.example");
    assert_eq!(o.usage.consumed_after, 1);
}

#[test]
fn directory_only_people_are_not_added() {
    let o = Case::new(vec![])
        .source(
            "okta",
            true,
            vec![okta("1", "hr@acme.example", AccountStatus::Active)],
        )
        .run();
    assert!(o.added.is_empty());
}

#[test]
fn bots_departed_and_excluded_people_are_not_added() {
    let mut bot = github("5", "ci-bot@acme.example", None);
    bot.is_bot = true;
    let mut case = Case::new(vec![])
        .source(
            "okta",
            true,
            vec![
                okta("1", "left@acme.example", AccountStatus::Departed),
                Identity {
                    department: Some("Sales".into()),
                    ..okta("2", "sales@acme.example", AccountStatus::Active)
                },
            ],
        )
        .source(
            "github",
            false,
            vec![
                bot,
                github("6", "left@acme.example", None),
                github("7", "sales@acme.example", None),
            ],
        );
    case.policy.exclude_departments = vec!["sales".into()];
    let o = case.run();
    assert!(o.added.is_empty(), "{:?}", o.table);
}

#[test]
fn add_new_developers_false_adds_nobody() {
    let mut case = Case::new(vec![]).source(
        "github",
        false,
        vec![github("5", "nia.new@acme.example", None)],
    );
    case.policy.add_new_developers = false;
    assert!(case.run().added.is_empty());
}

#[test]
fn directory_updates_title_manager_and_name() {
    let o = Case::new(vec![row("a", "ada.lovelace@acme.example")])
        .source(
            "okta",
            true,
            vec![Identity {
                name: Some("Ada Lovelace".into()),
                title: Some("Staff Engineer".into()),
                manager_email: Some("boss@acme.example".into()),
                ..okta("1", "ada.lovelace@acme.example", AccountStatus::Active)
            }],
        )
        .run();
    assert_eq!(o.updated, vec!["a".to_string()]);
    let d = &o.table[0];
    assert_eq!(
        (
            d.name.as_str(),
            d.title.as_deref(),
            d.manager_email.as_deref()
        ),
        (
            "Ada Lovelace",
            Some("Staff Engineer"),
            Some("boss@acme.example")
        )
    );
    assert_eq!(d.identities[0].source, "okta");
}

#[test]
fn reconcile_never_deletes_a_row() {
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
    assert_eq!(o.table.len(), 1);
    assert_eq!(o.table[0].status, RowStatus::Active);
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
            consumed_if_applied: 3
        }
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
fn developer_id_is_stable_and_unique() {
    let taken = HashSet::new();
    let a = developer_id("Jane@Acme.example", &taken);
    assert_eq!(a, developer_id("jane@acme.example", &taken));
    let taken: HashSet<String> = [a.clone()].into();
    assert_ne!(developer_id("jane@acme.example", &taken), a);
}

#[test]
fn name_from_email_capitalises_parts() {
    assert_eq!(name_from_email("jane.doe+git@acme.example"), "Jane Doe");
}

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
