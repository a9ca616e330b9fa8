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
    // The review says what either answer changes.
    let evidence = &rec(&o, "a").unwrap().evidence;
    assert!(
        evidence
            .iter()
            .any(|e| e.starts_with("if they have left: remove this row, one license fewer")),
        "{evidence:?}"
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
fn unknown_activity_is_no_recommendation_and_counted_in_activity_unknown() {
    // SPEC §3.5: no activity data at all is unknown, not inactive; the report counts such rows.
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
    assert!(o.recommendations.is_empty(), "{:?}", o.recommendations);
    assert_eq!(o.usage.activity_unknown, 1);
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

/// A named identity: `base` with the display name `name`.
fn named(name: &str, base: Identity) -> Identity {
    Identity {
        name: Some(name.into()),
        ..base
    }
}

/// A table row with a display name.
fn named_row(id: &str, email: &str, name: &str) -> Developer {
    Developer {
        name: name.into(),
        ..row(id, email)
    }
}

#[test]
fn a_departed_persons_own_tool_accounts_never_turn_the_removal_into_a_review() {
    // SPEC §3.5: a departed person's remaining tool accounts (a GitHub membership, a Jira user) do
    // not make them employed and do not turn the removal into a review.
    let name = "Mateusz Paprocki";
    let o = Case::new(vec![named_row("a", "mateusz.paprocki@acme.example", name)])
        .source(
            "okta",
            true,
            vec![named(
                name,
                okta(
                    "1",
                    "mateusz.paprocki@acme.example",
                    AccountStatus::Departed,
                ),
            )],
        )
        .source(
            "github",
            false,
            vec![Identity {
                login: Some("mpaprocki".into()),
                ..named(name, github("7", "mp@personal.example", Some(days_ago(2))))
            }],
        )
        .source(
            "jira",
            false,
            vec![Identity {
                emails: vec![],
                ..named(
                    name,
                    person("jira", "j-1", "", AccountStatus::Active, false),
                )
            }],
        )
        .run();
    assert_eq!(
        action_reason(&o, "a"),
        Some((Action::Remove, Reason::Departed)),
        "{:?}",
        o.recommendations
    );
    assert!(o.added.is_empty(), "{:?}", o.added);
}

#[test]
fn a_converted_contractors_employee_row_keeps_the_license_and_the_agency_row_merges_into_it() {
    // SPEC §3.5: the row the directory knows is kept. The agency record has ended; the employee
    // record is active and carries the agency address as a secondary one. The agency row is older.
    let name = "Ines Duarte";
    let mut agency_row = named_row("x", "ines.duarte@agency.example", name);
    agency_row.first_seen = days_ago(900);
    let employee_row = named_row("y", "ines.duarte@acme.example", name);
    let employee = Identity {
        emails: vec![
            "ines.duarte@acme.example".into(),
            "ines.duarte@agency.example".into(),
        ],
        ..named(
            name,
            okta("1", "ines.duarte@acme.example", AccountStatus::Active),
        )
    };
    let agency = named(
        name,
        person(
            "contractors",
            "c-9",
            "ines.duarte@agency.example",
            AccountStatus::Departed,
            true,
        ),
    );
    let o = Case::new(vec![agency_row, employee_row])
        .source("okta", true, vec![employee])
        .source("contractors", true, vec![agency])
        .run();
    let r = rec(&o, "x").expect("the agency row merges");
    assert_eq!(
        (r.action, r.reason, r.into.as_deref()),
        (Action::Merge, Reason::Duplicate, Some("y"))
    );
    assert!(rec(&o, "y").is_none(), "{:?}", o.recommendations);
}

#[test]
fn a_row_no_directory_knows_tied_to_a_known_row_is_a_duplicate_not_departed() {
    // SPEC §3.5, duplicates before departures: a second row at initials that resolves to another
    // row's person (its GitHub account carries the address; the directory links that account).
    let name = "Elena Rodriguez";
    let known = named_row("a", "elena.rodriguez@acme.example", name);
    let mut initials = named_row("b", "erodriguez@acme.example", name);
    initials.first_seen = days_ago(800);
    let o = Case::new(vec![initials, known])
        .source(
            "okta",
            true,
            vec![Identity {
                links: vec![crate::model::Link {
                    source: "github".into(),
                    value: "erodriguez".into(),
                }],
                ..named(
                    name,
                    okta("1", "elena.rodriguez@acme.example", AccountStatus::Active),
                )
            }],
        )
        .source(
            "github",
            false,
            vec![Identity {
                login: Some("erodriguez".into()),
                ..named(
                    name,
                    github("7", "erodriguez@acme.example", Some(days_ago(1))),
                )
            }],
        )
        .run();
    let r = rec(&o, "b").expect("the initials row is a duplicate");
    assert_eq!(
        (r.action, r.reason, r.into.as_deref()),
        (Action::Merge, Reason::Duplicate, Some("a")),
        "{r:?}"
    );
    assert!(rec(&o, "a").is_none(), "{:?}", o.recommendations);
}

#[test]
fn homonyms_where_one_has_left_the_leaver_is_removed_and_the_other_kept() {
    // SPEC §3.3: two identities of one directory source are two people; a login shared by two
    // tools never joins them. One Wei Chen has left, the other works here.
    let name = "Wei Chen";
    let o = Case::new(vec![
        named_row("a", "wei.chen@acme.example", name),
        named_row("b", "wei.chen2@acme.example", name),
    ])
    .source(
        "okta",
        true,
        vec![
            named(
                name,
                okta("1", "wei.chen@acme.example", AccountStatus::Active),
            ),
            named(
                name,
                okta("2", "wei.chen2@acme.example", AccountStatus::Departed),
            ),
        ],
    )
    .source(
        "github",
        false,
        vec![Identity {
            login: Some("weichen".into()),
            emails: vec![],
            ..named(name, github("7", "", Some(days_ago(2))))
        }],
    )
    .source(
        "gitlab",
        false,
        vec![Identity {
            login: Some("weichen".into()),
            emails: vec![],
            ..named(
                name,
                person("gitlab", "41", "", AccountStatus::Active, false),
            )
        }],
    )
    .run();
    assert_eq!(
        action_reason(&o, "b"),
        Some((Action::Remove, Reason::Departed)),
        "{:?}",
        o.recommendations
    );
    assert!(rec(&o, "a").is_none(), "{:?}", o.recommendations);
    assert!(
        o.recommendations.iter().all(|r| r.action != Action::Merge),
        "{:?}",
        o.recommendations
    );
}

#[test]
fn two_records_of_one_directory_joined_into_one_person_keep_their_rows_apart() {
    // SPEC §3.3: two identities of one directory source are two people, whatever joined them (here
    // a resolution that put both Wei Chens into one person): the leaver's row is removed on its own
    // record, the other's row is kept, and neither merges into the other.
    use super::super::recommend::recommend_rows;
    let table = vec![
        named_row("a", "wei.chen@acme.example", "Wei Chen"),
        named_row("b", "wei.chen2@acme.example", "Wei Chen"),
    ];
    let stays = okta("1", "wei.chen@acme.example", AccountStatus::Active);
    let left = okta("2", "wei.chen2@acme.example", AccountStatus::Departed);
    let joined = super::super::people::Person {
        rows: vec![0, 1],
        identities: vec![&stays, &left],
    };
    let policy = Policy::default();
    let health = super::super::guard::SourceHealth {
        directories: super::super::employment::Directories {
            sources: vec![("okta".into(), true)],
        },
        ..Default::default()
    };
    let ctx = super::super::context::Context::new(now(), &policy, &table, health, None);
    let decisions = recommend_rows(&[joined], &[], &ctx);
    assert_eq!(decisions.target_of_cluster, vec![Some(0)]);
    assert!(!decisions.by_row.contains_key(&0), "{:?}", decisions.by_row);
    let r = decisions.by_row.get(&1).expect("the leaver's row");
    assert_eq!(
        (r.action, r.reason),
        (Action::Remove, Reason::Departed),
        "{r:?}"
    );
}

#[test]
fn a_converted_contractors_guest_and_employee_records_in_one_directory_are_one_person() {
    // Entra keeps the agency guest account (disabled) beside the employee account, which lists the
    // agency address too: the directory says one person, and the agency row merges.
    use super::super::recommend::recommend_rows;
    let table = vec![
        named_row("x", "ines.duarte@agency.example", "Ines Duarte"),
        named_row("y", "ines.duarte@acme.example", "Ines Duarte"),
    ];
    let guest = okta("g", "ines.duarte@agency.example", AccountStatus::Departed);
    let employee = Identity {
        emails: vec![
            "ines.duarte@acme.example".into(),
            "ines.duarte@agency.example".into(),
        ],
        ..okta("e", "ines.duarte@acme.example", AccountStatus::Active)
    };
    let person = super::super::people::Person {
        rows: vec![0, 1],
        identities: vec![&guest, &employee],
    };
    let policy = Policy::default();
    let health = super::super::guard::SourceHealth {
        directories: super::super::employment::Directories {
            sources: vec![("okta".into(), true)],
        },
        ..Default::default()
    };
    let ctx = super::super::context::Context::new(now(), &policy, &table, health, None);
    let decisions = recommend_rows(&[person], &[], &ctx);
    assert_eq!(decisions.target_of_cluster, vec![Some(1)]);
    let r = decisions.by_row.get(&0).expect("the agency row merges");
    assert_eq!((r.action, r.into.as_deref()), (Action::Merge, Some("y")));
    assert!(!decisions.by_row.contains_key(&1), "{:?}", decisions.by_row);
}

#[test]
fn the_row_that_keeps_the_license_is_tied_strongly_then_named_as_the_directory_knows_then_a_work_address()
 {
    use super::super::recommend::prefer_row;
    // Pelle Wedgwood became Pelle Beyer; none of the three rows is an address the directory lists.
    let named = |id: &str, email: &str, name: &str| {
        let mut r = row(id, email);
        r.name = name.into();
        r
    };
    let mut home = named("home", "pelle.beyer@gmail.com", "Pelle Beyer");
    // The personal row is the oldest: only the work address puts the acquired row first.
    home.first_seen = days_ago(900);
    let table = vec![
        named("old", "pelle.wedgwood@corp.example", "Pelle Wedgwood"),
        named("acq", "pwedgwood@acquired.example", "Beyer, Pelle"),
        home,
    ];
    let policy = Policy::default();
    let directory = Identity {
        name: Some("Pelle Beyer".into()),
        ..okta("o1", "pelle.beyer@corp.example", AccountStatus::Active)
    };
    let person = super::super::people::Person {
        rows: vec![0, 1, 2],
        identities: vec![&directory],
    };
    let mut ctx = super::super::context::Context::new(
        now(),
        &policy,
        &table,
        super::super::guard::SourceHealth::default(),
        None,
    );
    let prefer = |ctx: &super::super::context::Context<'_>, a: usize, b: usize| {
        prefer_row(a, b, &person, &person, ctx)
    };
    // The name the directory knows, before the old name; a work address before a personal one.
    assert!(prefer(&ctx, 1, 0) && !prefer(&ctx, 0, 1));
    assert!(prefer(&ctx, 2, 0));
    assert!(prefer(&ctx, 1, 2) && !prefer(&ctx, 2, 1));
    // A row strong evidence ties to the directory record (a tool account's address) comes first.
    ctx.tied_strongly = vec![true, false, false];
    assert!(prefer(&ctx, 0, 1) && prefer(&ctx, 0, 2));
}

#[test]
fn the_row_strong_evidence_ties_to_the_directory_keeps_the_license_over_one_a_name_attaches() {
    // Julian's GitHub account carries his personal address (a row) and his directory address
    // (SAML): that row is his by strong evidence; the acquired company's row only by his name.
    let named = |id: &str, email: &str| {
        let mut r = row(id, email);
        r.name = "Julian Skorski".into();
        r
    };
    let table = vec![
        named("acq", "julian.skorski@acquired.example"),
        named("home", "jskorski1984@gmail.com"),
    ];
    let directory = Identity {
        name: Some("Julian Skorski".into()),
        ..okta("o1", "jskorski2@corp.example", AccountStatus::Active)
    };
    let account = Identity {
        emails: vec![
            "jskorski1984@gmail.com".into(),
            "jskorski2@corp.example".into(),
        ],
        ..github("61", "jskorski1984@gmail.com", Some(days_ago(3)))
    };
    let o = Case::new(table)
        .source("okta", true, vec![directory])
        .source("github", false, vec![account])
        .run();
    let r = rec(&o, "acq").expect("a recommendation for the acquired company's row");
    assert_eq!(
        (r.action, r.reason, r.into.as_deref()),
        (Action::Merge, Reason::Duplicate, Some("home")),
        "{:?}",
        o.recommendations
    );
    assert!(rec(&o, "home").is_none(), "{:?}", o.recommendations);
}
