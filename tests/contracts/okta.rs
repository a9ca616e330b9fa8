//! Okta (`okta/okta-management-openapi-spec`): the description's own user-list examples, plus
//! one user for each `UserStatus` value no example carries (the example user with that status),
//! paged by the `Link` header the description names; `DEPROVISIONED` users only from the filtered
//! list, since the description says the plain list omits them. Every request's parameters must be
//! in the description, and each status must land where SPEC §3.2 puts it.

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const TOKEN: &str = "okta-contract-token";
const FINAL: &str = "DEPROVISIONED";

/// Every user of every list example in the description, once per id (the examples reuse ids for
/// different people: the first wins), leaving out the `fields` projection example whose profiles
/// carry no email (seatwarden asks for no projection).
fn example_users(okta: &Described) -> Vec<Value> {
    let examples = okta.operation("GET", "/api/v1/users")["responses"]["200"]["examples"]
        .as_object()
        .expect("examples");
    let mut users: Vec<Value> = Vec::new();
    for list in examples.values() {
        for u in list.as_array().expect("a list example") {
            let projected = u["profile"]["email"].is_null();
            if !projected && !users.iter().any(|seen| seen["id"] == u["id"]) {
                users.push(u.clone());
            }
        }
    }
    users
}

/// The first example user, as a user with `status` (id, login and email made its own).
fn with_status(template: &Value, status: &str) -> Value {
    let word = status.to_lowercase().replace('_', "-");
    let mut u = template.clone();
    let email = format!("alice.{word}@example.com");
    u["id"] = json!(format!("00u-{word}"));
    u["status"] = json!(status);
    u["profile"]["login"] = json!(email);
    u["profile"]["email"] = json!(email);
    u["profile"]["lastName"] = json!(format!("Smith-{word}"));
    u
}

/// The users the loopback Okta holds: the examples, then one per status no example has.
fn users(okta: &Described) -> Vec<Value> {
    let mut users = example_users(okta);
    let statuses = okta.doc["schemas"]["UserStatus"]["enum"]
        .as_array()
        .expect("UserStatus enum")
        .clone();
    let template = users[0].clone();
    for status in statuses {
        if !users.iter().any(|u| u["status"] == status) {
            users.push(with_status(&template, status.as_str().expect("a status")));
        }
    }
    users
}

async fn mount(server: &MockServer, users: &[Value]) {
    let (deprovisioned, listed): (Vec<Value>, Vec<Value>) =
        users.iter().cloned().partition(|u| u["status"] == FINAL);
    let (first, second) = listed.split_at(listed.len() / 2);
    let uri = server.uri();
    let auth = format!("SSWS {TOKEN}");
    let plain = || {
        Mock::given(method("GET"))
            .and(path("/api/v1/users"))
            .and(wiremock::matchers::header("authorization", auth.as_str()))
            .and(query_param_is_missing("filter"))
    };
    plain()
        .and(query_param_is_missing("after"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!(
                        "<{uri}/api/v1/users?limit=200>; rel=\"self\", <{uri}/api/v1/users?after=page2&limit=200>; rel=\"next\""
                    )
                    .as_str(),
                )
                .set_body_json(first),
        )
        .expect(1)
        .mount(server)
        .await;
    plain()
        .and(query_param("after", "page2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!("<{uri}/api/v1/users?after=page2&limit=200>; rel=\"self\"").as_str(),
                )
                .set_body_json(second),
        )
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param(
            "filter",
            format!("status eq \"{FINAL}\"").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(deprovisioned))
        .expect(1)
        .mount(server)
        .await;
}

/// SPEC §3.2: what each Okta status means for a row (action, reason), `None` for no recommendation.
fn expected(status: &str) -> Option<(&'static str, &'static str)> {
    match status {
        "DEPROVISIONED" => Some(("remove", "departed")),
        "SUSPENDED" | "LOCKED_OUT" => Some(("review", "departed")),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_user_examples_of_every_status_parse_and_the_list_calls_conform() {
    let okta = Described::load("Okta", "okta/users.json");
    assert_eq!(okta.doc["paging"]["cursor_from_header"], "Link");
    let users = users(&okta);
    let server = MockServer::start().await;
    mount(&server, &users).await;
    let emails: Vec<(String, String)> = users
        .iter()
        .map(|u| {
            let p = &u["profile"];
            (
                p["email"].as_str().expect("email").to_string(),
                format!(
                    "{} {}",
                    p["firstName"].as_str().unwrap_or(""),
                    p["lastName"].as_str().unwrap_or("")
                ),
            )
        })
        .collect();
    let seed: Vec<(&str, &str)> = emails
        .iter()
        .map(|(e, n)| (e.as_str(), n.as_str()))
        .collect();
    let s = Scratch::new();
    contract_config(&s, "okta", &server.uri(), "directory = true\n", &seed);

    let report = reconcile_checked(&s, TOKEN, &server, &okta).await;

    assert_eq!(
        source_records(&report, "okta"),
        users.len() as u64,
        "{report:#}"
    );
    for u in &users {
        let status = u["status"].as_str().expect("status");
        let email = u["profile"]["email"].as_str().expect("email");
        let id = identity(row(&report, email), "okta", u["id"].as_str().expect("id"));
        assert_eq!(id["login"], u["profile"]["login"], "{status}: {id}");
        let got = recommendation(&report, email);
        let want = expected(status);
        assert_eq!(
            got.as_ref().map(|(a, r, _)| (a.as_str(), r.as_str())),
            want,
            "{status} ({email}): {got:?}"
        );
    }
}
