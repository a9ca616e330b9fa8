//! Kind `github`: an organisation's members. REST mode lists `GET /orgs/{org}/members` and reads
//! each `GET /users/{login}` (bounded concurrency); GraphQL mode (`graphql = true`) reads
//! `membersWithRole` and the SAML `externalIdentities` (NameID = corporate email) 100 at a time in
//! the same requests instead. With `copilot = true`, Copilot seats add `last_activity_at`
//! (engineering activity) and the seat's `created_at`.
//!
//! Never sends the token anywhere but the configured API host.

use std::collections::HashMap;

use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::common::{
    earliest, join_path, latest, lenient, non_empty, parse_time, push_email, vendor_client,
};
use super::http::{Auth, Cursors, HttpClient, Request, Response, link_next, redact_url};
use super::spec::{FieldError, KindConfig, SourceConfig, SourceKind, required};
use super::{FetchOutput, Source, SourceContext, SourceError};
use crate::model::{AccountStatus, Identity};

/// GitHub.com's REST API (GitHub Enterprise Server: `https://HOST/api/v3`).
pub const DEFAULT_URL: &str = "https://api.github.com";

/// Kind `github`'s own settings.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The organisation whose members are read.
    pub org: String,
    /// Read Copilot seats: `last_activity_at` is engineering activity.
    pub copilot: bool,
    /// Read members and SAML identities through GraphQL, 100 at a time, instead of one REST call
    /// per member.
    pub graphql: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    org: Option<String>,
    #[serde(default)]
    copilot: bool,
    #[serde(default)]
    graphql: bool,
}

impl KindConfig for Config {
    type Raw = RawConfig;

    fn build(raw: RawConfig) -> Result<Config, FieldError> {
        Ok(Config {
            org: required(raw.org, "org", SourceKind::Github)?,
            copilot: raw.copilot,
            graphql: raw.graphql,
        })
    }
}

// Ids and logins are required (a record without them fails its page, loudly); every other field
// is lenient: an odd-typed one loses only itself.

#[derive(Deserialize)]
struct Member {
    id: u64,
    login: String,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    created_at: Option<String>,
}

#[derive(Deserialize)]
struct SeatPage {
    #[serde(default)]
    seats: Vec<Seat>,
}

#[derive(Deserialize)]
struct Seat {
    #[serde(default, deserialize_with = "lenient")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    last_activity_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    assignee: Option<Member>,
}

#[derive(Deserialize)]
struct GraphqlResponse {
    data: Option<GraphqlData>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
}

#[derive(Deserialize)]
struct GraphqlError {
    message: String,
}

