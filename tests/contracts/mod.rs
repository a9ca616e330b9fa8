//! Conformance tests: the real binary against loopback servers that answer with the vendors' own
//! published contracts (`tests/fixtures/vendors/`, derived by the scripts beside them), and every
//! request the binary sent checked against the same contract afterwards: method, path and query
//! parameters against the OpenAPI descriptions, GraphQL queries and variables against GitHub's
//! schema. The JSON report must then carry what the contract's examples hold.
//!
//! These tests never read seatwarden's internal types or constants: a fixture written to agree
//! with the parser would prove nothing, so the answers come from the contracts alone.

mod chat;
mod github_graphql;
mod github_rest;
mod gitlab;
mod harness;
mod jira;
mod msgraph;
mod okta;

use std::path::PathBuf;

use serde_json::Value;
use wiremock::{MockServer, Request};

use crate::support::{Run, Scratch, seatwarden, sei_csv};

/// A file under `tests/fixtures/vendors/`.
pub fn fixture_text(relative: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/fixtures/vendors",
        relative,
    ]
    .iter()
    .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixture_json(relative: &str) -> Value {
    let text = fixture_text(relative);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The operations of a trimmed OpenAPI description (see `derive/openapi.py`).
pub struct Described {
    pub name: &'static str,
    pub doc: Value,
}

impl Described {
    pub fn load(name: &'static str, relative: &str) -> Described {
        Described {
            name,
            doc: fixture_json(relative),
        }
    }

    fn operations(&self) -> &[Value] {
        self.doc["operations"].as_array().expect("operations")
    }

    /// The operation with this method and path template (`/users/{username}`).
    pub fn operation(&self, method: &str, template: &str) -> &Value {
        self.operations()
            .iter()
            .find(|o| o["method"] == method && o["path"] == template)
            .unwrap_or_else(|| panic!("{}: no {method} {template} in the fixture", self.name))
    }

    /// One of the description's own response examples.
    pub fn example(&self, method: &str, template: &str, name: &str) -> Value {
        let examples = &self.operation(method, template)["responses"]["200"]["examples"];
        examples.get(name).cloned().unwrap_or_else(|| {
            panic!(
                "{}: no example {name} for {template}: {examples}",
                self.name
            )
        })
    }

    /// Every way `request` departs from the description (empty when it conforms).
    pub fn departures(&self, request: &Request) -> Vec<String> {
        let method = request.method.as_str();
        let path = request.url.path();
        let what = format!("{} {method} {}", self.name, request.url);
        let Some(op) = self
            .operations()
            .iter()
            .find(|o| o["method"] == method && template_matches(o["path"].as_str().unwrap(), path))
        else {
            return vec![format!(
                "{what}: no such operation in the description (if the vendor has it, add it to the derive script)"
            )];
        };
        let params = op["parameters"].as_array().expect("parameters");
        let mut out = Vec::new();
        let sent: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        for (name, value) in &sent {
            match params
                .iter()
                .find(|p| p["in"] == "query" && p["name"] == name.as_str())
            {
                None => out.push(format!(
                    "{what}: query parameter `{name}` is not in the description"
                )),
                Some(p) => {
                    if let Err(e) = value_fits(&p["schema"], value) {
                        out.push(format!("{what}: `{name}={value}`: {e}"));
                    }
                }
            }
        }
        for p in params
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
        {
            if !sent.iter().any(|(n, _)| p["name"] == n.as_str()) {
                out.push(format!(
                    "{what}: required query parameter {} missing",
                    p["name"]
                ));
            }
        }
        out
    }
}

/// Whether `/orgs/acme/members` is an instance of `/orgs/{org}/members`.
pub fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// Whether a query value satisfies the parameter's schema: type, enum and bounds.
fn value_fits(schema: &Value, value: &str) -> Result<(), String> {
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.iter().any(|a| a == value)
    {
        return Err(format!("not one of {}", Value::Array(allowed.clone())));
    }
    match schema["type"].as_str() {
        Some("integer") => {
            let n: i64 = value.parse().map_err(|_| "not an integer".to_string())?;
            if let Some(max) = schema["maximum"].as_i64()
                && n > max
            {
                return Err(format!("above the maximum {max}"));
            }
            if let Some(min) = schema["minimum"].as_i64()
                && n < min
            {
                return Err(format!("below the minimum {min}"));
            }
            Ok(())
        }
        Some("boolean") if value != "true" && value != "false" => Err("not a boolean".into()),
        _ => Ok(()),
    }
}

/// Panics listing every request to `server` that departs from `described`.
pub async fn assert_requests_conform(server: &MockServer, described: &Described) -> Vec<Request> {
    let received = server.received_requests().await.expect("recording is on");
    assert!(
        !received.is_empty(),
        "{}: no request was sent",
        described.name
    );
    let departures: Vec<String> = received
        .iter()
        .flat_map(|r| described.departures(r))
        .collect();
    assert!(
        departures.is_empty(),
        "requests that depart from the contract:\n{}",
        departures.join("\n")
    );
    received
}

/// The config for one source of `kind`, named after it, at `url` (`extra`: its other keys), its
/// secret in `VENDOR_TOKEN`, and a table seeded from `seed` (email, name) rows.
pub fn contract_config(s: &Scratch, kind: &str, url: &str, extra: &str, seed: &[(&str, &str)]) {
    s.write("seed.csv", &sei_csv(seed));
    s.write(
        "seatwarden.toml",
        &format!(
            "[subscription]\nlicenses = 10\n\n[store]\nurl = \"sqlite://seatwarden.db\"\nseed = \"seed.csv\"\n\n\
             [policy]\ninactive_after_days = 90\n\n\
             [[sources]]\nname = \"{kind}\"\nkind = \"{kind}\"\nurl = \"{url}\"\ntoken_env = \"VENDOR_TOKEN\"\n{extra}"
        ),
    );
}

/// `reconcile --dry-run --json -` off the async runtime (the mock servers keep answering), and
/// the report it printed (exit 0, or 3 for a degraded run).
pub async fn reconcile(s: &Scratch, token: &str) -> Value {
    reconcile_logged(s, token).await.0
}

/// [`reconcile`], and the log lines it wrote (JSON, one a line).
pub async fn reconcile_logged(s: &Scratch, token: &str) -> (Value, String) {
    let dir = s.dir.path().to_path_buf();
    let token = token.to_string();
    let run = tokio::task::spawn_blocking(move || {
        let mut cmd = seatwarden();
        cmd.current_dir(&dir)
            .arg("--config")
            .arg(dir.join("seatwarden.toml"))
            .args(["reconcile", "--dry-run", "--json", "-"]);
        cmd.env("VENDOR_TOKEN", token);
        Run {
            output: cmd.output().expect("run seatwarden"),
            what: "seatwarden reconcile --dry-run --json -".into(),
        }
    })
    .await
    .expect("join");
    // A degraded run (3) still prints its report: the caller's contract checks say more than the
    // exit code, and `source_records` then insists on `ok`.
    if run.code() != 3 {
        run.expect_code(0);
    }
    let report = serde_json::from_str(&run.stdout())
        .unwrap_or_else(|e| panic!("report: {e}\n{}", run.stdout()));
    (report, run.stderr())
}

/// `reconcile`, then every mock `server` expected was called, and nothing outside `described`.
pub async fn reconcile_checked(
    s: &Scratch,
    token: &str,
    server: &MockServer,
    described: &Described,
) -> Value {
    let report = reconcile(s, token).await;
    server.verify().await;
    assert_requests_conform(server, described).await;
    report
}

/// The report's row with this email.
pub fn row<'a>(report: &'a Value, email: &str) -> &'a Value {
    report["developers"]
        .as_array()
        .expect("developers")
        .iter()
        .find(|d| d["email"] == email)
        .unwrap_or_else(|| panic!("no row {email} in {:#}", report["developers"]))
}

