//! `apply`'s decisions on plain values: every stale row refused with its line, reviews, the cap,
//! what a merge carries, and restore.

use super::*;
use chrono::TimeZone;

fn dev(id: &str) -> Developer {
    let mut d = Developer::example(id, &format!("{id}@acme.example"));
    d.emails.push(format!("{id}.old@acme.example"));
    d.identities.push(IdentityRef {
        source: "github".into(),
        id: format!("gh-{id}"),
        login: None,
        email: None,
        name: None,
    });
    d
}

fn rec(developer: &str, action: Action, into: Option<&str>) -> RecommendationJson {
    RecommendationJson {
        developer: developer.into(),
        action,
        reason: if action == Action::Merge {
            Reason::Duplicate
        } else {
            Reason::Departed
        },
        into: into.map(str::to_string),
        confidence: 0.9,
        evidence: vec![format!("evidence for {developer}")],
        email: None,
        name: None,
    }
}

fn row(line: usize, developer: &str, action: Action, into: Option<&str>) -> ReviewedRow {
    ReviewedRow {
        line,
        developer: developer.into(),
        email: format!("{developer}@acme.example"),
        name: String::new(),
        action,
        reason: None,
        into: into.map(str::to_string),
        evidence: vec![],
        applied: String::new(),
    }
}

fn table() -> Vec<Developer> {
    let mut t: Vec<Developer> = ["d1", "d2", "d3", "d4", "d5"]
        .iter()
        .map(|i| dev(i))
        .collect();
    t[4].status = RowStatus::Removed;
    t
}

fn recs() -> Vec<RecommendationJson> {
    vec![
        rec("d2", Action::Merge, Some("d1")),
        rec("d3", Action::Remove, None),
        rec("d4", Action::Review, None),
        rec("d5", Action::Remove, None),
    ]
}

fn planned(rows: &[ReviewedRow], table: &[Developer], include_reviews: bool) -> Plan {
    let recs = recs();
    plan(
        rows,
        table,
        Some(LatestRun {
            id: "run-1",
            recommendations: &recs,
        }),
        include_reviews,
    )
}

fn acting() -> Acting<'static> {
    Acting {
        actor: "alice",
        now: Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
        file: "recs.csv",
    }
}

#[test]
fn recommended_rows_become_changes_with_the_runs_reason_and_evidence() {
    let p = planned(
        &[
            row(2, "d2", Action::Merge, Some("d1")),
            row(3, "d3", Action::Remove, None),
        ],
        &table(),
        false,
    );
    assert!(p.refused.is_empty(), "{:?}", p.refused);
    assert_eq!(p.changes.len(), 2);
    assert_eq!((p.changes[0].row, p.changes[0].into), (1, Some(0)));
    assert_eq!(p.changes[1].reason, Reason::Departed);
    assert_eq!(p.changes[1].evidence, ["evidence for d3"]);
    assert_eq!(p.run_id.as_deref(), Some("run-1"));
}

#[test]
fn each_stale_row_is_refused_with_its_line_and_reason() {
    let mut t = table();
    t[0].status = RowStatus::Removed; // d1, the merge target, removed since
    let mut changed_email = row(4, "d3", Action::Remove, None);
    changed_email.email = "someone.else@acme.example".into();
    let p = planned(
        &[
            row(2, "gone", Action::Remove, None),
            row(3, "d2", Action::Merge, Some("d1")),
            changed_email,
            row(5, "d5", Action::Remove, None),
        ],
        &t,
        false,
    );
    assert!(p.changes.is_empty());
    let got: Vec<(usize, &str)> = p.refused.iter().map(|r| (r.line, r.why.as_str())).collect();
    assert_eq!(
        got,
        [
            (2, "no longer in the table"),
            (3, "its `into` target d1 was removed"),
            (4, "its email changed since: the table has d3@acme.example"),
            (5, "already removed"),
        ]
    );
    assert_eq!(
        p.refused[0].to_string(),
        "2: gone (gone@acme.example): no longer in the table"
    );
}

#[test]
fn a_row_the_latest_run_does_not_recommend_so_is_refused() {
    let mut t = table();
    t.push(dev("d6"));
    let p = planned(
        &[
            row(2, "d6", Action::Remove, None),
            row(3, "d3", Action::Merge, Some("d1")),
            row(4, "d2", Action::Merge, Some("d4")),
        ],
        &t,
        false,
    );
    let why: Vec<&str> = p.refused.iter().map(|r| r.why.as_str()).collect();
    assert_eq!(
        why,
        [
            "the latest run (run-1) no longer recommends it",
            "the latest run recommends `remove`, the file says `merge`",
            "the latest run merges it into d1, the file into d4",
        ]
    );
    let none = plan(&[row(2, "d3", Action::Remove, None)], &t, None, false);
    assert!(
        none.refused[0]
            .why
            .starts_with("no stored run recommends it")
    );
}

#[test]
fn a_merge_into_a_gone_target_is_refused() {
    let mut t = table();
    t.remove(0); // d1 gone from the table
    let p = planned(&[row(2, "d2", Action::Merge, Some("d1"))], &t, false);
    assert_eq!(p.refused[0].why, "its `into` target d1 is gone");
}

