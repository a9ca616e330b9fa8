//! Vendors benchmark (issue 3): the release binary reconciles a generated organisation of N people
//! (default 2,000) across five sources served over loopback — Okta, GitHub (GraphQL members + SAML
//! identities, Copilot seats), GitLab, Jira and Harness (license + SEI table) — each paging at the
//! vendor's maximum page size. Targets: under 10 s wall time, and the number of requests each server
//! received within 10% of the paging minimum.
//!
//! Paging minimum per source (N records, P the vendor's maximum page size):
//! - okta:    ceil(active / 200) + ceil(deprovisioned / 200), each at least 1 (the plain list and
//!   the `filter=status eq "DEPROVISIONED"` list are two listings);
//! - github:  max(ceil(members / 100), ceil(saml identities / 100)) GraphQL calls (both connections
//!   page in the same request) + ceil(copilot seats / 100) (at least 1);
//! - gitlab:  ceil(N / 100) (the last page says `X-Next-Page: ""`, no extra call);
//! - jira:    ceil(N / 1000) + 1 (the protocol ends on an empty page);
//! - harness: 2 (the license and the SEI table, one call each).
//!
//! GitHub REST mode is reported separately: it needs one `GET /users/{login}` per member by design,
//! so its minimum is ceil(N / 100) + N (+ the Copilot pages).
//!
//! Run: `cargo bench --bench vendors` (SEATWARDEN_BENCH_PEOPLE=N to change the size;
//! SEATWARDEN_BENCH_JSON=FILE keeps the report, and the GitHub REST run's next to it as FILE.rest.json).

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const OKTA_MAX: usize = 200;
const GITHUB_MAX: usize = 100;
const GITLAB_MAX: usize = 100;
const JIRA_MAX: usize = 1000;

/// The generated organisation: person `i` is `p{i}@acme.example` everywhere.
#[derive(Clone, Copy)]
struct Org {
    people: usize,
}

impl Org {
    fn deprovisioned(self, i: usize) -> bool {
        i % 50 == 7
    }
    fn has_seat(self, i: usize) -> bool {
        i.is_multiple_of(2)
    }
    fn active(self) -> usize {
        (0..self.people).filter(|&i| !self.deprovisioned(i)).count()
    }
    fn seats(self) -> usize {
        (0..self.people).filter(|&i| self.has_seat(i)).count()
    }
}

fn name(i: usize) -> String {
    const FIRST: [&str; 12] = [
        "Ada", "Bob", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
        "Kofi", "Lena",
    ];
    const LAST: [&str; 10] = [
        "Silva", "Novak", "Okafor", "Tanaka", "Garcia", "Muller", "Rossi", "Kim", "Haddad", "Berg",
    ];
    format!(
        "{} {} {i}",
        FIRST[i % FIRST.len()],
        LAST[(i / FIRST.len()) % LAST.len()]
    )
}

/// `d` days before today's midnight (UTC), so two runs on one day serve the same dates and their
/// reports compare byte for byte (`SEATWARDEN_BENCH_JSON`).
fn days_ago(d: usize) -> chrono::DateTime<chrono::Utc> {
    let midnight = chrono::Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    midnight - chrono::Duration::days(d as i64)
}

