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
    assert!(
        r.evidence
            .iter()
            .any(|e| e.starts_with("if the same person: keep this row")),
        "{r:?}"
    );
    assert_eq!(
        o.added.len(),
        1,
        "only the unrelated newcomer: {:?}",
        o.added
    );
    assert_eq!(o.usage.withheld, 1);
    let added = o.table.iter().find(|d| d.id == o.added[0]).unwrap();
    assert_eq!(added.email, "nia.new@acme.example");
}

#[test]
fn a_converted_contractors_ended_record_is_removed_and_their_employee_record_added() {
    // The vendor record ended; an employee record with the same name is active under a new
    // address and has no row. Keeping the contractor's row or adding the employee: one license
    // either way, so the ended record's row goes (the match shown) and the employee is added.
    let (mut table, mut employees) = directory_crowd();
    let mut contractor_row = row("c", "matthew.hubbs@vendor.example");
    contractor_row.name = "Matthew Hubbs".into();
    table.push(contractor_row);
    employees.push(Identity {
        name: Some("Matthew Hubbs".into()),
        ..okta("o-mh", "matthew_hubbs@corp.example", AccountStatus::Active)
    });
    let vendor_record = Identity {
        source: "contractors".into(),
        name: Some("Matthew Hubbs".into()),
        ..person(
            "contractors",
            "CTR-1",
            "matthew.hubbs@vendor.example",
            AccountStatus::Departed,
            true,
        )
    };
    let at_github = Identity {
        name: Some("Matthew Hubbs".into()),
        ..github("91", "matthew_hubbs@corp.example", Some(days_ago(3)))
    };
    let mut case = Case::new(table)
        .source("okta", true, employees)
        .source("contractors", true, vec![vendor_record])
        .source("github", false, vec![at_github]);
    case.resolve.merge_threshold = 0.999;
    let o = case.run();
    let r = rec(&o, "c").expect("a recommendation for the contractor's row");
    assert_eq!(
        (r.action, r.reason),
        (Action::Remove, Reason::Departed),
        "{r:?}"
    );
    assert!(
        r.evidence
            .iter()
            .any(|e| e.starts_with("either way one license")),
        "{r:?}"
    );
    let added: Vec<&str> = o
        .table
        .iter()
        .filter(|d| o.added.contains(&d.id))
        .map(|d| d.email.as_str())
        .collect();
    assert_eq!(added, ["matthew_hubbs@corp.example"]);
    // With additions off, the same match decides a license: a review.
    case.policy.add_new_developers = false;
    let o = case.run();
    assert_eq!(
        action_reason(&o, "c"),
        Some((Action::Review, Reason::Departed)),
        "{:?}",
        o.recommendations
    );
    // Held back by another possible row of theirs (one no directory knows), the employee is not
    // added: then the contractor's row is a review too, never a removal with nobody added.
    case.policy.add_new_developers = true;
    let mut second = row("m", "mhubbs@corp.example");
    second.name = "Matthew Hubbs".into();
    case.table.push(second);
    let o = case.run();
    assert!(o.added.is_empty(), "{:?}", o.added);
    assert_eq!(
        action_reason(&o, "c"),
        Some((Action::Review, Reason::Departed)),
        "{:?}",
        o.recommendations
    );
}

#[test]
fn a_probable_match_in_the_tools_to_a_row_with_no_recommendation_is_withheld_not_reviewed() {
    // SPEC §3.3: an unattached tool account that merely resembles a row is not a recommendation on
    // that row; it is withheld from the additions and counted.
    let table = table_with_mateusz(|_| {});
    let own = Identity {
        name: Some("Mateusz Paprocki".into()),
        ..github("76", "mateusz.paprocki@acme.example", Some(days_ago(3)))
    };
    let o = Case::new(table)
        .source("github", false, vec![own, mateusz_on_github()])
        .run();
    assert!(rec(&o, "a").is_none(), "{:?}", o.recommendations);
    assert!(o.added.is_empty(), "{:?}", o.added);
    assert_eq!(o.usage.withheld, 1);
}

#[test]
fn a_tool_account_resembling_an_active_directory_persons_row_is_no_review() {
    // Cause 3 of issue 10: attaching the Jira account or not changes no license.
    let name = "Mateusz Paprocki";
    let o = Case::new(vec![Developer {
        name: name.into(),
        ..row("a", "mateusz.paprocki@acme.example")
    }])
    .source(
        "okta",
        true,
        vec![Identity {
            name: Some(name.into()),
            ..okta("1", "mateusz.paprocki@acme.example", AccountStatus::Active)
        }],
    )
    .source(
        "jira",
        false,
        vec![Identity {
            emails: vec![],
            name: Some(name.into()),
            ..person("jira", "5b10ac8d", "", AccountStatus::Active, false)
        }],
    )
    .run();
    assert!(o.recommendations.is_empty(), "{:?}", o.recommendations);
    assert!(o.added.is_empty(), "{:?}", o.added);
    assert_eq!(o.usage.withheld, 0);
}

