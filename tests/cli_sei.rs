//! SEI as the end it is (issue 14): the binary against one mock SEI (Harness licensing and the SEI
//! service on one loopback server) plus the GitHub and Jira accounts that SEI should attribute —
//! `reconcile` reading SEI's table and identities, `developers export --push` speaking the
//! documented upload, `developers identities --push` sending what SEI lacks or holds differently,
//! `--dry-run` sending nothing, and the apply cap refusing a push that would wipe SEI.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const KEY: &str = "sei-key-1";
const GITHUB_TOKEN: &str = "gh-token-1";
const JIRA_TOKEN: &str = "jira-token-1";
const ACCOUNT: &str = "AbCdEf123";
const SEI: &str = "/prod1/sei/api";
const GITHUB_INTEGRATION: u64 = 101;
const JIRA_INTEGRATION: u64 = 202;

/// SEI's table as SEI holds it (it seeds the empty store).
const SEI_TABLE: &str = "Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\n\
    ada@acme.example,,Ada Lovelace,Engineer,,,,Engineering\n\
    bob@acme.example,,Bob Stone,Engineer,,,,Engineering\n\
    carol@acme.example,,Carol Danvers,Engineer,,,,Engineering\n";

/// The identities SEI holds: Ada's GitHub login under Carol, Bob's GitHub and Ada's Jira right,
/// Bob's Jira account nowhere.
const SEI_IDENTITIES: &str = "email,integrationId,identity\n\
    carol@acme.example,101,ada-gh\n\
    bob@acme.example,101,bob-gh\n\
    ada@acme.example,202,acc-ada\n";

/// One mock SEI, and the code host and tracker whose accounts it should attribute.
struct World {
    sei: MockServer,
    github: MockServer,
    jira: MockServer,
    scratch: Scratch,
}

fn days_ago_ms(d: i64) -> i64 {
    (chrono::Utc::now() - chrono::Duration::days(d)).timestamp_millis()
}

impl World {
    async fn start(max_apply_percent: u32) -> World {
        let w = World {
            sei: MockServer::start().await,
            github: MockServer::start().await,
            jira: MockServer::start().await,
            scratch: Scratch::new(),
        };
        w.scratch.write(
            "seatwarden.toml",
            &format!(
                r#"[store]
url = "sqlite://seatwarden.db"

[policy]
max_apply_percent = {max_apply_percent}

[[sources]]
name = "github"
kind = "github"
url = "{github}"
org = "acme"
token_env = "GITHUB_TOKEN"

[[sources]]
name = "jira"
kind = "jira"
url = "{jira}"
user = "bot@acme.example"
token_env = "JIRA_TOKEN"

[[sources]]
name = "sei"
kind = "harness"
url = "{sei}"
sei_url = "{sei}{SEI}"
account = "{ACCOUNT}"
token_env = "HARNESS_API_KEY"
[sources.sei_integrations]
github = {GITHUB_INTEGRATION}
jira = {JIRA_INTEGRATION}
"#,
                github = w.github.uri(),
                jira = w.jira.uri(),
                sei = w.sei.uri(),
            ),
        );
        w
    }

    /// `seatwarden ARGS` off the async runtime (the mocks keep answering), with the secrets set.
    async fn run(&self, args: &[&str]) -> Run {
        let env = [
            ("HARNESS_API_KEY", KEY),
            ("GITHUB_TOKEN", GITHUB_TOKEN),
            ("JIRA_TOKEN", JIRA_TOKEN),
        ];
        run_async(self.scratch.dir.path(), args, &env).await
    }

    fn sei_get(&self, p: &str) -> wiremock::MockBuilder {
        Mock::given(method("GET"))
            .and(path(format!("{SEI}{p}")))
            .and(header("authorization", format!("ApiKey {KEY}").as_str()))
            .and(header("accept", "text/csv"))
    }

