//! One loopback HTTP server that can answer every hostile case of issue 15: truncated JSON, a
//! body that is not JSON, a wrong content type (a login page), a server slower than the timeout, a
//! reset mid-body, a body cut short, endless paging (distinct and repeated next links, GraphQL
//! cursors, GitLab pages, JSON `next`, Jira pages that ignore `startAt`), oversize and gzip-bomb
//! bodies, 401 / 403 / 404 with vendor error bodies, absurd rate-limit headers and token
//! lifetimes, and bodies that echo the request. Raw HTTP/1.1 over tokio, so it can misbehave in
//! ways a well-behaved mock server cannot.
//!
//! Every case speaks one vendor's shape (see [`Case::kind`]); a well-behaved answer is two users,
//! alice and bob. Request loops are bounded by the client under test; the server stops with the
//! test's runtime.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A hostile behaviour, and the vendor shape it is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Okta, well behaved.
    Fine,
    /// A complete HTTP answer whose JSON stops halfway.
    TruncatedJson,
    /// `application/json` that is not JSON.
    NotJson,
    /// A 200 `text/html` login page where JSON was expected.
    WrongContentType,
    /// The first answer comes after the read timeout, the retry in time.
    SlowOnce,
    /// Every answer comes after the read timeout.
    SlowAlways,
    /// The first body is cut short (Content-Length promises more) and the connection closed.
    CutShortOnce,
    /// The first body is reset (TCP RST) halfway.
    ResetOnce,
    /// Every body is reset halfway.
    ResetAlways,
    /// Okta `Link` next with a new `?after=N` every time.
    EndlessLinks,
    /// Okta `Link` next pointing at the page just served.
    RepeatedLink,
    /// GitHub GraphQL: `hasNextPage` with a new `endCursor` every time.
    EndlessCursors,
    /// GitHub GraphQL: `hasNextPage` with the same `endCursor`.
    RepeatedCursor,
    /// GitLab: `X-Next-Page` one higher every time.
    EndlessNextPage,
    /// A `json` source whose `next` names the page itself.
    RepeatedJsonNext,
    /// Jira: the same page whatever `startAt` says.
    JiraIgnoresStartAt,
    /// A 1 GiB body (streamed, never held by the server).
    Oversize,
    /// A ~1 MB gzip body that inflates to 1 GiB.
    GzipBomb,
    /// 401 with Okta's error body.
    Unauthorized,
    /// 403 with Okta's error body.
    Forbidden,
    /// 404 with Okta's error body.
    NotFound,
    /// 429 with `Retry-After: 1e300`.
    AbsurdRetryAfter,
    /// 200 with `X-Rate-Limit-Remaining: 0` and `X-Rate-Limit-Reset: 1e300`.
    AbsurdRateLimitReset,
    /// Microsoft Graph: the token's `expires_in` is `u64::MAX`.
    AbsurdExpiresIn,
    /// 401 whose body echoes the request (headers and body).
    EchoUnauthorized,
}

/// The source kind each case is served as.
impl Case {
    pub fn kind(self) -> &'static str {
        match self {
            Case::EndlessCursors | Case::RepeatedCursor => "github",
            Case::EndlessNextPage => "gitlab",
            Case::RepeatedJsonNext => "json",
            Case::JiraIgnoresStartAt => "jira",
            Case::AbsurdExpiresIn => "msgraph",
            _ => "okta",
        }
    }
}

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    fn query(&self, key: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    /// The request as text: what an echoing server sends back.
    pub fn echo(&self) -> String {
        let mut s = format!("{} {}\n", self.method, self.target);
        for (k, v) in &self.headers {
            s.push_str(&format!("{k}: {v}\n"));
        }
        s.push_str(&String::from_utf8_lossy(&self.body));
        s
    }
}

/// What the server does with one request.
pub enum Reply {
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Half the body, then the connection closes (FIN) or is reset (RST).
    Broken {
        body: Vec<u8>,
        reset: bool,
    },
    /// `len` bytes of filler, streamed without a Content-Length (the body ends when the
    /// connection closes), so only reading it shows how large it is.
    Stream {
        len: u64,
    },
    Slow(Duration, Box<Reply>),
}

impl Reply {
    pub fn json(status: u16, body: &serde_json::Value) -> Reply {
        Reply::text(status, "application/json", body.to_string())
    }

