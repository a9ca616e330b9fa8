//! Secrets never come out (issue 15): every command at `-vv` with `RUST_LOG=trace`, against one
//! loopback server that answers every vendor's calls in the vendor's shape with the whole request
//! (headers, query, body) echoed into names, titles and error bodies, once answering and once
//! refusing (401). All stdout, stderr, every file the commands write and the store (SQLite and its
//! journals) are searched for every secret in every form: raw, base64 (of the token and of Basic's
//! `user:token`, standard and URL-safe, padded or not), URL-encoded (form and percent encoding,
//! both hex cases) and JSON-escaped. The encodings are computed here, independently of the code
//! under test.
//!
//! Adding a command is one line in [`COMMANDS`]. Commands not in main when this was written, to add
//! as they land: `schedule`.

use std::path::Path;

use serde_json::json;

use crate::support::hostile::{Hostile, Reply, Seen};
use crate::support::*;

/// Every command that exists, as its arguments (files live in the scratch folder).
const COMMANDS: &[&[&str]] = &[
    &["check"],
    &["reconcile", "--json", "report.json", "--csv", "recs.csv"],
    &["reconcile", "--dry-run", "--json", "-"],
    &["developers", "import", "import.csv"],
    &["developers", "list"],
    &["developers", "list", "--json"],
    &["developers", "export", "--out", "export.csv"],
    &["developers", "export", "--push"],
    &[
        "developers",
        "merge",
        "alice@acme.example",
        "bob@acme.example",
    ],
    &[
        "developers",
        "split",
        "alice@acme.example",
        "bob@acme.example",
        "--note",
        "two people",
    ],
    &[
        "resolve",
        "ids.csv",
        "--out",
        "clusters.csv",
        "--mailmap",
        "mailmap",
        "--reviews",
        "reviews.csv",
    ],
    &["demo", "--dir", "demo", "--dry-run"],
    &["apply", "recs.csv", "--dry-run", "--force"],
    &["report"],
    &[
        "report",
        "--json",
        "weekly.json",
        "--html",
        "weekly.html",
        "--text",
    ],
    &["developers", "identities"],
    &["developers", "history", "alice@acme.example"],
    // The SMTP server refuses the connection; the webhook's URL carries its secret in the path.
    &["report", "--send"],
];

/// The secrets, each with a character that encodings change (`~`, `/`, `+`, `=`).
const SECRETS: [(&str, &str); 10] = [
    ("OKTA_TOKEN", "00okta~Secret/Value+1a2b3c"),
    ("GITHUB_TOKEN", "ghp_Secret/Github+Token=42xyz"),
    ("GITLAB_TOKEN", "glpat-Secret~GitLab_77zz"),
    ("JIRA_TOKEN", "ATATT3x~Jira/Secret+Token99"),
    ("HARNESS_KEY", "pat.Harness~Secret/Key+0001"),
    ("GRAPH_SECRET", "Gr~aph.Client_Secret/Value+9"),
    ("FILE_TOKEN", "file~Bearer/Token+Secret-55"),
    ("CSV_QUERY_SECRET", "csv~Query/Secret+Value-66"),
    ("SMTP_PASSWORD", "smtp~Mail/Password+Secret7"),
    ("WEBHOOK_TOKEN", "hook~Path/Secret+Token-88"),
];
const JIRA_USER: &str = "jira-bot@acme.example";
/// What the authority issues: a secret too.
const GRAPH_ACCESS: &str = "eyJ0eXAi.Graph~Access/Token+Issued";

fn secret(var: &str) -> &'static str {
    SECRETS
        .iter()
        .find(|(v, _)| *v == var)
        .map(|(_, s)| *s)
        .unwrap_or_default()
}

fn config(base: &str) -> String {
    let csv_secret: String =
        url::form_urlencoded::byte_serialize(secret("CSV_QUERY_SECRET").as_bytes()).collect();
    format!(
        r#"[subscription]
licenses = 10

[store]
url = "sqlite://seatwarden.db"

[[sources]]
name = "okta"
kind = "okta"
url = "{base}"
token_env = "OKTA_TOKEN"
directory = true

[[sources]]
name = "entra"
kind = "msgraph"
url = "{base}"
authority = "{base}"
tenant = "acme.onmicrosoft.com"
client_id = "cid"
client_secret_env = "GRAPH_SECRET"

[[sources]]
name = "github"
kind = "github"
url = "{base}"
org = "acme"
token_env = "GITHUB_TOKEN"
copilot = true

[[sources]]
name = "gitlab"
kind = "gitlab"
url = "{base}"
token_env = "GITLAB_TOKEN"

[[sources]]
name = "jira"
kind = "jira"
url = "{base}"
user = "{JIRA_USER}"
token_env = "JIRA_TOKEN"

[[sources]]
name = "sei"
kind = "harness"
url = "{base}"
sei_url = "{base}/sei/api"
account = "ACC"
token_env = "HARNESS_KEY"

[[sources]]
name = "people"
kind = "json"
url = "{base}/people.json"
token_env = "FILE_TOKEN"
records = "/people"
[sources.fields]
id = "/id"
name = "/name"
email = "/email"

[[sources]]
name = "contractors"
kind = "csv"
url = "{base}/contractors.csv?access_token={csv_secret}"

[report.email]
smtp_url = "smtp://127.0.0.1:1"
tls = "required"
username_env = "SMTP_USER"
password_env = "SMTP_PASSWORD"
from = "seatwarden <seatwarden@acme.example>"
to = ["leads@acme.example"]
timeout_secs = 2

[report.webhook]
url_env = "WEBHOOK_URL"
format = "json"
timeout_secs = 5
"#
    )
}

