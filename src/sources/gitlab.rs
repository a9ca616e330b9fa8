//! Kind `gitlab`: the GitLab users API (`GET /api/v4/users`, `PRIVATE-TOKEN`) in keyset pages
//! (`pagination=keyset&order_by=id&sort=asc`, then `Link: rel="next"`; an answer in offset pages,
//! `X-Next-Page`, is followed too), turned into identities with GitLab's `state`, `bot` flag and
//! `last_activity_on` (engineering activity).
//!
//! Never treats a deactivated (dormant) account as departed: only blocked / banned are final.

use async_trait::async_trait;
use serde::Deserialize;
use url::Url;

use super::common::{
    earliest, join_path, lenient, non_empty, parse_time, push_email, vendor_client,
};
use super::http::{Auth, HttpClient, Request, Response, link_next};
use super::spec::{FieldError, KindConfig, NoKeys, SourceConfig};
use super::{FetchOutput, Source, SourceContext, SourceError};
use crate::model::{AccountStatus, Identity};

/// Kind `gitlab` has no keys of its own: the instance URL and `token_env` are shared by every kind.
#[derive(Debug, Clone, Default)]
pub struct Config {}

impl KindConfig for Config {
    type Raw = NoKeys;

    fn build(_: NoKeys) -> Result<Config, FieldError> {
        Ok(Config {})
    }
}

/// A user: `id` is required, every other field lenient (an odd-typed one loses only itself).
#[derive(Deserialize)]
struct GitlabUser {
    id: u64,
    #[serde(default, deserialize_with = "lenient")]
    username: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    state: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    bot: bool,
    #[serde(default, deserialize_with = "lenient")]
    email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    public_email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    last_activity_on: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    job_title: Option<String>,
}

/// The headers GitLab's offset paging reads: kept with a cached page, so that a page answered
/// with 304 still knows its next page.
const PAGING_HEADERS: &[&str] = &["x-next-page", "x-total-pages"];

#[derive(Debug)]
pub(crate) struct GitlabSource {
    cfg: SourceConfig,
    base: Url,
    client: HttpClient,
}

impl GitlabSource {
    pub(crate) fn new(
        cfg: &SourceConfig,
        ctx: &SourceContext,
    ) -> Result<GitlabSource, SourceError> {
        let (base, client) = vendor_client(cfg, ctx, Auth::PrivateToken)?;
        Ok(GitlabSource {
            cfg: cfg.clone(),
            base,
            client,
        })
    }

    /// The first page of the listing, in keyset pages: GitLab serves at most 50,000 users in
    /// offset pages (REST API page, "Offset-based pagination"), and keyset needs `order_by` and
    /// `sort` ("Keyset-based pagination"; users support `order_by=id`).
    fn users_url(&self, per_page: usize) -> Url {
        let mut url = self.first_page_url(per_page);
        url.query_pairs_mut()
            .append_pair("pagination", "keyset")
            .append_pair("order_by", "id")
            .append_pair("sort", "asc");
        url
    }

    /// The first offset page: `check` reads one user and the `X-Total` only offset pages carry.
    fn first_page_url(&self, per_page: usize) -> Url {
        let mut url = join_path(&self.base, "/api/v4/users");
        url.query_pairs_mut()
            .append_pair("per_page", &per_page.to_string());
        url
    }
}

/// One page of `GET /api/v4/users` as identities.
pub fn map_page(cfg: &SourceConfig, page: &Response) -> Result<Vec<Identity>, SourceError> {
    let users: Vec<GitlabUser> = page.json(&cfg.name)?;
    Ok(users.into_iter().map(|u| identity(cfg, u)).collect())
}

