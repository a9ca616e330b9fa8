//! Jira Cloud (Atlassian's `swagger-v3.v3.json`): the description's example page of users, then
//! the example users as the `User` schema also allows them (an email, `accountType: app`), then
//! an empty page; `startAt` / `maxResults` within the description's bounds.

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const TOKEN: &str = "jira-contract-token";
const USERS: &str = "/rest/api/3/users/search";

/// The example users with what the schema allows and the example leaves out: a visible email,
/// and one of them an app (`accountType` is `atlassian | app | customer | unknown`).
fn variants(jira: &Described, examples: &[Value]) -> Vec<Value> {
    let kinds = &jira.doc["schemas"]["User"]["properties"]["accountType"]["enum"];
    assert!(
        kinds.as_array().is_some_and(|k| k.contains(&json!("app"))),
        "{kinds}"
    );
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

    let report = reconcile_checked(&s, TOKEN, &server, &jira).await;

    assert_eq!(
        source_records(&report, "jira"),
        (examples.len() + variants.len()) as u64,
        "{report:#}"
    );
    for u in &variants {
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
