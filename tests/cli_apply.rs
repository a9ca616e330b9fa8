//! `apply`, `developers history` and `developers restore` end to end, on a real SQLite file and on
//! the real PostgreSQL (each scenario runs on both): the demo's recommendations applied, stale rows
//! refused with their line, the cap, dry runs, restore, re-adding, and a SIGKILL inside the
//! transaction.

use std::io::BufRead;
use std::path::PathBuf;

use serde_json::Value;

use crate::on_both_backends;
use crate::support::backend::Backend;
use crate::support::*;

/// The demo organisation reconciled and stored, its recommendations in `recs.csv`; the config path.
fn demo(s: &Scratch) -> String {
    let dir = s.path("org");
    s.run(&[
        "demo",
        "--dir",
        dir.to_str().unwrap(),
        "--csv",
        "recs.csv",
        "-q",
    ])
    .expect_code(0);
    dir.join("demo.toml").display().to_string()
}

fn demo_db(s: &Scratch) -> PathBuf {
    s.path("org/demo/seatwarden-demo.db")
}

fn with_config(s: &Scratch, config: &str, args: &[&str]) -> Run {
    let mut all = vec!["--config", config];
    all.extend_from_slice(args);
    s.run(&all)
}

fn table(s: &Scratch, config: &str) -> Vec<Value> {
    let run = with_config(s, config, &["developers", "list", "--json"]);
    run.expect_code(0);
    serde_json::from_str::<Value>(&run.stdout())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn row<'a>(table: &'a [Value], email: &str) -> &'a Value {
    table
        .iter()
        .find(|d| d["email"] == email)
        .unwrap_or_else(|| panic!("no row {email}"))
}

fn active(table: &[Value]) -> usize {
    table.iter().filter(|d| d["status"] == "active").count()
}

