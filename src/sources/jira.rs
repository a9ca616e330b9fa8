//! Kind `jira`: Jira Cloud users (`GET /rest/api/3/users/search?startAt=&maxResults=`, Basic
//! `user:token`), paged by `startAt` until an empty page (Jira may return short pages before the
//! end), turned into identities. By `accountType`: an `app` is a bot; a `customer` (a Jira Service
//! Management customer, who only raises requests) is no developer and is skipped; the log line
//! counts both.
//!
//! Never requires an email: Atlassian hides `emailAddress` by privacy setting. Never pages on past
//! `max_pages`, and never takes a page whose every account was read already (a server that ignores
//! `startAt`) as new: that is an error, not an endless walk.

use async_trait::async_trait;
use serde::Deserialize;
use url::Url;

use std::collections::HashSet;

use super::common::{join_path, lenient, non_empty, push_email, vendor_client};
use super::http::{Auth, HttpClient, Request, Response};
use super::spec::{FieldError, KindConfig, SourceConfig, SourceKind, required};
use super::{FetchOutput, Source, SourceContext, SourceError};
use crate::model::{AccountStatus, Identity};

/// Kind `jira`'s own settings.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The Atlassian account whose API token `token_env` holds (Basic auth is `user:token`).
    pub user: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    user: Option<String>,
}

impl KindConfig for Config {
    type Raw = RawConfig;

    fn build(raw: RawConfig) -> Result<Config, FieldError> {
        Ok(Config {
            user: required(raw.user, "user", SourceKind::Jira)?,
        })
    }
}

/// A user of the search API: `accountId` is required, every other field lenient (an odd-typed one
/// loses only itself).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JiraUser {
    account_id: String,
    #[serde(default, deserialize_with = "lenient")]
    account_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    email_address: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    active: Option<bool>,
}

#[derive(Debug)]
pub(crate) struct JiraSource {
    cfg: SourceConfig,
    base: Url,
    client: HttpClient,
}

impl JiraSource {
    pub(crate) fn new(
        cfg: &SourceConfig,
        jira: &Config,
        ctx: &SourceContext,
    ) -> Result<JiraSource, SourceError> {
        let user = jira.user.clone();
        let (base, client) = vendor_client(cfg, ctx, |token| Auth::Basic { user, token })?;
        Ok(JiraSource {
            cfg: cfg.clone(),
            base,
            client,
        })
    }

    fn search_url(&self, start_at: usize, max_results: usize) -> Url {
        let mut url = join_path(&self.base, "/rest/api/3/users/search");
        url.query_pairs_mut()
            .append_pair("startAt", &start_at.to_string())
            .append_pair("maxResults", &max_results.to_string());
        url
    }
}

/// One page of the user search as identities (what `fetch` does with each page): every account
/// but the service-desk customers.
pub fn map_page(cfg: &SourceConfig, page: &Response) -> Result<Vec<Identity>, SourceError> {
    let users: Vec<JiraUser> = page.json(&cfg.name)?;
    Ok(users
        .into_iter()
        .filter(|u| !u.is_customer())
        .map(|u| identity(cfg, u))
        .collect())
}

impl JiraUser {
    /// A Jira Service Management customer: raises requests, holds no Jira seat.
    fn is_customer(&self) -> bool {
        self.account_type.as_deref() == Some("customer")
    }

    /// An app (Connect or Forge) account: a bot.
    fn is_app(&self) -> bool {
        self.account_type.as_deref() == Some("app")
    }
}

/// The accounts read that are not people with a Jira seat, for the source's log line.
#[derive(Debug, Default, PartialEq, Eq)]
struct NotDevelopers {
    /// Kept, flagged as bots.
    apps: usize,
    /// Skipped.
    customers: usize,
}

impl NotDevelopers {
    /// The identities of `users` that can be developers, counting those that are not.
    fn sort(&mut self, cfg: &SourceConfig, users: Vec<JiraUser>) -> Vec<Identity> {
        let mut out = Vec::with_capacity(users.len());
        for u in users {
            if u.is_customer() {
                self.customers += 1;
                continue;
            }
            if u.is_app() {
                self.apps += 1;
            }
            out.push(identity(cfg, u));
        }
        out
    }
}