    pub fn text(status: u16, content_type: &str, body: String) -> Reply {
        Reply::Full {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into_bytes(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Full { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

/// How long a slow case waits: past the 1 s read timeout the hostile tests configure.
pub const SLOW: Duration = Duration::from_millis(2_500);
/// 1 GiB.
pub const GIB: u64 = 1 << 30;

/// A running hostile server.
pub struct Hostile {
    pub base: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Hostile {
    /// Starts a server answering `case` on a free loopback port.
    pub async fn start(case: Case) -> Hostile {
        if case == Case::GzipBomb {
            // Made before the server answers, so making it is not taken for a slow server.
            let _ = tokio::task::spawn_blocking(gzip_bomb).await;
        }
        Hostile::start_with(Arc::new(move |req: &Seen, nth: usize, base: &str| {
            case_reply(case, req, nth, base)
        }))
        .await
    }

    /// Starts a server answering with `handler(request, how often this target was asked before,
    /// base URL)`.
    pub async fn start_with(handler: Handler) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(State {
            handler,
            base: base.clone(),
            seen: seen.clone(),
            counts: Mutex::new(HashMap::new()),
        });
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, state.clone()));
            }
        });
        Hostile { base, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

pub type Handler = Arc<dyn Fn(&Seen, usize, &str) -> Reply + Send + Sync>;

struct State {
    handler: Handler,
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    counts: Mutex<HashMap<String, usize>>,
}

async fn serve(stream: TcpStream, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    while let Some(req) = read_request(&mut reader).await {
        let nth = {
            let mut counts = state.counts.lock().expect("counts");
            let n = counts
                .entry(format!("{} {}", req.method, req.target))
                .or_insert(0);
            *n += 1;
            *n - 1
        };
        if let Ok(mut seen) = state.seen.lock() {
            seen.push(req.clone());
        }
        let mut reply = (state.handler)(&req, nth, &state.base);
        while let Reply::Slow(delay, then) = reply {
            tokio::time::sleep(delay).await;
            reply = *then;
        }
        let keep_going = match reply {
            Reply::Full {
                status,
                headers,
                body,
            } => {
                let head = head(status, &headers, body.len() as u64);
                write.write_all(head.as_bytes()).await.is_ok()
                    && write.write_all(&body).await.is_ok()
            }
            Reply::Broken { body, reset } => {
                let head = head(
                    200,
                    &[("content-type".into(), "application/json".into())],
                    body.len() as u64,
                );
                let _ = write.write_all(head.as_bytes()).await;
                let _ = write.write_all(&body[..body.len() / 2]).await;
                let _ = write.flush().await;
                if reset {
                    // Closing with linger 0 sends RST instead of FIN.
                    if let Ok(stream) = reader.into_inner().reunite(write) {
                        #[allow(deprecated)]
                        let _ = stream.set_linger(Some(Duration::ZERO));
                    }
                }
                return;
            }
            Reply::Stream { len } => stream_filler(&mut write, len).await,
            Reply::Slow(..) => false,
        };
        if !keep_going {
            return;
        }
    }
}

async fn stream_filler(write: &mut tokio::net::tcp::OwnedWriteHalf, len: u64) -> bool {
    let head =
        "HTTP/1.1 200 Hostile\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
    if write.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    let chunk = vec![b' '; 1 << 16];
    let mut sent = 0u64;
    while sent < len {
        let n = (len - sent).min(chunk.len() as u64) as usize;
        if write.write_all(&chunk[..n]).await.is_err() {
            return false;
        }
        sent += n as u64;
    }
    // Close-delimited: the connection ends the body.
    false
}

fn head(status: u16, headers: &[(String, String)], len: u64) -> String {
    let mut head = format!("HTTP/1.1 {status} Hostile\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("content-length: {len}\r\n\r\n"));
    head
}

async fn read_request(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await.ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}

/// The two people every well-behaved answer holds.
pub const PEOPLE: [(&str, &str, &str); 2] = [
    ("u1", "Alice Archer", "alice@acme.example"),
    ("u2", "Bob Baker", "bob@acme.example"),
];

fn okta_users() -> serde_json::Value {
    let users: Vec<serde_json::Value> = PEOPLE
        .iter()
        .map(|(id, name, email)| {
            let (first, last) = name.split_once(' ').unwrap_or((name, ""));
            serde_json::json!({"id": id, "status": "ACTIVE", "created": "2020-01-01T00:00:00.000Z",
                "profile": {"login": email, "email": email, "firstName": first, "lastName": last}})
        })
        .collect();
    serde_json::Value::Array(users)
}

/// A well-behaved Okta answer: the two people on the plain list, nobody deprovisioned.
fn okta_fine(req: &Seen) -> Reply {
    if req.query("filter").is_some() {
        return Reply::json(200, &serde_json::json!([]));
    }
    Reply::json(200, &okta_users())
}

fn okta_error(status: u16, code: &str, summary: &str) -> Reply {
    Reply::json(
        status,
        &serde_json::json!({"errorCode": code, "errorSummary": summary, "errorLink": code,
                            "errorId": "oae1", "errorCauses": []}),
    )
}

fn gql_page(cursor: &str) -> Reply {
    Reply::json(
        200,
        &serde_json::json!({"data": {"organization": {
            "membersWithRole": {"nodes": [{"databaseId": 1, "login": "alice", "name": "Alice Archer"}],
                                "pageInfo": {"hasNextPage": true, "endCursor": cursor}},
            "samlIdentityProvider": null}}}),
    )
}

/// The ~1 MB gzip of 1 GiB of spaces, made once per test process.
pub fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..(GIB >> 20) {
            gz.write_all(&chunk).expect("compress");
        }
        gz.finish().expect("compress")
    })
}

/// What `case` answers to `req`, the `nth` time this target was asked.
fn case_reply(case: Case, req: &Seen, nth: usize, base: &str) -> Reply {
    let fine = okta_fine(req);
    let users_json = okta_users().to_string().into_bytes();
    match case {
        Case::Fine => fine,
        Case::TruncatedJson => {
            let text = okta_users().to_string();
            Reply::text(200, "application/json", text[..text.len() / 2].to_string())
        }
        Case::NotJson => Reply::text(200, "application/json", "\u{0}\u{1}garbage}".into()),
        Case::WrongContentType => Reply::text(
            200,
            "text/html",
            "<!DOCTYPE html><html><body><form action=\"/login\">Sign in</form></body></html>"
                .into(),
        ),
        Case::SlowOnce if nth == 0 => Reply::Slow(SLOW, Box::new(fine)),
        Case::SlowAlways => Reply::Slow(SLOW, Box::new(fine)),
        Case::CutShortOnce if nth == 0 => Reply::Broken {
            body: users_json,
            reset: false,
        },
        Case::ResetOnce if nth == 0 => Reply::Broken {
            body: users_json,
            reset: true,
        },
        Case::ResetAlways => Reply::Broken {
            body: users_json,
            reset: true,
        },
        Case::SlowOnce | Case::CutShortOnce | Case::ResetOnce => fine,
        Case::EndlessLinks => {
            let after: u64 = req.query("after").and_then(|a| a.parse().ok()).unwrap_or(0);
            let link = format!(
                "<{base}/api/v1/users?limit=200&after={}>; rel=\"next\"",
                after + 1
            );
            fine.with_header("link", &link)
        }
        Case::RepeatedLink => {
            let link = format!("<{base}/api/v1/users?limit=200&after=same>; rel=\"next\"");
            fine.with_header("link", &link)
        }
        Case::EndlessCursors => gql_page(&format!("cursor-{nth}")),
        Case::RepeatedCursor => gql_page("the-same-cursor"),
        Case::EndlessNextPage => {
            let page: u64 = req.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            Reply::json(200, &serde_json::json!([{"id": page, "username": format!("u{page}"), "state": "active"}]))
                .with_header("x-next-page", &(page + 1).to_string())
        }
        Case::RepeatedJsonNext => Reply::json(
            200,
            &serde_json::json!({"people": [{"id": "u1", "email": "alice@acme.example"}], "next": "/people.json"}),
        ),
        Case::JiraIgnoresStartAt => Reply::json(
            200,
            &serde_json::json!([{"accountId": "a1", "accountType": "atlassian", "displayName": "Alice Archer", "active": true}]),
        ),
        Case::Oversize => Reply::Stream { len: GIB },
        Case::GzipBomb => Reply::Full {
            status: 200,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("content-encoding".into(), "gzip".into()),
            ],
            body: gzip_bomb().to_vec(),
        },
        Case::Unauthorized => okta_error(401, "E0000011", "Invalid token provided"),
        Case::Forbidden => okta_error(
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
        ),
        Case::NotFound => okta_error(
            404,
            "E0000007",
            "Not found: Resource not found: users (User)",
        ),
        Case::AbsurdRetryAfter => okta_error(
            429,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        )
        .with_header("retry-after", "1e300"),
        Case::AbsurdRateLimitReset => fine
            .with_header("x-rate-limit-limit", "600")
            .with_header("x-rate-limit-remaining", "0")
            .with_header("x-rate-limit-reset", "1e300"),
        Case::AbsurdExpiresIn => graph_reply(req),
        Case::EchoUnauthorized => Reply::text(401, "text/plain", req.echo()),
    }
}

/// Microsoft Graph with a token endpoint whose lifetimes are absurd.
fn graph_reply(req: &Seen) -> Reply {
    if req.path().ends_with("/oauth2/v2.0/token") {
        return Reply::json(
            200,
            &serde_json::json!({"token_type": "Bearer", "expires_in": u64::MAX, "ext_expires_in": 1e300,
                                "access_token": "graph-access-token-hostile"}),
        );
    }
    let users: Vec<serde_json::Value> = PEOPLE
        .iter()
        .map(|(id, name, email)| serde_json::json!({"id": id, "displayName": name, "mail": email, "accountEnabled": true}))
        .collect();
    Reply::json(200, &serde_json::json!({"value": users}))
}
