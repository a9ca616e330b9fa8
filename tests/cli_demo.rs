//! The bundled demo organisation: every kind of problem found, with the right reason, and nobody
//! recommended who should keep their license.

use std::collections::HashMap;

use crate::support::*;

fn demo_report() -> (Scratch, serde_json::Value) {
    let s = Scratch::new();
    let dir = s.path("demo-org");
    let json = s.path("report.json");
    let run = s.run(&[
        "demo",
        "--dir",
        dir.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "-q",
    ]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_slice(&bytes(&json)).unwrap();
    (s, report)
}

/// email → (action, reason, into-email)
fn by_email(report: &serde_json::Value) -> HashMap<String, (String, String, Option<String>)> {
    let email_of: HashMap<String, String> = report["developers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["email"].as_str().unwrap().to_lowercase(),
            )
        })
        .collect();
    report["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let email = email_of[r["developer"].as_str().unwrap()].clone();
            let into = r["into"].as_str().map(|i| email_of[i].clone());
            (
                email,
                (
                    r["action"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap().to_string(),
                    into,
                ),
            )
        })
        .collect()
}

#[test]
fn demo_reconcile_finds_each_problem_with_its_reason() {
    let (_s, report) = demo_report();
    let recs = by_email(&report);
    let expect = |email: &str, action: &str, reason: &str| {
        let got = recs
            .get(email)
            .unwrap_or_else(|| panic!("no recommendation for {email}: {recs:#?}"));
        assert_eq!(
            (got.0.as_str(), got.1.as_str()),
            (action, reason),
            "{email}"
        );
        got.2.clone()
    };
    assert_eq!(
        expect("jdoe@acme.example", "merge", "duplicate").as_deref(),
        Some("jane.doe@acme.example")
    );
    assert_eq!(
        expect("sam.lee+sei@acme.example", "merge", "duplicate").as_deref(),
        Some("sam.lee@acme.example")
    );
    assert_eq!(
        expect(
            "4521337+carlosm@users.noreply.github.com",
            "merge",
            "duplicate"
        )
        .as_deref(),
        Some("carlos.mendes@acme.example")
    );
    expect("priya.patel@acme.example", "remove", "departed");
    expect("tom.novak@partner.example", "remove", "departed");
    expect("old.intern@acme.example", "remove", "departed");
    expect("ken.ito@acme.example", "review", "departed");
    expect("build-bot@acme.example", "remove", "bot");
    expect("svc-release@acme.example", "remove", "bot");
    expect("sally.fields@acme.example", "remove", "excluded_role");
    expect("rick.hunter@acme.example", "remove", "excluded_role");
    expect("maria.garcia@acme.example", "remove", "inactive");
    // SPEC §3.5: no activity data at all is unknown, not inactive — no recommendation, counted.
    assert!(
        !recs.contains_key("paula.kim@acme.example"),
        "{:?}",
        recs.get("paula.kim@acme.example")
    );
    assert!(report["usage"]["activity_unknown"].as_u64().unwrap() >= 1);
    // A nickname duplicate across domains: merged or at least reviewed, never removed as a leaver.
    let bob = recs
        .get("bob.brown@oldco.example")
        .expect("Bob Brown found");
    assert_eq!(bob.1, "duplicate");
    assert_eq!(bob.2.as_deref(), Some("robert.brown@acme.example"));
}

#[test]
fn demo_recommends_nothing_for_people_who_keep_their_license() {
    let (_s, report) = demo_report();
    let recs = by_email(&report);
    for email in [
        "grace.hopper@acme.example", // protected, though inactive
        "nina.rossi@acme.example",   // inside the grace period, no activity yet
        "john.smith@acme.example",   // two John Smiths: two people
        "john.smith2@acme.example",
        "jane.doe@acme.example",
        "robert.brown@acme.example",
        "omar.haddad@acme.example",
        "ines.silva@partner.example",
        "marcus.reed@acme.example",
    ] {
        assert!(
            !recs.contains_key(email),
            "{email} got {:?}",
            recs.get(email)
        );
    }
}

#[test]
fn demo_adds_new_hires_updates_from_the_directory_and_counts_usage() {
    let (_s, report) = demo_report();
    let devs = report["developers"].as_array().unwrap();
    let email_of = |id: &serde_json::Value| -> String {
        devs.iter().find(|d| d["id"] == *id).unwrap()["email"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut added: Vec<String> = report["changes"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(email_of)
        .collect();
    added.sort();
    assert_eq!(
        added,
        [
            "ava.stone@acme.example",
            "leo.park@acme.example",
            "raj.mehta@partner.example"
        ]
    );
    let omar = devs
        .iter()
        .find(|d| d["email"] == "omar.haddad@acme.example")
        .unwrap();
    assert_eq!(omar["title"], "Principal Engineer");
    assert!(
        report["changes"]["updated"]
            .as_array()
            .unwrap()
            .contains(&omar["id"])
    );
    assert!(
        !devs.iter().any(|d| d["email"] == "felix@gray.example"),
        "not in any directory: not added"
    );
    assert_eq!(report["usage"]["consumed_before"], 31);
    assert_eq!(report["usage"]["consumed_after"], 34);
    assert_eq!(report["usage"]["overage"], 6);
    assert_eq!(report["run"]["status"], "ok");
}

#[test]
fn dry_run_leaves_the_sqlite_file_byte_for_byte_unchanged() {
    let s = Scratch::new();
    let dir = s.path("demo-org");
    s.run(&["demo", "--dir", dir.to_str().unwrap(), "-q"])
        .expect_code(0);
    let db = dir.join("demo/seatwarden-demo.db");
    let before = bytes(&db);
    let config = dir.join("demo.toml");
    let run = s.run(&[
        "--config",
        config.to_str().unwrap(),
        "reconcile",
        "--dry-run",
        "--json",
        "-",
    ]);
    run.expect_code(0);
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout()).expect("stdout is the JSON report");
    assert_eq!(report["run"]["dry_run"], true);
    assert_eq!(bytes(&db), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("demo"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("-journal") || n.ends_with("-wal") || n.ends_with("-shm"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn demo_config_runs_as_committed_without_creating_a_store_on_dry_run() {
    let s = Scratch::new();
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    // Copy the committed demo so the test never writes into the repository.
    let copy = s.path("demo.toml");
    std::fs::copy(&config, &copy).unwrap();
    for f in [
        "developers.csv",
        "directory.csv",
        "contractors.csv",
        "codehost.json",
    ] {
        std::fs::create_dir_all(s.path("demo")).unwrap();
        std::fs::copy(
            config.parent().unwrap().join("demo").join(f),
            s.path(&format!("demo/{f}")),
        )
        .unwrap();
    }
    let run = s.run(&["--config", copy.to_str().unwrap(), "reconcile", "--dry-run"]);
    run.expect_code(0);
    assert!(run.stdout().contains("Recommendations"), "{}", run.stdout());
    assert!(!s.path("demo/seatwarden-demo.db").exists());
}