fn identity(cfg: &SourceConfig, u: JiraUser) -> Identity {
    let is_bot = u.is_app();
    let mut emails = Vec::new();
    push_email(&mut emails, u.email_address.as_deref());
    Identity {
        source: cfg.name.clone(),
        id: u.account_id,
        emails,
        name: non_empty(u.display_name.as_deref()),
        status: match u.active {
            Some(true) => AccountStatus::Active,
            Some(false) => AccountStatus::Departed,
            None => AccountStatus::Unknown,
        },
        is_bot,
        directory: cfg.directory,
        ..Identity::default()
    }
}

#[async_trait]
impl Source for JiraSource {
    fn config(&self) -> &SourceConfig {
        &self.cfg
    }

    async fn fetch(&self) -> Result<FetchOutput, SourceError> {
        let max = self.cfg.page_size.unwrap_or(1000);
        let mut identities = Vec::new();
        let mut seen = HashSet::new();
        let mut not_developers = NotDevelopers::default();
        let mut start_at = 0;
        for pages in 0.. {
            let url = self.search_url(start_at, max);
            self.client.refuse_too_many_pages(&url, pages)?;
            let page: Vec<JiraUser> = self.client.get(url.clone()).await?.json(&self.cfg.name)?;
            if page.is_empty() {
                break;
            }
            start_at += page.len();
            let new: Vec<JiraUser> = page
                .into_iter()
                .filter(|u| seen.insert(u.account_id.clone()))
                .collect();
            if new.is_empty() {
                return Err(SourceError::Data {
                    source_name: self.cfg.name.clone(),
                    location: super::http::redact_url(&url),
                    message: "the page holds only accounts already read (startAt ignored?); stopping instead of looping".into(),
                });
            }
            identities.extend(not_developers.sort(&self.cfg, new));
        }
        tracing::info!(
            source = %self.cfg.name,
            accounts = seen.len(),
            apps_as_bots = not_developers.apps,
            customers_skipped = not_developers.customers,
            "Jira accounts read"
        );
        Ok(FetchOutput {
            identities,
            ..FetchOutput::default()
        })
    }

