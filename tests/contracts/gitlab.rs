//! GitLab (`doc/api/users.md`, the Users API page: GitLab's OpenAPI description has no
//! `GET /api/v4/users`): the page's administrator example, one user a page, in the keyset pages
//! the REST API page describes (the next page only as `Link: rel="next"`, an empty page without a
//! `Link` at the end); every query parameter must be one the pages list.

use serde_json::Value;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const TOKEN: &str = "gitlab-contract-token";

/// The page's users listing, and its example of the list as an administrator reads it.
fn administrator_example() -> (Described, Vec<Value>) {
    let gitlab = Described::load("GitLab", "gitlab/users.json");
    let users = gitlab.example("GET", "/api/v4/users", "administrator");
    let users = users.as_array().expect("a list").clone();
    (gitlab, users)
}

/// An opaque keyset cursor, as GitLab's are (base64 of the last record's keys).
fn cursor(page: usize) -> String {
    format!("eyJpZCI6I{page}jIifQ")
}

/// One keyset page a user, each with a `Link` to the next (its filter `cursor`), then the empty
/// page without a `Link` that ends the collection.
async fn mount(server: &MockServer, users: &[Value]) {
    for page in 0..=users.len() {
        let m = Mock::given(method("GET"))
            .and(path("/api/v4/users"))
            .and(query_param("pagination", "keyset"))
            .and(query_param("order_by", "id"))
            .and(query_param("sort", "asc"));
        let m = if page == 0 {
            m.and(query_param_is_missing("cursor"))
        } else {
            m.and(query_param("cursor", cursor(page).as_str()))
        };
        let body = Value::Array(users.get(page).cloned().into_iter().collect());
        let mut answer = ResponseTemplate::new(200).set_body_json(body);
        if page < users.len() {
            let next = format!(
                "<{}/api/v4/users?order_by=id&pagination=keyset&per_page=100&sort=asc&cursor={}>; rel=\"next\"",
                server.uri(),
                cursor(page + 1)
            );
            answer = answer.insert_header("link", next.as_str());
        }
        m.respond_with(answer).expect(1).mount(server).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_users_page_examples_parse_and_the_listing_conforms() {
    let (gitlab, users) = administrator_example();
    let headers = &gitlab.operation("GET", "/api/v4/users")["responses"]["200"]["headers"];
    assert!(headers.get("link").is_some(), "{headers}");
    let server = MockServer::start().await;
    mount(&server, &users).await;
    let seed: Vec<(&str, &str)> = users
        .iter()
        .map(|u| {
            (
                u["email"].as_str().expect("email"),
                u["name"].as_str().expect("name"),
            )
        })
        .collect();
    let s = Scratch::new();
    contract_config(&s, "gitlab", &server.uri(), "", &seed);

    let report = reconcile_checked(&s, TOKEN, &server, &gitlab).await;

    assert_eq!(
        source_records(&report, "gitlab"),
        users.len() as u64,
        "{report:#}"
    );
    for u in &users {
        let email = u["email"].as_str().expect("email");
        let row = row(&report, email);
        let id = identity(row, "gitlab", &u["id"].as_u64().expect("id").to_string());
        assert_eq!(id["login"], u["username"], "{id}");
        assert_eq!(id["name"], u["name"], "{id}");
        // `last_activity_on` (a date) is the engineering activity, years old here.
        let day = u["last_activity_on"].as_str().expect("last_activity_on");
        assert!(
            row["last_activity"]
                .as_str()
                .is_some_and(|t| t.starts_with(day)),
            "{row:#}"
        );
        let (action, reason, evidence) = recommendation(&report, email).expect("a recommendation");
        assert_eq!(
            (action.as_str(), reason.as_str()),
            ("remove", "inactive"),
            "{email}: {evidence}"
        );
    }
}

/// The Users API page: "This endpoint supports keyset pagination. In GitLab 17.0 and later,
/// keyset pagination is required for responses of 50,000 and above." Offset pages (`page`) cannot
/// read such an instance to the end, so the listing asks for keyset pages from the first request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_users_are_read_with_keyset_pagination() {
    let (_, users) = administrator_example();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v4/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(users)))
        .mount(&server)
        .await;
    let s = Scratch::new();
    contract_config(&s, "gitlab", &server.uri(), "", &[]);
    reconcile(&s, TOKEN).await;
    let first = &server.received_requests().await.expect("recording")[0];
    let asked: Vec<(String, String)> = first.url.query_pairs().into_owned().collect();
    for (key, value) in [
        ("pagination", "keyset"),
        ("order_by", "id"),
        ("sort", "asc"),
    ] {
        assert!(
            asked.contains(&(key.into(), value.into())),
            "the first users request does not ask for {key}={value}: {}",
            first.url
        );
    }
    assert!(
        !asked.iter().any(|(k, _)| k == "page"),
        "an offset page: {}",
        first.url
    );
}