fn identity(cfg: &SourceConfig, u: GitlabUser) -> Identity {
    let mut emails = Vec::new();
    push_email(&mut emails, u.email.as_deref());
    push_email(&mut emails, u.public_email.as_deref());
    Identity {
        source: cfg.name.clone(),
        id: u.id.to_string(),
        emails,
        login: non_empty(u.username.as_deref()),
        name: non_empty(u.name.as_deref()),
        title: non_empty(u.job_title.as_deref()),
        status: gitlab_state(u.state.as_deref().unwrap_or("")),
        is_bot: u.bot,
        last_activity: u.last_activity_on.as_deref().and_then(parse_time),
        created_at: earliest(None, u.created_at.as_deref().and_then(parse_time)),
        directory: cfg.directory,
        ..Identity::default()
    }
}

fn gitlab_state(s: &str) -> AccountStatus {
    match s {
        "active" => AccountStatus::Active,
        "deactivated" | "blocked_pending_approval" => AccountStatus::Suspended,
        "blocked" | "banned" | "ldap_blocked" => AccountStatus::Departed,
        _ => AccountStatus::Unknown,
    }
}

/// GitLab: keyset `Link` first, else the offset `X-Next-Page` (empty on the last page).
fn gitlab_next(resp: &Response) -> Option<String> {
    if let Some(next) = link_next(&resp.headers) {
        return Some(next);
    }
    let page = resp.header("x-next-page")?.trim();
    if page.is_empty() {
        return None;
    }
    let mut url = resp.url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("page", page);
    Some(url.to_string())
}

#[async_trait]
impl Source for GitlabSource {
    fn config(&self) -> &SourceConfig {
        &self.cfg
    }

    async fn fetch(&self) -> Result<FetchOutput, SourceError> {
        let per_page = self.cfg.page_size.unwrap_or(100);
        let pages = self
            .client
            .get_pages_keeping(self.users_url(per_page), PAGING_HEADERS, |r| {
                Ok(gitlab_next(r))
            })
            .await?;
        let mut identities = Vec::new();
        for page in pages {
            identities.extend(map_page(&self.cfg, &page)?);
        }
        Ok(FetchOutput {
            identities,
            ..FetchOutput::default()
        })
    }

