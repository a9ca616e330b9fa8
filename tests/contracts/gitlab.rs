//! GitLab (`doc/api/users.md`, the Users API page: GitLab's OpenAPI description has no
//! `GET /api/v4/users`): the page's administrator example, one user a page, paged by the offset
//! headers the REST API page names; every query parameter must be one the page lists.

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

async fn mount(server: &MockServer, users: &[Value]) {
    for (n, user) in users.iter().enumerate() {
        let page = n + 1;
        let next = if page < users.len() {
            (page + 1).to_string()
        } else {
            String::new()
        };
        let m = Mock::given(method("GET")).and(path("/api/v4/users"));
        let m = if page == 1 {
            m.and(query_param_is_missing("page"))
        } else {
            m.and(query_param("page", page.to_string().as_str()))
        };
        m.respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-next-page", next.as_str())
                .insert_header("x-page", page.to_string().as_str())
                .insert_header("x-total", users.len().to_string().as_str())
                .set_body_json(Value::Array(vec![user.clone()])),
        )
        .expect(1)
        .mount(server)
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_users_page_examples_parse_and_the_listing_conforms() {
    let (gitlab, users) = administrator_example();
    let headers = &gitlab.operation("GET", "/api/v4/users")["responses"]["200"]["headers"];
    assert!(headers.get("x-next-page").is_some(), "{headers}");
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
/// keyset pagination is required for responses of 50,000 and above." seatwarden pages by offset
/// (`page`), so an instance with 50,000 users or more cannot be read to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "finding: the gitlab source pages /api/v4/users by offset; GitLab requires keyset pagination (pagination=keyset&order_by=id&sort=asc) at 50,000 users and above"]
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
    assert!(
        asked.contains(&("pagination".into(), "keyset".into())),
        "the first users request asks for offset pages: {}",
        first.url
    );
}
