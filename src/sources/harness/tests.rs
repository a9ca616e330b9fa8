use super::*;
use crate::sources::testutil::{SEI_TABLE as TABLE, ctx, harness_cfg};
use crate::sources::{MemoryHttpCache, VendorConfig, build};
use chrono::TimeZone;
use serde_json::json;
use std::sync::Arc;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DAY: i64 = 86_400_000;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn at(days: i64) -> i64 {
    now().timestamp_millis() + days * DAY
}

/// Several licenses, one of them the ACTIVE one whose window holds `now`.
fn licenses() -> Value {
    json!({"status": "SUCCESS", "data": [
        {"id": "old", "accountIdentifier": "AbCdEf123", "moduleType": "SEI", "edition": "ENTERPRISE",
         "licenseType": "PAID", "status": "ACTIVE", "numberOfContributors": 300,
         "startTime": at(-700), "expiryTime": at(-335)},
        {"id": "current", "accountIdentifier": "AbCdEf123", "moduleType": "SEI", "status": "ACTIVE",
         "developerLicenseCount": 500, "startTime": at(-334), "expiryTime": at(30)},
        {"id": "gone", "moduleType": "SEI", "status": "EXPIRED", "numberOfContributors": 900,
         "startTime": at(-10), "expiryTime": at(10)}
    ], "metaData": null, "correlationId": "c"})
}

/// The licenses, and SEI's table answering `table`, on `server`.
async fn mount_license_and_table(server: &MockServer, table: &str) {
    Mock::given(method("GET"))
        .and(path("/ng/api/licenses/modules/AbCdEf123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(licenses()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/prod1/sei/api/v2/developers"))
        .respond_with(ResponseTemplate::new(200).set_body_string(table.to_string()))
        .mount(server)
        .await;
}

