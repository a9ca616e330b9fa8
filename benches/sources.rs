//! Sources benchmark: a loopback GitHub with 10,000 organisation members, served by a tiny
//! in-process HTTP/1.1 server that counts requests, 304s and requests in flight.
//!
//! Checks and prints: REST mode stays within `http.concurrency = 10` requests in flight; a second
//! REST run against unchanged data is answered by 304s; GraphQL mode needs at most 101 requests.
//! Run with `cargo bench --bench sources`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use seatwarden::sources::{HttpCache, MemoryHttpCache, Secrets, SourceContext, build};
use seatwarden::sources::{Location, SourceConfig, VendorConfig, github};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const MEMBERS: usize = 10_000;
const PAGE: usize = 100;
const CONCURRENCY: usize = 10;

#[derive(Default)]
struct Counters {
    requests: AtomicUsize,
    not_modified: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Counters {
    fn reset(&self) {
        for c in [
            &self.requests,
            &self.not_modified,
            &self.in_flight,
            &self.max_in_flight,
        ] {
            c.store(0, Ordering::SeqCst);
        }
    }
}

struct Reply {
    status: u16,
    etag: Option<String>,
    link: Option<String>,
    body: String,
}

fn query_value<'a>(target: &'a str, key: &str) -> Option<&'a str> {
    let q = target.split_once('?')?.1;
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

fn route(
    base: &str,
    method: &str,
    target: &str,
    if_none_match: Option<&str>,
    body: &[u8],
) -> Reply {
    let path = target.split('?').next().unwrap_or("");
    let ok = |etag: String, link: Option<String>, body: String| {
        if if_none_match == Some(etag.as_str()) {
            Reply {
                status: 304,
                etag: Some(etag),
                link: None,
                body: String::new(),
            }
        } else {
            Reply {
                status: 200,
                etag: Some(etag),
                link,
                body,
            }
        }
    };
    if method == "GET" && path == "/orgs/acme/members" {
        let page: usize = query_value(target, "page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let start = (page - 1) * PAGE;
        let members: Vec<Value> = (start..(start + PAGE).min(MEMBERS))
            .map(|i| json!({"login": format!("dev{i}"), "id": i + 1, "type": "User"}))
            .collect();
        let link = (start + PAGE < MEMBERS).then(|| {
            format!(
                "<{base}/orgs/acme/members?per_page=100&page={}>; rel=\"next\"",
                page + 1
            )
        });
        return ok(
            format!("\"m{page}\""),
            link,
            Value::Array(members).to_string(),
        );
    }
    if method == "GET"
        && let Some(login) = path.strip_prefix("/users/")
    {
        let i: usize = login.trim_start_matches("dev").parse().unwrap_or(0);
        let user = json!({"login": login, "id": i + 1, "type": "User", "name": format!("Developer {i}"),
                          "email": format!("dev{i}@acme.example"), "created_at": "2020-01-01T00:00:00Z"});
        return ok(format!("\"u{i}\""), None, user.to_string());
    }
    if method == "POST" && path == "/graphql" {
        let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let vars = &req["variables"];
        let cursor = |name: &str| {
            vars[name]
                .as_str()
                .and_then(|c| c.parse::<usize>().ok())
                .unwrap_or(0)
        };
        let pages = MEMBERS / PAGE;
        let mut org = json!({});
        if vars["withMembers"].as_bool() == Some(true) {
            let page = cursor("members");
            let nodes: Vec<Value> = (page * PAGE..(page + 1) * PAGE)
                .map(|i| json!({"databaseId": i + 1, "login": format!("dev{i}"), "name": format!("Developer {i}"), "email": "", "createdAt": "2020-01-01T00:00:00Z"}))
                .collect();
            org["membersWithRole"] = json!({"nodes": nodes, "pageInfo": {"hasNextPage": page + 1 < pages, "endCursor": (page + 1).to_string()}});
        }
        if vars["withIds"].as_bool() == Some(true) {
            let page = cursor("ids");
            let nodes: Vec<Value> = (page * PAGE..(page + 1) * PAGE)
                .map(|i| json!({"samlIdentity": {"nameId": format!("developer.{i}@corp.example")}, "user": {"login": format!("dev{i}")}}))
                .collect();
            org["samlIdentityProvider"] = json!({"externalIdentities": {"nodes": nodes, "pageInfo": {"hasNextPage": page + 1 < pages, "endCursor": (page + 1).to_string()}}});
        }
        return Reply {
            status: 200,
            etag: None,
            link: None,
            body: json!({"data": {"organization": org}}).to_string(),
        };
    }
    Reply {
        status: 404,
        etag: None,
        link: None,
        body: "{\"message\":\"Not Found\"}".into(),
    }
}

async fn serve(listener: TcpListener, counters: Arc<Counters>) {
    let base = format!("http://{}", listener.local_addr().expect("bound"));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let counters = counters.clone();
        let base = base.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let mut parts = line.split_whitespace();
                let (method, target) = (
                    parts.next().unwrap_or("").to_string(),
                    parts.next().unwrap_or("").to_string(),
                );
                let (mut length, mut if_none_match) = (0usize, None);
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        match k.trim().to_ascii_lowercase().as_str() {
                            "content-length" => length = v.trim().parse().unwrap_or(0),
                            "if-none-match" => if_none_match = Some(v.trim().to_string()),
                            _ => {}
                        }
                    }
                }
                let mut body = vec![0; length];
                if r.read_exact(&mut body).await.is_err() {
                    return;
                }
                counters.requests.fetch_add(1, Ordering::SeqCst);
                let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
                // A little server time, so concurrent requests overlap and are visible.
                tokio::time::sleep(Duration::from_millis(1)).await;
                let reply = route(&base, &method, &target, if_none_match.as_deref(), &body);
                counters.in_flight.fetch_sub(1, Ordering::SeqCst);
                if reply.status == 304 {
                    counters.not_modified.fetch_add(1, Ordering::SeqCst);
                }
                let reason = match reply.status {
                    200 => "OK",
                    304 => "Not Modified",
                    _ => "Not Found",
                };
                let mut head = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
                if let Some(e) = &reply.etag {
                    head.push_str(&format!("ETag: {e}\r\n"));
                }
                if let Some(l) = &reply.link {
                    head.push_str(&format!("Link: {l}\r\n"));
                }
                if reply.status != 304 {
                    head.push_str(&format!(
                        "Content-Type: application/json\r\nContent-Length: {}\r\n",
                        reply.body.len()
                    ));
                }
                head.push_str("\r\n");
                let mut out = head.into_bytes();
                out.extend_from_slice(reply.body.as_bytes());
                if w.write_all(&out).await.is_err() {
                    return;
                }
            }
        });
    }
}