/// The row's identity from `source` with this id.
pub fn identity<'a>(row: &'a Value, source: &str, id: &str) -> &'a Value {
    row["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .find(|i| i["source"] == source && i["id"] == id)
        .unwrap_or_else(|| {
            panic!(
                "row {} has no {source}:{id}: {:#}",
                row["email"], row["identities"]
            )
        })
}

/// The (action, reason, evidence) recommended for the row with this email.
pub fn recommendation(report: &Value, email: &str) -> Option<(String, String, String)> {
    let id = &row(report, email)["id"];
    report["recommendations"]
        .as_array()
        .expect("recommendations")
        .iter()
        .find(|r| &r["developer"] == id)
        .map(|r| {
            (
                r["action"].as_str().unwrap_or_default().to_string(),
                r["reason"].as_str().unwrap_or_default().to_string(),
                r["evidence"].to_string(),
            )
        })
}

/// The source's entry in the report, which must be `ok`.
pub fn source_records(report: &Value, name: &str) -> u64 {
    let src = report["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no source {name}: {report:#}"));
    assert_eq!(src["status"], "ok", "{src:#}");
    src["records"].as_u64().expect("records")
}

#[test]
fn path_templates_match_only_their_instances() {
    assert!(template_matches(
        "/orgs/{org}/members",
        "/orgs/acme/members"
    ));
    assert!(template_matches("/users/{username}", "/users/octocat"));
    assert!(!template_matches(
        "/orgs/{org}/members",
        "/orgs/acme/member"
    ));
    assert!(!template_matches(
        "/users/{username}",
        "/users/octocat/orgs"
    ));
    assert!(!template_matches("/users/{username}", "/users/"));
}

#[test]
fn a_value_outside_the_schema_is_a_departure() {
    let per_page = serde_json::json!({"type": "integer", "maximum": 100});
    assert!(value_fits(&per_page, "100").is_ok());
    assert_eq!(
        value_fits(&per_page, "101"),
        Err("above the maximum 100".into())
    );
    assert!(value_fits(&per_page, "ten").is_err());
    let role = serde_json::json!({"type": "string", "enum": ["all", "admin"]});
    assert!(value_fits(&role, "owner").is_err());
}
