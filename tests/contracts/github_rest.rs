//! GitHub REST (`github/rest-api-description`): org members, each user and Copilot seats answered
//! with the description's own examples, paged with the `Link` header in the form the description
//! gives; every request's path, method and query parameters must be in the description.

use chrono::{DateTime, Utc};
use serde_json::Value;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const TOKEN: &str = "gh-contract-token";

/// The description's `Link` example with its URLs pointed at `next` (and `last`).
fn link_header(rest: &Described, template: &str, next: &str) -> String {
    let example = rest.operation("GET", template)["responses"]["200"]["headers"]["Link"]
        .as_str()
        .expect("the description gives a Link example")
        .to_string();
    // `<https://api.github.com/resource?page=2>; rel="next", <…?page=5>; rel="last"`
    let mut out = Vec::new();
    for part in example.split(", ") {
        let rel = part.split("; ").nth(1).expect("rel");
        out.push(format!("<{next}>; {rel}"));
    }
    out.join(", ")
}

async fn mount(server: &MockServer, rest: &Described) {
    let members = "/orgs/{org}/members";
    let next = format!("{}/orgs/acme/members?per_page=100&page=2", server.uri());
    Mock::given(method("GET"))
        .and(path("/orgs/acme/members"))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link_header(rest, members, &next).as_str())
                .set_body_json(rest.example("GET", members, "default")),
        )
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/members"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(vec![])))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/octocat"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rest.example(
            "GET",
            "/users/{username}",
            "default-response",
        )))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/copilot/billing/seats"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rest.example(
            "GET",
            "/orgs/{org}/copilot/billing/seats",
            "default",
        )))
        .expect(1)
        .mount(server)
        .await;
}

/// The newest `last_activity_at` among the example's seats assigned to account `id`.
fn newest_seat_activity(rest: &Described, id: u64) -> DateTime<Utc> {
    let seats = rest.example("GET", "/orgs/{org}/copilot/billing/seats", "default");
    seats["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .filter(|s| s["assignee"]["id"] == id)
        .filter_map(|s| s["last_activity_at"].as_str())
        .map(|t| DateTime::parse_from_rfc3339(t).expect("RFC 3339").to_utc())
        .max()
        .expect("a seat with activity")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_rest_calls_conform_and_the_descriptions_examples_become_identities() {
    let rest = Described::load("GitHub REST", "github/rest.json");
    let server = MockServer::start().await;
    mount(&server, &rest).await;
    let user = rest.example("GET", "/users/{username}", "default-response");
    let email = user["email"]
        .as_str()
        .expect("the example user has an email");
    let s = Scratch::new();
    let extra = "org = \"acme\"\ncopilot = true\n";
    contract_config(
        &s,
        "github",
        &server.uri(),
        extra,
        &[(email, "Mona Lisa Octocat")],
    );

    let report = reconcile_checked(&s, TOKEN, &server, &rest).await;

    assert_eq!(source_records(&report, "github"), 1, "{report:#}");
    let row = row(&report, email);
    let id = user["id"].as_u64().expect("id").to_string();
    let gh = identity(row, "github", &id);
    assert_eq!(gh["login"], user["login"], "{gh}");
    assert_eq!(gh["name"], user["name"], "{gh}");
    assert_eq!(gh["email"], user["email"], "{gh}");
    // Copilot `last_activity_at` is the row's engineering activity.
    let newest = newest_seat_activity(&rest, user["id"].as_u64().expect("id"));
    let last = row["last_activity"]
        .as_str()
        .unwrap_or_else(|| panic!("the seats' last_activity_at did not reach the row: {row:#}"));
    assert_eq!(
        DateTime::parse_from_rfc3339(last).expect("RFC 3339"),
        newest,
        "{row:#}"
    );
    let (action, reason, evidence) = recommendation(&report, email).expect("a recommendation");
    assert_eq!(
        (action.as_str(), reason.as_str()),
        ("remove", "inactive"),
        "{evidence}"
    );
    assert!(
        evidence.contains(&newest.format("%Y-%m-%d").to_string()),
        "{evidence}"
    );
}
