//! Additions and updates (`reconcile/table.rs`, SPEC §3.4), run end to end.

use super::*;

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
fn name_from_email_capitalises_parts() {
    assert_eq!(name_from_email("jane.doe+git@acme.example"), "Jane Doe");
}

/// A table with one removed row, Ben's, and a run whose directory and code host say `status` and
/// `activity` about him.
fn ben_removed_then(status: AccountStatus, activity: Option<DateTime<Utc>>) -> Outcome {
    let mut ben = row("b", "ben@acme.example");
    ben.status = RowStatus::Removed;
    Case::new(vec![row("a", "ada@acme.example"), ben])
        .source(
            "okta",
            true,
            vec![
                okta("1", "ada@acme.example", AccountStatus::Active),
                okta("2", "ben@acme.example", status),
            ],
        )
        .source(
            "github",
            false,
            vec![
                github("10", "ada@acme.example", Some(days_ago(1))),
                github("20", "ben@acme.example", activity),
            ],
        )
        .run()
}

#[test]
fn is_back_after_removal_when_the_directory_shows_them_active_and_eligible() {
    let o = ben_removed_then(AccountStatus::Active, Some(days_ago(3)));
    assert_eq!(o.added, ["b"], "a visible addition, the same row");
    assert_eq!(o.table.len(), 2, "re-added in place, no new row");
    assert_eq!(o.table[1].status, RowStatus::Active);
    assert_eq!(o.table[1].identities.len(), 2, "updated from the person");
    assert_eq!((o.usage.consumed_before, o.usage.consumed_after), (1, 2));
}

#[test]
fn is_not_back_after_removal_while_departed_inactive_or_unseen_by_the_directory() {
    for (what, status, activity) in [
        ("departed", AccountStatus::Departed, Some(days_ago(3))),
        ("suspended", AccountStatus::Suspended, Some(days_ago(3))),
        ("still inactive", AccountStatus::Active, Some(days_ago(300))),
    ] {
        let o = ben_removed_then(status, activity);
        assert!(o.added.is_empty(), "{what}: {:?}", o.added);
        assert_eq!(o.table[1].status, RowStatus::Removed, "{what}");
        assert!(
            rec(&o, "b").is_none(),
            "{what}: a removed row is not recommended again"
        );
    }
    // No directory at all: the tools alone never bring a removed row back.
    let mut ben = row("b", "ben@acme.example");
    ben.status = RowStatus::Removed;
    let o = Case::new(vec![ben])
        .source(
            "github",
            false,
            vec![github("20", "ben@acme.example", Some(days_ago(1)))],
        )
        .run();
    assert!(o.added.is_empty());
    assert_eq!(o.table[0].status, RowStatus::Removed);
}

#[test]
fn a_merged_row_does_not_come_back_while_its_person_keeps_another_row() {
    let mut old = row("old", "ben.old@acme.example");
    old.status = RowStatus::Removed;
    old.emails.push("ben@acme.example".into());
    let o = Case::new(vec![row("b", "ben@acme.example"), old])
        .source(
            "okta",
            true,
            vec![okta("2", "ben@acme.example", AccountStatus::Active)],
        )
        .source(
            "github",
            false,
            vec![github("20", "ben@acme.example", Some(days_ago(1)))],
        )
        .run();
    assert!(o.added.is_empty(), "{:?}", o.added);
    assert_eq!(o.table[1].status, RowStatus::Removed);
    assert!(o.recommendations.is_empty(), "{:?}", o.recommendations);
}