#[test]
fn a_duplicate_review_says_what_each_decision_changes() {
    let mut table = table_with_mateusz(|_| {});
    let mut b = row("b", "mpaprocki@acme.example");
    b.name = "Mateusz Paprocki".into();
    table.push(b);
    let o = Case::new(table).source("github", false, vec![]).run();
    let r = o
        .recommendations
        .iter()
        .find(|r| r.reason == Reason::Duplicate)
        .expect("a duplicate review");
    let (from, into) = (r.developer.as_str(), r.into.as_deref().unwrap());
    let want = format!(
        "if the same person: merge row {from} into row {into}, one license fewer; if not: keep both"
    );
    assert!(r.evidence.contains(&want), "{r:?}");
}

#[test]
fn a_departure_is_reviewed_only_for_a_match_to_an_active_directory_identity() {
    use super::super::reviews::match_contradicts_removal;
    let table = table_with_mateusz(|_| {});
    let policy = Policy::default();
    let health = super::super::guard::SourceHealth {
        directories: super::super::employment::Directories {
            sources: vec![("okta".into(), true), ("contractors".into(), true)],
        },
        ..Default::default()
    };
    let ctx = super::super::context::Context::new(now(), &policy, &table, health, None);
    let departed = Recommendation {
        developer: "a".into(),
        action: Action::Remove,
        reason: Reason::Departed,
        into: None,
        confidence: 0.97,
        evidence: vec![],
    };
    let tool_account = mateusz_on_github();
    let tool_only = super::super::people::Person {
        rows: vec![],
        identities: vec![&tool_account],
    };
    assert!(!match_contradicts_removal(&departed, &tool_only, &ctx));
    let employee = okta("9", "m.paprocki@acme.example", AccountStatus::Active);
    let employed = super::super::people::Person {
        rows: vec![],
        identities: vec![&employee, &tool_account],
    };
    assert!(match_contradicts_removal(&departed, &employed, &ctx));
}

#[test]
fn a_row_no_directory_knows_with_the_name_of_one_employed_person_is_a_duplicate_not_departed() {
    // SPEC §3.5, duplicates before departures: an acquired company's address no directory knows,
    // carrying the name of one person the directory employs, who has a row.
    let mut table = table_with_mateusz(|_| {});
    let directory: Vec<Identity> = table
        .iter()
        .enumerate()
        .map(|(k, d)| Identity {
            name: Some(d.name.clone()),
            ..okta(&format!("o{k}"), &d.email, AccountStatus::Active)
        })
        .collect();
    let mut acquired = row("b", "u4471@acquired.example");
    acquired.name = "Mateusz Paprocki".into();
    table.push(acquired);
    let mut case = Case::new(table).source("okta", true, directory);
    // A name alone short of merging: the resolver only links the two rows.
    case.resolve.merge_threshold = 0.999;
    let o = case.run();
    let r = rec(&o, "b").expect("a recommendation for the acquired-company row");
    assert_eq!(
        (r.action, r.reason, r.into.as_deref()),
        (Action::Merge, Reason::Duplicate, Some("a")),
        "{r:?}"
    );
    // The resolver attaches the name the directory holds once (SPEC §3.3); short of that, the
    // reconcile rule merges on the possible match alone. Either way the evidence says why.
    assert!(
        r.evidence.iter().any(|e| {
            e.starts_with("either way this row's license goes")
                || e.starts_with("only directory person named \"Mateusz Paprocki\"")
        }),
        "{r:?}"
    );
    assert!(rec(&o, "a").is_none(), "{:?}", o.recommendations);
}

/// A row no directory knows, `d`, against one employed person with a row of their own: whether
/// the row is plainly theirs (a duplicate) rather than a namesake's who left.
fn plainly_theirs_case(
    row_name: &str,
    row_email: &str,
    directory_name: &str,
    directory_email: &str,
    names: crate::resolve::NameAgreement,
) -> bool {
    use super::super::reviews::plainly_theirs;
    let table = vec![row("a", directory_email)];
    let policy = Policy::default();
    let ctx = super::super::context::Context::new(
        now(),
        &policy,
        &table,
        super::super::guard::SourceHealth::default(),
        None,
    );
    let employee = Identity {
        name: Some(directory_name.into()),
        ..okta("9", directory_email, AccountStatus::Active)
    };
    let employed = super::super::people::Person {
        rows: vec![0],
        identities: vec![&employee],
    };
    let mut d = row("b", row_email);
    d.name = row_name.into();
    let link = crate::resolve::MatchLink {
        a: 1,
        b: 2,
        confidence: 0.8,
        evidence: vec![],
        names,
        strong: false,
    };
    plainly_theirs(&d, &employed, &link, &ctx)
}

