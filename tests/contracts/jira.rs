//! Jira Cloud (Atlassian's `swagger-v3.v3.json`): the description's example page of users, then
//! the example users as the `User` schema also allows them (an email, `accountType: app`), then
//! an empty page; `startAt` / `maxResults` within the description's bounds. Of the schema's
//! `accountType`s, an `app` is a bot and a `customer` (a service-desk customer) no developer.

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const TOKEN: &str = "jira-contract-token";
const USERS: &str = "/rest/api/3/users/search";

/// The example users with what the schema allows and the example leaves out: a visible email,
/// one of them an app, and the first once more as a service-desk customer (`accountType` is
/// `atlassian | app | customer | unknown`).
fn variants(jira: &Described, examples: &[Value]) -> Vec<Value> {
    let kinds = &jira.doc["schemas"]["User"]["properties"]["accountType"]["enum"];
    for kind in ["app", "customer"] {
        assert!(
            kinds.as_array().is_some_and(|k| k.contains(&json!(kind))),
            "{kinds}"
        );
    }
    let mut out = Vec::new();
    for (n, example) in examples.iter().enumerate() {
        let mut u = example.clone();
        let name = u["displayName"]
            .as_str()
            .expect("displayName")
            .to_lowercase()
            .replace(' ', ".");
        u["accountId"] = json!(format!(
            "{}-{n}",
            u["accountId"].as_str().expect("accountId")
        ));
        u["emailAddress"] = json!(format!("{name}@acme.example"));
        u["active"] = json!(true);
        if n == 1 {
            u["accountType"] = json!("app");
        }
        out.push(u);
    }
    let mut customer = out[0].clone();
    customer["accountId"] = json!(format!(
        "{}-customer",
        examples[0]["accountId"].as_str().expect("accountId")
    ));
    customer["emailAddress"] = json!("requester@customer.example");
    customer["accountType"] = json!("customer");
    out.push(customer);
    out
}

async fn mount(server: &MockServer, pages: &[Vec<Value>]) {
    let mut start = 0;
    for page in pages {
        Mock::given(method("GET"))
            .and(path(USERS))
            .and(query_param("startAt", start.to_string().as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(page.clone())))
            .expect(1)
            .mount(server)
            .await;
        start += page.len();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_user_search_examples_parse_and_the_paging_conforms() {
    let jira = Described::load("Jira", "jira/users-search.json");
    let examples: Vec<Value> = jira
        .example("GET", USERS, "default")
        .as_array()
        .expect("a list")
        .clone();
    let variants = variants(&jira, &examples);
    let server = MockServer::start().await;
    mount(&server, &[examples.clone(), variants.clone(), vec![]]).await;
    let seed: Vec<(&str, &str)> = variants
        .iter()
        .map(|u| {
            (
                u["emailAddress"].as_str().expect("email"),
                u["displayName"].as_str().expect("name"),
            )
        })
        .collect();
    let s = Scratch::new();
    contract_config(
        &s,
        "jira",
        &server.uri(),
        "user = \"bot@acme.example\"\n",
        &seed,
    );

    let (report, log) = reconcile_logged(&s, TOKEN).await;
    server.verify().await;
    assert_requests_conform(&server, &jira).await;

    // The customer is skipped: not a record, and no identity on its row.
    assert_eq!(
        source_records(&report, "jira"),
        (examples.len() + variants.len() - 1) as u64,
        "{report:#}"
    );
    let customer = row(&report, "requester@customer.example");
    assert!(
        !customer["identities"].to_string().contains("\"jira\""),
        "{customer:#}"
    );
    let line = log
        .lines()
        .find(|l| l.contains("Jira accounts read"))
        .unwrap_or_else(|| panic!("no Jira log line:\n{log}"));
    let line: Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(
        (&line["apps_as_bots"], &line["customers_skipped"]),
        (&json!(1), &json!(1)),
        "{line}"
    );
    for u in variants.iter().filter(|u| u["accountType"] != "customer") {
        let email = u["emailAddress"].as_str().expect("email");
        let id = identity(
            row(&report, email),
            "jira",
            u["accountId"].as_str().expect("accountId"),
        );
        assert_eq!(id["name"], u["displayName"], "{id}");
        let got = recommendation(&report, email);
        let want = (u["accountType"] == "app").then_some(("remove", "bot"));
        assert_eq!(
            got.as_ref().map(|(a, r, _)| (a.as_str(), r.as_str())),
            want,
            "{email}: {got:?}"
        );
    }
}