fn query(req: &Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn query_usize(req: &Request, key: &str, default: usize) -> usize {
    query(req, key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn with_query(base: &str, path: &str, pairs: &[(&str, String)]) -> String {
    let mut url = url::Url::parse(&format!("{base}{path}")).expect("url");
    url.query_pairs_mut()
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    url.to_string()
}

/// One slice of `items`, the page asked for.
fn slice<T: Clone>(items: &[T], start: usize, size: usize) -> (Vec<T>, bool) {
    let start = start.min(items.len());
    let end = (start + size).min(items.len());
    (items[start..end].to_vec(), end < items.len())
}

async fn okta(org: Org) -> MockServer {
    let server = MockServer::start().await;
    let base = server.uri();
    let user = move |i: usize| {
        json!({"id": format!("00u{i}"), "status": if org.deprovisioned(i) { "DEPROVISIONED" } else { "ACTIVE" },
               "created": "2019-03-01T10:00:00.000Z", "lastLogin": "2026-01-01T00:00:00.000Z",
               "profile": {"login": format!("p{i}@acme.example"), "email": format!("p{i}@acme.example"),
                           "firstName": name(i), "lastName": "", "title": "Engineer",
                           "department": "Engineering", "githubUsername": format!("gh{i}")}})
    };
    let active: Vec<usize> = (0..org.people).filter(|&i| !org.deprovisioned(i)).collect();
    let gone: Vec<usize> = (0..org.people).filter(|&i| org.deprovisioned(i)).collect();
    Mock::given(wiremock::matchers::path("/api/v1/users"))
        .respond_with(move |req: &Request| {
            let filtered = query(req, "filter").is_some();
            let list = if filtered { &gone } else { &active };
            let limit = query_usize(req, "limit", OKTA_MAX).min(OKTA_MAX);
            let after = query_usize(req, "after", 0);
            let (page, more) = slice(list, after, limit);
            let body: Vec<Value> = page.iter().map(|&i| user(i)).collect();
            let mut resp = ResponseTemplate::new(200).set_body_json(body);
            if more {
                let mut pairs = vec![
                    ("limit", limit.to_string()),
                    ("after", (after + limit).to_string()),
                ];
                if let Some(f) = query(req, "filter") {
                    pairs.push(("filter", f));
                }
                let next = with_query(&base, "/api/v1/users", &pairs);
                resp = resp.insert_header("link", format!("<{next}>; rel=\"next\"").as_str());
            }
            resp
        })
        .mount(&server)
        .await;
    server
}

async fn github(org: Org) -> MockServer {
    let server = MockServer::start().await;
    let base = server.uri();
    let people = org.people;
    let seats: Vec<usize> = (0..people).filter(|&i| org.has_seat(i)).collect();
    let member = |i: usize| json!({"login": format!("gh{i}"), "id": 10_000 + i, "node_id": "x", "type": "User", "site_admin": false});
    Mock::given(wiremock::matchers::any())
        .respond_with(move |req: &Request| {
            let path = req.url.path().to_string();
            if path == "/graphql" {
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let vars = &body["variables"];
                let cursor = |k: &str| vars[k].as_str().and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
                let mut org_json = json!({});
                if vars["withMembers"] == true {
                    let start = cursor("members");
                    let end = (start + GITHUB_MAX).min(people);
                    let nodes: Vec<Value> = (start..end)
                        .map(|i| json!({"databaseId": 10_000 + i, "login": format!("gh{i}"), "name": name(i), "email": "", "createdAt": "2020-01-01T00:00:00Z"}))
                        .collect();
                    org_json["membersWithRole"] = json!({"nodes": nodes, "pageInfo": {"hasNextPage": end < people, "endCursor": end.to_string()}});
                }
                if vars["withIds"] == true {
                    let start = cursor("ids");
                    let end = (start + GITHUB_MAX).min(people);
                    let nodes: Vec<Value> = (start..end)
                        .map(|i| json!({"samlIdentity": {"nameId": format!("p{i}@acme.example")}, "user": {"login": format!("gh{i}")}}))
                        .collect();
                    org_json["samlIdentityProvider"] = json!({"externalIdentities": {"nodes": nodes, "pageInfo": {"hasNextPage": end < people, "endCursor": end.to_string()}}});
                }
                return ResponseTemplate::new(200).set_body_json(json!({"data": {"organization": org_json}}));
            }
            let per_page = query_usize(req, "per_page", 30).min(GITHUB_MAX);
            let page = query_usize(req, "page", 1).max(1);
            let next = |more: bool| {
                more.then(|| {
                    let url = with_query(&base, &path, &[("per_page", per_page.to_string()), ("page", (page + 1).to_string())]);
                    format!("<{url}>; rel=\"next\"")
                })
            };
            let add_link = |resp: ResponseTemplate, link: Option<String>| match link {
                Some(l) => resp.insert_header("link", l.as_str()),
                None => resp,
            };
            if path == "/orgs/acme/members" {
                let all: Vec<usize> = (0..people).collect();
                let (items, more) = slice(&all, (page - 1) * per_page, per_page);
                let body: Vec<Value> = items.iter().map(|&i| member(i)).collect();
                return add_link(ResponseTemplate::new(200).set_body_json(body), next(more));
            }
            if path == "/orgs/acme/copilot/billing/seats" {
                let (items, more) = slice(&seats, (page - 1) * per_page, per_page);
                let body: Vec<Value> = items
                    .iter()
                    .map(|&i| json!({"created_at": "2021-01-01T00:00:00Z",
                                     "last_activity_at": days_ago(i % 150).to_rfc3339(),
                                     "assignee": member(i)}))
                    .collect();
                return add_link(
                    ResponseTemplate::new(200).set_body_json(json!({"total_seats": seats.len(), "seats": body})),
                    next(more),
                );
            }
            if let Some(login) = path.strip_prefix("/users/gh")
                && let Ok(i) = login.parse::<usize>()
                && i < people
            {
                return ResponseTemplate::new(200).set_body_json(json!({
                    "login": format!("gh{i}"), "id": 10_000 + i, "type": "User", "name": name(i),
                    "email": null, "created_at": "2019-05-01T00:00:00Z"}));
            }
            ResponseTemplate::new(404)
        })
        .mount(&server)
        .await;
    server
}

async fn gitlab(org: Org) -> MockServer {
    let server = MockServer::start().await;
    let people = org.people;
    Mock::given(wiremock::matchers::path("/api/v4/users"))
        .respond_with(move |req: &Request| {
            let per_page = query_usize(req, "per_page", 20).min(GITLAB_MAX);
            let page = query_usize(req, "page", 1).max(1);
            let start = ((page - 1) * per_page).min(people);
            let end = (start + per_page).min(people);
            let body: Vec<Value> = (start..end)
                .map(|i| json!({"id": 1 + i, "username": format!("p{i}"), "name": name(i), "state": "active",
                                "bot": false, "email": format!("p{i}@acme.example"), "public_email": "",
                                "last_activity_on": days_ago(i % 120).format("%Y-%m-%d").to_string(),
                                "created_at": "2019-01-01T00:00:00.000Z"}))
                .collect();
            let next = if end < people { (page + 1).to_string() } else { String::new() };
            ResponseTemplate::new(200)
                .insert_header("x-next-page", next.as_str())
                .insert_header("x-total", people.to_string().as_str())
                .set_body_json(body)
        })
        .mount(&server)
        .await;
    server
}

async fn jira(org: Org) -> MockServer {
    let server = MockServer::start().await;
    let people = org.people;
    Mock::given(wiremock::matchers::path("/rest/api/3/users/search"))
        .respond_with(move |req: &Request| {
            let max = query_usize(req, "maxResults", 50).min(JIRA_MAX);
            let start = query_usize(req, "startAt", 0).min(people);
            let end = (start + max).min(people);
            let body: Vec<Value> = (start..end)
                .map(|i| json!({"accountId": format!("acc{i}"), "accountType": "atlassian",
                                "displayName": name(i), "emailAddress": format!("p{i}@acme.example"),
                                "active": true}))
                .collect();
            ResponseTemplate::new(200).set_body_json(body)
        })
        .mount(&server)
        .await;
    server
}

async fn harness(org: Org) -> MockServer {
    let server = MockServer::start().await;
    let mut table =
        String::from("Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\n");
    for i in 0..org.people {
        let _ = writeln!(
            table,
            "p{i}@acme.example,,{},Engineer,,,,Engineering",
            name(i)
        );
    }
    Mock::given(wiremock::matchers::path(
        "/ng/api/licenses/modules/AbCdEf123",
    ))
    .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "SUCCESS", "data": [
        {"moduleType": "SEI", "status": "ACTIVE", "numberOfContributors": org.people.saturating_sub(100),
         "startTime": 1_767_225_600_000_i64, "expiryTime": 1_798_675_200_000_i64}]})))
    .mount(&server)
    .await;
    Mock::given(wiremock::matchers::path("/sei/v2/developers"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/csv")
                .set_body_string(table),
        )
        .mount(&server)
        .await;
    server
}

