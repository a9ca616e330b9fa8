//! Kind `okta`: the Okta users API (`GET /api/v1/users`, `Authorization: SSWS`), paged by `Link:
//! rel="next"`, read twice — the plain list and `filter=status eq "DEPROVISIONED"`, which the plain
//! list leaves out — and turned into directory identities.
//!
//! Never reports a sign-in (`lastLogin`) as engineering activity.

use std::collections::HashSet;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::common::{
    join_path, lenient, links_from, non_empty, parse_time, push_email, value_text, vendor_client,
};
use super::http::{Auth, HttpClient, Request, Response, link_next};
use super::spec::{FieldError, KindConfig, NoKeys, SourceConfig};
use super::{FetchOutput, Source, SourceContext, SourceError};
use crate::model::{AccountStatus, Identity};

/// Kind `okta` has no keys of its own: the base URL, `token_env` and `[sources.links]` (profile
/// attributes such as `githubUsername`) are shared by every kind.
#[derive(Debug, Clone, Default)]
pub struct Config {}

impl KindConfig for Config {
    type Raw = NoKeys;

    fn build(_: NoKeys) -> Result<Config, FieldError> {
        Ok(Config {})
    }
}

/// A user: `id` is required; `status` and `created` are lenient and the profile is read attribute
/// by attribute, so an odd-typed field loses only itself.
#[derive(Deserialize)]
struct OktaUser {
    id: String,
    #[serde(default, deserialize_with = "lenient")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    created: Option<String>,
    #[serde(default)]
    profile: Value,
}

#[derive(Debug)]
pub(crate) struct OktaSource {
    cfg: SourceConfig,
    base: Url,
    client: HttpClient,
}

impl OktaSource {
    pub(crate) fn new(cfg: &SourceConfig, ctx: &SourceContext) -> Result<OktaSource, SourceError> {
        let (base, client) = vendor_client(cfg, ctx, Auth::Ssws)?;
        Ok(OktaSource {
            cfg: cfg.clone(),
            base,
            client,
        })
    }

    fn users_url(&self, limit: usize, filter: Option<&str>) -> Url {
        let mut url = join_path(&self.base, "/api/v1/users");
        url.query_pairs_mut()
            .append_pair("limit", &limit.to_string());
        if let Some(f) = filter {
            url.query_pairs_mut().append_pair("filter", f);
        }
        url
    }

    async fn list(&self, filter: Option<&str>) -> Result<Vec<Identity>, SourceError> {
        let limit = self.cfg.page_size.unwrap_or(200);
        let pages = self
            .client
            .get_pages(self.users_url(limit, filter), |r| Ok(link_next(&r.headers)))
            .await?;
        let mut users = Vec::new();
        for page in pages {
            users.extend(map_page(&self.cfg, &page)?);
        }
        Ok(users)
    }
}

/// One page of `GET /api/v1/users` as identities.
pub fn map_page(cfg: &SourceConfig, page: &Response) -> Result<Vec<Identity>, SourceError> {
    let users: Vec<OktaUser> = page.json(&cfg.name)?;
    Ok(users.into_iter().map(|u| identity(cfg, u)).collect())
}

/// One user as an identity. Profile attributes are read one by one: an attribute of an odd type
/// (a list where text was expected) is left out, and the rest of the profile is kept.
fn identity(cfg: &SourceConfig, u: OktaUser) -> Identity {
    let attr = |name: &str| u.profile.get(name).and_then(value_text);
    let mut emails = Vec::new();
    push_email(&mut emails, attr("email").as_deref());
    push_email(&mut emails, attr("secondEmail").as_deref());
    let name = attr("displayName").or_else(|| {
        let full = format!(
            "{} {}",
            attr("firstName").unwrap_or_default(),
            attr("lastName").unwrap_or_default()
        );
        non_empty(Some(&full))
    });
    // `manager` is usually a display name; only an email is useful as manager_email.
    let manager_email = [attr("manager"), attr("managerId")]
        .into_iter()
        .flatten()
        .find(|m| m.contains('@'));
    let links = links_from(cfg, |attr| u.profile.get(attr).and_then(value_text));
    Identity {
        source: cfg.name.clone(),
        id: u.id,
        emails,
        login: attr("login"),
        name,
        employee_id: attr("employeeNumber"),
        title: attr("title"),
        department: attr("department"),
        manager_email,
        status: okta_status(u.status.as_deref().unwrap_or("")),
        is_bot: false,
        last_activity: None,
        created_at: u.created.as_deref().and_then(parse_time),
        links,
        directory: cfg.directory,
    }
}