/// The licenses, answered once to a request carrying the `(name, value)` auth header.
async fn mount_authed_license(server: &MockServer, (name, value): (&'static str, &str)) {
    Mock::given(method("GET"))
        .and(path("/ng/api/licenses/modules/AbCdEf123"))
        .and(query_param("moduleType", "SEI"))
        .and(header(name, value))
        .respond_with(ResponseTemplate::new(200).set_body_json(licenses()))
        .expect(1)
        .mount(server)
        .await;
}

/// SEI's table as CSV, answered once to a request carrying the auth header and `Accept: text/csv`.
async fn mount_authed_table(server: &MockServer, (name, value): (&'static str, &str)) {
    Mock::given(method("GET"))
        .and(path("/prod1/sei/api/v2/developers"))
        .and(header(name, value))
        .and(header("accept", "text/csv"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/csv")
                .set_body_string(TABLE),
        )
        .expect(1)
        .mount(server)
        .await;
}

fn run_ctx(token: &str) -> SourceContext {
    SourceContext {
        now: Some(now()),
        ..ctx(token)
    }
}

fn with_integrations(mut c: SourceConfig, auth: AuthScheme) -> SourceConfig {
    if let VendorConfig::Harness(h) = &mut c.vendor {
        h.auth = auth;
        h.integrations = vec![SeiIntegration {
            source: "github".into(),
            integration_id: 101,
            key: IdentityKey::Login,
        }];
    }
    c
}

#[tokio::test]
async fn license_table_and_identities_with_the_apikey_header() {
    let platform = MockServer::start().await;
    let sei = MockServer::start().await;
    let auth = ("authorization", "ApiKey pat.harness");
    mount_authed_license(&platform, auth).await;
    mount_authed_table(&sei, auth).await;
    Mock::given(method("GET"))
        .and(path("/prod1/sei/api/v2/developers/identities"))
        .and(header("authorization", "ApiKey pat.harness"))
        .and(header("accept", "text/csv"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "email,integrationId,identity\nada@acme.example,101,ada-gh\nx@acme.example,oops,y\n",
        ))
        .expect(1)
        .mount(&sei)
        .await;
    let cfg = with_integrations(harness_cfg(&platform.uri(), &sei.uri()), AuthScheme::ApiKey);
    let out = build(&cfg, &run_ctx("pat.harness"))
        .unwrap()
        .fetch()
        .await
        .unwrap();
    let s = out.subscription.unwrap();
    assert_eq!(
        s.licenses_purchased, 500,
        "developerLicenseCount of the current license"
    );
    let used = s.license.expect("the license is named");
    assert_eq!(used.id, "current");
    assert_eq!(used.expires.map(|t| t.timestamp_millis()), Some(at(30)));
    let table = out.sei_table.unwrap();
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[0].full_name, "Ada Lovelace");
    assert_eq!(table.rows[0].role.as_deref(), Some("Engineer"));
    assert_eq!(
        table.rows[0].manager_email.as_deref(),
        Some("boss@acme.example")
    );
    assert!(table.findings.is_empty(), "{:?}", table.findings);
    assert_eq!(out.identities[0].id, "ada@acme.example");
    assert_eq!(out.identities[0].source, "sei");
    let ids = out.sei_identities.expect("identities are read");
    assert_eq!(ids.held.len(), 1, "the unusable row is skipped");
    assert_eq!(ids.held[0].identity, "ada-gh");
    assert_eq!(ids.integrations[0].integration_id, 101);
    platform.verify().await;
    sei.verify().await;
}

#[tokio::test]
async fn older_keys_go_as_x_api_key_and_no_identities_are_read_without_integrations() {
    let server = MockServer::start().await;
    let auth = ("x-api-key", "old-key");
    mount_authed_license(&server, auth).await;
    mount_authed_table(&server, auth).await;
    Mock::given(method("GET"))
        .and(path("/prod1/sei/api/v2/developers/identities"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let mut cfg = harness_cfg(&server.uri(), &server.uri());
    if let VendorConfig::Harness(h) = &mut cfg.vendor {
        h.auth = AuthScheme::XApiKey;
    }
    let out = build(&cfg, &run_ctx("old-key"))
        .unwrap()
        .fetch()
        .await
        .unwrap();
    assert!(out.sei_identities.is_none());
    for r in server.received_requests().await.unwrap() {
        assert!(r.headers.get("authorization").is_none(), "{r:?}");
    }
    server.verify().await;
}

#[tokio::test]
async fn a_live_table_with_a_duplicate_and_a_dangling_manager_is_read_with_findings() {
    let server = MockServer::start().await;
    mount_license_and_table(
        &server,
        "Email,Manager Email,Full Name\n\
         ada@acme.example,gone@acme.example,Ada\n\
         Ada@Acme.example,,Ada Again\n",
    )
    .await;
    let out = build(&harness_cfg(&server.uri(), &server.uri()), &run_ctx("k"))
        .unwrap()
        .fetch()
        .await
        .expect("a live table with findings is no failed source");
    let table = out.sei_table.unwrap();
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.findings.len(), 2, "{:?}", table.findings);
    assert!(table.findings[0].starts_with("line 2: Manager Email: gone@acme.example"));
    assert!(table.findings[1].starts_with("line 3: Email: duplicate of line 2"));
}

#[tokio::test]
async fn no_license_holding_today_means_no_subscription() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "SUCCESS",
            "data": [{"id": "ended", "moduleType": "SEI", "status": "ACTIVE",
                      "numberOfContributors": 5, "startTime": at(-400), "expiryTime": at(-1)}]})),
        )
        .mount(&server)
        .await;
    let mut c = harness_cfg(&server.uri(), "http://unused.invalid");
    if let VendorConfig::Harness(h) = &mut c.vendor {
        h.sei_url = None;
    }
    let src = build(&c, &run_ctx("k")).unwrap();
    assert!(src.fetch().await.unwrap().subscription.is_none());
    let said = src.check().await.unwrap();
    assert!(said.contains("no ACTIVE SEI license holds today"), "{said}");
}

