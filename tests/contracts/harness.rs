//! Harness SEI (harness/developer-hub: "Upload and Manage Developer Records", "Upload Developer
//! Cloud IDs", "Automatch Developer Identities"; no machine-readable description of the SEI v2 API
//! was found): every request the binary sends to SEI and to Harness licensing, in a reconcile,
//! an `export --push` and an `identities --push`, is held to the shapes those pages document —
//! method and path, the Accept header, the auth header, the multipart part's name and type, the
//! activation body, the identities body's fields and types — and the documented answers (the
//! error structure, the 412, the identities API's error) are read as the pages say.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::*;
use crate::support::{multipart_file, run_async};

const KEY: &str = "harness-contract-key";
const SEI: &str = "/prod1/sei/api";
const ACCOUNT: &str = "AbCdEf123";
const INTEGRATION: u64 = 123;

fn pages() -> Value {
    fixture_json("harness/sei.json")
}

/// The documented operations with this method and path template.
fn operations<'a>(doc: &'a Value, method: &str, p: &str) -> Vec<&'a Value> {
    doc["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .filter(|o| o["method"] == method && template_matches(o["path"].as_str().unwrap(), p))
        .collect()
}

/// Every way one request to SEI departs from the pages (empty when it conforms).
fn departures(doc: &Value, r: &Request) -> Vec<String> {
    let what = format!("{} {}", r.method, r.url);
    let p = r.url.path().strip_prefix(SEI).unwrap_or(r.url.path());
    let header = |name: &str| {
        r.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let ops = operations(doc, r.method.as_str(), p);
    if ops.is_empty() {
        return vec![format!("{what}: no such call on Harness's pages")];
    }
    let mut out = Vec::new();
    let accept = header("accept");
    let op = ops
        .iter()
        .find(|o| o["headers"]["accept"].as_str() == accept.as_deref())
        .or_else(|| ops.iter().find(|o| o["headers"]["accept"].is_null()))
        .copied();
    let Some(op) = op else {
        return vec![format!(
            "{what}: Accept {accept:?} is not one the pages show"
        )];
    };
    let auth = &doc["auth"];
    let expected_auth = format!("{} {KEY}", auth["scheme"].as_str().unwrap());
    if header(auth["header"].as_str().unwrap()).as_deref() != Some(expected_auth.as_str()) {
        out.push(format!("{what}: no `{}: {expected_auth}`", auth["header"]));
    }
    for (name, _) in r.url.query_pairs() {
        let listed = doc["list_query"]
            .as_array()
            .unwrap()
            .iter()
            .chain(op["query"].as_array().into_iter().flatten());
        if !listed.clone().any(|q| q == name.as_ref()) {
            out.push(format!(
                "{what}: query parameter `{name}` is not on the pages"
            ));
        }
    }
    if let Some(part) = op.get("part") {
        let (name, _, content_type, _) = multipart_file(r);
        if name != part["name"] || (part["type"].is_string() && content_type != part["type"]) {
            out.push(format!(
                "{what}: part `{name}` ({content_type}), the pages say {part}"
            ));
        }
    }
    if let Some(body) = op.get("body") {
        out.extend(body_departures(&what, body, &r.body));
    }
    out
}

/// A JSON body against the documented example: the same value for an object (the activation), the
/// same fields with the same JSON types in every item for a list (the identities).
fn body_departures(what: &str, example: &Value, sent: &[u8]) -> Vec<String> {
    let sent: Value = serde_json::from_slice(sent).unwrap_or(Value::Null);
    let Some(items) = example.as_array() else {
        return if &sent == example {
            Vec::new()
        } else {
            vec![format!("{what}: body {sent}, the pages say {example}")]
        };
    };
    let shape = |v: &Value| -> Vec<(String, &'static str)> {
        let kind = |v: &Value| match v {
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Bool(_) => "boolean",
            _ => "other",
        };
        let mut fields: Vec<(String, &'static str)> = v
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), kind(v)))
            .collect();
        fields.sort();
        fields
    };
    let documented = shape(&items[0]);
    let Some(sent_items) = sent.as_array().filter(|a| !a.is_empty()) else {
        return vec![format!("{what}: body {sent} is not a list of identities")];
    };
    sent_items
        .iter()
        .filter(|item| shape(item) != documented)
        .map(|item| format!("{what}: item {item}, the pages' example is {}", items[0]))
        .collect()
}