/// Okta user states (SPEC §3.2): DEPROVISIONED is final; SUSPENDED and LOCKED_OUT are employed but
/// uncertain; the rest are active.
fn okta_status(s: &str) -> AccountStatus {
    match s.to_ascii_uppercase().as_str() {
        "ACTIVE" | "PROVISIONED" | "STAGED" | "RECOVERY" | "PASSWORD_EXPIRED" => {
            AccountStatus::Active
        }
        "LOCKED_OUT" | "SUSPENDED" => AccountStatus::Suspended,
        "DEPROVISIONED" => AccountStatus::Departed,
        _ => AccountStatus::Unknown,
    }
}

#[async_trait]
impl Source for OktaSource {
    fn config(&self) -> &SourceConfig {
        &self.cfg
    }

    async fn fetch(&self) -> Result<FetchOutput, SourceError> {
        let mut users = self.list(None).await?;
        users.extend(self.list(Some("status eq \"DEPROVISIONED\"")).await?);
        let mut seen = HashSet::new();
        let mut identities = Vec::new();
        for u in users {
            if seen.insert(u.id.clone()) {
                identities.push(u);
            }
        }
        Ok(FetchOutput {
            identities,
            ..FetchOutput::default()
        })
    }

    async fn check(&self) -> Result<String, SourceError> {
        let resp = self
            .client
            .send(Request::get(self.users_url(1, None)).unconditional())
            .await?;
        resp.json::<Vec<OktaUser>>(&self.cfg.name)?;
        Ok(format!(
            "Okta at {}: users API reachable, token accepted",
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
    use serde_json::json;
    use std::sync::Arc;
    use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn user(id: &str, status: &str) -> Value {
        json!({
            "id": id, "status": status, "created": "2024-03-01T10:00:00.000Z",
            "lastLogin": "2026-01-01T00:00:00.000Z",
            "profile": {"login": format!("{id}@acme.example"), "email": format!("{id}@acme.example"),
                        "secondEmail": format!("{id}@personal.example"), "firstName": "F", "lastName": id,
                        "title": "Engineer", "department": "R&D", "employeeNumber": "E-1",
                        "manager": "boss@acme.example", "githubUsername": format!("gh-{id}")}
        })
    }

    fn okta_cfg(uri: &str) -> SourceConfig {
        let mut c = cfg(SourceKind::Okta, uri);
        c.directory = true;
        c.links.insert("github".into(), "githubUsername".into());
        c
    }

    #[tokio::test]
    async fn an_odd_typed_profile_attribute_loses_only_itself() {
        let server = MockServer::start().await;
        let mut odd = user("u1", "ACTIVE");
        odd["profile"]["title"] = json!(["Engineer", "Lead"]);
        odd["profile"]["department"] = json!({"name": "R&D"});
        Mock::given(method("GET"))
            .and(path("/api/v1/users"))
            .and(query_param_is_missing("filter"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([odd])))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/users"))
            .and(query_param("filter", "status eq \"DEPROVISIONED\""))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server)
            .await;
        let ids = fetch_ok(&okta_cfg(&server.uri()), "okta-token").await;
        assert_eq!(ids.len(), 1);
        let u = &ids[0];
        assert_eq!(u.email(), Some("u1@acme.example"), "the email survives");
        assert_eq!(u.name.as_deref(), Some("F u1"));
        assert_eq!(u.status, AccountStatus::Active);
        assert_eq!(u.title, None, "a list is not a title");
        assert_eq!(u.department, None);
        assert_eq!(u.employee_id.as_deref(), Some("E-1"));
    }

    #[tokio::test]
    async fn pages_through_active_users_and_adds_deprovisioned_ones() {
        let server = MockServer::start().await;
        let u = server.uri();
        let plain = || {
            Mock::given(method("GET"))
                .and(path("/api/v1/users"))
                .and(header("authorization", "SSWS okta-token"))
                .and(query_param_is_missing("filter"))
        };
        plain()
            .and(query_param("after", "p2"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header(
                        "link",
                        format!("<{u}/api/v1/users?limit=200&after=p3>; rel=\"next\""),
                    )
                    .set_body_json(json!([user("u2", "SUSPENDED")])),
            )
            .expect(1)
            .mount(&server)
            .await;
        plain()
            .and(query_param("after", "p3"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!([user("u3", "LOCKED_OUT")])),
            )
            .expect(1)
            .mount(&server)
            .await;
        plain()
            .and(query_param("limit", "200"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("link", format!("<{u}/api/v1/users?limit=200>; rel=\"self\", <{u}/api/v1/users?limit=200&after=p2>; rel=\"next\""))
                    .set_body_json(json!([user("u1", "ACTIVE")])),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/users"))
            .and(query_param("filter", "status eq \"DEPROVISIONED\""))
            .and(header("authorization", "SSWS okta-token"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!([user("u4", "DEPROVISIONED")])),
            )
            .expect(1)
            .mount(&server)
            .await;
        let ids = fetch_ok(&okta_cfg(&u), "okta-token").await;
        assert_eq!(ids.len(), 4);
        let by = |id: &str| ids.iter().find(|i| i.id == id).unwrap();
        assert_eq!(by("u1").status, AccountStatus::Active);
        assert_eq!(by("u2").status, AccountStatus::Suspended);
        assert_eq!(by("u3").status, AccountStatus::Suspended);
        assert_eq!(by("u4").status, AccountStatus::Departed);
        let u1 = by("u1");
        assert_eq!(u1.emails, ["u1@acme.example", "u1@personal.example"]);
        assert_eq!(u1.name.as_deref(), Some("F u1"));
        assert_eq!(u1.employee_id.as_deref(), Some("E-1"));
        assert_eq!(u1.manager_email.as_deref(), Some("boss@acme.example"));
        assert_eq!(u1.links[0].value, "gh-u1");
        assert!(u1.directory);
        assert!(
            u1.last_activity.is_none(),
            "lastLogin is not engineering activity"
        );
        server.verify().await;
    }

    #[tokio::test]
    async fn rate_limit_429_then_502_then_success() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("x-rate-limit-remaining", "0")
                    .insert_header("retry-after", "1"),
            )
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(502))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([user("u1", "ACTIVE")])))
            .expect(2)
            .mount(&server)
            .await;
        let ids = fetch_ok(&okta_cfg(&server.uri()), "t").await;
        assert_eq!(ids.len(), 1);
        server.verify().await;
    }