#[tokio::test]
async fn retries_then_succeeds_and_401_is_clear() {
    let platform = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&platform)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&platform)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(licenses()))
        .expect(1)
        .mount(&platform)
        .await;
    let mut c = harness_cfg(&platform.uri(), "http://unused.invalid");
    if let VendorConfig::Harness(h) = &mut c.vendor {
        h.sei_url = None;
    }
    let out = build(&c, &run_ctx("k")).unwrap().fetch().await.unwrap();
    assert_eq!(out.subscription.unwrap().licenses_purchased, 500);
    platform.verify().await;

    let denied = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&denied)
        .await;
    let e = build(
        &harness_cfg(&denied.uri(), &denied.uri()),
        &run_ctx("pat.SECRET"),
    )
    .unwrap()
    .fetch()
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("rejected the credentials (HTTP 401)") && !e.contains("pat.SECRET"),
        "{e}"
    );
}

#[tokio::test]
async fn etag_round_trip_on_the_table() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("if-none-match", "\"t1\""))
        .respond_with(ResponseTemplate::new(304))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ng/api/licenses/modules/AbCdEf123"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"t1\"")
                .set_body_json(licenses()),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/prod1/sei/api/v2/developers"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"t1\"")
                .set_body_string(TABLE),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut context = run_ctx("k");
    context.cache = Some(Arc::new(MemoryHttpCache::default()));
    let src = build(&harness_cfg(&server.uri(), &server.uri()), &context).unwrap();
    let a = src.fetch().await.unwrap();
    let b = src.fetch().await.unwrap();
    assert_eq!(a.sei_table, b.sei_table);
    assert_eq!(a.subscription, b.subscription);
    server.verify().await;
}

#[tokio::test]
async fn a_table_without_an_email_column_fails_the_source_naming_the_line() {
    let server = MockServer::start().await;
    mount_license_and_table(&server, "Name,Team\nA,B\n").await;
    let e = build(&harness_cfg(&server.uri(), &server.uri()), &run_ctx("k"))
        .unwrap()
        .fetch()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("SEI's developer table:1: missing Email column"),
        "{e}"
    );
}

fn sources() -> Vec<(String, SourceKind)> {
    [
        ("gh", SourceKind::Github),
        ("jira", SourceKind::Jira),
        ("gitlab", SourceKind::Gitlab),
        ("okta", SourceKind::Okta),
    ]
    .iter()
    .map(|(n, k)| (n.to_string(), *k))
    .collect()
}

#[test]
fn sei_integrations_resolve_to_the_identity_sei_takes_per_kind() {
    let mut c = Config {
        sei_integrations: [
            ("gh".to_string(), 1),
            ("jira".into(), 2),
            ("gitlab".into(), 3),
        ]
        .into(),
        ..Config::default()
    };
    c.resolve_sources(&sources()).unwrap();
    let keys: Vec<(&str, u64, IdentityKey)> = c
        .integrations
        .iter()
        .map(|i| (i.source.as_str(), i.integration_id, i.key))
        .collect();
    assert_eq!(
        keys,
        [
            ("gh", 1, IdentityKey::Login),
            ("gitlab", 3, IdentityKey::Name),
            ("jira", 2, IdentityKey::AccountId),
        ]
    );
}

#[test]
fn sei_integrations_must_name_a_tool_source() {
    for (name, expected) in [
        ("nope", "names no configured source"),
        ("okta", "a `okta` source is no SEI integration"),
    ] {
        let mut c = Config {
            sei_integrations: [(name.to_string(), 1)].into(),
            ..Config::default()
        };
        let e = c.resolve_sources(&sources()).unwrap_err();
        assert_eq!(e.key, format!("sei_integrations.{name}"));
        assert!(e.message.starts_with(expected), "{e}");
    }
}

#[test]
fn auth_words_are_apikey_and_x_api_key() {
    assert_eq!(auth_word("apikey").unwrap(), AuthScheme::ApiKey);
    assert_eq!(auth_word("x-api-key").unwrap(), AuthScheme::XApiKey);
    let e = auth_word("bearer").unwrap_err();
    assert_eq!(e.key, "auth");
    assert!(
        e.message.contains("`apikey`") && e.message.contains("`x-api-key`"),
        "{e}"
    );
}
