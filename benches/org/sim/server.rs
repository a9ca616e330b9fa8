//! A small HTTP/1.1 server on loopback for the simulated vendors, with transient faults.
//!
//! One tokio task per connection, keep-alive, `Content-Length` bodies both ways (what reqwest
//! sends and reads). A server may inject faults on a request's first attempt only — 429 with
//! `Retry-After`, GitHub's 403 secondary rate limit, 502 / 503, a connection closed without an
//! answer, a body cut short, a slow answer — so a client that retries always wins. It never
//! decides what to answer: the vendor handler does.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How long a slow page takes.
const SLOW: Duration = Duration::from_millis(1500);
const MAX_HEADER_BYTES: usize = 64 * 1024;

pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn query_usize(&self, key: &str, default: usize) -> usize {
        self.query(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        Response::text(status, "application/json; charset=utf-8", body.to_string())
    }

    pub fn text(status: u16, content_type: &str, body: String) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into_bytes(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// A vendor's API: answers one request. `base` is the server's own `http://127.0.0.1:PORT`.
pub trait Vendor: Send + Sync + 'static {
    fn handle(&self, req: &Request, base: &str) -> Response;
}

/// A transient fault, injected on a request's first attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// 429 with `Retry-After: 1`.
    TooManyRequests,
    /// GitHub's secondary rate limit: 403 with `Retry-After: 1`.
    SecondaryRateLimit,
    BadGateway,
    /// 503 with `Retry-After: 1`.
    Unavailable,
    /// The connection closes without an answer.
    Reset,
    /// The body stops halfway and the connection closes.
    Truncated,
    /// The right answer, after a pause.
    Slow,
}

impl Fault {
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::TooManyRequests => "429",
            Fault::SecondaryRateLimit => "403 rate limit",
            Fault::BadGateway => "502",
            Fault::Unavailable => "503",
            Fault::Reset => "reset",
            Fault::Truncated => "truncated",
            Fault::Slow => "slow",
        }
    }
}

/// Which faults a server injects and how often.
pub struct FaultPlan {
    pub rate: f64,
    pub kinds: &'static [Fault],
    pub seed: u64,
}

struct Faults {
    plan: FaultPlan,
    state: Mutex<(StdRng, HashSet<u64>)>,
}

impl Faults {
    /// A fault for this request when it is its first attempt and the dice say so; the second
    /// distinct request always gets one, so even a small organisation meets every server's faults.
    fn draw(&self, req: &Request) -> Option<Fault> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (&req.method, &req.path, &req.query, &req.body).hash(&mut hasher);
        let key = hasher.finish();
        let mut state = self.state.lock().ok()?;
        let (rng, seen) = &mut *state;
        if !seen.insert(key) {
            return None;
        }
        if seen.len() != 2 && !rng.random_bool(self.plan.rate) {
            return None;
        }
        self.plan.kinds.choose(rng).copied()
    }
}

/// Requests served and faults injected.
#[derive(Default)]
pub struct Stats {
    pub requests: AtomicUsize,
    pub faults: Mutex<Vec<Fault>>,
}

pub struct Server {
    pub base: String,
    pub stats: Arc<Stats>,
}

struct Shared {
    vendor: Arc<dyn Vendor>,
    faults: Option<Faults>,
    stats: Arc<Stats>,
    base: String,
}