struct Row {
    source: &'static str,
    records: u64,
    requests: usize,
    minimum: usize,
}

fn ceil_div(a: usize, b: usize) -> usize {
    a.div_ceil(b)
}

/// Run `reconcile --dry-run --json` with this config; the report and the wall time.
fn reconcile(config: &str) -> (Value, Duration) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("seatwarden.toml"), config).expect("write config");
    let report = dir.path().join("report.json");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_seatwarden"))
        .current_dir(dir.path())
        .arg("--config")
        .arg(dir.path().join("seatwarden.toml"))
        .args(["reconcile", "--dry-run", "-q", "--json"])
        .arg(&report)
        .env("OKTA_TOKEN", "okta-bench")
        .env("GITHUB_TOKEN", "gh-bench")
        .env("GITLAB_TOKEN", "gl-bench")
        .env("JIRA_TOKEN", "jira-bench")
        .env("HARNESS_API_KEY", "harness-bench")
        .env("NO_COLOR", "1")
        .output()
        .expect("run seatwarden");
    let wall = started.elapsed();
    if let Some(keep) = std::env::var_os("SEATWARDEN_BENCH_JSON") {
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let mut keep = std::path::PathBuf::from(keep);
        if RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
            // The second reconcile of the bench (GitHub REST alone) goes next to the first.
            keep.set_extension("rest.json");
        }
        std::fs::copy(&report, &keep).expect("keep the report");
    }
    if !out.status.success() {
        eprintln!(
            "seatwarden exited {:?}\n--- stdout\n{}\n--- stderr\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::process::exit(1);
    }
    let v = serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("JSON");
    (v, wall)
}

