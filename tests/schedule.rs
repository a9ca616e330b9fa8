//! `seatwarden schedule`: runs on its cron, writes metrics after each run, skips a run when the
//! store lock is held, refuses an impossible cron or zone at start-up, stops on SIGTERM with exit 0.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;

/// A scratch folder holding the demo organisation with `seatwarden.toml` its config plus `extra`.
pub fn demo_scratch(extra: &str) -> Scratch {
    let s = Scratch::new();
    let dir = s.dir.path().to_str().unwrap().to_string();
    s.run(&["demo", "--dir", &dir, "-q"]).expect_code(0);
    let demo = std::fs::read_to_string(s.path("demo.toml")).unwrap();
    s.write("seatwarden.toml", &format!("{demo}\n{extra}\n"));
    s
}

/// Every stderr line of a child, collected as it comes.
pub fn collect_stderr(child: &mut Child) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stderr = child.stderr.take().unwrap();
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

/// Send SIGTERM and wait for the exit: (exit code, how long it took).
pub fn terminate(child: &mut Child) -> (i32, Duration) {
    let pid = child.id() as libc::pid_t;
    // SAFETY: signals our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), t.elapsed());
        }
        if t.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("schedule still running 15 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn json_lines(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn with_message<'a>(events: &'a [serde_json::Value], message: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["message"] == message).collect()
}

fn last_run_stamp(s: &Scratch) -> Option<String> {
    let text = std::fs::read_to_string(s.path("seatwarden.prom")).ok()?;
    text.lines()
        .find(|l| l.starts_with("seatwarden_reconcile_last_run_timestamp_seconds "))
        .map(str::to_string)
}

#[test]
fn a_two_second_schedule_runs_twice_in_seven_seconds_writes_metrics_each_time_and_stops_on_sigterm()
{
    let s = demo_scratch(
        "[schedule]\nreconcile = \"*/2 * * * * *\"\n\n[metrics]\ntextfile = \"seatwarden.prom\"\n",
    );
    let mut child = s
        .command(&["--log-format", "json", "schedule"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = collect_stderr(&mut child);
    let started = Instant::now();
    let mut stamps: Vec<String> = Vec::new();
    while started.elapsed() < Duration::from_secs(7) {
        if let Some(stamp) = last_run_stamp(&s)
            && stamps.last() != Some(&stamp)
        {
            stamps.push(stamp);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, took) = terminate(&mut child);
    std::thread::sleep(Duration::from_millis(200));
    let events = json_lines(&lines.lock().unwrap());
    assert_eq!(code, 0, "exit code after SIGTERM; stderr: {events:#?}");
    assert!(took < Duration::from_secs(10), "took {took:?} to stop");
    let finished = with_message(&events, "run finished");
    assert!(
        finished.len() >= 2,
        "{} runs in 7 s: {events:#?}",
        finished.len()
    );
    assert!(
        stamps.len() >= 2,
        "the metrics file was written {} times: {stamps:?}",
        stamps.len()
    );
    let ids: std::collections::HashSet<&str> = finished
        .iter()
        .map(|e| e["span"]["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), finished.len(), "each run has its own run_id");
    assert!(with_message(&events, "next run").len() > finished.len());
    assert_eq!(with_message(&events, "schedule stopped").len(), 1);
}

/// Hold the demo store's lock (the `flock` on `seatwarden-demo.db.lock` every writer takes) until
/// the returned file is dropped.
pub fn hold_store_lock(s: &Scratch) -> std::fs::File {
    let file = std::fs::File::create(s.path("demo/seatwarden-demo.db.lock")).unwrap();
    file.try_lock().expect("the store lock is free");
    file
}

#[test]
fn a_run_that_finds_the_store_lock_held_is_skipped_and_the_schedule_goes_on() {
    let s = demo_scratch("[schedule]\nreconcile = \"* * * * * *\"\n");
    let lock = hold_store_lock(&s);
    let mut child = s
        .command(&["--log-format", "json", "schedule"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = collect_stderr(&mut child);
    std::thread::sleep(Duration::from_millis(3000));
    drop(lock);
    std::thread::sleep(Duration::from_millis(3000));
    let (code, _) = terminate(&mut child);
    std::thread::sleep(Duration::from_millis(200));
    let events = json_lines(&lines.lock().unwrap());
    assert_eq!(code, 0);
    let skipped = with_message(&events, "skipped: the store lock is held");
    assert!(!skipped.is_empty(), "no skipped run: {events:#?}");
    assert!(
        !with_message(&events, "run finished").is_empty(),
        "no run after the lock was freed: {events:#?}"
    );
    assert!(with_message(&events, "run failed; the schedule goes on").is_empty());
}

#[test]
fn an_impossible_cron_expression_is_exit_2_naming_the_key() {
    let s = demo_scratch("[schedule]\nreconcile = \"0 61 * * * *\"\n");
    let run = s.run(&["--log-format", "text", "schedule"]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("schedule.reconcile"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_five_field_cron_expression_is_exit_2_saying_the_seconds_field_is_missing() {
    let s = demo_scratch("[schedule]\nreport = \"0 8 * * Mon\"\n");
    let run = s.run(&["--log-format", "text", "schedule"]);
    run.expect_code(2);
    assert!(run.stderr().contains("schedule.report"), "{}", run.stderr());
    assert!(run.stderr().contains("seconds first"), "{}", run.stderr());
}

#[test]
fn an_unknown_time_zone_is_exit_2_naming_report_timezone() {
    let s = Scratch::new();
    s.write(
        "seatwarden.toml",
        &format!(
            "{}\n[report]\ntimezone = \"Europe/Atlantis\"\n\n[schedule]\nreconcile = \"0 0 5 * * *\"\n",
            config_with("")
        ),
    );
    let run = s.run(&["--log-format", "text", "schedule"]);
    run.expect_code(2);
    assert!(run.stderr().contains("report.timezone"), "{}", run.stderr());
}

#[test]
fn schedule_without_a_schedule_section_is_exit_2() {
    let s = demo_scratch("");
    let run = s.run(&["--log-format", "text", "schedule"]);
    run.expect_code(2);
    assert!(run.stderr().contains("[schedule]"), "{}", run.stderr());
}
