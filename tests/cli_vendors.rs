//! Every vendor kind at once (issue 3): the binary against one loopback server per vendor — Okta,
//! the Microsoft identity platform and Graph (two servers: the client secret may only reach the
//! authority, the bearer only Graph), GitHub (REST members, users, Copilot seats), GitLab, Jira and
//! Harness (licensing and the SEI developer table) — with fixtures in each vendor's documented
//! shape, paging across pages, and each vendor's auth header asserted by its mocks.

use serde_json::{Value, json};
use wiremock::matchers::{
    body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const OKTA_TOKEN: &str = "okta-secret-1";
const GRAPH_SECRET: &str = "graph-secret-1";
const GRAPH_ACCESS: &str = "graph-access-token-1";
const GITHUB_TOKEN: &str = "gh-secret-1";
const GITLAB_TOKEN: &str = "gl-secret-1";
const JIRA_TOKEN: &str = "jira-secret-1";
/// base64("jira-bot@acme.example:jira-secret-1")
const JIRA_BASIC: &str = "Basic amlyYS1ib3RAYWNtZS5leGFtcGxlOmppcmEtc2VjcmV0LTE=";
const HARNESS_KEY: &str = "harness-secret-1";
const TENANT: &str = "acme.onmicrosoft.com";
const ACCOUNT: &str = "AbCdEf123";
const SEI_PATH: &str = "/prod1/sei/api";

/// The table as SEI holds it: seeds the empty store.
const SEI_TABLE: &str = "Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\n\
    ada@acme.example,,Ada Lovelace,Engineer,,,,Engineering\n\
    bob@acme.example,,Bob Stone,Engineer,,,,Engineering\n\
    carol@acme.example,,Carol Danvers,Engineer,,,,Engineering\n\
    ci-bot@acme.example,,Build Automation,Engineer,,,,Engineering\n\
    dave@acme.example,,Dave Grohl,Engineer,,,,Engineering\n\
    frank@acme.example,,Frank Ocean,Engineer,,,,Engineering\n\
    gina@acme.example,,Gina Torres,Engineer,,,,Engineering\n";

fn days_ago(d: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::days(d)
}

fn rfc3339(d: i64) -> String {
    days_ago(d).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn date(d: i64) -> String {
    days_ago(d).format("%Y-%m-%d").to_string()
}

/// Epoch milliseconds `d` days ago (negative: ahead), as Harness's license windows are written.
fn epoch_ms(d: i64) -> i64 {
    days_ago(d).timestamp_millis()
}

/// One loopback server per vendor.
struct Vendors {
    okta: MockServer,
    login: MockServer,
    graph: MockServer,
    github: MockServer,
    gitlab: MockServer,
    jira: MockServer,
    harness: MockServer,
}

impl Vendors {
    async fn start() -> Vendors {
        Vendors {
            okta: MockServer::start().await,
            login: MockServer::start().await,
            graph: MockServer::start().await,
            github: MockServer::start().await,
            gitlab: MockServer::start().await,
            jira: MockServer::start().await,
            harness: MockServer::start().await,
        }
    }

    /// The config naming every vendor; `okta_extra` is TOML added to the Okta entry.
    fn config(&self, okta_extra: &str) -> String {
        config_with(&format!(
            r#"[[sources]]
name = "okta"
kind = "okta"
url = "{okta}"
token_env = "OKTA_TOKEN"
directory = true
page_size = 2
{okta_extra}
[sources.links]
github = "githubUsername"

[[sources]]
name = "entra"
kind = "msgraph"
url = "{graph}"
authority = "{login}"
tenant = "{TENANT}"
client_id = "cid-1"
client_secret_env = "GRAPH_CLIENT_SECRET"
directory = true
page_size = 1

[[sources]]
name = "github"
kind = "github"
url = "{github}"
org = "acme"
token_env = "GITHUB_TOKEN"
copilot = true
page_size = 2

[[sources]]
name = "gitlab"
kind = "gitlab"
url = "{gitlab}"
token_env = "GITLAB_TOKEN"
page_size = 2

[[sources]]
name = "jira"
kind = "jira"
url = "{jira}"
user = "jira-bot@acme.example"
token_env = "JIRA_TOKEN"
page_size = 2

[[sources]]
name = "sei"
kind = "harness"
url = "{harness}"
sei_url = "{harness}{SEI_PATH}"
account = "{ACCOUNT}"
token_env = "HARNESS_API_KEY"
"#,
            okta = self.okta.uri(),
            graph = self.graph.uri(),
            login = self.login.uri(),
            github = self.github.uri(),
            gitlab = self.gitlab.uri(),
            jira = self.jira.uri(),
            harness = self.harness.uri(),
        ))
    }

    async fn verify(&self) {
        for s in [
            &self.okta,
            &self.login,
            &self.graph,
            &self.github,
            &self.gitlab,
            &self.jira,
            &self.harness,
        ] {
            s.verify().await;
        }
    }

    /// The secrets never cross between the two Microsoft hosts.
    async fn assert_graph_secrets_stay_home(&self) {
        for r in self.graph.received_requests().await.unwrap() {
            assert!(!String::from_utf8_lossy(&r.body).contains(GRAPH_SECRET));
            assert!(!r.url.as_str().contains(GRAPH_SECRET));
        }
        for r in self.login.received_requests().await.unwrap() {
            assert!(
                !r.headers.contains_key("authorization"),
                "a bearer reached the authority: {r:?}"
            );
        }
    }

    // ---- reconcile fixtures ----------------------------------------------------------------

    async fn mount_okta(&self) {
        let u = self.okta.uri();
        let plain = || {
            Mock::given(method("GET"))
                .and(path("/api/v1/users"))
                .and(header(
                    "authorization",
                    format!("SSWS {OKTA_TOKEN}").as_str(),
                ))
                .and(query_param("limit", "2"))
                .and(query_param_is_missing("filter"))
        };
        plain()
            .and(query_param_is_missing("after"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header(
                        "link",
                        format!(
                            "<{u}/api/v1/users?limit=2>; rel=\"self\", <{u}/api/v1/users?limit=2&after=00u-carol>; rel=\"next\""
                        ),
                    )
                    .set_body_json(json!([
                        okta_user("00u-ada", "ACTIVE", "ada@acme.example", "Ada", "Lovelace", Some("ada-gh")),
                        okta_user("00u-carol", "ACTIVE", "carol@acme.example", "Carol", "Danvers", Some("carol-gh")),
                    ])),
            )
            .expect(1)
            .mount(&self.okta)
            .await;
        plain()
            .and(query_param("after", "00u-carol"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                okta_user(
                    "00u-bot",
                    "ACTIVE",
                    "ci-bot@acme.example",
                    "Build",
                    "Automation",
                    None
                ),
                okta_user(
                    "00u-erin",
                    "ACTIVE",
                    "erin@acme.example",
                    "Erin",
                    "Hannon",
                    None
                ),
            ])))
            .expect(1)
            .mount(&self.okta)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/users"))
            .and(header(
                "authorization",
                format!("SSWS {OKTA_TOKEN}").as_str(),
            ))
            .and(query_param("filter", "status eq \"DEPROVISIONED\""))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([okta_user(
                "00u-bob",
                "DEPROVISIONED",
                "bob@acme.example",
                "Bob",
                "Stone",
                None
            )])))
            .expect(1)
            .mount(&self.okta)
            .await;
    }

    async fn mount_graph_token(&self) {
        Mock::given(method("POST"))
            .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
            .and(body_string_contains("client_id=cid-1"))
            .and(body_string_contains(format!(
                "client_secret={GRAPH_SECRET}"
            )))
            .and(body_string_contains("grant_type=client_credentials"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                "access_token": GRAPH_ACCESS})))
            .expect(1)
            .mount(&self.login)
            .await;
    }

    async fn mount_graph(&self) {
        self.mount_graph_token().await;
        let g = self.graph.uri();
        let users = || {
            Mock::given(method("GET"))
                .and(path("/v1.0/users"))
                .and(header(
                    "authorization",
                    format!("Bearer {GRAPH_ACCESS}").as_str(),
                ))
        };
        users()
            .and(query_param("$top", "1"))
            .and(query_param_is_missing("$skiptoken"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
                "value": [graph_user("g-dave", "Dave Grohl", "dave@acme.example", false)],
                "@odata.nextLink": format!("{g}/v1.0/users?$select=id&$top=1&$skiptoken=p2")})))
            .expect(1)
            .mount(&self.graph)
            .await;
        users()
            .and(query_param("$skiptoken", "p2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "value": [graph_user("g-gina", "Gina Torres", "gina@acme.example", true)]})))
            .expect(1)
            .mount(&self.graph)
            .await;
    }

    async fn mount_github(&self) {
        let u = self.github.uri();
        let auth = format!("Bearer {GITHUB_TOKEN}");
        let get = |p: &str| {
            Mock::given(method("GET"))
                .and(path(p.to_string()))
                .and(header("authorization", auth.as_str()))
        };
        get("/orgs/acme/members")
            .and(query_param("per_page", "2"))
            .and(query_param_is_missing("page"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header(
                        "link",
                        format!(
                            "<{u}/orgs/acme/members?per_page=2&page=2>; rel=\"next\", <{u}/orgs/acme/members?per_page=2&page=2>; rel=\"last\""
                        ),
                    )
                    .set_body_json(json!([
                        gh_member(101, "ada-gh", "User"),
                        gh_member(102, "carol-gh", "User")
                    ])),
            )
            .expect(1)
            .mount(&self.github)
            .await;
        get("/orgs/acme/members")
            .and(query_param("page", "2"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!([gh_member(103, "ci-bot", "Bot")])),
            )
            .expect(1)
            .mount(&self.github)
            .await;
        for (id, login, kind, name, email) in [
            (101, "ada-gh", "User", "Ada L.", Value::Null),
            (
                102,
                "carol-gh",
                "User",
                "Carol Danvers",
                json!("carol@acme.example"),
            ),
            (103, "ci-bot", "Bot", "ci-bot", json!("ci-bot@acme.example")),
        ] {
            get(&format!("/users/{login}"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "login": login, "id": id, "node_id": "x", "type": kind, "site_admin": false,
                    "name": name, "email": email, "created_at": "2019-05-01T00:00:00Z"})))
                .expect(1)
                .mount(&self.github)
                .await;
        }
        get("/orgs/acme/copilot/billing/seats")
            .and(query_param("per_page", "2"))
            .and(query_param_is_missing("page"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header(
                        "link",
                        format!(
                            "<{u}/orgs/acme/copilot/billing/seats?per_page=2&page=2>; rel=\"next\""
                        ),
                    )
                    .set_body_json(json!({"total_seats": 2, "seats": [
                        {"created_at": "2021-01-01T00:00:00Z", "updated_at": "2021-01-01T00:00:00Z",
                         "pending_cancellation_date": null, "last_activity_at": rfc3339(3),
                         "last_activity_editor": "vscode/1.90", "plan_type": "business",
                         "assignee": gh_member(101, "ada-gh", "User")}]})),
            )
            .expect(1)
            .mount(&self.github)
            .await;
        get("/orgs/acme/copilot/billing/seats")
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"total_seats": 2, "seats": [
                {"created_at": "2021-01-01T00:00:00Z", "last_activity_at": rfc3339(200),
                 "last_activity_editor": "vscode/1.70", "plan_type": "business",
                 "assignee": gh_member(102, "carol-gh", "User")}]}),
            ))
            .expect(1)
            .mount(&self.github)
            .await;
    }

    async fn mount_gitlab(&self) {
        let m = || {
            Mock::given(method("GET"))
                .and(path("/api/v4/users"))
                .and(header("private-token", GITLAB_TOKEN))
                .and(query_param("per_page", "2"))
        };
        m().and(query_param_is_missing("page"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-next-page", "2")
                    .insert_header("x-page", "1")
                    .insert_header("x-total", "3")
                    .set_body_json(json!([
                        gl_user(201, "ada", "Ada Lovelace", "ada@acme.example", 2),
                        gl_user(202, "erin", "Erin Hannon", "erin@acme.example", 5),
                    ])),
            )
            .expect(1)
            .mount(&self.gitlab)
            .await;
        m().and(query_param("page", "2"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-next-page", "")
                    .insert_header("x-page", "2")
                    .set_body_json(json!([gl_user(
                        203,
                        "gina",
                        "Gina Torres",
                        "gina@acme.example",
                        1
                    )])),
            )
            .expect(1)
            .mount(&self.gitlab)
            .await;
    }

    async fn mount_jira(&self) {
        let page = |start: &str, body: Value| {
            Mock::given(method("GET"))
                .and(path("/rest/api/3/users/search"))
                .and(header("authorization", JIRA_BASIC))
                .and(query_param("maxResults", "2"))
                .and(query_param("startAt", start))
                .respond_with(ResponseTemplate::new(200).set_body_json(body))
                .expect(1)
        };
        page(
            "0",
            json!([
                jira_user(
                    "acc-ada",
                    "atlassian",
                    Some("ada@acme.example"),
                    "Ada Lovelace"
                ),
                jira_user("acc-app", "app", None, "Automation for Jira"),
            ]),
        )
        .mount(&self.jira)
        .await;
        page(
            "2",
            json!([jira_user(
                "acc-carol",
                "atlassian",
                Some("carol@acme.example"),
                "Carol Danvers"
            )]),
        )
        .mount(&self.jira)
        .await;
        page("3", json!([])).mount(&self.jira).await;
    }

    async fn mount_harness_license(&self) {
        Mock::given(method("GET"))
            .and(path(format!("/ng/api/licenses/modules/{ACCOUNT}")))
            .and(query_param("moduleType", "SEI"))
            .and(header("authorization", format!("ApiKey {HARNESS_KEY}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "status": "SUCCESS", "metaData": null, "correlationId": "c-1", "data": [
                {"id": "old", "accountIdentifier": ACCOUNT, "moduleType": "SEI", "edition": "ENTERPRISE",
                 "licenseType": "PAID", "status": "ACTIVE", "numberOfContributors": 4,
                 "startTime": epoch_ms(700), "expiryTime": epoch_ms(301)},
                {"id": "current", "accountIdentifier": ACCOUNT, "moduleType": "SEI", "edition": "ENTERPRISE",
                 "licenseType": "PAID", "status": "ACTIVE", "numberOfContributors": 6,
                 "startTime": epoch_ms(300), "expiryTime": epoch_ms(-65)},
                {"id": "lapsed", "accountIdentifier": ACCOUNT, "moduleType": "SEI", "status": "EXPIRED",
                 "numberOfContributors": 900, "startTime": epoch_ms(10),
                 "expiryTime": epoch_ms(-10)}]})))
            .expect(1)
            .mount(&self.harness)
            .await;
    }

    async fn mount_harness(&self) {
        self.mount_harness_license().await;
        Mock::given(method("GET"))
            .and(path(format!("{SEI_PATH}/v2/developers")))
            .and(header(
                "authorization",
                format!("ApiKey {HARNESS_KEY}").as_str(),
            ))
            .and(header("accept", "text/csv"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "text/csv")
                    .set_body_string(SEI_TABLE),
            )
            .expect(1)
            .mount(&self.harness)
            .await;
    }

    async fn mount_all_but_okta(&self) {
        self.mount_graph().await;
        self.mount_github().await;
        self.mount_gitlab().await;
        self.mount_jira().await;
        self.mount_harness().await;
    }

    // ---- check fixtures: one cheap call each ----------------------------------------------

    async fn mount_checks(&self, gitlab_status: u16) {
        Mock::given(method("GET"))
            .and(path("/api/v1/users"))
            .and(query_param("limit", "1"))
            .and(header(
                "authorization",
                format!("SSWS {OKTA_TOKEN}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .expect(1)
            .mount(&self.okta)
            .await;
        self.mount_graph_token().await;
        Mock::given(method("GET"))
            .and(path("/v1.0/users"))
            .and(query_param("$top", "1"))
            .and(header(
                "authorization",
                format!("Bearer {GRAPH_ACCESS}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
            .expect(1)
            .mount(&self.graph)
            .await;
        Mock::given(method("GET"))
            .and(path("/orgs/acme/members"))
            .and(query_param("per_page", "1"))
            .and(header(
                "authorization",
                format!("Bearer {GITHUB_TOKEN}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .expect(1)
            .mount(&self.github)
            .await;
        let gitlab = if gitlab_status == 200 {
            ResponseTemplate::new(200)
                .insert_header("x-total", "3")
                .set_body_json(json!([]))
        } else {
            // A server that echoes the token back must not get it printed.
            ResponseTemplate::new(gitlab_status).set_body_json(
                json!({"message": format!("401 Unauthorized: token {GITLAB_TOKEN} is revoked")}),
            )
        };
        Mock::given(method("GET"))
            .and(path("/api/v4/users"))
            .and(query_param("per_page", "1"))
            .and(header("private-token", GITLAB_TOKEN))
            .respond_with(gitlab)
            .expect(1)
            .mount(&self.gitlab)
            .await;
        Mock::given(method("GET"))
            .and(path("/rest/api/3/users/search"))
            .and(query_param("startAt", "0"))
            .and(query_param("maxResults", "1"))
            .and(header("authorization", JIRA_BASIC))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .expect(1)
            .mount(&self.jira)
            .await;
        self.mount_harness_license().await;
    }
}

fn okta_user(
    id: &str,
    status: &str,
    email: &str,
    first: &str,
    last: &str,
    github: Option<&str>,
) -> Value {
    json!({
        "id": id, "status": status, "created": "2019-03-01T10:00:00.000Z",
        "activated": "2019-03-01T10:00:00.000Z", "statusChanged": "2024-01-01T00:00:00.000Z",
        "lastLogin": rfc3339(1), "lastUpdated": "2025-01-01T00:00:00.000Z",
        "passwordChanged": null, "type": {"id": "oty1"},
        "profile": {"login": email, "email": email, "firstName": first, "lastName": last,
                    "title": "Engineer", "department": "Engineering", "githubUsername": github},
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": {"href": format!("https://acme.okta.com/api/v1/users/{id}")}}
    })
}

fn graph_user(id: &str, name: &str, mail: &str, enabled: bool) -> Value {
    json!({"id": id, "displayName": name, "mail": mail, "userPrincipalName": mail,
           "otherMails": [], "accountEnabled": enabled, "employeeId": null,
           "department": "Engineering", "jobTitle": "Engineer",
           "createdDateTime": "2019-06-01T00:00:00Z",
           "onPremisesExtensionAttributes": {"extensionAttribute1": null}})
}

fn gh_member(id: u64, login: &str, kind: &str) -> Value {
    json!({"login": login, "id": id, "node_id": "MDQ6VXNlcjE=", "type": kind, "site_admin": false,
           "url": format!("https://api.github.com/users/{login}")})
}

fn gl_user(id: u64, username: &str, name: &str, email: &str, active_days_ago: i64) -> Value {
    json!({"id": id, "username": username, "name": name, "state": "active", "locked": false,
           "bot": false, "email": email, "public_email": "", "job_title": "Engineer",
           "last_activity_on": date(active_days_ago), "created_at": "2019-01-01T00:00:00.000Z",
           "avatar_url": "https://gitlab.acme.example/a.png",
           "web_url": format!("https://gitlab.acme.example/{username}")})
}

fn jira_user(id: &str, kind: &str, email: Option<&str>, name: &str) -> Value {
    let mut u = json!({"self": format!("https://acme.atlassian.net/rest/api/3/user?accountId={id}"),
                       "accountId": id, "accountType": kind, "displayName": name, "active": true,
                       "timeZone": "Europe/London", "locale": "en_GB"});
    if let Some(e) = email {
        u["emailAddress"] = json!(e);
    }
    u
}

fn secrets_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("OKTA_TOKEN", OKTA_TOKEN),
        ("GRAPH_CLIENT_SECRET", GRAPH_SECRET),
        ("GITHUB_TOKEN", GITHUB_TOKEN),
        ("GITLAB_TOKEN", GITLAB_TOKEN),
        ("JIRA_TOKEN", JIRA_TOKEN),
        ("HARNESS_API_KEY", HARNESS_KEY),
    ]
}

const ALL_SECRETS: [&str; 7] = [
    OKTA_TOKEN,
    GRAPH_SECRET,
    GRAPH_ACCESS,
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    JIRA_TOKEN,
    HARNESS_KEY,
];

async fn run_blocking(s: &Scratch, args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let dir = s.dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut cmd = seatwarden();
        cmd.current_dir(&dir)
            .arg("--config")
            .arg(dir.join("seatwarden.toml"))
            .args(&args);
        for (k, v) in secrets_env() {
            cmd.env(k, v);
        }
        Run {
            output: cmd.output().unwrap(),
            what: format!("seatwarden {}", args.join(" ")),
        }
    })
    .await
    .unwrap()
}

fn read_report(s: &Scratch) -> Value {
    serde_json::from_slice(&bytes(&s.path("report.json"))).unwrap()
}

fn source<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no source {name} in {v:#}"))
}

fn developer<'a>(v: &'a Value, email: &str) -> &'a Value {
    v["developers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["email"] == email)
        .unwrap_or_else(|| panic!("no developer {email} in {:#}", v["developers"]))
}

/// The recommendation for the row with this email: (action, reason, evidence).
fn recommendation(v: &Value, email: &str) -> Option<(String, String, String)> {
    let id = developer(v, email)["id"].clone();
    v["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["developer"] == id)
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
                r["evidence"].to_string(),
            )
        })
}

fn action_reason(v: &Value, email: &str) -> Option<(String, String)> {
    recommendation(v, email).map(|(a, r, _)| (a, r))
}

fn pair(a: &str, r: &str) -> Option<(String, String)> {
    Some((a.to_string(), r.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_against_every_vendor_kind_at_once() {
    let vendors = Vendors::start().await;
    vendors.mount_okta().await;
    vendors.mount_all_but_okta().await;
    let s = Scratch::new();
    s.write("seatwarden.toml", &vendors.config(""));

    let run = run_blocking(
        &s,
        &["reconcile", "--dry-run", "--json", "report.json", "-q"],
    )
    .await;
    run.expect_code(0);
    vendors.verify().await;
    vendors.assert_graph_secrets_stay_home().await;
    let v = read_report(&s);
    let text = v.to_string();
    for secret in ALL_SECRETS {
        assert!(!text.contains(secret), "the report leaks {secret}");
    }

    assert_eq!(v["run"]["status"], "ok", "{v:#}");
    for (name, records) in [
        ("okta", 5),
        ("entra", 2),
        ("github", 3),
        ("gitlab", 3),
        ("jira", 3),
        ("sei", 7),
    ] {
        let src = source(&v, name);
        assert_eq!(
            (src["status"].as_str(), src["records"].as_u64()),
            (Some("ok"), Some(records)),
            "{name}: {src}"
        );
        assert!(src["error"].is_null(), "{src}");
    }

    // The latest ACTIVE SEI license, not the older one nor the newer EXPIRED one, nor the config's 10.
    assert_eq!(v["subscription"]["licenses_purchased"], 6, "{v:#}");
    assert_eq!(v["subscription"]["period_start"], date(300).as_str());
    assert_eq!(v["subscription"]["period_end"], date(-65).as_str());
    assert_eq!(v["subscription"]["license"]["id"], "current", "{v:#}");

    // The table was seeded from SEI (7 rows), Erin joined from Okta + GitLab.
    assert_eq!(v["usage"]["consumed_before"], 7, "{:#}", v["usage"]);
    assert_eq!(v["usage"]["consumed_after"], 8, "{:#}", v["usage"]);
    assert_eq!(v["usage"]["overage"], 2, "{:#}", v["usage"]);
    let erin = developer(&v, "erin@acme.example");
    assert_eq!(
        v["changes"]["added"],
        json!([erin["id"]]),
        "{:#}",
        v["changes"]
    );

    // One developer for Ada: Okta, GitLab (same email), GitHub (Okta's githubUsername link), Jira.
    let ada = developer(&v, "ada@acme.example");
    let ids: Vec<(String, String)> = ada["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["source"].as_str().unwrap().to_string(),
                i["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("okta", "00u-ada"),
        ("gitlab", "201"),
        ("github", "101"),
        ("jira", "acc-ada"),
    ] {
        assert!(
            ids.contains(&(want.0.to_string(), want.1.to_string())),
            "Ada lacks {want:?}: {ids:?}"
        );
    }
    let ada_rows = v["developers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["identities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["source"] == "gitlab" && i["id"] == "201")
        })
        .count();
    assert_eq!(ada_rows, 1, "GitLab's Ada is one developer");
    assert_eq!(action_reason(&v, "ada@acme.example"), None);
    assert_eq!(action_reason(&v, "gina@acme.example"), None);

    // Okta DEPROVISIONED (only in the filtered listing).
    let (a, r, ev) = recommendation(&v, "bob@acme.example").expect("bob");
    assert_eq!((a.as_str(), r.as_str()), ("remove", "departed"));
    assert!(ev.contains("okta") && ev.contains("departed"), "{ev}");
    // GitHub `type: Bot`, even though Okta holds the service account as ACTIVE.
    let (a, r, ev) = recommendation(&v, "ci-bot@acme.example").expect("ci-bot");
    assert_eq!((a.as_str(), r.as_str()), ("remove", "bot"), "{ev}");
    // Copilot activity 200 days old, the only activity Carol has.
    let (a, r, ev) = recommendation(&v, "carol@acme.example").expect("carol");
    assert_eq!((a.as_str(), r.as_str()), ("remove", "inactive"), "{ev}");
    assert!(ev.contains("github") && ev.contains(&date(200)), "{ev}");
    // Graph accountEnabled: false, in no other directory.
    let (a, r, ev) = recommendation(&v, "dave@acme.example").expect("dave");
    assert_eq!((a.as_str(), r.as_str()), ("remove", "departed"), "{ev}");
    assert!(ev.contains("entra"), "{ev}");
    // In the SEI table only; every directory healthy: absent. This is the directories' first run and
    // absence alone would remove more than max_drop_percent of the table, so it waits for a baseline.
    let (a, r, ev) = recommendation(&v, "frank@acme.example").expect("frank");
    assert_eq!((a.as_str(), r.as_str()), ("review", "departed"), "{ev}");
    assert!(
        ev.contains("not found in any directory") && ev.contains("first run"),
        "{ev}"
    );
    assert_eq!(v["recommendations"].as_array().unwrap().len(), 5, "{v:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_vendor_down_degrades_without_removals() {
    let vendors = Vendors::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .mount(&vendors.okta)
        .await;
    vendors.mount_all_but_okta().await;
    let s = Scratch::new();
    s.write(
        "seatwarden.toml",
        &vendors.config("max_retry_wait_secs = 0.5"),
    );

    let started = std::time::Instant::now();
    let run = run_blocking(
        &s,
        &["reconcile", "--dry-run", "--json", "report.json", "-q"],
    )
    .await;
    run.expect_code(3);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "gave up slowly"
    );
    vendors.verify().await;
    let v = read_report(&s);
    assert_eq!(v["run"]["status"], "degraded");
    let okta = source(&v, "okta");
    assert_eq!(okta["status"], "failed", "{okta}");
    let error = okta["error"].as_str().unwrap();
    assert!(
        error.contains(&format!("{}/api/v1/users", vendors.okta.uri())) && error.contains("503"),
        "{error}"
    );
    assert!(!error.contains(OKTA_TOKEN), "{error}");
    for name in ["entra", "github", "gitlab", "jira", "sei"] {
        assert_eq!(source(&v, name)["status"], "ok", "{name}");
    }
    assert!(
        okta.get("records").is_some(),
        "a failed source still reports its records"
    );

    // Nothing is inferred from absence in Okta: Ada (known only to Okta as a directory), Bob (whose
    // DEPROVISIONED status Okta could not deliver) and Frank (absent from every directory, but one
    // of them is down) keep their licenses.
    for email in ["ada@acme.example", "bob@acme.example", "frank@acme.example"] {
        if let Some((a, r, ev)) = recommendation(&v, email) {
            assert_ne!(a, "remove", "{email}: {r} {ev}");
        }
    }
    for r in v["recommendations"].as_array().unwrap() {
        let ev = r["evidence"].to_string();
        assert!(
            !(r["action"] == "remove" && ev.contains("not found in any directory")),
            "a removal from absence while okta is down: {r:#}"
        );
    }
    assert_eq!(
        action_reason(&v, "frank@acme.example"),
        pair("review", "unseen")
    );
    // Evidence that does not depend on Okta still stands.
    assert_eq!(
        action_reason(&v, "ci-bot@acme.example"),
        pair("remove", "bot")
    );
    assert_eq!(
        action_reason(&v, "carol@acme.example"),
        pair("remove", "inactive")
    );
    // Erin is known to Okta only as a directory: not added while Okta is down.
    assert_eq!(v["changes"]["added"], json!([]), "{:#}", v["changes"]);
}

/// Dave's Graph account is disabled, but Okta — the other directory — is down and might hold an
/// active account for him (SPEC §3.2: employed when *one* directory identity is active; §3.6:
/// nothing is inferred from a person's absence in a failed source). The removal depends on Okta,
/// so it must be withheld (review), not issued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_status_in_one_directory_is_not_departure_while_another_directory_is_down() {
    let vendors = Vendors::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&vendors.okta)
        .await;
    vendors.mount_all_but_okta().await;
    let s = Scratch::new();
    s.write(
        "seatwarden.toml",
        &vendors.config("max_retry_wait_secs = 0.5"),
    );
    let run = run_blocking(
        &s,
        &["reconcile", "--dry-run", "--json", "report.json", "-q"],
    )
    .await;
    run.expect_code(3);
    let v = read_report(&s);
    let (a, r, ev) = recommendation(&v, "dave@acme.example").expect("dave");
    assert_eq!(
        (a.as_str(), r.as_str()),
        ("review", "departed"),
        "Dave removed while okta is down: {ev}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reaches_every_vendor() {
    let vendors = Vendors::start().await;
    vendors.mount_checks(200).await;
    let s = Scratch::new();
    s.write("seatwarden.toml", &vendors.config(""));
    let run = run_blocking(&s, &["check"]).await;
    run.expect_code(0);
    vendors.verify().await;
    vendors.assert_graph_secrets_stay_home().await;
    let out = run.stdout();
    for name in ["okta", "entra", "github", "gitlab", "jira", "sei"] {
        let line = out
            .lines()
            .find(|l| l.contains(&format!("source {name} ")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{out}"));
        assert!(line.starts_with("ok "), "{line}");
    }
    assert!(
        out.contains("SEI license current for 6 developers"),
        "{out}"
    );
    assert!(!out.contains("FAIL"), "{out}");

    // GitLab rejects its token (and echoes it back): FAIL for GitLab only, exit 1, no token shown.
    let vendors = Vendors::start().await;
    vendors.mount_checks(401).await;
    s.write("seatwarden.toml", &vendors.config(""));
    let run = run_blocking(&s, &["check"]).await;
    run.expect_code(1);
    vendors.verify().await;
    let out = run.stdout();
    let failed: Vec<&str> = out.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(failed.len(), 1, "{out}");
    assert!(
        failed[0].contains("source gitlab") && failed[0].contains("401"),
        "{out}"
    );
    for name in ["okta", "entra", "github", "jira", "sei"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with("ok ") && l.contains(&format!("source {name} "))),
            "{name}:\n{out}"
        );
    }
    for (what, text) in [("stdout", out.clone()), ("stderr", run.stderr())] {
        for secret in ALL_SECRETS {
            assert!(!text.contains(secret), "{what} leaks {secret}:\n{text}");
        }
    }
}