/// One license per documented status, windows around today, the counts in the DTO's fields.
fn licenses(doc: &Value) -> Value {
    let lic = &doc["module_license"];
    let fields: Vec<&str> = lic["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in [
        "numberOfContributors",
        "developerLicenseCount",
        "startTime",
        "expiryTime",
        "status",
    ] {
        assert!(
            fields.contains(&f),
            "{f} is not a documented license field: {fields:?}"
        );
    }
    let day = 86_400_000_i64;
    let now = chrono::Utc::now().timestamp_millis();
    let data: Vec<Value> = lic["status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|status| {
            json!({"id": format!("lic-{}", status.as_str().unwrap().to_lowercase()),
                   "accountIdentifier": ACCOUNT, "moduleType": "SEI", "edition": "ENTERPRISE",
                   "licenseType": "PAID", "status": status, "developerLicenseCount": 7,
                   "startTime": now - 30 * day, "expiryTime": now + 30 * day})
        })
        .collect();
    json!({"status": "SUCCESS", "data": data, "metaData": null, "correlationId": "c"})
}

async fn mount_reads(server: &MockServer, doc: &Value) {
    let license_path = doc["module_license"]["path"]
        .as_str()
        .unwrap()
        .replace("{accountIdentifier}", ACCOUNT);
    Mock::given(method("GET"))
        .and(path(license_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(licenses(doc)))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{SEI}/v2/developers")))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "Email,Manager Email,Full Name\nada@acme.example,,Ada Lovelace\nbob@acme.example,,Bob Stone\n",
        ))
        .mount(server)
        .await;
    // The pages name no columns for the identities download; these are the identities body's.
    Mock::given(method("GET"))
        .and(path(format!("{SEI}/v2/developers/identities")))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            "email,integrationId,identity\nbob@acme.example,{INTEGRATION},ada@acme.example\n"
        )))
        .mount(server)
        .await;
}

fn config(s: &Scratch, server: &MockServer) {
    s.write(
        "people.csv",
        "id,name,email\np1,Ada Lovelace,ada@acme.example\np2,Bob Stone,bob@acme.example\n",
    );
    s.write(
        "seatwarden.toml",
        &format!(
            "[store]\nurl = \"sqlite://seatwarden.db\"\n\n[policy]\nmax_apply_percent = 100\n\n\
             [[sources]]\nname = \"people\"\nkind = \"csv\"\nurl = \"people.csv\"\n\n\
             [[sources]]\nname = \"sei\"\nkind = \"harness\"\nurl = \"{u}\"\nsei_url = \"{u}{SEI}\"\n\
             account = \"{ACCOUNT}\"\ntoken_env = \"VENDOR_TOKEN\"\n\
             [sources.sei_integrations]\npeople = {INTEGRATION}\n",
            u = server.uri()
        ),
    );
}