    async fn check(&self) -> Result<String, SourceError> {
        let resp = self
            .client
            .send(Request::get(self.first_page_url(1)).unconditional())
            .await?;
        map_page(&self.cfg, &resp)?;
        let total = resp
            .header("x-total")
            .map(|t| format!(", {t} users"))
            .unwrap_or_default();
        Ok(format!(
            "GitLab at {}: users API reachable{total}",
            self.base
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::SourceKind;
    use crate::sources::testutil::{cfg, ctx, fetch_err, fetch_ok};
    use crate::sources::{MemoryHttpCache, build};
    use serde_json::{Value, json};
    use std::sync::Arc;
    use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn user(id: u64, state: &str, bot: bool) -> Value {
        json!({"id": id, "username": format!("user{id}"), "name": format!("User {id}"), "state": state,
               "bot": bot, "email": format!("user{id}@acme.example"), "public_email": "",
               "last_activity_on": "2026-02-03", "created_at": "2020-01-01T00:00:00.000Z",
               "avatar_url": "https://x/a.png", "web_url": "https://gitlab.acme.example/user"})
    }

    #[tokio::test]
    async fn offset_paging_across_three_pages_with_private_token() {
        let server = MockServer::start().await;
        let m = || {
            Mock::given(method("GET"))
                .and(path("/api/v4/users"))
                .and(header("private-token", "glpat-x"))
                .and(query_param("per_page", "100"))
        };
        m().and(query_param("page", "2"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-next-page", "3")
                    .set_body_json(json!([user(2, "blocked", false)])),
            )
            .expect(1)
            .mount(&server)
            .await;
        m().and(query_param("page", "3"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-next-page", "")
                    .set_body_json(json!([user(3, "active", true)])),
            )
            .expect(1)
            .mount(&server)
            .await;
        m().and(query_param_is_missing("page"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-next-page", "2")
                    .set_body_json(json!([user(1, "active", false)])),
            )
            .expect(1)
            .mount(&server)
            .await;
        let ids = fetch_ok(&cfg(SourceKind::Gitlab, &server.uri()), "glpat-x").await;
        assert_eq!(
            ids.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["1", "2", "3"]
        );
        assert_eq!(ids[0].login.as_deref(), Some("user1"));
        assert_eq!(ids[0].emails, ["user1@acme.example"]);
        assert_eq!(
            ids[0].last_activity.unwrap().to_rfc3339(),
            "2026-02-03T00:00:00+00:00"
        );
        assert_eq!(ids[1].status, AccountStatus::Departed);
        assert!(ids[2].is_bot);
        server.verify().await;
    }

    #[tokio::test]
    async fn keyset_link_paging_is_followed() {
        let server = MockServer::start().await;
        let u = server.uri();
        Mock::given(method("GET"))
            .and(query_param("id_after", "1"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!([user(2, "active", false)])),
            )
            .expect(1)
            .mount(&server)
            .await;
        // The first page asks for keyset pages, ordered as GitLab requires.
        Mock::given(method("GET"))
            .and(query_param("pagination", "keyset"))
            .and(query_param("order_by", "id"))
            .and(query_param("sort", "asc"))
            .and(query_param("per_page", "100"))
            .and(query_param_is_missing("page"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("link", format!("<{u}/api/v4/users?pagination=keyset&per_page=100&id_after=1>; rel=\"next\""))
                    .set_body_json(json!([user(1, "active", false)])),
            )
            .expect(1)
            .mount(&server)
            .await;
        let ids = fetch_ok(&cfg(SourceKind::Gitlab, &u), "t").await;
        assert_eq!(ids.len(), 2);
        server.verify().await;
    }

    #[tokio::test]
    async fn retries_429_with_ratelimit_reset_and_502() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "1")
                    .insert_header("ratelimit-remaining", "0"),
            )
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(502))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!([user(1, "active", false)])),
            )
            .expect(1)
            .mount(&server)
            .await;
        let ids = fetch_ok(&cfg(SourceKind::Gitlab, &server.uri()), "t").await;
        assert_eq!(ids.len(), 1);
        server.verify().await;
    }

    #[tokio::test]
    async fn forbidden_is_clear_and_token_free() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(403).set_body_string("{\"message\":\"403 Forbidden\"}"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let e = build(
            &cfg(SourceKind::Gitlab, &server.uri()),
            &ctx("glpat-SECRET"),
        )
        .unwrap()
        .fetch()
        .await
        .unwrap_err()
        .to_string();
        assert!(e.contains("rejected the credentials (HTTP 403)"), "{e}");
        assert!(!e.contains("glpat-SECRET"));
        server.verify().await;
    }

    #[tokio::test]
    async fn keyset_link_to_another_host_is_refused() {
        let server = MockServer::start().await;
        let evil = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header(
                        "link",
                        format!("<{}/api/v4/users>; rel=\"next\"", evil.uri()),
                    )
                    .set_body_json(json!([])),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&evil)
            .await;
        let e = fetch_err(&cfg(SourceKind::Gitlab, &server.uri()), "t").await;
        assert!(e.contains("refused"), "{e}");
        evil.verify().await;
    }

    #[tokio::test]
    async fn etag_304_reuses_body_and_next_page_header() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(header("if-none-match", "\"g1\""))
            .respond_with(ResponseTemplate::new(304))
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(query_param("page", "2"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"g1\"")
                    .set_body_json(json!([user(2, "active", false)])),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"g1\"")
                    .insert_header("x-next-page", "2")
                    .set_body_json(json!([user(1, "active", false)])),
            )
            .expect(1)
            .mount(&server)
            .await;
        let mut context = ctx("t");
        context.cache = Some(Arc::new(MemoryHttpCache::default()));
        let src = build(&cfg(SourceKind::Gitlab, &server.uri()), &context).unwrap();
        assert_eq!(src.fetch().await.unwrap().identities.len(), 2);
        assert_eq!(
            src.fetch().await.unwrap().identities.len(),
            2,
            "304 pages keep their X-Next-Page"
        );
        server.verify().await;
    }
}
