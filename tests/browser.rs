//! The weekly report's HTML in a real browser: Debian's `chromium`, headless, renders the demo's
//! `report --html` page; the chart image decodes at its size and the page makes no network request
//! (Chromium is pointed at a loopback proxy that counts what reaches it; a page with an external
//! image shows the count works). Skipped with one line when Chromium is absent, unless
//! `SEATWARDEN_REQUIRE_CHROMIUM=1` (set by `.ci/run`) makes it required.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::*;

/// A test-only script appended to a copy of the page: after `load`, it writes each image's state
/// into the DOM, which `--dump-dom` prints. The email itself has no script.
const PROBE: &str = "<script>window.addEventListener('load', function () { var out = []; \
    for (var i = 0; i < document.images.length; i++) { var im = document.images[i]; \
    out.push(im.complete + ':' + im.naturalWidth + 'x' + im.naturalHeight); } \
    var p = document.createElement('pre'); p.id = 'probe'; p.textContent = 'images ' + out.join(' '); \
    document.body.appendChild(p); });</script>";

/// Chromium's own services (clock, component updates, sign-in), which it calls whatever the page
/// holds; anything else that reaches the proxy came from the page.
const CHROMIUM_OWN: [&str; 6] = [
    "clients2.google.com",
    "update.googleapis.com",
    "accounts.google.com",
    "optimizationguide-pa.googleapis.com",
    "safebrowsing.googleapis.com",
    "redirector.gvt1.com",
];

fn from_the_page(requests: &[String]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| !CHROMIUM_OWN.iter().any(|h| r.contains(h)))
        .cloned()
        .collect()
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// A loopback "proxy" that answers 502 to everything and keeps each request's first line.
struct Proxy {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopped) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let Ok((mut socket, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let _ = socket.set_nonblocking(false);
                let _ = socket.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 2048];
                let n = socket.read(&mut buf).unwrap_or(0);
                let first = String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                seen.lock().expect("lock").push(first);
                let _ = socket.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
            }
        });
        Proxy {
            port,
            requests,
            stop,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Chromium's DOM of `page` after load, every request sent to `proxy`.
fn dump_dom(bin: &Path, page: &Path, proxy: &Proxy, profile: &Path) -> String {
    let out = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--metrics-recording-only",
            "--no-pings",
            "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--proxy-server=http://127.0.0.1:{}", proxy.port))
        // Loopback too goes through the proxy: nothing may bypass it.
        .arg("--proxy-bypass-list=<-loopback>")
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_report_renders_in_chromium_with_its_chart_and_no_network_request() {
    let Some(bin) = chromium() else {
        if std::env::var("SEATWARDEN_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1") {
            panic!(
                "SEATWARDEN_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get install chromium)"
            );
        }
        eprintln!("skipped: Chromium is not installed (apt-get install chromium to run this test)");
        return;
    };
    let s = Scratch::new();
    let dir = s.path("demo");
    s.run(&["demo", "--dir", dir.to_str().unwrap(), "-q"])
        .expect_code(0);
    let html_path = s.path("report.html");
    let config = dir.join("demo.toml");
    s.run(&[
        "--config",
        config.to_str().unwrap(),
        "report",
        "--html",
        html_path.to_str().unwrap(),
    ])
    .expect_code(0);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        !html.to_lowercase().contains("<script"),
        "the report itself has a script"
    );

    let probe = s.write(
        "probe.html",
        &html.replace("</body>", &format!("{PROBE}</body>")),
    );
    let proxy = Proxy::start();
    let dom = dump_dom(&bin, &probe, &proxy, &s.path("profile"));
    assert!(
        dom.contains("images true:1104x600"),
        "the chart did not decode:\n{dom}"
    );
    assert!(dom.contains("34 of 28 licenses used"), "{dom}");
    assert_eq!(
        from_the_page(&proxy.requests()),
        Vec::<String>::new(),
        "the page made network requests"
    );

    // The counter counts: an external image in the same setup reaches the proxy.
    let leaky = s.write(
        "leaky.html",
        &html.replace(
            "</body>",
            "<img src=\"http://127.0.0.2:8099/leak.png\"></body>",
        ),
    );
    dump_dom(&bin, &leaky, &proxy, &s.path("profile2"));
    assert!(
        proxy
            .requests()
            .iter()
            .any(|r| r.contains("127.0.0.2:8099/leak.png")),
        "the proxy saw {:?}",
        proxy.requests()
    );
}