#[derive(Deserialize)]
struct GraphqlData {
    organization: Option<Organization>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Organization {
    members_with_role: Option<Connection<GqlMember>>,
    saml_identity_provider: Option<SamlProvider>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SamlProvider {
    external_identities: Connection<ExternalIdentity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection<T> {
    #[serde(default = "Vec::new")]
    nodes: Vec<Option<T>>,
    page_info: PageInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GqlMember {
    #[serde(default, deserialize_with = "lenient")]
    database_id: Option<u64>,
    login: String,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    email: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    created_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExternalIdentity {
    saml_identity: Option<SamlIdentity>,
    user: Option<GqlLogin>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SamlIdentity {
    #[serde(default, deserialize_with = "lenient")]
    name_id: Option<String>,
}

#[derive(Deserialize)]
struct GqlLogin {
    login: String,
}

const MEMBERS_QUERY: &str = "query($org: String!, $members: String, $ids: String, $withMembers: Boolean!, $withIds: Boolean!) {
  organization(login: $org) {
    membersWithRole(first: 100, after: $members) @include(if: $withMembers) {
      nodes { databaseId login name email createdAt }
      pageInfo { hasNextPage endCursor }
    }
    samlIdentityProvider @include(if: $withIds) {
      externalIdentities(first: 100, after: $ids) {
        nodes { samlIdentity { nameId } user { login } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}";

#[derive(Debug)]
pub(crate) struct GithubSource {
    cfg: SourceConfig,
    github: Config,
    base: Url,
    client: HttpClient,
}

impl GithubSource {
    pub(crate) fn new(
        cfg: &SourceConfig,
        github: &Config,
        ctx: &SourceContext,
    ) -> Result<GithubSource, SourceError> {
        let (base, client) = vendor_client(cfg, ctx, Auth::Bearer)?;
        let client = client.with_header("x-github-api-version", "2022-11-28");
        Ok(GithubSource {
            cfg: cfg.clone(),
            github: github.clone(),
            base,
            client,
        })
    }

    fn url(&self, path: &str, per_page: usize) -> Url {
        let mut url = join_path(&self.base, path);
        url.query_pairs_mut()
            .append_pair("per_page", &per_page.to_string());
        url
    }

    fn org_path(&self, rest: &str) -> String {
        let org: String =
            url::form_urlencoded::byte_serialize(self.github.org.as_bytes()).collect();
        format!("/orgs/{org}{rest}")
    }

    /// `https://api.github.com/graphql`, or `https://host/api/graphql` for GitHub Enterprise Server.
    fn graphql_url(&self) -> Url {
        let path = self.base.path().trim_end_matches('/');
        let mut url = self.base.clone();
        url.set_query(None);
        match path.strip_suffix("/v3") {
            Some(prefix) => url.set_path(&format!("{prefix}/graphql")),
            None => url.set_path(&format!("{path}/graphql")),
        }
        url
    }

    fn blank(&self, id: u64, login: &str) -> Identity {
        blank(&self.cfg, id, login)
    }

    async fn rest_members(&self) -> Result<Vec<Identity>, SourceError> {
        let per_page = self.cfg.page_size.unwrap_or(100);
        let pages = self
            .client
            .get_pages(self.url(&self.org_path("/members"), per_page), |r| {
                Ok(link_next(&r.headers))
            })
            .await?;
        let mut members = Vec::new();
        for page in pages {
            members.extend(page.json::<Vec<Member>>(&self.cfg.name)?);
        }
        let fetches = members.into_iter().map(|m| self.member_profile(m));
        let results: Vec<Result<Option<Identity>, SourceError>> = futures::stream::iter(fetches)
            .buffered(self.cfg.http.concurrency.max(1))
            .collect()
            .await;
        let mut identities = Vec::new();
        for result in results {
            identities.extend(result?);
        }
        Ok(identities)
    }

    /// A member's `GET /users/{login}` as an identity; None (with a warning) when the profile is
    /// gone (404: the member left or was renamed between the two calls).
    async fn member_profile(&self, m: Member) -> Result<Option<Identity>, SourceError> {
        let login: String = url::form_urlencoded::byte_serialize(m.login.as_bytes()).collect();
        let url = join_path(&self.base, &format!("/users/{login}"));
        let Some(resp) = self.client.get_unless_gone(url.clone()).await? else {
            tracing::warn!(
                source = %self.cfg.name,
                url = %redact_url(&url),
                "a member listed by the organisation has no profile any more (left or renamed since); skipped"
            );
            return Ok(None);
        };
        let mut id = profile(&self.cfg, &resp)?;
        id.is_bot = id.is_bot || is_bot_type(m.kind.as_deref());
        Ok(Some(id))
    }

    /// Members and SAML identities through GraphQL, both connections paged in the same requests
    /// until neither has a next page; a repeated cursor or a page past `max_pages` is an error.
    async fn graphql_members(&self) -> Result<Vec<Identity>, SourceError> {
        let url = self.graphql_url();
        let mut identities = Vec::new();
        let mut name_ids: HashMap<String, String> = HashMap::new();
        let mut paging = GqlPaging::default();
        let mut pages = 0;
        while paging.members.more || paging.ids.more {
            self.client.refuse_too_many_pages(&url, pages)?;
            pages += 1;
            let org = self.graphql_page(&url, &paging).await?;
            let data_err = |message: &str| self.data_error(&url, message.to_string());
            if paging.members.more {
                let conn = org
                    .members_with_role
                    .ok_or_else(|| data_err("no membersWithRole in the answer"))?;
                for m in conn.nodes.into_iter().flatten() {
                    identities.extend(self.graphql_member(m));
                }
                paging
                    .members
                    .advance(&conn.page_info, "membersWithRole")
                    .map_err(|m| self.data_error(&url, m))?;
            }
            if paging.ids.more {
                let Some(provider) = org.saml_identity_provider else {
                    paging.ids.more = false;
                    continue;
                };
                let conn = provider.external_identities;
                for e in conn.nodes.into_iter().flatten() {
                    let name_id = e.saml_identity.and_then(|s| s.name_id);
                    if let (Some(user), Some(name_id)) = (e.user, name_id) {
                        name_ids.insert(user.login.to_lowercase(), name_id);
                    }
                }
                paging
                    .ids
                    .advance(&conn.page_info, "externalIdentities")
                    .map_err(|m| self.data_error(&url, m))?;
            }
        }
        for id in &mut identities {
            let login = id.login.clone().unwrap_or_default().to_lowercase();
            if let Some(name_id) = name_ids.get(&login) {
                // The NameID is the corporate email: it goes first.
                id.emails.retain(|e| !e.eq_ignore_ascii_case(name_id));
                id.emails.insert(0, name_id.clone());
            }
        }
        Ok(identities)
    }

    /// One GraphQL request for the connections still paging; its `organization`.
    async fn graphql_page(
        &self,
        url: &Url,
        paging: &GqlPaging,
    ) -> Result<Organization, SourceError> {
        let body = json!({
            "query": MEMBERS_QUERY,
            "variables": {"org": self.github.org, "members": paging.members.after,
                          "ids": paging.ids.after, "withMembers": paging.members.more,
                          "withIds": paging.ids.more},
        });
        let resp = self
            .client
            .send(Request::post(url.clone()).json(&body))
            .await?;
        let parsed: GraphqlResponse = resp.json(&self.cfg.name)?;
        if !parsed.errors.is_empty() {
            let messages: Vec<String> = parsed.errors.into_iter().map(|e| e.message).collect();
            return Err(self.data_error(url, format!("GraphQL errors: {}", messages.join("; "))));
        }
        parsed.data.and_then(|d| d.organization).ok_or_else(|| {
            self.data_error(url, format!("organization `{}` not found", self.github.org))
        })
    }

    fn graphql_member(&self, m: GqlMember) -> Option<Identity> {
        graphql_member(&self.cfg, m)
    }

    fn data_error(&self, url: &Url, message: String) -> SourceError {
        SourceError::Data {
            source_name: self.cfg.name.clone(),
            location: redact_url(url),
            message,
        }
    }

    async fn add_copilot_seats(&self, identities: &mut Vec<Identity>) -> Result<(), SourceError> {
        let per_page = self.cfg.page_size.unwrap_or(100);
        let pages = self
            .client
            .get_pages(
                self.url(&self.org_path("/copilot/billing/seats"), per_page),
                |r| Ok(link_next(&r.headers)),
            )
            .await?;
        let mut index: HashMap<String, usize> = identities
            .iter()
            .enumerate()
            .map(|(i, id)| (id.id.clone(), i))
            .collect();
        for page in pages {
            for seat in page.json::<SeatPage>(&self.cfg.name)?.seats {
                let Some(a) = seat.assignee else { continue };
                let key = a.id.to_string();
                let i = match index.get(&key) {
                    Some(i) => *i,
                    None => {
                        let mut id = self.blank(a.id, &a.login);
                        id.is_bot = is_bot_type(a.kind.as_deref());
                        identities.push(id);
                        index.insert(key, identities.len() - 1);
                        identities.len() - 1
                    }
                };
                let id = &mut identities[i];
                id.last_activity = latest(
                    id.last_activity,
                    seat.last_activity_at.as_deref().and_then(parse_time),
                );
                id.created_at = earliest(
                    id.created_at,
                    seat.created_at.as_deref().and_then(parse_time),
                );
            }
        }
        Ok(())
    }
}

fn blank(cfg: &SourceConfig, id: u64, login: &str) -> Identity {
    Identity {
        source: cfg.name.clone(),
        id: id.to_string(),
        login: Some(login.to_string()),
        status: AccountStatus::Active,
        directory: cfg.directory,
        ..Identity::default()
    }
}

/// A `GET /users/{login}` answer as an identity.
fn profile(cfg: &SourceConfig, resp: &Response) -> Result<Identity, SourceError> {
    let user: User = resp.json(&cfg.name)?;
    let mut id = blank(cfg, user.id, &user.login);
    push_email(&mut id.emails, user.email.as_deref());
    id.name = non_empty(user.name.as_deref());
    id.is_bot = is_bot_type(user.kind.as_deref());
    id.created_at = user.created_at.as_deref().and_then(parse_time);
    Ok(id)
}

fn graphql_member(cfg: &SourceConfig, m: GqlMember) -> Option<Identity> {
    let mut id = blank(cfg, m.database_id?, &m.login);
    push_email(&mut id.emails, m.email.as_deref());
    id.name = non_empty(m.name.as_deref());
    id.created_at = m.created_at.as_deref().and_then(parse_time);
    Some(id)
}

/// One answer read as every shape this kind reads — an organisation's members page, a user's
/// profile, a Copilot seats page, a GraphQL members page — with the identities each yields (the
/// fuzz target's entry: no answer may panic any of them).
pub fn map_answer(cfg: &SourceConfig, resp: &Response) -> Vec<Result<Vec<Identity>, SourceError>> {
    let members = resp
        .json::<Vec<Member>>(&cfg.name)
        .map(|ms| ms.into_iter().map(|m| blank(cfg, m.id, &m.login)).collect());
    let seats = resp.json::<SeatPage>(&cfg.name).map(|page| {
        page.seats
            .into_iter()
            .filter_map(|seat| seat.assignee)
            .map(|a| blank(cfg, a.id, &a.login))
            .collect()
    });
    let graphql = resp.json::<GraphqlResponse>(&cfg.name).map(|r| {
        let members = r
            .data
            .and_then(|d| d.organization)
            .and_then(|o| o.members_with_role);
        members
            .map(|c| {
                c.nodes
                    .into_iter()
                    .flatten()
                    .filter_map(|m| graphql_member(cfg, m))
                    .collect()
            })
            .unwrap_or_default()
    });
    vec![
        members,
        profile(cfg, resp).map(|id| vec![id]),
        seats,
        graphql,
    ]
}

/// Where the two GraphQL connections stand.
#[derive(Default)]
struct GqlPaging {
    members: Cursor,
    ids: Cursor,
}

/// One connection's paging: whether to ask for more, after which cursor, the cursors seen.
struct Cursor {
    more: bool,
    after: Option<String>,
    seen: Cursors,
}

impl Default for Cursor {
    fn default() -> Cursor {
        Cursor {
            more: true,
            after: None,
            seen: Cursors::default(),
        }
    }
}

impl Cursor {
    /// Moves on from a page: done without a next page; an error (what went wrong) when a next page
    /// is announced without a cursor (the rest cannot be read) or with a cursor handed out before
    /// (a loop).
    fn advance(&mut self, info: &PageInfo, what: &str) -> Result<(), String> {
        if !info.has_next_page {
            self.more = false;
            return Ok(());
        }
        let Some(cursor) = info.end_cursor.as_deref() else {
            return Err(format!(
                "{what}: hasNextPage without an endCursor; the rest cannot be read"
            ));
        };
        if !self.seen.first_time(cursor) {
            return Err(format!(
                "{what}: the server returned an endCursor already read; stopping instead of looping"
            ));
        }
        self.after = Some(cursor.to_string());
        Ok(())
    }
}

fn is_bot_type(kind: Option<&str>) -> bool {
    kind.is_some_and(|k| k.eq_ignore_ascii_case("bot"))
}

#[async_trait]
impl Source for GithubSource {
    fn config(&self) -> &SourceConfig {
        &self.cfg
    }

    async fn fetch(&self) -> Result<FetchOutput, SourceError> {
        let mut identities = if self.github.graphql {
            self.graphql_members().await?
        } else {
            self.rest_members().await?
        };
        if self.github.copilot {
            self.add_copilot_seats(&mut identities).await?;
        }
        Ok(FetchOutput {
            identities,
            ..FetchOutput::default()
        })
    }

    async fn check(&self) -> Result<String, SourceError> {
        let resp = self
            .client
            .send(Request::get(self.url(&self.org_path("/members"), 1)).unconditional())
            .await?;
        resp.json::<Vec<Member>>(&self.cfg.name)?;
        Ok(format!(
            "GitHub organisation {} at {}: members readable",
            self.github.org, self.base
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::VendorConfig;
    use crate::sources::testutil::{cfg, ctx, fetch_err, fetch_ok};
    use crate::sources::{MemoryHttpCache, build};
    use serde_json::Value;
    use std::sync::Arc;
    use wiremock::matchers::{
        body_partial_json, header, method, path, query_param, query_param_is_missing,
    };
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn gh_cfg(uri: &str) -> SourceConfig {
        gh_cfg_with(uri, |_| {})
    }

    fn gh_cfg_with(uri: &str, change: impl FnOnce(&mut Config)) -> SourceConfig {
        let mut github = Config {
            org: "acme".into(),
            ..Config::default()
        };
        change(&mut github);
        let mut c = cfg(SourceKind::Github, uri);
        c.vendor = VendorConfig::Github(github);
        c
    }

    fn member(id: u64, kind: &str) -> Value {
        json!({"login": format!("dev{id}"), "id": id, "node_id": "x", "type": kind, "site_admin": false})
    }

    async fn mount_users(server: &MockServer, ids: &[u64]) {
        for id in ids {
            Mock::given(method("GET"))
                .and(path(format!("/users/dev{id}")))
                .and(header("authorization", "Bearer ghp_tok"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "login": format!("dev{id}"), "id": id, "type": if *id == 3 { "Bot" } else { "User" },
                    "name": format!("Dev {id}"), "email": if *id == 1 { json!("dev1@acme.example") } else { Value::Null },
                    "created_at": "2019-05-01T00:00:00Z"})))
                .expect(1)
                .mount(server)
                .await;
        }
    }

    #[tokio::test]
    async fn rest_members_in_three_pages_then_each_user_and_copilot_seats() {
        let server = MockServer::start().await;
        let u = server.uri();
        let members = || {
            Mock::given(method("GET"))
                .and(path("/orgs/acme/members"))
                .and(header("authorization", "Bearer ghp_tok"))
                .and(header("x-github-api-version", "2022-11-28"))
                .and(query_param("per_page", "100"))
        };
        members()
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(200)
                .insert_header("link", format!("<{u}/orgs/acme/members?per_page=100&page=3>; rel=\"next\", <{u}/orgs/acme/members?per_page=100&page=1>; rel=\"prev\""))
                .set_body_json(json!([member(2, "User")])))
            .expect(1)
            .mount(&server)
            .await;
        members()
            .and(query_param("page", "3"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([member(3, "Bot")])))
            .expect(1)
            .mount(&server)
            .await;
        members()
            .and(query_param_is_missing("page"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header(
                        "link",
                        format!("<{u}/orgs/acme/members?per_page=100&page=2>; rel=\"next\""),
                    )
                    .set_body_json(json!([member(1, "User")])),
            )
            .expect(1)
            .mount(&server)
            .await;
        mount_users(&server, &[1, 2, 3]).await;
        Mock::given(method("GET"))
            .and(path("/orgs/acme/copilot/billing/seats"))
            .and(query_param_is_missing("page"))
            .respond_with(ResponseTemplate::new(200)
                .insert_header("link", format!("<{u}/orgs/acme/copilot/billing/seats?per_page=100&page=2>; rel=\"next\""))
                .set_body_json(json!({"total_seats": 2, "seats": [
                    {"created_at": "2018-01-01T00:00:00Z", "last_activity_at": "2026-03-01T12:00:00Z",
                     "last_activity_editor": "vscode", "assignee": member(1, "User")}]})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/orgs/acme/copilot/billing/seats"))
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total_seats": 2, "seats": [
                {"created_at": "2025-01-01T00:00:00Z", "last_activity_at": null, "assignee": member(99, "User")}]})))
            .expect(1)
            .mount(&server)
            .await;
        let c = gh_cfg_with(&u, |g| g.copilot = true);
        let ids = fetch_ok(&c, "ghp_tok").await;
        assert_eq!(
            ids.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["1", "2", "3", "99"]
        );
        assert_eq!(ids[0].login.as_deref(), Some("dev1"));
        assert_eq!(ids[0].emails, ["dev1@acme.example"]);
        assert_eq!(ids[0].name.as_deref(), Some("Dev 1"));
        assert_eq!(
            ids[0].last_activity.unwrap().to_rfc3339(),
            "2026-03-01T12:00:00+00:00"
        );
        assert_eq!(
            ids[0].created_at.unwrap().to_rfc3339(),
            "2018-01-01T00:00:00+00:00",
            "seat is older"
        );
        assert!(ids[2].is_bot);
        assert!(ids[1].last_activity.is_none());
        server.verify().await;
    }

    fn gql_page(members: &[u64], next: Option<&str>, ids: Option<(&[u64], Option<&str>)>) -> Value {
        let nodes: Vec<Value> = members
            .iter()
            .map(|i| json!({"databaseId": i, "login": format!("dev{i}"), "name": format!("Dev {i}"), "email": "", "createdAt": "2020-01-01T00:00:00Z"}))
            .collect();
        let mut org = json!({"membersWithRole": {"nodes": nodes,
            "pageInfo": {"hasNextPage": next.is_some(), "endCursor": next}}});
        if let Some((ids, next)) = ids {
            let nodes: Vec<Value> = ids
                .iter()
                .map(|i| json!({"samlIdentity": {"nameId": format!("Dev.{i}@Corp.example")}, "user": {"login": format!("DEV{i}")}}))
                .collect();
            org["samlIdentityProvider"] = json!({"externalIdentities": {"nodes": nodes,
                "pageInfo": {"hasNextPage": next.is_some(), "endCursor": next}}});
        }
        json!({"data": {"organization": org}})
    }

    #[tokio::test]
    async fn graphql_pages_members_and_saml_identities_together() {
        let server = MockServer::start().await;
        let gql = |members_after: Value, ids_after: Value| {
            Mock::given(method("POST"))
                .and(path("/graphql"))
                .and(header("authorization", "Bearer ghp_tok"))
                .and(body_partial_json(json!({"variables": {"org": "acme", "members": members_after, "ids": ids_after}})))
        };
        gql(Value::Null, Value::Null)
            .respond_with(ResponseTemplate::new(200).set_body_json(gql_page(
                &[1, 2],
                Some("m1"),
                Some((&[1], Some("s1"))),
            )))
            .expect(1)
            .mount(&server)
            .await;
        gql(json!("m1"), json!("s1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(gql_page(
                &[3],
                Some("m2"),
                Some((&[3], None)),
            )))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/graphql"))
            .and(body_partial_json(
                json!({"variables": {"members": "m2", "withIds": false}}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(gql_page(&[4], None, None)))
            .expect(1)
            .mount(&server)
            .await;
        let c = gh_cfg_with(&server.uri(), |g| g.graphql = true);
        let ids = fetch_ok(&c, "ghp_tok").await;
        assert_eq!(ids.len(), 4);
        assert_eq!(ids[0].id, "1");
        assert_eq!(ids[0].emails, ["Dev.1@Corp.example"]);
        assert!(ids[1].emails.is_empty());
        assert_eq!(ids[2].emails, ["Dev.3@Corp.example"]);
        server.verify().await;
    }

    #[tokio::test]
    async fn graphql_errors_are_reported() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"organization": null}, "errors": [{"message": "Could not resolve to an Organization"}]})))
            .mount(&server)
            .await;
        let c = gh_cfg_with(&server.uri(), |g| g.graphql = true);
        let e = fetch_err(&c, "t").await;
        assert!(e.contains("Could not resolve"), "{e}");
    }

    #[tokio::test]
    async fn secondary_rate_limit_403_and_502_are_retried() {
        let server = MockServer::start().await;
        let reset = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 1)
        .to_string();
        Mock::given(method("GET"))
            .and(path("/orgs/acme/members"))
            .respond_with(
                ResponseTemplate::new(403)
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", reset.as_str())
                    .set_body_json(json!({"message": "API rate limit exceeded"})),
            )
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/orgs/acme/members"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/orgs/acme/members"))
            .respond_with(ResponseTemplate::new(502))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/orgs/acme/members"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([member(1, "User")])))
            .expect(1)
            .mount(&server)
            .await;
        mount_users(&server, &[1]).await;
        let mut c = gh_cfg(&server.uri());
        c.http.max_retry_wait = std::time::Duration::from_secs(5);
        let ids = fetch_ok(&c, "ghp_tok").await;
        assert_eq!(ids.len(), 1);
        server.verify().await;
    }

    #[tokio::test]
    async fn a_member_whose_profile_is_gone_is_skipped_not_fatal() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/orgs/acme/members"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!([member(1, "User"), member(2, "User")])),
            )
            .mount(&server)
            .await;
        mount_users(&server, &[1]).await;
        Mock::given(method("GET"))
            .and(path("/users/dev2"))
            .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
            .expect(1)
            .mount(&server)
            .await;
        let ids = fetch_ok(&gh_cfg(&server.uri()), "ghp_tok").await;
        assert_eq!(ids.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["1"]);
        server.verify().await;
    }

    #[tokio::test]
    async fn graphql_has_next_page_without_a_cursor_is_an_error_not_a_short_list() {
        let server = MockServer::start().await;
        let mut page = gql_page(&[1], None, None);
        page["data"]["organization"]["membersWithRole"]["pageInfo"]["hasNextPage"] = json!(true);
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page))
            .mount(&server)
            .await;
        let c = gh_cfg_with(&server.uri(), |g| g.graphql = true);
        let e = fetch_err(&c, "t").await;
        assert!(e.contains("hasNextPage without an endCursor"), "{e}");
    }

    #[tokio::test]
    async fn bad_credentials_are_clear_and_token_free() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let e = fetch_err(&gh_cfg(&server.uri()), "ghp_SECRETSECRET").await;
        assert!(
            e.contains("rejected the credentials (HTTP 401)") && e.contains("Bad credentials"),
            "{e}"
        );
        assert!(!e.contains("ghp_SECRETSECRET"), "{e}");
        server.verify().await;
    }

    #[tokio::test]
    async fn a_next_link_to_another_host_is_refused_and_nothing_is_sent_there() {
        let server = MockServer::start().await;
        let evil = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/orgs/acme/members"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header(
                        "link",
                        format!("<{}/orgs/acme/members?page=2>; rel=\"next\"", evil.uri()),
                    )
                    .set_body_json(json!([member(1, "User")])),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&evil)
            .await;
        let e = fetch_err(&gh_cfg(&server.uri()), "ghp_tok").await;
        assert!(e.contains("refused") && e.contains("github"), "{e}");
        evil.verify().await;
    }

    #[tokio::test]
    async fn second_run_is_answered_by_304s() {
        let server = MockServer::start().await;
        let not_modified = Mock::given(method("GET"))
            .and(header("if-none-match", "\"e\""))
            .respond_with(ResponseTemplate::new(304));
        not_modified.expect(2).mount(&server).await;
        Mock::given(method("GET"))
            .and(path("/orgs/acme/members"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"e\"")
                    .set_body_json(json!([member(1, "User")])),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/users/dev1"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"e\"")
                    .set_body_json(
                        json!({"login": "dev1", "id": 1, "type": "User", "name": "Dev"}),
                    ),
            )
            .expect(1)
            .mount(&server)
            .await;
        let mut context = ctx("t");
        context.cache = Some(Arc::new(MemoryHttpCache::default()));
        let src = build(&gh_cfg(&server.uri()), &context).unwrap();
        let first = src.fetch().await.unwrap().identities;
        assert_eq!(first, src.fetch().await.unwrap().identities);
        server.verify().await;
    }

    #[test]
    fn graphql_url_for_cloud_and_enterprise_server() {
        let mk = |u: &str| {
            let c = gh_cfg(u);
            let VendorConfig::Github(github) = &c.vendor else {
                unreachable!("a github config")
            };
            GithubSource::new(&c, github, &ctx("t"))
                .unwrap()
                .graphql_url()
                .to_string()
        };
        assert_eq!(
            mk("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            mk("https://ghe.acme.example/api/v3"),
            "https://ghe.acme.example/api/graphql"
        );
    }
}