/// Every vendor's answer, with the request echoed into its text fields; `refuse` answers 401
/// with the echo as the body instead.
fn echo_vendor(req: &Seen, refuse: bool) -> Reply {
    let echo = req.echo();
    if refuse {
        return Reply::text(401, "text/plain", echo);
    }
    let path = req.target.split('?').next().unwrap_or("");
    let first_page = !req.target.contains("startAt=") || req.target.contains("startAt=0");
    let body = match path {
        "/api/v1/users" if req.target.contains("filter") => json!([]),
        "/api/v1/users" => json!([{"id": "o1", "status": "ACTIVE", "profile": {
            "email": "alice@acme.example", "firstName": "Alice", "lastName": echo, "title": echo}}]),
        p if p.ends_with("/oauth2/v2.0/token") => {
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": GRAPH_ACCESS, "echo": echo})
        }
        "/v1.0/users" => {
            json!({"value": [{"id": "g1", "displayName": echo, "mail": "alice@acme.example",
            "accountEnabled": true, "jobTitle": echo}]})
        }
        "/orgs/acme/members" => json!([{"id": 1, "login": "alice", "type": "User"}]),
        "/users/alice" => {
            json!({"id": 1, "login": "alice", "name": echo, "email": "alice@acme.example"})
        }
        "/orgs/acme/copilot/billing/seats" => json!({"total_seats": 1, "seats": [{"assignee":
            {"id": 1, "login": "alice"}, "last_activity_at": "2026-01-01T00:00:00Z", "echo": echo}]}),
        "/api/v4/users" => json!([{"id": 5, "username": "alice", "name": echo, "state": "active",
            "email": "alice@acme.example", "job_title": echo}]),
        "/rest/api/3/users/search" if first_page => json!([{"accountId": "j1", "displayName": echo,
            "active": true, "emailAddress": "alice@acme.example"}]),
        "/rest/api/3/users/search" => json!([]),
        "/ng/api/licenses/modules/ACC" => {
            json!({"status": "SUCCESS", "data": [{"moduleType": "SEI",
            "status": "ACTIVE", "numberOfContributors": 10, "startTime": 1767225600000_i64,
            "expiryTime": 1798761600000_i64, "echo": echo}]})
        }
        "/sei/api/v2/developers" if req.method == "GET" => {
            let name = serde_json::to_string(&echo).unwrap_or_default();
            let csv = format!(
                "Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\nalice@acme.example,,{name},Engineer,,,,Engineering\n"
            );
            return Reply::text(200, "text/csv", csv).with_header("etag", "\"sei\"");
        }
        "/sei/api/v2/developers" => json!({"versionId": "v1", "echo": echo}),
        "/contractors.csv" => {
            let name = serde_json::to_string(&echo).unwrap_or_default();
            return Reply::text(
                200,
                "text/csv",
                format!("id,name,email\nc1,{name},carol@acme.example\n"),
            )
            .with_header("etag", "\"csv\"");
        }
        "/people.json" => {
            json!({"people": [{"id": "p1", "name": echo, "email": "dave@acme.example"}]})
        }
        _ => json!({"echo": echo}),
    };
    Reply::json(200, &body).with_header("etag", "\"e1\"")
}

