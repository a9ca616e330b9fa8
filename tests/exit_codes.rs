//! SPEC §1's exit codes, each produced by a scenario: 0 success (overage is no failure), 1 runtime
//! failure, 2 bad usage / config / input with nothing changed, 3 degraded.

use crate::schedule::{demo_scratch, hold_store_lock};
use crate::support::*;

#[test]
fn exit_0_for_a_run_with_overage() {
    let s = demo_scratch("");
    let json = s.path("r.json");
    s.run(&["-q", "reconcile", "--json", json.to_str().unwrap()])
        .expect_code(0);
    let report: serde_json::Value = serde_json::from_slice(&bytes(&json)).unwrap();
    assert!(
        report["usage"]["overage"].as_u64().unwrap() > 0,
        "the demo is over its licenses"
    );
}

#[test]
fn exit_1_when_the_store_lock_stays_held() {
    let s = demo_scratch("");
    let lock = hold_store_lock(&s);
    let run = s.run_env(
        &["--log-format", "text", "reconcile"],
        &[("SEATWARDEN__STORE__LOCK_TIMEOUT_SECS", "0")],
    );
    run.expect_code(1);
    assert!(run.stderr().contains("error:"), "{}", run.stderr());
    assert!(run.stderr().contains("busy"), "{}", run.stderr());
    drop(lock);
}

#[test]
fn exit_2_for_an_unknown_key_and_nothing_is_stored() {
    let s = demo_scratch("[policy.guard]\nmax_drop_pct = 5\n");
    let db = s.path("demo/seatwarden-demo.db");
    let before = bytes(&db);
    let run = s.run(&["--log-format", "text", "reconcile"]);
    run.expect_code(2);
    assert!(run.stderr().contains("seatwarden.toml"), "{}", run.stderr());
    assert_eq!(bytes(&db), before);
}

#[test]
fn exit_2_for_bad_usage() {
    let s = demo_scratch("");
    s.run(&["reconcile", "--no-such-flag"]).expect_code(2);
}

#[test]
fn exit_3_when_a_source_fails_and_the_report_is_still_written() {
    let s = demo_scratch("");
    std::fs::remove_file(s.path("demo/contractors.csv")).unwrap();
    let json = s.path("r.json");
    s.run(&["-q", "reconcile", "--json", json.to_str().unwrap()])
        .expect_code(3);
    let report: serde_json::Value = serde_json::from_slice(&bytes(&json)).unwrap();
    assert_eq!(report["run"]["status"], "degraded");
}