fn apply_of_the_demo_csv_removes_merges_and_frees_licenses(b: &Backend) {
    let s = b.scratch();
    let config = demo(&s);
    let before = table(&s, &config);
    assert_eq!(active(&before), 34);

    // Twelve changes of 34 active rows: over the 10% cap, refused with the numbers.
    let refused = with_config(&s, &config, &["apply", "recs.csv"]);
    refused.expect_code(3);
    assert!(
        refused
            .stderr()
            .contains("this file changes 12 of 34 active rows (35.3%), more than policy.max_apply_percent = 10% allows (3 rows); nothing was changed"),
        "{}",
        refused.stderr()
    );
    assert_eq!(table(&s, &config), before);

    let run = with_config(
        &s,
        &config,
        &["apply", "recs.csv", "--force", "--actor", "alice"],
    );
    run.expect_code(0);
    assert!(
        run.stdout()
            .contains("Licenses   34 consumed now · 22 after (8 removed, 4 merged)"),
        "{}",
        run.stdout()
    );
    let after = table(&s, &config);
    assert_eq!(active(&after), 22);
    for gone in [
        "priya.patel@acme.example",
        "build-bot@acme.example",
        "sally.fields@acme.example",
        "jdoe@acme.example",
    ] {
        assert_eq!(row(&after, gone)["status"], "removed", "{gone}");
    }
    for kept in [
        "ken.ito@acme.example",
        "paula.kim@acme.example",
        "jane.doe@acme.example",
    ] {
        assert_eq!(
            row(&after, kept)["status"],
            "active",
            "{kept}: a review or a target stays"
        );
    }
    let jane = row(&after, "jane.doe@acme.example");
    assert!(
        jane["emails"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "jdoe@acme.example"),
        "the merge carried the email over: {jane}"
    );

    // The export is what SEI gets: the active rows only.
    let export = with_config(&s, &config, &["developers", "export"]);
    export.expect_code(0);
    assert_eq!(export.stdout().lines().count(), 1 + 22);
    assert!(!export.stdout().contains("priya.patel@acme.example"));

    let history = with_config(
        &s,
        &config,
        &["developers", "history", "priya.patel@acme.example"],
    );
    history.expect_code(0);
    let text = history.stdout();
    assert!(text.contains("removed        by alice"), "{text}");
    assert!(
        text.contains("reason departed") && text.contains("from recs.csv:"),
        "{text}"
    );
    assert!(
        text.contains("· directory: departed (priya.patel@acme.example)"),
        "{text}"
    );

    // The next run: nothing applied is recommended again, and the report shows what was applied.
    let next = with_config(&s, &config, &["reconcile", "--json", "-"]);
    next.expect_code(0);
    let report: Value = serde_json::from_str(&next.stdout()).unwrap();
    assert_eq!(report["usage"]["consumed_before"], 22);
    let recommended: Vec<&str> = report["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap())
        .collect();
    // Paula Kim's unknown activity is no recommendation (SPEC §3.5): only Ken Ito's review is left.
    assert_eq!(recommended, ["ken.ito@acme.example"]);
    assert!(report["changes"]["added"].as_array().unwrap().is_empty());
    let applied = report["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 12);
    assert!(applied.iter().all(|a| a["actor"] == "alice"));
    assert_eq!(
        applied.iter().filter(|a| a["action"] == "merged").count(),
        4
    );
    // …and only since the last run: the run after shows none.
    let again = with_config(&s, &config, &["reconcile"]);
    again.expect_code(0);
    assert!(
        again
            .stdout()
            .contains("Applied    nothing since the last run"),
        "{}",
        again.stdout()
    );
}
on_both_backends!(apply_of_the_demo_csv_removes_merges_and_frees_licenses);

/// A small organisation: Ada employed, Bob terminated; the table holds both; `recs.csv` recommends
/// removing Bob. The cap is raised so one change of two is allowed.
fn small(s: &Scratch, bob_status: &str) {
    s.write(
        "hr.csv",
        &format!("id,name,email,status\n1,Ada Lovelace,ada@acme.example,Active\n2,Bob Stone,bob@acme.example,{bob_status}\n"),
    );
    let recent = (chrono::Utc::now() - chrono::Duration::days(3)).format("%Y-%m-%d");
    s.write(
        "code.csv",
        &format!("id,name,email,last_activity\n10,Ada Lovelace,ada@acme.example,{recent}\n20,Bob Stone,bob@acme.example,{recent}\n"),
    );
    s.write(
        "seatwarden.toml",
        &config_with(
            "[[sources]]\nname = \"hr\"\nkind = \"csv\"\nurl = \"hr.csv\"\ndirectory = true\n[sources.status]\nactive = [\"Active\"]\ndeparted = [\"Terminated\"]\n\n\
             [[sources]]\nname = \"code\"\nkind = \"csv\"\nurl = \"code.csv\"\n",
        )
        .replace("[policy]\n", "[policy]\nmax_apply_percent = 50\n"),
    );
}

fn small_with_bob_removable(b: &Backend) -> Scratch {
    let s = b.scratch();
    small(&s, "Terminated");
    s.import_table(&ADA_AND_BOB);
    s.run(&["reconcile", "--csv", "recs.csv", "-q"])
        .expect_code(0);
    s
}

fn a_stale_row_is_refused_with_its_line_and_nothing_changes(b: &Backend) {
    let s = small_with_bob_removable(b);
    // A row whose email differs from the table's is stale.
    let edited = std::fs::read_to_string(s.path("recs.csv"))
        .unwrap()
        .replace("bob@acme.example", "robert@acme.example");
    s.write("edited.csv", &edited);
    let run = s.run(&["apply", "edited.csv"]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("edited.csv:2: d")
            && run
                .stderr()
                .contains("its email changed since: the table has bob@acme.example"),
        "{}",
        run.stderr()
    );
    // Applied once, the same row is stale the second time.
    s.run(&["apply", "recs.csv"]).expect_code(0);
    let db = s.path("seatwarden.db");
    let before = b.is_sqlite().then(|| bytes(&db));
    let run = s.run(&["apply", "recs.csv"]);
    run.expect_code(2);
    let err = run.stderr();
    assert!(
        err.contains("recs.csv: 1 of its rows cannot be applied; nothing was changed"),
        "{err}"
    );
    assert!(
        err.contains("recs.csv:2: d") && err.contains("(bob@acme.example): already removed"),
        "{err}"
    );
    if let Some(before) = before {
        assert_eq!(
            bytes(&db),
            before,
            "a refused file leaves the store byte for byte"
        );
    }
}
on_both_backends!(a_stale_row_is_refused_with_its_line_and_nothing_changes);

fn a_dry_run_prints_what_would_change_and_changes_nothing(b: &Backend) {
    let s = b.scratch();
    let config = demo(&s);
    let before_table = table(&s, &config);
    let before = b.is_sqlite().then(|| bytes(&demo_db(&s)));
    let run = with_config(&s, &config, &["apply", "recs.csv", "--dry-run", "--force"]);
    run.expect_code(0);
    let out = run.stdout();
    assert!(
        out.contains("remove Priya Patel <priya.patel@acme.example>  departed"),
        "{out}"
    );
    assert!(
        out.contains(
            "merge  J. Doe <jdoe@acme.example> → Jane Doe <jane.doe@acme.example>  duplicate"
        ),
        "{out}"
    );
    assert!(out.ends_with("dry run: nothing was changed\n"), "{out}");
    // Over the cap, a dry run says so with the same exit code as the real apply.
    let capped = with_config(&s, &config, &["apply", "recs.csv", "--dry-run"]);
    capped.expect_code(3);
    if let Some(before) = before {
        assert_eq!(bytes(&demo_db(&s)), before);
    }
    assert_eq!(table(&s, &config), before_table);
}
on_both_backends!(a_dry_run_prints_what_would_change_and_changes_nothing);

fn restore_undoes_a_removal_and_both_are_in_the_history(b: &Backend) {
    let s = small_with_bob_removable(b);
    s.run(&["apply", "recs.csv", "--actor", "alice"])
        .expect_code(0);
    let run = s.run_env(
        &["developers", "restore", "bob@acme.example"],
        &[("SEATWARDEN_ACTOR", "bea")],
    );
    run.expect_code(0);
    assert!(
        run.stdout()
            .contains("restored Bob Stone <bob@acme.example>"),
        "{}",
        run.stdout()
    );
    let list = s.run(&["developers", "list", "--json"]);
    let v: Value = serde_json::from_str(&list.stdout()).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "active")
    );
    let history = s.run(&["developers", "history", "bob@acme.example"]);
    let text = history.stdout();
    let imported = text.find("imported").expect(&text);
    let removed = text.find("removed        by alice").expect(&text);
    let restored = text.find("restored       by bea").expect(&text);
    assert!(imported < removed && removed < restored, "{text}");
    // Restoring an active row is refused.
    let again = s.run(&["developers", "restore", "bob@acme.example"]);
    again.expect_code(2);
    assert!(
        again.stderr().contains("bob@acme.example is active"),
        "{}",
        again.stderr()
    );
}
on_both_backends!(restore_undoes_a_removal_and_both_are_in_the_history);