#[test]
fn a_row_is_a_duplicate_only_under_the_name_the_directory_knows_not_a_namesakes() {
    use crate::resolve::NameAgreement::{CommonName, FullName, Other};
    // The same name as written ("Last, First" and case aside), at initials: a second row.
    assert!(plainly_theirs_case(
        "RODRIGUEZ, Eva",
        "erodriguez@corp.example",
        "Eva Rodriguez",
        "eva.rodriguez@corp.example",
        FullName,
    ));
    // A nickname or one word of the name may be a namesake who left ("Stephen" is not "Steven",
    // a "Tomo" account does not make "Tomo Thiel" Tomo Kim).
    for (name, email, directory_name, names) in [
        (
            "Stephen Santos",
            "stephen.santos@corp.example",
            "Steven Santos",
            FullName,
        ),
        ("Tomo Thiel", "tomo.thiel@corp.example", "Tomo Kim", Other),
    ] {
        assert!(
            !plainly_theirs_case(name, email, directory_name, "x@corp.example", names),
            "{name}"
        );
    }
    // A common name's leaver is as likely as a second row.
    assert!(!plainly_theirs_case(
        "Keith Johnson",
        "keith@corp.example",
        "Keith K. Johnson",
        "kjohnson@corp.example",
        CommonName,
    ));
    // `john.saraogi2@` exists because `john.saraogi@` was someone else's.
    assert!(!plainly_theirs_case(
        "John Saraogi",
        "john.saraogi@corp.example",
        "John Saraogi",
        "john.saraogi2@corp.example",
        FullName,
    ));
}

/// Twelve people the directory lists, each with a row (so that one departure is no mass removal):
/// the table and the directory records.
fn directory_crowd() -> (Vec<Developer>, Vec<Identity>) {
    (0..12)
        .map(|k| {
            let email = format!("p{k}@corp.example");
            let mut r = row(&format!("r{k}"), &email);
            r.name = format!("Person{k} Surname{k}");
            let record = Identity {
                name: Some(r.name.clone()),
                ..okta(&format!("o{k}"), &email, AccountStatus::Active)
            };
            (r, record)
        })
        .unzip()
}

/// An employed person's row `a` and a row `b` no directory knows, among twelve people the
/// directory lists with their rows (so that one departure is no mass removal): `b` with the
/// resolver short of merging on the names alone.
fn employed_and_absent(employed: (&str, &str), absent: (&str, &str)) -> Outcome {
    let (mut table, mut directory) = directory_crowd();
    let mut kept = row("a", employed.1);
    kept.name = employed.0.into();
    directory.push(Identity {
        name: Some(employed.0.into()),
        ..okta("o-a", employed.1, AccountStatus::Active)
    });
    let mut leaver = row("b", absent.1);
    leaver.name = absent.0.into();
    table.extend([kept, leaver]);
    let mut case = Case::new(table).source("okta", true, directory);
    case.resolve.merge_threshold = 0.999;
    case.run()
}

#[test]
fn a_leavers_row_at_the_address_an_employed_namesake_holds_with_a_number_stays_departed() {
    // The directory deleted the first John Saraogi; the second got `john.saraogi2@`. The first's
    // row is a departure, not the second's duplicate: merged, it would hand the leaver's history
    // to the namesake.
    let o = employed_and_absent(
        ("John Saraogi", "john.saraogi2@corp.example"),
        ("John Saraogi", "john.saraogi@corp.example"),
    );
    assert_eq!(
        action_reason(&o, "b"),
        Some((Action::Remove, Reason::Departed)),
        "{:?}",
        o.recommendations
    );
    assert!(rec(&o, "a").is_none(), "{:?}", o.recommendations);
}

#[test]
fn a_leavers_row_with_a_nickname_of_an_employed_persons_name_stays_departed() {
    // Stephen Santos left and the directory deleted him; Steven Santos works here. One may be the
    // other's nickname, but only the same written name says the row is Steven's.
    let o = employed_and_absent(
        ("Steven Santos", "steven.santos@corp.example"),
        ("Stephen Santos", "stephen.santos@corp.example"),
    );
    assert_eq!(
        action_reason(&o, "b"),
        Some((Action::Remove, Reason::Departed)),
        "{:?}",
        o.recommendations
    );
    // The same written name at initials is the person's second row.
    let o = employed_and_absent(
        ("Steven Santos", "steven.santos@corp.example"),
        ("Santos, Steven", "ssantos@corp.example"),
    );
    let r = rec(&o, "b").expect("a recommendation for the second row");
    assert_eq!(
        (r.action, r.reason, r.into.as_deref()),
        (Action::Merge, Reason::Duplicate, Some("a")),
        "{r:?}"
    );
}

