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