fn a_removed_person_comes_back_only_when_the_directory_says_so(b: &Backend) {
    let s = small_with_bob_removable(b);
    s.run(&["apply", "recs.csv"]).expect_code(0);
    let still_gone = s.run(&["reconcile", "--json", "-"]);
    still_gone.expect_code(0);
    let v: Value = serde_json::from_str(&still_gone.stdout()).unwrap();
    assert!(
        v["changes"]["added"].as_array().unwrap().is_empty(),
        "{v:#}"
    );
    assert!(v["recommendations"].as_array().unwrap().is_empty(), "{v:#}");
    // Rehired: the directory says active, the code host shows activity.
    small(&s, "Active");
    let back = s.run(&["reconcile", "--json", "-"]);
    back.expect_code(0);
    let v: Value = serde_json::from_str(&back.stdout()).unwrap();
    let added = v["changes"]["added"].as_array().unwrap();
    assert_eq!(added.len(), 1, "{v:#}");
    let bob = v["developers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["email"] == "bob@acme.example")
        .unwrap();
    assert_eq!(
        (&bob["id"], &bob["status"]),
        (&added[0], &Value::from("active"))
    );
    let history = s.run(&["developers", "history", "bob@acme.example"]);
    assert!(
        history.stdout().contains("re-added"),
        "{}",
        history.stdout()
    );
}
on_both_backends!(a_removed_person_comes_back_only_when_the_directory_says_so);

fn a_sigkill_inside_the_apply_transaction_leaves_the_table_as_before(b: &Backend) {
    let s = b.scratch();
    let config = demo(&s);
    let before = table(&s, &config);
    let mut child = s
        .command(&["--config", &config, "apply", "recs.csv", "--force"])
        .env("SEATWARDEN_TEST_STALL_BEFORE_COMMIT_SECS", "60")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    let stalled = lines.any(|l| l.is_ok_and(|l| l.contains("test hook: stalling")));
    assert!(stalled, "the apply never reached its commit");
    // SAFETY: sends SIGKILL to the child this test spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(
        table(&s, &config),
        before,
        "nothing of the killed apply is in the table"
    );
    // The lock died with the process: the next apply goes through.
    with_config(&s, &config, &["apply", "recs.csv", "--force"]).expect_code(0);
    assert_eq!(active(&table(&s, &config)), 22);
}
on_both_backends!(a_sigkill_inside_the_apply_transaction_leaves_the_table_as_before);