fn records(v: &Value, name: &str) -> u64 {
    v["sources"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .and_then(|s| s["records"].as_u64())
        .unwrap_or(0)
}

async fn requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map(|r| r.len())
        .unwrap_or(0)
}

fn print_table(rows: &[Row], wall: Duration) -> Vec<String> {
    let mut failures = Vec::new();
    println!(
        "{:<10} {:>8} {:>9} {:>8} {:>6}",
        "source", "records", "requests", "minimum", "ratio"
    );
    for r in rows {
        let ratio = r.requests as f64 / r.minimum as f64;
        println!(
            "{:<10} {:>8} {:>9} {:>8} {:>6.2}",
            r.source, r.records, r.requests, r.minimum, ratio
        );
        if ratio > 1.10 {
            failures.push(format!(
                "{}: {} requests, more than 10% over the minimum {}",
                r.source, r.requests, r.minimum
            ));
        }
    }
    let (requests, minimum): (usize, usize) = rows
        .iter()
        .fold((0, 0), |(a, b), r| (a + r.requests, b + r.minimum));
    println!(
        "{:<10} {:>8} {:>9} {:>8} {:>6.2}",
        "total",
        rows.iter().map(|r| r.records).sum::<u64>(),
        requests,
        minimum,
        requests as f64 / minimum as f64
    );
    println!("wall time {:.2} s", wall.as_secs_f64());
    failures
}

fn config(sources: &str) -> String {
    format!(
        "[store]\nurl = \"sqlite://seatwarden.db\"\n\n[policy]\ninactive_after_days = 90\n\n{sources}"
    )
}