fn base64(bytes: &[u8], table: &[u8; 64], pad: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(table[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        if pad {
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
    }
    out
}

/// Every form a secret may take in what seatwarden writes.
fn forms(value: &str) -> Vec<String> {
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let percent: String = value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let json = serde_json::to_string(value)
        .unwrap_or_default()
        .trim_matches('"')
        .to_string();
    let mut all = vec![
        value.to_string(),
        lower_hex(&form),
        lower_hex(&percent),
        json.replace('/', "\\/"),
    ];
    all.extend([form, percent, json]);
    for table in [STD, URL] {
        for pad in [true, false] {
            all.push(base64(value.as_bytes(), table, pad));
        }
    }
    all.retain(|f| f.len() >= 8);
    all
}

/// `%7E` → `%7e`, the rest unchanged.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::new();
    let mut left = 0;
    for c in encoded.chars() {
        if c == '%' {
            left = 2;
            out.push(c);
        } else if left > 0 {
            left -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Every secret (and Jira's `user:token`), each with its forms.
fn every_form() -> Vec<(String, String)> {
    let mut values: Vec<String> = SECRETS.iter().map(|(_, s)| s.to_string()).collect();
    values.push(GRAPH_ACCESS.to_string());
    values.push(format!("{JIRA_USER}:{}", secret("JIRA_TOKEN")));
    let mut all = Vec::new();
    for v in values {
        for f in forms(&v) {
            all.push((v.clone(), f));
        }
    }
    all
}

/// Where `haystack` (named `what`) holds a secret, as "what: secret in form".
fn findings(what: &str, haystack: &[u8], forms: &[(String, String)]) -> Vec<String> {
    let text = String::from_utf8_lossy(haystack);
    forms
        .iter()
        .filter(|(_, form)| text.contains(form.as_str()))
        .map(|(value, form)| format!("{what}: `{value}` as `{form}`"))
        .collect()
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Runs every command against the echoing server; returns where secrets were found.
async fn run_every_command(refuse: bool) -> (Vec<String>, usize) {
    let server = Hostile::start_with(std::sync::Arc::new(move |req: &Seen, _, _: &str| {
        echo_vendor(req, refuse)
    }))
    .await;
    let scratch = Scratch::new();
    scratch.write("seatwarden.toml", &config(&server.base));
    scratch.write(
        "import.csv",
        &sei_csv(&[("alice@acme.example", "Alice"), ("bob@acme.example", "Bob")]),
    );
    scratch.write(
        "ids.csv",
        "id,name,email\n1,Alice,alice@acme.example\n2,Alice A,alice@acme.example\n",
    );
    let forms = every_form();
    let webhook = format!("{}/hooks/{}", server.base, secret("WEBHOOK_TOKEN"));
    let (found, runs) = tokio::task::spawn_blocking(move || {
        let mut found = Vec::new();
        let mut env: Vec<(&str, &str)> = SECRETS.to_vec();
        env.push(("RUST_LOG", "trace"));
        env.push(("SMTP_USER", "mailer"));
        env.push(("WEBHOOK_URL", &webhook));
        for args in COMMANDS {
            let mut full = vec!["-vv"];
            full.extend_from_slice(args);
            let run = scratch.run_env(&full, &env);
            assert_ne!(run.code(), 101, "{} panicked:\n{}", run.what, run.stderr());
            let name = args.join(" ");
            eprintln!("{name}: exit {}", run.code());
            found.extend(findings(
                &format!("{name}: stdout"),
                &run.output.stdout,
                &forms,
            ));
            found.extend(findings(
                &format!("{name}: stderr"),
                &run.output.stderr,
                &forms,
            ));
        }
        // The config is the input that names the URL; everything else is output.
        let outputs = files(scratch.dir.path()).into_iter().filter(|f| *f != scratch.config());
        if !refuse {
            let report = std::fs::read_to_string(scratch.path("report.json")).unwrap_or_default();
            assert!(
                report.contains("Bearer ***") && report.contains("authorization"),
                "the echoed requests did not reach the report, so this test proves nothing:\n{report}"
            );
        }
        for file in outputs {
            let bytes = std::fs::read(&file).unwrap_or_default();
            found.extend(findings(&file.display().to_string(), &bytes, &forms));
        }
        (found, COMMANDS.len())
    })
    .await
    .expect("the commands run");
    assert!(
        !server.requests().is_empty(),
        "no command reached the server"
    );
    (found, runs)
}

#[tokio::test]
async fn no_secret_in_any_form_reaches_an_output_the_files_or_the_store() {
    let (answered, n) = run_every_command(false).await;
    let (refused, _) = run_every_command(true).await;
    let all: Vec<&String> = answered.iter().chain(&refused).collect();
    eprintln!(
        "secrets test: {n} commands, twice (answered and refused): {} secrets found",
        all.len()
    );
    assert!(
        all.is_empty(),
        "secrets found:\n{}",
        all.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_forms_searched_for_include_the_encodings() {
    let f = forms("a~b/c+d=e:f");
    for expected in [
        "a~b%2Fc%2Bd%3De%3Af",
        "a%7Eb%2Fc%2Bd%3De%3Af",
        "YX5iL2MrZD1lOmY=",
        "YX5iL2MrZD1lOmY",
        "a~b\\/c+d=e:f",
    ] {
        assert!(f.iter().any(|x| x == expected), "{expected} not in {f:?}");
    }
}