#[test]
fn a_row_no_directory_knows_under_a_name_two_directory_people_share_is_reviewed_not_removed() {
    // "Phil Singh" and "Philip Singh" are one name (nicknames counted), so nothing attaches the
    // acquired company's row `b` to Phil. Phil has no row and no tool account (not added): the
    // row may be his only license, so it is a review, not a departure.
    let (mut table, mut directory) = directory_crowd();
    let mut philip = row("a", "psingh9@corp.example");
    philip.name = "Philip Singh".into();
    let mut acquired = row("b", "phil.singh@acquired.example");
    acquired.name = "Phil Singh".into();
    table.extend([philip, acquired]);
    directory.push(Identity {
        name: Some("Philip Singh".into()),
        ..okta("o-philip", "psingh9@corp.example", AccountStatus::Active)
    });
    directory.push(Identity {
        name: Some("Phil Singh".into()),
        ..okta("o-phil", "psingh11@corp.example", AccountStatus::Active)
    });
    let gitlab = Identity {
        name: Some("Phil Singh".into()),
        ..person(
            "gitlab",
            "g1",
            "phil.singh@acquired.example",
            AccountStatus::Active,
            false,
        )
    };
    // Row `b` is a departure review whose evidence holds `needle`.
    let reviewed_citing = |o: &Outcome, needle: &str| {
        let r = rec(o, "b").expect("a recommendation for the acquired company's row");
        assert_eq!(
            (r.action, r.reason),
            (Action::Review, Reason::Departed),
            "{r:?}"
        );
        assert!(r.evidence.iter().any(|e| e.contains(needle)), "{r:?}");
    };
    let o = Case::new(table.clone())
        .source("okta", true, directory.clone())
        .source("gitlab", false, vec![gitlab.clone()])
        .run();
    reviewed_citing(&o, "may be okta psingh11@corp.example");
    assert!(rec(&o, "a").is_none(), "{:?}", o.recommendations);
    // With a GitHub account of his own Phil would be added: still a review, and he is held back
    // from the additions until it is decided (keeping the row keeps his history; one license
    // either way).
    let at_github = github("71", "psingh11@corp.example", Some(days_ago(2)));
    let o = Case::new(table)
        .source("okta", true, directory)
        .source("gitlab", false, vec![gitlab])
        .source("github", false, vec![at_github])
        .run();
    reviewed_citing(&o, "they are not added as a new developer");
    assert!(
        !o.table
            .iter()
            .any(|d| o.added.contains(&d.id) && d.email == "psingh11@corp.example"),
        "{:?}",
        o.added
    );
}

#[test]
fn a_row_under_a_name_two_added_namesakes_share_stays_departed_and_both_are_added() {
    // Phil and Philip Singh both have no row and both would be added: the acquired company's row
    // is at most one of theirs, so holding both back would cost the other a license. The
    // departure stands, the match shown, and both are added.
    let (mut table, mut directory) = directory_crowd();
    let mut acquired = row("b", "phil.singh@acquired.example");
    acquired.name = "Phil Singh".into();
    table.push(acquired);
    for (id, name, email) in [
        ("o-philip", "Philip Singh", "psingh9@corp.example"),
        ("o-phil", "Phil Singh", "psingh11@corp.example"),
    ] {
        directory.push(Identity {
            name: Some(name.into()),
            ..okta(id, email, AccountStatus::Active)
        });
    }
    let gitlab = Identity {
        name: Some("Phil Singh".into()),
        ..person(
            "gitlab",
            "g1",
            "phil.singh@acquired.example",
            AccountStatus::Active,
            false,
        )
    };
    let accounts = vec![
        github("71", "psingh11@corp.example", Some(days_ago(2))),
        github("72", "psingh9@corp.example", Some(days_ago(3))),
    ];
    let o = Case::new(table)
        .source("okta", true, directory)
        .source("gitlab", false, vec![gitlab])
        .source("github", false, accounts)
        .run();
    let r = rec(&o, "b").expect("a recommendation for the acquired company's row");
    assert_eq!(
        (r.action, r.reason),
        (Action::Remove, Reason::Departed),
        "{r:?}"
    );
    assert!(
        r.evidence
            .iter()
            .any(|e| e.starts_with("either way one license")),
        "{r:?}"
    );
    for email in ["psingh9@corp.example", "psingh11@corp.example"] {
        assert!(
            o.table
                .iter()
                .any(|d| o.added.contains(&d.id) && d.email == email),
            "{email} not added: {:?}",
            o.added
        );
    }
}