    async fn check(&self) -> Result<String, SourceError> {
        let resp = self
            .client
            .send(Request::get(self.search_url(0, 1)).unconditional())
            .await?;
        map_page(&self.cfg, &resp)?;
        Ok(format!(
            "Jira at {}: user search reachable, credentials accepted",
            self.base
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::VendorConfig;
    use crate::sources::testutil::{cfg, ctx, fetch_err, fetch_ok};
    use crate::sources::{MemoryHttpCache, build};
    use serde_json::{Value, json};
    use std::sync::Arc;
    use wiremock::matchers::{header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn jira_cfg(uri: &str) -> SourceConfig {
        let mut c = cfg(SourceKind::Jira, uri);
        c.vendor = VendorConfig::Jira(Config {
            user: "bot@acme.example".into(),
        });
        c.page_size = Some(2);
        c
    }

    fn user(id: &str, kind: &str, email: Option<&str>, active: bool) -> Value {
        let mut u = json!({"self": "https://acme.atlassian.net/rest/api/3/user?accountId=x", "accountId": id,
                           "accountType": kind, "displayName": format!("User {id}"), "active": active});
        if let Some(e) = email {
            u["emailAddress"] = json!(e);
        }
        u
    }

    fn basic() -> String {
        // base64("bot@acme.example:jira-token")
        "Basic Ym90QGFjbWUuZXhhbXBsZTpqaXJhLXRva2Vu".into()
    }

    #[tokio::test]
    async fn pages_by_start_at_until_an_empty_page() {
        let server = MockServer::start().await;
        let page = |start: &str, body: Value| {
            Mock::given(method("GET"))
                .and(path("/rest/api/3/users/search"))
                .and(header("authorization", basic().as_str()))
                .and(query_param("maxResults", "2"))
                .and(query_param("startAt", start))
                .respond_with(ResponseTemplate::new(200).set_body_json(body))
                .expect(1)
        };
        page(
            "0",
            json!([
                user("a1", "atlassian", Some("a1@acme.example"), true),
                user("a2", "app", None, true)
            ]),
        )
        .mount(&server)
        .await;
        // A short page in the middle must not stop the walk.
        page("2", json!([user("a3", "atlassian", None, false)]))
            .mount(&server)
            .await;
        page(
            "3",
            json!([user("a4", "customer", Some("c@x.example"), true)]),
        )
        .mount(&server)
        .await;
        page("4", json!([])).mount(&server).await;
        let ids = fetch_ok(&jira_cfg(&server.uri()), "jira-token").await;
        // a4, a service-desk customer, is no developer.
        assert_eq!(ids.len(), 3);
        assert!(ids.iter().all(|i| i.id != "a4"), "{ids:?}");
        assert_eq!(ids[0].emails, ["a1@acme.example"]);
        assert!(ids[1].is_bot && ids[1].emails.is_empty());
        assert_eq!(ids[2].status, AccountStatus::Departed);
        server.verify().await;
    }

    #[test]
    fn customers_are_skipped_apps_kept_as_bots_and_both_counted() {
        let c = jira_cfg("https://acme.atlassian.net");
        let users: Vec<JiraUser> = serde_json::from_value(json!([
            user("p", "atlassian", None, true),
            user("b", "app", None, true),
            user("c", "customer", Some("c@customer.example"), true),
            user("u", "unknown", None, true)
        ]))
        .unwrap();
        let mut counts = NotDevelopers::default();
        let ids = counts.sort(&c, users);
        assert_eq!(
            ids.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["p", "b", "u"]
        );
        assert_eq!(
            ids.iter().map(|i| i.is_bot).collect::<Vec<_>>(),
            [false, true, false]
        );
        assert_eq!(
            counts,
            NotDevelopers {
                apps: 1,
                customers: 1
            }
        );
    }

    #[tokio::test]
    async fn retries_429_and_502() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(502))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(query_param("startAt", "0"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([user(
                "a1",
                "atlassian",
                None,
                true
            )])))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server)
            .await;
        let ids = fetch_ok(&jira_cfg(&server.uri()), "t").await;
        assert_eq!(ids.len(), 1);
        server.verify().await;
    }

    #[tokio::test]
    async fn unauthorized_is_clear_and_token_free() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401))
            .expect(1)
            .mount(&server)
            .await;
        let e = fetch_err(&jira_cfg(&server.uri()), "ATATT-secret").await;
        assert!(e.contains("rejected the credentials (HTTP 401)"), "{e}");
        assert!(!e.contains("ATATT-secret") && !e.contains("Ym90"), "{e}");
        server.verify().await;
    }

    #[tokio::test]
    async fn a_server_that_ignores_start_at_is_an_error_not_a_loop() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([user(
                "a1",
                "atlassian",
                None,
                true
            )])))
            .expect(2)
            .mount(&server)
            .await;
        let e = fetch_err(&jira_cfg(&server.uri()), "t").await;
        assert!(e.contains("only accounts already read"), "{e}");
        server.verify().await;
    }

    #[tokio::test]
    async fn an_odd_typed_field_loses_only_itself() {
        let server = MockServer::start().await;
        let mut odd = user("a1", "atlassian", Some("a1@acme.example"), true);
        odd["displayName"] = json!({"first": "A"});
        odd["active"] = json!("yes");
        Mock::given(method("GET"))
            .and(query_param("startAt", "0"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([odd])))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server)
            .await;
        let ids = fetch_ok(&jira_cfg(&server.uri()), "t").await;
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].emails, ["a1@acme.example"]);
        assert_eq!(
            (ids[0].name.as_deref(), ids[0].status),
            (None, AccountStatus::Unknown)
        );
    }

    #[tokio::test]
    async fn etag_round_trip() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(header("if-none-match", "\"j\""))
            .respond_with(ResponseTemplate::new(304))
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(query_param("startAt", "0"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"j\"")
                    .set_body_json(json!([user("a1", "atlassian", None, true)])),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"j\"")
                    .set_body_json(json!([])),
            )
            .expect(1)
            .mount(&server)
            .await;
        let mut context = ctx("t");
        context.cache = Some(Arc::new(MemoryHttpCache::default()));
        let src = build(&jira_cfg(&server.uri()), &context).unwrap();
        assert_eq!(
            src.fetch().await.unwrap().identities,
            src.fetch().await.unwrap().identities
        );
        server.verify().await;
    }
}