/// Starts a server for `vendor` on a free loopback port.
pub async fn start(vendor: Arc<dyn Vendor>, faults: Option<FaultPlan>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    let stats = Arc::new(Stats::default());
    let shared = Arc::new(Shared {
        vendor,
        faults: faults.map(|plan| Faults {
            state: Mutex::new((StdRng::seed_from_u64(plan.seed), HashSet::new())),
            plan,
        }),
        stats: stats.clone(),
        base: base.clone(),
    });
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(connection(stream, shared.clone()));
        }
    });
    Server { base, stats }
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    while let Some(req) = read_request(&mut reader).await {
        shared.stats.requests.fetch_add(1, Ordering::Relaxed);
        let fault = shared.faults.as_ref().and_then(|f| f.draw(&req));
        if let Some(f) = fault
            && let Ok(mut list) = shared.stats.faults.lock()
        {
            list.push(f);
        }
        let resp = match fault {
            Some(Fault::Reset) => return,
            Some(Fault::Slow) => {
                tokio::time::sleep(SLOW).await;
                shared.vendor.handle(&req, &shared.base)
            }
            Some(
                f @ (Fault::TooManyRequests
                | Fault::SecondaryRateLimit
                | Fault::BadGateway
                | Fault::Unavailable),
            ) => fault_response(f),
            Some(Fault::Truncated) => {
                let resp = shared.vendor.handle(&req, &shared.base);
                let head = head(&resp, resp.body.len());
                let half = &resp.body[..resp.body.len() / 2];
                let _ = write.write_all(head.as_bytes()).await;
                let _ = write.write_all(half).await;
                return;
            }
            None => shared.vendor.handle(&req, &shared.base),
        };
        let head = head(&resp, resp.body.len());
        if write.write_all(head.as_bytes()).await.is_err()
            || write.write_all(&resp.body).await.is_err()
        {
            return;
        }
    }
}

fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::TooManyRequests => Response::json(429, &serde_json::json!({"message": "Too Many Requests"}))
            .with_header("retry-after", "1"),
        Fault::SecondaryRateLimit => Response::json(
            403,
            &serde_json::json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}),
        )
        .with_header("retry-after", "1"),
        Fault::Unavailable => Response::text(503, "text/html", "<html><body><h1>503 Service Unavailable</h1></body></html>".into())
            .with_header("retry-after", "1"),
        _ => Response::text(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>".into()),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

fn head(resp: &Response, len: usize) -> String {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {len}\r\nconnection: keep-alive\r\n\r\n"
    ));
    head
}

/// One request off the connection; None when it closes or speaks something else.
async fn read_request(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    let mut total = line.len();
    loop {
        let mut h = String::new();
        let n = reader.read_line(&mut h).await.ok()?;
        total += n;
        if n == 0 || total > MAX_HEADER_BYTES {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (percent_decode(p), q.to_string()),
        None => (percent_decode(&target), String::new()),
    };
    let query = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    Some(Request {
        method,
        path,
        query,
        headers,
        body,
    })
}

/// `%XX` escapes of a path decoded (as UTF-8, lossily).
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `d` days before today's midnight (UTC) plus a fixed time of day, so a seed serves the same
/// instants all day long.
pub fn days_ago(d: u32) -> chrono::DateTime<chrono::Utc> {
    let midnight = chrono::Utc::now()
        .date_naive()
        .and_hms_opt(9, 30, 0)
        .expect("a valid time")
        .and_utc();
    midnight - chrono::Duration::days(i64::from(d))
}

/// RFC 3339 with milliseconds, as Okta, Graph and GitLab write times.
pub fn stamp(d: u32) -> String {
    days_ago(d).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// RFC 3339 in whole seconds, as GitHub writes times.
pub fn stamp_secs(d: u32) -> String {
    days_ago(d).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One page of `items`: the slice and whether more follow.
pub fn page<T>(items: &[T], start: usize, size: usize) -> (&[T], bool) {
    let start = start.min(items.len());
    let end = (start + size).min(items.len());
    (&items[start..end], end < items.len())
}

/// A request with the wrong credentials gets the vendor's 401.
pub fn unauthorized(body: serde_json::Value) -> Response {
    Response::json(401, &body)
}

/// A fault plan's seed for one vendor: the run's seed mixed with the vendor's name.
pub fn fault_seed(base: u64, vendor: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    vendor.hash(&mut hasher);
    base ^ hasher.finish()
}