#[test]
fn a_review_needs_a_decision_and_include_reviews() {
    let undecided = [row(2, "d4", Action::Review, None)];
    let p = planned(&undecided, &table(), true);
    assert_eq!(p.skipped, [(2, Skip::LeftForReview)]);
    assert!(p.changes.is_empty() && p.refused.is_empty());

    let decided = [row(2, "d4", Action::Remove, None)];
    let p = planned(&decided, &table(), false);
    assert!(
        p.refused[0].why.contains("--include-reviews"),
        "{:?}",
        p.refused
    );
    let p = planned(&decided, &table(), true);
    assert_eq!(p.changes.len(), 1);
    assert_eq!(p.changes[0].action, Action::Remove);
}

#[test]
fn a_row_marked_applied_is_left_alone() {
    let mut marked = row(2, "d3", Action::Remove, None);
    marked.applied = "yes".into();
    let p = planned(&[marked], &table(), false);
    assert_eq!(p.skipped, [(2, Skip::MarkedApplied)]);
    assert!(p.changes.is_empty());
}

#[test]
fn a_merge_into_a_row_the_same_file_changes_is_refused() {
    let recs = vec![
        rec("d2", Action::Merge, Some("d1")),
        rec("d1", Action::Remove, None),
    ];
    let p = plan(
        &[
            row(2, "d1", Action::Remove, None),
            row(3, "d2", Action::Merge, Some("d1")),
            row(4, "d1", Action::Remove, None),
        ],
        &table(),
        Some(LatestRun {
            id: "r",
            recommendations: &recs,
        }),
        false,
    );
    let got: Vec<(usize, &str)> = p.refused.iter().map(|r| (r.line, r.why.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, "its `into` target d1 is itself changed by line 2"),
            (4, "line 2 already changes this row"),
        ]
    );
}

#[test]
fn the_cap_allows_its_share_of_the_active_rows_and_not_one_more() {
    assert!(check_cap(3, 31, 10.0).is_ok());
    let over = check_cap(4, 31, 10.0).unwrap_err();
    assert_eq!((over.changes, over.active, over.allowed), (4, 31, 3));
    assert_eq!(
        over.to_string(),
        "this file changes 4 of 31 active rows (12.9%), more than policy.max_apply_percent = 10% allows (3 rows); nothing was changed: check the file, or pass --force"
    );
    assert!(check_cap(0, 0, 10.0).is_ok());
}

#[test]
fn carrying_out_removes_and_folds_emails_and_identities_into_the_target() {
    let t = table();
    let p = planned(
        &[
            row(2, "d2", Action::Merge, Some("d1")),
            row(3, "d3", Action::Remove, None),
        ],
        &t,
        false,
    );
    let applied = p.carry_out(&t, &acting());
    let ids: Vec<&str> = applied.rows.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["d1", "d2", "d3"]);
    let (d1, d2, d3) = (&applied.rows[0], &applied.rows[1], &applied.rows[2]);
    assert_eq!(d1.status, RowStatus::Active);
    assert!(d1.emails.contains(&"d2@acme.example".to_string()));
    assert!(d1.emails.contains(&"d2.old@acme.example".to_string()));
    assert!(d1.identities.iter().any(|i| i.id == "gh-d2"));
    assert_eq!(
        (d2.status, d3.status),
        (RowStatus::Removed, RowStatus::Removed)
    );
    let a = &applied.audit;
    assert_eq!(a.len(), 2);
    assert_eq!(
        (a[0].action, a[0].into.as_deref(), a[0].origin.as_deref()),
        (AuditAction::Merged, Some("d1"), Some("recs.csv:2"))
    );
    assert_eq!(
        (a[1].action, a[1].reason.as_deref(), a[1].run_id.as_deref()),
        (AuditAction::Removed, Some("departed"), Some("run-1"))
    );
    assert_eq!(a[1].actor, "alice");
}

#[test]
fn restore_undoes_a_merge_and_takes_back_what_it_carried() {
    let t = table();
    let p = planned(&[row(2, "d2", Action::Merge, Some("d1"))], &t, false);
    let applied = p.carry_out(&t, &acting());
    let mut after = t.clone();
    for d in &applied.rows {
        let i = after.iter().position(|x| x.id == d.id).unwrap();
        after[i] = d.clone();
    }
    let restored = restore(&after, "D2@acme.example", &applied.audit, &acting()).unwrap();
    assert_eq!(restored.rows.len(), 2);
    assert_eq!(restored.rows[0].status, RowStatus::Active);
    assert_eq!(
        restored.rows[1], t[0],
        "the target is as it was before the merge"
    );
    let entry = &restored.audit[0];
    assert_eq!(entry.action, AuditAction::Restored);
    assert_eq!(entry.reason.as_deref(), Some("duplicate"));
    assert!(entry.evidence[0].starts_with("undoes `merged` of 2026-12-01T10:00:00Z by alice"));
}

#[test]
fn restore_refuses_an_active_row_and_an_unknown_email() {
    let t = table();
    assert_eq!(
        restore(&t, "d1@acme.example", &[], &acting()).unwrap_err(),
        RestoreError::NotRemoved("d1@acme.example".into())
    );
    assert!(matches!(
        restore(&t, "nobody@acme.example", &[], &acting()),
        Err(RestoreError::NoRow(_))
    ));
    let plain = restore(&t, "d5@acme.example", &[], &acting()).unwrap();
    assert_eq!(plain.rows[0].status, RowStatus::Active);
}