    /// SEI's table read `tables` times, its identities `identities` times.
    async fn mount_sei_reads(&self, tables: u64, identities: u64) {
        self.sei_get("/v2/developers")
            .respond_with(ResponseTemplate::new(200).set_body_string(SEI_TABLE))
            .expect(tables)
            .mount(&self.sei)
            .await;
        self.sei_get("/v2/developers/identities")
            .respond_with(ResponseTemplate::new(200).set_body_string(SEI_IDENTITIES))
            .expect(identities)
            .mount(&self.sei)
            .await;
    }

    /// What `reconcile` reads besides SEI's own table and identities.
    async fn mount_reconcile_sources(&self) {
        Mock::given(method("GET"))
            .and(path(format!("/ng/api/licenses/modules/{ACCOUNT}")))
            .and(query_param("moduleType", "SEI"))
            .and(header("authorization", format!("ApiKey {KEY}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "SUCCESS",
                "data": [
                    {"id": "lic-2025", "moduleType": "SEI", "status": "EXPIRED", "numberOfContributors": 2,
                     "startTime": days_ago_ms(700), "expiryTime": days_ago_ms(335)},
                    {"id": "lic-2026", "moduleType": "SEI", "status": "ACTIVE", "developerLicenseCount": 5,
                     "startTime": days_ago_ms(334), "expiryTime": days_ago_ms(-31)}]})))
            .expect(1)
            .mount(&self.sei)
            .await;
        let bearer = format!("Bearer {GITHUB_TOKEN}");
        Mock::given(method("GET"))
            .and(path("/orgs/acme/members"))
            .and(header("authorization", bearer.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                {"login": "ada-gh", "id": 1001, "type": "User"},
                {"login": "bob-gh", "id": 1002, "type": "User"}])))
            .expect(1)
            .mount(&self.github)
            .await;
        for (id, login, name, email) in [
            (1001, "ada-gh", "Ada Lovelace", "ada@acme.example"),
            (1002, "bob-gh", "Bob Stone", "bob@acme.example"),
        ] {
            Mock::given(method("GET"))
                .and(path(format!("/users/{login}")))
                .and(header("authorization", bearer.as_str()))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(json!({"login": login,
                    "id": id, "type": "User", "name": name, "email": email,
                    "created_at": "2019-05-01T00:00:00Z"})),
                )
                .expect(1)
                .mount(&self.github)
                .await;
        }
        let users = |start: &str, body: Value| {
            Mock::given(method("GET"))
                .and(path("/rest/api/3/users/search"))
                .and(query_param("startAt", start))
                .respond_with(ResponseTemplate::new(200).set_body_json(body))
                .expect(1)
        };
        users(
            "0",
            json!([
            {"accountId": "acc-ada", "accountType": "atlassian", "displayName": "Ada Lovelace",
             "emailAddress": "ada@acme.example", "active": true},
            {"accountId": "acc-bob", "accountType": "atlassian", "displayName": "Bob Stone",
             "emailAddress": "bob@acme.example", "active": true}]),
        )
        .mount(&self.jira)
        .await;
        users("2", json!([])).mount(&self.jira).await;
    }

    /// `reconcile` (stored): the store is seeded from SEI's table, the accounts attached; the
    /// report in `report.json`, the recommendations in `recs.csv`.
    async fn reconcile(&self) -> Value {
        let run = self
            .run(&["reconcile", "--json", "report.json", "--csv", "recs.csv"])
            .await;
        run.expect_code(0);
        let summary = run.stdout();
        for line in [
            "Identities SEI (sei) attributes 1 accounts to nobody and 1 to the wrong developer (2 agree)",
            "· 101 ada-gh is ada@acme.example's, SEI says carol@acme.example",
            "License    SEI module license lic-2026",
        ] {
            assert!(summary.contains(line), "{line:?} not in:\n{summary}");
        }
        let text = std::fs::read_to_string(self.scratch.path("report.json")).expect("report");
        serde_json::from_str(&text).expect("report JSON")
    }

    async fn mount_upload(&self, uploads: u64) {
        Mock::given(method("PUT"))
            .and(path(format!("{SEI}/v2/developers")))
            .and(header("authorization", format!("ApiKey {KEY}").as_str()))
            .and(header("accept", "application/json"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"versionId": "ver-2", "summary": {"newDevelopers": 1}})),
            )
            .expect(uploads)
            .mount(&self.sei)
            .await;
        Mock::given(method("PATCH"))
            .and(path(format!("{SEI}/v2/developers/versions/ver-2")))
            .and(header("authorization", format!("ApiKey {KEY}").as_str()))
            .and(body_json(json!({"active": true})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"versionId": "ver-2"})))
            .expect(uploads)
            .mount(&self.sei)
            .await;
    }

    async fn mount_identities_patch(&self, patches: u64) {
        Mock::given(method("PATCH"))
            .and(path(format!("{SEI}/v2/developers/identities")))
            .and(header("authorization", format!("ApiKey {KEY}").as_str()))
            .and(body_json(json!([
                {"email": "bob@acme.example", "integrationId": JIRA_INTEGRATION, "identity": "acc-bob"},
                {"email": "ada@acme.example", "integrationId": GITHUB_INTEGRATION, "identity": "ada-gh"}
            ])))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"status": "success", "message": "Developer identities updated successfully."}),
            ))
            .expect(patches)
            .mount(&self.sei)
            .await;
    }

    /// The one upload SEI received: the file part's CSV.
    async fn uploaded_csv(&self) -> String {
        let received = self.sei.received_requests().await.expect("recording");
        let puts: Vec<_> = received
            .iter()
            .filter(|r| r.method.as_str() == "PUT")
            .collect();
        assert_eq!(puts.len(), 1, "one upload");
        let (part, file, content_type, csv) = multipart_file(puts[0]);
        assert_eq!(
            (part.as_str(), file.as_str(), content_type.as_str()),
            ("file", "developers.csv", "text/csv")
        );
        csv
    }

    /// The methods and paths SEI received, in order (licensing left out).
    async fn sei_calls(&self) -> Vec<String> {
        let received = self.sei.received_requests().await.expect("recording");
        received
            .iter()
            .filter(|r| r.url.path().starts_with(SEI))
            .map(|r| format!("{} {}", r.method, &r.url.path()[SEI.len()..]))
            .collect()
    }
}