fn main() {
    let people: usize = std::env::var("SEATWARDEN_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let org = Org { people };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (okta, github, gitlab, jira, harness) = (
            okta(org).await,
            github(org).await,
            gitlab(org).await,
            jira(org).await,
            harness(org).await,
        );
        let sources = format!(
            r#"[[sources]]
name = "okta"
kind = "okta"
url = "{}"
token_env = "OKTA_TOKEN"
directory = true
[sources.links]
github = "githubUsername"

[[sources]]
name = "github"
kind = "github"
url = "{}"
org = "acme"
token_env = "GITHUB_TOKEN"
graphql = true
copilot = true

[[sources]]
name = "gitlab"
kind = "gitlab"
url = "{}"
token_env = "GITLAB_TOKEN"

[[sources]]
name = "jira"
kind = "jira"
url = "{}"
user = "bot@acme.example"
token_env = "JIRA_TOKEN"

[[sources]]
name = "sei"
kind = "harness"
url = "{}"
sei_url = "{}/sei"
account = "AbCdEf123"
token_env = "HARNESS_API_KEY"
"#,
            okta.uri(),
            github.uri(),
            gitlab.uri(),
            jira.uri(),
            harness.uri(),
            harness.uri()
        );
        println!(
            "loopback vendors, {people} people: okta, github (GraphQL + Copilot), gitlab, jira, harness"
        );
        let (v, wall) = tokio::task::spawn_blocking(move || reconcile(&config(&sources)))
            .await
            .expect("join");
        let rows = [
            Row {
                source: "okta",
                records: records(&v, "okta"),
                requests: requests(&okta).await,
                minimum: ceil_div(org.active(), OKTA_MAX).max(1)
                    + ceil_div(people - org.active(), OKTA_MAX).max(1),
            },
            Row {
                source: "github",
                records: records(&v, "github"),
                requests: requests(&github).await,
                minimum: ceil_div(people, GITHUB_MAX).max(1)
                    + ceil_div(org.seats(), GITHUB_MAX).max(1),
            },
            Row {
                source: "gitlab",
                records: records(&v, "gitlab"),
                requests: requests(&gitlab).await,
                minimum: ceil_div(people, GITLAB_MAX).max(1),
            },
            Row {
                source: "jira",
                records: records(&v, "jira"),
                requests: requests(&jira).await,
                minimum: ceil_div(people, JIRA_MAX) + 1,
            },
            Row {
                source: "harness",
                records: records(&v, "sei"),
                requests: requests(&harness).await,
                minimum: 2,
            },
        ];
        let mut failures = print_table(&rows, wall);
        for r in &rows {
            if r.records != people as u64 {
                failures.push(format!(
                    "{}: {} records, expected {people}",
                    r.source, r.records
                ));
            }
        }
        if v["run"]["status"] != "ok" {
            failures.push(format!("run status {}", v["run"]["status"]));
        }
        if wall > Duration::from_secs(10) {
            failures.push(format!("wall time {:.2} s > 10 s", wall.as_secs_f64()));
        }

        // GitHub REST, reported separately: one /users/{login} per member by design.
        let rest = github_rest(org).await;
        let rest_config = config(&format!(
            "[[sources]]\nname = \"github\"\nkind = \"github\"\nurl = \"{}\"\norg = \"acme\"\ntoken_env = \"GITHUB_TOKEN\"\ncopilot = true\n",
            rest.uri()
        ));
        let (rv, rest_wall) = tokio::task::spawn_blocking(move || reconcile(&rest_config))
            .await
            .expect("join");
        let rest_minimum = ceil_div(people, GITHUB_MAX) + people + ceil_div(org.seats(), GITHUB_MAX);
        let rest_requests = requests(&rest).await;
        println!(
            "\ngithub REST alone: {} records, {rest_requests} requests (minimum {rest_minimum} = ceil(N/100) members + N users + ceil(seats/100)), ratio {:.2}, wall {:.2} s",
            records(&rv, "github"),
            rest_requests as f64 / rest_minimum as f64,
            rest_wall.as_secs_f64()
        );

        if failures.is_empty() {
            println!("all checks passed");
        } else {
            eprintln!("FAILED: {}", failures.join("; "));
            std::process::exit(1);
        }
    });
}

/// A separate GitHub server for the REST run, so its requests are counted alone.
async fn github_rest(org: Org) -> MockServer {
    github(org).await
}