    #[tokio::test]
    async fn unauthorized_is_clear_and_does_not_leak_the_token() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401).set_body_json(
                json!({"errorCode": "E0000011", "errorSummary": "Invalid token provided"}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let src = build(&okta_cfg(&server.uri()), &ctx("00okta-SECRET")).unwrap();
        let e = src.fetch().await.unwrap_err().to_string();
        assert!(e.starts_with("okta: "), "{e}");
        assert!(e.contains("rejected the credentials (HTTP 401)"), "{e}");
        assert!(!e.contains("00okta-SECRET"), "{e}");
        server.verify().await;
    }

    #[tokio::test]
    async fn next_link_to_another_host_is_refused() {
        let server = MockServer::start().await;
        let evil = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header(
                        "link",
                        format!("<{}/api/v1/users?after=x>; rel=\"next\"", evil.uri()),
                    )
                    .set_body_json(json!([user("u1", "ACTIVE")])),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&evil)
            .await;
        let e = fetch_err(&okta_cfg(&server.uri()), "tok").await;
        assert!(e.contains("refused"), "{e}");
        evil.verify().await;
    }

    #[tokio::test]
    async fn etag_round_trip_reuses_the_stored_pages() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(header("if-none-match", "W/\"okta1\""))
            .respond_with(ResponseTemplate::new(304))
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "W/\"okta1\"")
                    .set_body_json(json!([user("u1", "ACTIVE")])),
            )
            .expect(2)
            .mount(&server)
            .await;
        let mut context = ctx("tok");
        context.cache = Some(Arc::new(MemoryHttpCache::default()));
        let src = build(&okta_cfg(&server.uri()), &context).unwrap();
        let first = src.fetch().await.unwrap().identities;
        let second = src.fetch().await.unwrap().identities;
        assert_eq!(first, second);
        assert_eq!(second.len(), 1);
        server.verify().await;
    }

    #[tokio::test]
    async fn check_asks_for_one_user() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(query_param("limit", "1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .expect(1)
            .mount(&server)
            .await;
        let line = build(&okta_cfg(&server.uri()), &ctx("t"))
            .unwrap()
            .check()
            .await
            .unwrap();
        assert!(line.contains("Okta"), "{line}");
        server.verify().await;
    }
}