fn report_identity_drift(report: &Value) {
    let drift = &report["identity_drift"];
    assert_eq!(drift["source"], "sei", "{report:#}");
    assert_eq!(
        drift["misattributed"],
        json!([{"email": "ada@acme.example", "integration_id": 101, "identity": "ada-gh",
                "sei_email": "carol@acme.example"}])
    );
    assert_eq!(
        drift["unattributed"],
        json!([{"email": "bob@acme.example", "integration_id": 202, "identity": "acc-bob"}])
    );
    assert_eq!(drift["agreed"], 2);
    assert_eq!(report["subscription"]["licenses_purchased"], 5);
    assert_eq!(report["subscription"]["license"]["id"], "lic-2026");
}

/// reconcile → (a table edit) → export --push → identities --push, against one mock SEI; with
/// `apply`, the reviewed recommendations are applied between reconcile and the push.
async fn round_trip(with_apply: bool) {
    let w = World::start(50).await;
    w.mount_reconcile_sources().await;
    w.mount_sei_reads(2, 2).await;
    w.mount_upload(1).await;
    w.mount_identities_patch(1).await;

    let report = w.reconcile().await;
    report_identity_drift(&report);

    if with_apply {
        w.run(&["apply", "recs.csv"]).await.expect_code(0);
    } else {
        w.scratch.write(
            "edit.csv",
            "Email,Full Name,Role,Department\ndave@acme.example,Dave Grohl,Engineer,Engineering\n",
        );
        w.run(&["developers", "import", "edit.csv"])
            .await
            .expect_code(0);
    }
    w.run(&["developers", "export", "--out", "expected.csv"])
        .await
        .expect_code(0);
    let expected = std::fs::read_to_string(w.scratch.path("expected.csv")).unwrap();

    let push = w.run(&["developers", "export", "--push"]).await;
    push.expect_code(0);
    assert!(
        push.stderr().contains("activated version ver-2"),
        "{}",
        push.stderr()
    );
    assert_eq!(
        w.uploaded_csv().await,
        expected,
        "the upload is the export, byte for byte"
    );
    if !with_apply {
        assert!(expected.contains("dave@acme.example"), "{expected}");
        assert!(
            push.stderr()
                .contains("SEI holds 3 rows: the upload adds 1, takes off 0"),
            "{}",
            push.stderr()
        );
    }

    let identities = w.run(&["developers", "identities", "--push"]).await;
    identities.expect_code(0);
    assert!(
        identities.stderr().contains("sent 2 developer identities"),
        "{}",
        identities.stderr()
    );
    w.sei.verify().await;
    w.github.verify().await;
    w.jira.verify().await;
    let calls = w.sei_calls().await;
    assert_eq!(
        calls,
        [
            "GET /v2/developers",
            "GET /v2/developers/identities",
            "GET /v2/developers",
            "PUT /v2/developers",
            "PATCH /v2/developers/versions/ver-2",
            "GET /v2/developers/identities",
            "PATCH /v2/developers/identities",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_then_a_table_edit_then_export_push_then_identities_push() {
    round_trip(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_then_apply_then_export_push_then_identities_push() {
    round_trip(true).await;
}

/// A stored table from one reconcile, SEI's reads mounted for what follows.
async fn reconciled(max_apply_percent: u32, tables: u64, identities: u64) -> World {
    let w = World::start(max_apply_percent).await;
    w.mount_reconcile_sources().await;
    w.mount_sei_reads(1 + tables, 1 + identities).await;
    w.reconcile().await;
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_push_dry_run_shows_the_upload_and_the_diff_and_sends_nothing() {
    let w = reconciled(10, 1, 0).await;
    w.mount_upload(0).await;
    w.scratch.write(
        "edit.csv",
        "Email,Full Name\ndave@acme.example,Dave Grohl\nerin@acme.example,Erin Hannon\n",
    );
    w.run(&["developers", "import", "edit.csv"])
        .await
        .expect_code(0);
    let run = w
        .run(&["developers", "export", "--push", "--dry-run"])
        .await;
    run.expect_code(0);
    let out = run.stdout();
    assert!(out.contains("5 rows)"), "the CSV's row count: {out}");
    assert!(
        out.contains("part `file`: developers.csv, text/csv"),
        "{out}"
    );
    assert!(
        out.contains("SEI holds 3 rows: the upload adds 2, takes off 0"),
        "{out}"
    );
    assert!(out.contains("added     dave@acme.example"), "{out}");
    assert!(out.contains("dry run: nothing was sent"), "{out}");
    w.sei.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_push_refuses_to_shrink_seis_table_past_the_cap_unless_forced() {
    let w = reconciled(10, 2, 0).await;
    // A wrong store: the table now holds Ada alone.
    w.scratch.write(
        "one.csv",
        "Email,Full Name\nada@acme.example,Ada Lovelace\n",
    );
    w.run(&["developers", "import", "one.csv", "--replace"])
        .await
        .expect_code(0);
    w.mount_upload(1).await;
    let refused = w.run(&["developers", "export", "--push"]).await;
    refused.expect_code(3);
    let err = refused.stderr();
    assert!(
        err.contains("would take 2 of the 3 rows SEI holds off its table (66.7%, more than policy.max_apply_percent = 10%)")
            && err.contains("the upload has 1 rows")
            && err.contains("--force"),
        "{err}"
    );
    assert!(err.contains("taken off bob@acme.example"), "{err}");
    assert!(!w.sei_calls().await.iter().any(|c| c.starts_with("PUT")));

    let forced = w.run(&["developers", "export", "--push", "--force"]).await;
    forced.expect_code(0);
    assert_eq!(
        w.uploaded_csv().await,
        "Email,Manager Email,Full Name,Role,Site,Team,Sub Role,Department\nada@acme.example,,Ada Lovelace,,,,,\n"
    );
    w.sei.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_push_before_the_first_time_setup_says_what_to_do() {
    let w = reconciled(10, 1, 0).await;
    Mock::given(method("PUT"))
        .and(path(format!("{SEI}/v2/developers")))
        .respond_with(ResponseTemplate::new(412))
        .expect(1)
        .mount(&w.sei)
        .await;
    let run = w.run(&["developers", "export", "--push"]).await;
    run.expect_code(1);
    let err = run.stderr();
    assert!(
        err.contains("412 Precondition Failed") && err.contains("first-time setup"),
        "{err}"
    );
    assert!(!err.contains(KEY), "{err}");
    assert!(!w.sei_calls().await.iter().any(|c| c.starts_with("PATCH")));
    w.sei.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_upload_names_each_error() {
    let w = reconciled(10, 1, 0).await;
    Mock::given(method("PUT"))
        .and(path(format!("{SEI}/v2/developers")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"status": "FAILURE",
            "errors": [{"errorType": "CIRCULAR_REFERENCE", "fieldName": "manager_email",
                        "errorDeveloperCount": 2,
                        "sampleErrorDevelopers": [{"email": "ada@acme.example"}, {"email": "bob@acme.example"}]}]})))
        .expect(1)
        .mount(&w.sei)
        .await;
    let run = w.run(&["developers", "export", "--push"]).await;
    run.expect_code(1);
    assert!(
        run.stderr().contains(
            "CIRCULAR_REFERENCE (manager_email): 2 developers, e.g. ada@acme.example, bob@acme.example"
        ),
        "{}",
        run.stderr()
    );
    w.sei.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_are_written_in_seis_terms_for_every_active_developer() {
    let w = reconciled(10, 0, 0).await;
    w.run(&["developers", "identities", "--out", "ids.csv"])
        .await
        .expect_code(0);
    let text = std::fs::read_to_string(w.scratch.path("ids.csv")).unwrap();
    assert_eq!(
        text,
        "email,integrationId,identity\n\
         ada@acme.example,101,ada-gh\n\
         ada@acme.example,202,acc-ada\n\
         bob@acme.example,101,bob-gh\n\
         bob@acme.example,202,acc-bob\n",
        "GitHub logins and Jira accountIds, as SEI takes them"
    );
    w.sei.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_push_holds_to_the_cap_and_its_dry_run_sends_nothing() {
    // One of SEI's three identities would move: 33% against a 10% cap.
    let w = reconciled(10, 0, 3).await;
    w.mount_identities_patch(1).await;
    let dry = w
        .run(&["developers", "identities", "--push", "--dry-run", "--force"])
        .await;
    dry.expect_code(0);
    let out = dry.stdout();
    assert!(
        out.contains("SEI holds 3 identities: 2 as the table has them, 1 accounts attributed to nobody, 1 to another developer"),
        "{out}"
    );
    assert!(
        out.contains("move      101 ada-gh → ada@acme.example (SEI: carol@acme.example)"),
        "{out}"
    );
    assert!(
        out.contains("add       202 acc-bob → bob@acme.example"),
        "{out}"
    );
    assert!(out.contains("dry run: nothing was sent"), "{out}");

    let refused = w.run(&["developers", "identities", "--push"]).await;
    refused.expect_code(3);
    assert!(
        refused
            .stderr()
            .contains("would move 1 of the 3 identities SEI holds to another developer (33.3%"),
        "{}",
        refused.stderr()
    );
    let forced = w
        .run(&["developers", "identities", "--push", "--force"])
        .await;
    forced.expect_code(0);
    w.sei.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_without_sei_integrations_say_how_to_map_them() {
    let s = Scratch::new();
    s.write(
        "seatwarden.toml",
        &config_with(
            "[[sources]]\nname = \"sei\"\nkind = \"harness\"\nurl = \"https://app.harness.io\"\naccount = \"a\"\ntoken_env = \"K\"\n",
        ),
    );
    let run = s.run(&["developers", "identities"]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("no [sources.sei_integrations]"),
        "{}",
        run.stderr()
    );
}
