//! Every run's Prometheus metrics: a loopback Pushgateway receives a body in the Prometheus text
//! format, the textfile is written after a reconcile and after a failed run, `report --send` adds
//! its own families, and `schedule` serves `/metrics` and `/healthz`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::schedule::{collect_stderr, demo_scratch, hold_store_lock, terminate};

/// The samples of a Prometheus text-format body: `name{labels}` → value. Panics on any line that
/// is neither a comment nor `series value`, or on a sample without its `# TYPE`.
fn parse_exposition(body: &str) -> HashMap<String, f64> {
    let mut typed = std::collections::HashSet::new();
    let mut samples = HashMap::new();
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap();
            assert_eq!(parts.next(), Some("gauge"), "{line}");
            typed.insert(name.to_string());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line {line}"));
        let name = series.split('{').next().unwrap();
        assert!(name.starts_with("seatwarden_"), "{line}");
        assert!(typed.contains(name), "{name} has no # TYPE line");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        samples.insert(series.to_string(), value);
    }
    samples
}

/// A one-shot loopback Pushgateway: answers 200 to each request and sends (request line, body) out.
fn pushgateway() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut data = Vec::new();
            let mut buf = [0u8; 8192];
            let (head_len, body_len) = loop {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break (data.len(), 0);
                }
                data.extend_from_slice(&buf[..n]);
                if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    break (end + 4, len);
                }
            };
            while data.len() < head_len + body_len {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
            let head = String::from_utf8_lossy(&data[..head_len]).into_owned();
            let body = String::from_utf8_lossy(&data[head_len..]).into_owned();
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            let _ = tx.send((head, body));
        }
    });
    (url, rx)
}

#[test]
fn a_loopback_pushgateway_receives_parseable_metrics_of_a_reconcile() {
    let (url, rx) = pushgateway();
    let s = demo_scratch(&format!(
        "[metrics]\npushgateway_url = \"{url}\"\njob = \"sw-test\"\n"
    ));
    s.run(&["-q", "reconcile"]).expect_code(0);
    let (head, body) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("nothing pushed");
    assert!(
        head.starts_with("POST /metrics/job/sw-test HTTP/1.1"),
        "{head}"
    );
    assert!(
        head.to_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let m = parse_exposition(&body);
    assert_eq!(m["seatwarden_reconcile_last_exit_code"], 0.0);
    assert_eq!(m["seatwarden_licenses_purchased"], 28.0);
    assert!(m["seatwarden_licenses_consumed"] > 0.0);
    assert!(m.contains_key("seatwarden_licenses_overage"));
    assert!(m.contains_key("seatwarden_licenses_consumed_if_applied"));
    assert!(m.contains_key("seatwarden_reconcile_last_success_timestamp_seconds"));
    assert!(m.contains_key("seatwarden_reconcile_duration_seconds"));
    assert!(m.contains_key("seatwarden_recommendations{reason=\"duplicate\"}"));
    assert_eq!(m["seatwarden_source_up{source=\"directory\"}"], 1.0);
    assert_eq!(m["seatwarden_source_records{source=\"directory\"}"], 25.0);
}

#[test]
fn a_failed_run_writes_its_failure_and_keeps_the_last_success_in_the_textfile() {
    let s = demo_scratch("[metrics]\ntextfile = \"metrics/seatwarden.prom\"\n");
    std::fs::create_dir_all(s.path("metrics")).unwrap();
    s.run(&["-q", "reconcile"]).expect_code(0);
    let ok = parse_exposition(&std::fs::read_to_string(s.path("metrics/seatwarden.prom")).unwrap());
    let success = ok["seatwarden_reconcile_last_success_timestamp_seconds"];
    // Another command holds the store lock past the wait: the run fails with exit 1.
    let lock = hold_store_lock(&s);
    s.run_env(
        &["-q", "reconcile"],
        &[("SEATWARDEN__STORE__LOCK_TIMEOUT_SECS", "0")],
    )
    .expect_code(1);
    let failed =
        parse_exposition(&std::fs::read_to_string(s.path("metrics/seatwarden.prom")).unwrap());
    assert_eq!(failed["seatwarden_reconcile_last_exit_code"], 1.0);
    assert!(failed["seatwarden_reconcile_last_failure_timestamp_seconds"] >= success);
    assert_eq!(
        failed["seatwarden_reconcile_last_success_timestamp_seconds"],
        success
    );
    assert_eq!(failed["seatwarden_source_up{source=\"directory\"}"], 1.0);
    drop(lock);
}

#[test]
fn a_degraded_run_marks_its_failed_source_down() {
    let s = demo_scratch("[metrics]\ntextfile = \"seatwarden.prom\"\n");
    std::fs::remove_file(s.path("demo/contractors.csv")).unwrap();
    s.run(&["-q", "reconcile"]).expect_code(3);
    let m = parse_exposition(&std::fs::read_to_string(s.path("seatwarden.prom")).unwrap());
    assert_eq!(m["seatwarden_source_up{source=\"contractors\"}"], 0.0);
    assert_eq!(m["seatwarden_source_up{source=\"directory\"}"], 1.0);
    assert_eq!(m["seatwarden_reconcile_degraded"], 1.0);
    assert_eq!(m["seatwarden_reconcile_last_exit_code"], 3.0);
}

fn http_get(addr: &str, path: &str) -> Option<(String, String)> {
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((head.to_string(), body.to_string()))
}

#[test]
fn schedule_serves_metrics_and_healthz_on_listen() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let s = demo_scratch(&format!(
        "[schedule]\nreconcile = \"* * * * * *\"\nlisten = \"{addr}\"\n"
    ));
    let mut child = s
        .command(&["--log-format", "json", "schedule"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _lines = collect_stderr(&mut child);
    let t = std::time::Instant::now();
    let metrics = loop {
        if let Some((head, body)) = http_get(&addr, "/metrics")
            && body.contains("seatwarden_reconcile_last_success_timestamp_seconds")
        {
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            break body;
        }
        assert!(t.elapsed() < Duration::from_secs(15), "no metrics served");
        std::thread::sleep(Duration::from_millis(200));
    };
    let (head, body) = http_get(&addr, "/healthz").unwrap();
    let (missing, _) = http_get(&addr, "/nope").unwrap();
    let (code, _) = terminate(&mut child);
    assert_eq!(code, 0);
    assert!(parse_exposition(&metrics)["seatwarden_licenses_consumed"] > 0.0);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "ok\n");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
}