fn github_cfg(base: &str, graphql: bool) -> SourceConfig {
    let url = url::Url::parse(base).expect("loopback URL");
    let vendor = VendorConfig::Github(github::Config {
        org: "acme".into(),
        copilot: false,
        graphql,
    });
    let mut cfg = SourceConfig::new("github", vendor, Location::Http(url));
    cfg.token_env = Some("GITHUB_TOKEN".into());
    cfg.http.concurrency = CONCURRENCY;
    cfg
}

struct Run {
    records: usize,
    requests: usize,
    not_modified: usize,
    max_in_flight: usize,
    wall: Duration,
}

async fn run(base: &str, graphql: bool, cache: Arc<dyn HttpCache>, counters: &Counters) -> Run {
    counters.reset();
    let ctx = SourceContext {
        secrets: Secrets::from_pairs([("GITHUB_TOKEN", "ghp_bench")]),
        cache: Some(cache),
        now: None,
    };
    let source = build(&github_cfg(base, graphql), &ctx).expect("github source");
    let t = Instant::now();
    let out = source.fetch().await.expect("fetch");
    Run {
        records: out.identities.len(),
        requests: counters.requests.load(Ordering::SeqCst),
        not_modified: counters.not_modified.load(Ordering::SeqCst),
        max_in_flight: counters.max_in_flight.load(Ordering::SeqCst),
        wall: t.elapsed(),
    }
}

fn print(label: &str, r: &Run) {
    println!(
        "{label:<28} records {:>6}  requests {:>6}  304s {:>6}  max in flight {:>3}  wall {:>8.1} ms",
        r.records,
        r.requests,
        r.not_modified,
        r.max_in_flight,
        r.wall.as_secs_f64() * 1000.0
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let counters = Arc::new(Counters::default());
        tokio::spawn(serve(listener, counters.clone()));

        println!("loopback GitHub with {MEMBERS} members, http.concurrency = {CONCURRENCY}");
        let cache: Arc<dyn HttpCache> = Arc::new(MemoryHttpCache::default());
        let cold = run(&base, false, cache.clone(), &counters).await;
        print("REST, cold cache", &cold);
        let warm = run(&base, false, cache, &counters).await;
        print("REST, unchanged data (ETag)", &warm);
        let gql = run(&base, true, Arc::new(MemoryHttpCache::default()), &counters).await;
        print("GraphQL", &gql);

        let mut failures = Vec::new();
        if cold.records != MEMBERS || warm.records != MEMBERS || gql.records != MEMBERS {
            failures.push("record count".to_string());
        }
        if cold.max_in_flight > CONCURRENCY || warm.max_in_flight > CONCURRENCY {
            failures.push(format!("more than {CONCURRENCY} requests in flight"));
        }
        if warm.not_modified != warm.requests {
            failures.push(format!(
                "{} of {} warm requests were not 304",
                warm.requests - warm.not_modified,
                warm.requests
            ));
        }
        if gql.requests > 101 {
            failures.push(format!("GraphQL used {} requests (> 101)", gql.requests));
        }
        if failures.is_empty() {
            println!("all checks passed");
        } else {
            eprintln!("FAILED: {}", failures.join("; "));
            std::process::exit(1);
        }
    });
}