async fn run(s: &Scratch, args: &[&str]) -> Run {
    run_async(s.dir.path(), args, &[("VENDOR_TOKEN", KEY)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_to_sei_has_the_shape_harness_documents() {
    let doc = pages();
    let server = MockServer::start().await;
    mount_reads(&server, &doc).await;
    let version = doc["upload_answer_field"].as_str().unwrap();
    Mock::given(method("PUT"))
        .and(path(format!("{SEI}/v2/developers")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({version: "v-contract"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{SEI}/v2/developers/versions/v-contract")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({version: "v-contract"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{SEI}/v2/developers/identities")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(doc["identities_answers"]["success"].clone()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let s = Scratch::new();
    config(&s, &server);
    let reconcile = run(&s, &["reconcile", "--json", "report.json"]).await;
    reconcile.expect_code(0);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["subscription"]["license"]["id"], "lic-active",
        "{report:#}"
    );
    assert_eq!(report["subscription"]["licenses_purchased"], 7);
    run(&s, &["developers", "export", "--push"])
        .await
        .expect_code(0);
    run(&s, &["developers", "identities", "--push"])
        .await
        .expect_code(0);
    server.verify().await;

    let received = server.received_requests().await.expect("recording");
    let license_template = doc["module_license"]["path"].as_str().unwrap();
    let mut departed = Vec::new();
    let mut seen = Vec::new();
    for r in &received {
        if template_matches(license_template, r.url.path()) {
            let allowed = doc["module_license"]["query"].as_array().unwrap();
            for (name, _) in r.url.query_pairs() {
                if !allowed.iter().any(|q| q == name.as_ref()) {
                    departed.push(format!("{}: licensing query `{name}`", r.url));
                }
            }
            continue;
        }
        seen.push(format!("{} {}", r.method, &r.url.path()[SEI.len()..]));
        departed.extend(departures(&doc, r));
    }
    assert!(
        departed.is_empty(),
        "departures from Harness's pages:\n{}",
        departed.join("\n")
    );
    for call in [
        "PUT /v2/developers",
        "PATCH /v2/developers/versions/v-contract",
        "PATCH /v2/developers/identities",
        "GET /v2/developers/identities",
    ] {
        assert!(seen.iter().any(|c| c == call), "{call} not sent: {seen:?}");
    }
}

async fn rejected_upload(status: u16, answer: Value) -> Run {
    let doc = pages();
    let server = MockServer::start().await;
    mount_reads(&server, &doc).await;
    Mock::given(method("PUT"))
        .and(path(format!("{SEI}/v2/developers")))
        .respond_with(ResponseTemplate::new(status).set_body_json(answer))
        .expect(1)
        .mount(&server)
        .await;
    let s = Scratch::new();
    config(&s, &server);
    s.write(
        "seed.csv",
        &sei_csv(&[("ada@acme.example", "Ada Lovelace")]),
    );
    run(&s, &["developers", "import", "seed.csv"])
        .await
        .expect_code(0);
    let push = run(&s, &["developers", "export", "--push", "--force"]).await;
    server.verify().await;
    assert!(
        !server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .any(|r| r.method.as_str() == "PATCH"),
        "nothing is activated after a refused upload"
    );
    push
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_error_structure_becomes_one_line_per_error() {
    let doc = pages();
    let example = doc["error_example"].clone();
    assert_eq!(example["status"], "FAILURE");
    let push = rejected_upload(400, example.clone()).await;
    push.expect_code(1);
    let err = push.stderr();
    for e in example["errors"].as_array().unwrap() {
        let line = format!(
            "{} ({}): {} developers, e.g. {}",
            e["errorType"].as_str().unwrap(),
            e["fieldName"].as_str().unwrap(),
            e["errorDeveloperCount"],
            e["sampleErrorDevelopers"][0]
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap()
                .as_str()
                .unwrap()
        );
        assert!(err.contains(&line), "{line:?} not in:\n{err}");
    }
    // Every documented error type reads the same way.
    for kind in doc["error_types"].as_array().unwrap() {
        let mut one = example.clone();
        one["errors"][0]["errorType"] = kind.clone();
        let push = rejected_upload(400, one).await;
        assert!(
            push.stderr().contains(kind.as_str().unwrap()),
            "{kind}: {}",
            push.stderr()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_precondition_says_to_finish_the_first_time_setup() {
    let doc = pages();
    let status = doc["setup_incomplete_status"].as_u64().unwrap() as u16;
    let push = rejected_upload(status, json!({})).await;
    push.expect_code(1);
    assert!(
        push.stderr().contains("first-time setup"),
        "{}",
        push.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_identities_error_answer_is_shown() {
    let doc = pages();
    let failure = doc["identities_answers"]["failure"].clone();
    let server = MockServer::start().await;
    mount_reads(&server, &doc).await;
    Mock::given(method("PATCH"))
        .and(path(format!("{SEI}/v2/developers/identities")))
        .respond_with(ResponseTemplate::new(400).set_body_json(failure.clone()))
        .expect(1)
        .mount(&server)
        .await;
    let s = Scratch::new();
    config(&s, &server);
    run(&s, &["reconcile"]).await.expect_code(0);
    let push = run(&s, &["developers", "identities", "--push"]).await;
    push.expect_code(1);
    assert!(
        push.stderr().contains(failure["message"].as_str().unwrap()),
        "{}",
        push.stderr()
    );
}

/// The identifier SEI takes per integration type is the value `developers identities` sends for
/// the source kind (`README`: github login, jira accountId, gitlab name, csv/json email): a newer
/// page that changes one fails here.
#[test]
fn the_identifier_per_integration_is_the_one_seatwarden_sends() {
    let doc = pages();
    let rows = doc["identifier_types"].as_array().unwrap();
    let identifier = |integration: &str| {
        rows.iter()
            .find(|r| r["integration"] == integration)
            .unwrap_or_else(|| panic!("no {integration} on the page"))["identifier"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for (integration, sent) in [
        ("GitHub (App)", "Username"),
        ("GitHub Access Token (PAT)", "Username"),
        ("Jira Cloud (API Token)", "Account ID"),
        ("GitLab (OAuth / PAT)", "Name"),
        ("Azure DevOps (OAuth / PAT)", "Email"),
        ("Bitbucket Server", "Email"),
    ] {
        assert_eq!(identifier(integration), sent, "{integration}");
    }
    let regions = &doc["regions"];
    assert_eq!(regions["Prod 1"], "https://app.harness.io/prod1/sei/api/");
    assert_eq!(regions["EU"], "https://accounts.eu.harness.io/sei/api/");
}
