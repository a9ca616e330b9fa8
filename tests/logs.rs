//! Logs and progress: with `--log-format json` every stderr line is one JSON object carrying the
//! run's `run_id` (the one the stored run takes); indicatif progress appears on a terminal (a
//! pseudo-terminal from util-linux `script`) and never without one, with `-q` or with JSON logs.

use std::process::Command;

use crate::schedule::demo_scratch;
use crate::support::*;

#[test]
fn every_stderr_line_of_a_json_run_is_a_json_object_carrying_the_run_id() {
    let s = demo_scratch("");
    let json = s.path("report.json");
    let run = s.run(&[
        "--log-format",
        "json",
        "-v",
        "reconcile",
        "--json",
        json.to_str().unwrap(),
    ]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_slice(&bytes(&json)).unwrap();
    let id = report["run"]["id"].as_str().unwrap();
    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() >= 5, "too few log lines: {stderr}");
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v.is_object(), "{line}");
        assert_eq!(v["span"]["run_id"], id, "line without the run id: {line}");
    }
}

#[test]
fn a_failed_json_run_says_its_error_as_a_json_line_too() {
    let s = demo_scratch("");
    std::fs::write(s.path("demo/developers.csv"), "not,an,sei,csv\n").unwrap();
    std::fs::remove_file(s.path("demo/seatwarden-demo.db")).unwrap();
    let run = s.run(&["--log-format", "json", "reconcile"]);
    run.expect_code(2);
    let stderr = run.stderr();
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let failed = events
        .iter()
        .find(|e| e["message"] == "failed")
        .expect(&stderr);
    assert_eq!(failed["exit"], 2);
    assert!(failed["error"].as_str().unwrap().contains("developers.csv"));
    assert!(failed["span"]["run_id"].is_string());
}

/// Run seatwarden ARGS under a pseudo-terminal; everything it wrote to the terminal.
fn under_a_terminal(s: &Scratch, args: &[&str]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed");
        return None;
    }
    let cmd = s.command(args);
    let quote = |a: &std::ffi::OsStr| format!("'{}'", a.to_string_lossy().replace('\'', r"'\''"));
    let line: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(quote)
        .collect();
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &line.join(" "), "/dev/null"])
        .current_dir(s.dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn progress_appears_under_a_pseudo_terminal() {
    let s = demo_scratch("");
    let Some(text) = under_a_terminal(&s, &["reconcile", "--dry-run"]) else {
        return;
    };
    assert!(text.contains("source directory"), "{text}");
    assert!(text.contains("25 records fetched"), "{text}");
    assert!(text.contains("resolve "), "no resolution phase: {text}");
}

#[test]
fn no_progress_without_a_terminal_with_quiet_or_with_json_logs() {
    let s = demo_scratch("");
    let piped = s.run(&["--log-format", "text", "reconcile", "--dry-run"]);
    piped.expect_code(0);
    assert!(
        !piped.stderr().contains("records fetched"),
        "{}",
        piped.stderr()
    );
    if let Some(quiet) = under_a_terminal(&s, &["-q", "reconcile", "--dry-run"]) {
        assert!(!quiet.contains("records fetched"), "{quiet}");
    }
    if let Some(json) = under_a_terminal(&s, &["--log-format", "json", "reconcile", "--dry-run"]) {
        assert!(!json.contains("records fetched"), "{json}");
    }
}
