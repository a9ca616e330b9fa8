//! Kind `msgraph`: Microsoft Entra ID users through Microsoft Graph, app-only. A client-credentials
//! token comes from `{authority}/{tenant}/oauth2/v2.0/token` (cached, refreshed before expiry);
//! users from `GET /v1.0/users?$select=…&$top=999`, paged by `@odata.nextLink`. A national cloud's
//! Graph host (`https://graph.microsoft.us`, …) brings its own token scope and default authority.
//!
//! Two hosts, two clients: the client secret only ever goes to the authority, the bearer token only
//! to the Graph host. Sign-in activity is never reported as engineering activity. A token's
//! `expires_in` is clamped (to at most a day) before it becomes an instant: no lifetime a server
//! names can overflow the clock.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::common::{
    dotted, http_base, join_path, lenient, links_from, non_empty, parse_time, push_email,
    secret_from, value_text,
};
use super::http::{Auth, HttpClient, Request, Response, json_next, redact_url};
use super::spec::{FieldError, KindConfig, SourceConfig, SourceKind, http_url_key, required};
use super::{FetchOutput, Secret, Source, SourceContext, SourceError};
use crate::model::{AccountStatus, Identity};

/// Microsoft Graph's global endpoint (national clouds: `https://graph.microsoft.us`, …).
pub const DEFAULT_URL: &str = "https://graph.microsoft.com";
/// The Microsoft identity platform's global authority.
const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// Each Microsoft cloud's Graph host and the authority that issues its tokens ("Microsoft Graph
/// national cloud deployments", learn.microsoft.com/graph/deployments): global, US Government L4
/// and L5 (DOD), China operated by 21Vianet.
const CLOUDS: [(&str, &str); 4] = [
    ("graph.microsoft.com", DEFAULT_AUTHORITY),
    ("graph.microsoft.us", "https://login.microsoftonline.us"),
    ("dod-graph.microsoft.us", "https://login.microsoftonline.us"),
    (
        "microsoftgraph.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
    ),
];

/// The known cloud whose Graph host `base` is, if any: `(host, authority)`.
fn cloud_of(base: &Url) -> Option<(&'static str, &'static str)> {
    let host = base.host_str()?.to_ascii_lowercase();
    CLOUDS.into_iter().find(|(graph, _)| *graph == host)
}

/// The `.default` scope of the Graph at `base`. A national cloud's host names its own: "any
/// permission scope value (including the .default scope) that contains the Microsoft Graph domain
/// MUST use the domain of the Microsoft Graph service root endpoint for the national cloud
/// deployment" (learn.microsoft.com/graph/sdks/national-clouds). Any other host (a proxy in front
/// of Graph, a test double) is taken to be the global Graph.
fn token_scope(base: &Url) -> String {
    let (host, _) = cloud_of(base).unwrap_or(CLOUDS[0]);
    format!("https://{host}/.default")
}

/// The authority for the Graph at `base` when the config names none: the national cloud's own.
fn default_authority(base: &Url) -> Url {
    let (_, authority) = cloud_of(base).unwrap_or(CLOUDS[0]);
    Url::parse(authority).expect("static URL")
}

/// Kind `msgraph`'s own settings: an app registration with the client-credentials grant.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where tokens come from: `POST {authority}/{tenant}/oauth2/v2.0/token`; unset, the
    /// authority of the cloud the Graph host belongs to (global for any other host).
    pub authority: Option<Url>,
    pub tenant: String,
    pub client_id: String,
    /// The *name* of the variable that holds the client secret.
    pub client_secret_env: String,
    /// Also ask for `signInActivity` (needs `AuditLog.Read.All`); never engineering activity.
    pub sign_in_activity: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    authority: Option<String>,
    tenant: Option<String>,
    client_id: Option<String>,
    client_secret_env: Option<String>,
    #[serde(default)]
    sign_in_activity: bool,
}

impl KindConfig for Config {
    type Raw = RawConfig;

    fn build(raw: RawConfig) -> Result<Config, FieldError> {
        let kind = SourceKind::Msgraph;
        Ok(Config {
            authority: raw
                .authority
                .as_deref()
                .map(|a| http_url_key(a, "authority"))
                .transpose()?,
            tenant: required(raw.tenant, "tenant", kind)?,
            client_id: required(raw.client_id, "client_id", kind)?,
            client_secret_env: required(raw.client_secret_env, "client_secret_env", kind)?,
            sign_in_activity: raw.sign_in_activity,
        })
    }
}

const SELECT: &str = "id,displayName,mail,userPrincipalName,otherMails,accountEnabled,employeeId,department,jobTitle,createdDateTime,onPremisesExtensionAttributes";

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    /// Seconds, as a number or (older authorities) a string; anything else means the default.
    #[serde(default)]
    expires_in: Value,
}

/// A token's lifetime when the authority names none (or an unreadable one).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// The longest lifetime believed: a longer `expires_in` (`u64::MAX`) is taken as a day.
const LONGEST_LIFETIME: Duration = Duration::from_secs(86_400);

/// The lifetime `expires_in` names, clamped to [`LONGEST_LIFETIME`].
fn token_lifetime(expires_in: &Value) -> Duration {
    let secs = match expires_in {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match secs {
        Some(s) if s.is_finite() && s >= 0.0 => {
            Duration::try_from_secs_f64(s.min(LONGEST_LIFETIME.as_secs_f64()))
                .unwrap_or(DEFAULT_LIFETIME)
        }
        _ => DEFAULT_LIFETIME,
    }
}

#[derive(Deserialize)]
struct UsersPage {
    #[serde(default)]
    value: Vec<Value>,
}

/// A user: `id` is required, every other field lenient (an odd-typed one loses only itself).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphUser {
    id: String,
    #[serde(default, deserialize_with = "lenient")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    mail: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    other_mails: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    account_enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    employee_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    department: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    job_title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    created_date_time: Option<String>,
}

#[derive(Debug)]
pub(crate) struct MsgraphSource {
    cfg: SourceConfig,
    sign_in_activity: bool,
    base: Url,
    token_url: Url,
    scope: String,
    client_id: String,
    client_secret: Secret,
    token_client: HttpClient,
    graph: HttpClient,
    token: Mutex<Option<(Secret, Instant)>>,
}

impl MsgraphSource {
    pub(crate) fn new(
        cfg: &SourceConfig,
        graph_cfg: &Config,
        ctx: &SourceContext,
    ) -> Result<MsgraphSource, SourceError> {
        let client_secret =
            secret_from(cfg, ctx, &graph_cfg.client_secret_env, "client_secret_env")?;
        let tenant_seg: String =
            url::form_urlencoded::byte_serialize(graph_cfg.tenant.as_bytes()).collect();
        let base = http_base(cfg)?;
        let authority = (graph_cfg.authority.clone()).unwrap_or_else(|| default_authority(&base));
        let token_url = join_path(&authority, &format!("/{tenant_seg}/oauth2/v2.0/token"));
        let token_client = HttpClient::new(&cfg.name, &authority, cfg.http, Auth::None, None)?
            .with_body_secret(client_secret.clone());
        let graph = HttpClient::new(&cfg.name, &base, cfg.http, Auth::None, ctx.cache.clone())?;
        let scope = token_scope(&base);
        Ok(MsgraphSource {
            cfg: cfg.clone(),
            sign_in_activity: graph_cfg.sign_in_activity,
            base,
            token_url,
            scope,
            client_id: graph_cfg.client_id.clone(),
            client_secret,
            token_client,
            graph,
            token: Mutex::new(None),
        })
    }

    /// Makes sure the Graph client holds a token valid for a while yet.
    async fn authorize(&self) -> Result<(), SourceError> {
        let mut slot = self.token.lock().await;
        if let Some((token, refresh_at)) = slot.as_ref()
            && Instant::now() < *refresh_at
        {
            self.graph.set_auth(Auth::Bearer(token.clone()));
            return Ok(());
        }
        let resp = self
            .token_client
            .send(Request::post(self.token_url.clone()).form(&[
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose()),
                ("scope", self.scope.as_str()),
                ("grant_type", "client_credentials"),
            ]))
            .await?;
        let t: TokenResponse = resp.json(&self.cfg.name)?;
        let access_token = Secret::new(t.access_token);
        let lifetime = token_lifetime(&t.expires_in);
        // Refresh five minutes early, or halfway through a short-lived token.
        let margin = Duration::from_secs(300).min(lifetime / 2);
        let now = Instant::now();
        let refresh_at = now.checked_add(lifetime - margin).unwrap_or(now);
        self.graph.set_auth(Auth::Bearer(access_token.clone()));
        *slot = Some((access_token, refresh_at));
        Ok(())
    }

    fn users_url(&self, top: usize, select: &str) -> Url {
        let mut url = join_path(&self.base, "/v1.0/users");
        url.set_query(Some(&format!("$select={select}&$top={top}")));
        url
    }

    /// The `$select` list: the fields we map, plus the first segment of every link path.
    fn select(&self) -> String {
        let mut fields: Vec<String> = SELECT.split(',').map(str::to_string).collect();
        if self.sign_in_activity {
            fields.push("signInActivity".into());
        }
        for path in self.cfg.links.values() {
            let top = path.split('.').next().unwrap_or("").trim().to_string();
            if !top.is_empty() && !fields.contains(&top) {
                fields.push(top);
            }
        }
        fields.join(",")
    }
}

/// One page of `GET /v1.0/users` as identities.
pub fn map_page(cfg: &SourceConfig, page: &Response) -> Result<Vec<Identity>, SourceError> {
    let mut identities = Vec::new();
    for raw in page.json::<UsersPage>(&cfg.name)?.value {
        identities.push(identity(cfg, &page.url, &raw)?);
    }
    Ok(identities)
}

fn identity(cfg: &SourceConfig, url: &Url, raw: &Value) -> Result<Identity, SourceError> {
    let u: GraphUser = serde_json::from_value(raw.clone()).map_err(|e| SourceError::Data {
        source_name: cfg.name.clone(),
        location: redact_url(url),
        message: format!("unexpected user object: {e}"),
    })?;
    let mut emails = Vec::new();
    push_email(&mut emails, u.mail.as_deref());
    for m in &u.other_mails {
        push_email(&mut emails, Some(m));
    }
    let upn = non_empty(u.user_principal_name.as_deref());
    if let Some(upn) = upn.as_deref()
        && upn.contains('@')
        && !upn.contains("#EXT#")
    {
        push_email(&mut emails, Some(upn));
    }
    Ok(Identity {
        source: cfg.name.clone(),
        id: u.id,
        emails,
        login: upn,
        name: non_empty(u.display_name.as_deref()),
        employee_id: non_empty(u.employee_id.as_deref()),
        title: non_empty(u.job_title.as_deref()),
        department: non_empty(u.department.as_deref()),
        status: match u.account_enabled {
            Some(true) => AccountStatus::Active,
            Some(false) => AccountStatus::Departed,
            None => AccountStatus::Unknown,
        },
        created_at: u.created_date_time.as_deref().and_then(parse_time),
        links: links_from(cfg, |path| dotted(raw, path).and_then(value_text)),
        directory: cfg.directory,
        ..Identity::default()
    })
}

#[async_trait]
impl Source for MsgraphSource {
    fn config(&self) -> &SourceConfig {
        &self.cfg
    }

    async fn fetch(&self) -> Result<FetchOutput, SourceError> {
        self.authorize().await?;
        let top = self.cfg.page_size.unwrap_or(999);
        let pages = self
            .graph
            .get_pages(self.users_url(top, &self.select()), |r| {
                let body: Value = r.json(&self.cfg.name)?;
                Ok(json_next(&body, "/@odata.nextLink"))
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
        self.authorize().await?;
        let resp = self
            .graph
            .send(Request::get(self.users_url(1, "id")).unconditional())
            .await?;
        resp.json::<UsersPage>(&self.cfg.name)?;
        Ok(format!(
            "Microsoft Graph at {}: token issued, users readable",
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
    use serde_json::json;
    use std::sync::Arc;
    use wiremock::matchers::{body_string_contains, header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn graph_cfg(graph: &str, login: &str) -> SourceConfig {
        let mut c = cfg(SourceKind::Msgraph, graph);
        c.name = "entra".into();
        c.token_env = None;
        c.vendor = VendorConfig::Msgraph(Config {
            authority: Some(Url::parse(login).unwrap()),
            tenant: "acme.onmicrosoft.com".into(),
            client_id: "cid-1".into(),
            client_secret_env: "SECRET".into(),
            sign_in_activity: false,
        });
        c.directory = true;
        c.links.insert(
            "github".into(),
            "onPremisesExtensionAttributes.extensionAttribute1".into(),
        );
        c
    }

    async fn mount_token(login: &MockServer, times: u64) {
        Mock::given(method("POST"))
            .and(path("/acme.onmicrosoft.com/oauth2/v2.0/token"))
            .and(body_string_contains("client_id=cid-1"))
            .and(body_string_contains("client_secret=client-secret-value"))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "eyJ.graph.token"})))
            .expect(times)
            .mount(login)
            .await;
    }

    fn user(id: &str, enabled: bool) -> Value {
        json!({"id": id, "displayName": format!("User {id}"), "mail": format!("{id}@acme.example"),
               "userPrincipalName": format!("{id}@acme.onmicrosoft.com"), "otherMails": [format!("{id}@old.example")],
               "accountEnabled": enabled, "employeeId": "E7", "department": "R&D", "jobTitle": "Engineer",
               "createdDateTime": "2021-06-01T00:00:00Z",
               "onPremisesExtensionAttributes": {"extensionAttribute1": format!("gh-{id}"), "extensionAttribute2": null}})
    }

    #[tokio::test]
    async fn token_then_three_pages_of_users_with_the_token_cached() {
        let login = MockServer::start().await;
        let graph = MockServer::start().await;
        mount_token(&login, 1).await;
        let g = graph.uri();
        let users = || {
            Mock::given(method("GET"))
                .and(path("/v1.0/users"))
                .and(header("authorization", "Bearer eyJ.graph.token"))
        };
        users()
            .and(query_param("$skiptoken", "p2"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"value": [user("u2", false)],
                "@odata.nextLink": format!("{g}/v1.0/users?$select=id&$top=999&$skiptoken=p3")})),
            )
            .expect(2)
            .mount(&graph)
            .await;
        users()
            .and(query_param("$skiptoken", "p3"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"value": [user("u3", true)]})),
            )
            .expect(2)
            .mount(&graph)
            .await;
        users()
            .and(query_param("$top", "999"))
            .and(query_param("$select", SELECT))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"@odata.context": "x", "value": [user("u1", true)],
                "@odata.nextLink": format!("{g}/v1.0/users?$select=id&$top=999&$skiptoken=p2")})),
            )
            .expect(2)
            .mount(&graph)
            .await;
        let src = build(&graph_cfg(&g, &login.uri()), &ctx("unused")).unwrap();
        let ids = src.fetch().await.unwrap().identities;
        assert_eq!(ids.len(), 3);
        assert_eq!(ids[0].id, "u1");
        assert_eq!(
            ids[0].emails,
            [
                "u1@acme.example",
                "u1@old.example",
                "u1@acme.onmicrosoft.com"
            ]
        );
        assert_eq!(ids[0].login.as_deref(), Some("u1@acme.onmicrosoft.com"));
        assert_eq!(ids[0].links[0].value, "gh-u1");
        assert_eq!(ids[0].status, AccountStatus::Active);
        assert_eq!(ids[1].status, AccountStatus::Departed);
        assert!(ids[0].directory);
        // A second fetch reuses the token (the token mock expects exactly one call).
        assert_eq!(src.fetch().await.unwrap().identities.len(), 3);
        graph.verify().await;
        login.verify().await;
    }

    #[tokio::test]
    async fn the_secret_never_goes_to_graph_and_the_bearer_never_to_the_authority() {
        let login = MockServer::start().await;
        let graph = MockServer::start().await;
        mount_token(&login, 1).await;
        Mock::given(method("GET"))
            .and(header("authorization", "Bearer eyJ.graph.token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
            .expect(1)
            .mount(&graph)
            .await;
        build(&graph_cfg(&graph.uri(), &login.uri()), &ctx("x"))
            .unwrap()
            .fetch()
            .await
            .unwrap();
        for r in graph.received_requests().await.unwrap() {
            assert!(!String::from_utf8_lossy(&r.body).contains("client-secret-value"));
            assert!(!r.url.as_str().contains("client-secret-value"));
        }
        for r in login.received_requests().await.unwrap() {
            assert!(!r.headers.contains_key("authorization"));
        }
    }

    #[tokio::test]
    async fn a_next_link_to_another_host_is_refused() {
        let login = MockServer::start().await;
        let graph = MockServer::start().await;
        let evil = MockServer::start().await;
        mount_token(&login, 1).await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"value": [user("u1", true)],
                "@odata.nextLink": format!("{}/v1.0/users?$skiptoken=x", evil.uri())})),
            )
            .mount(&graph)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&evil)
            .await;
        let e = fetch_err(&graph_cfg(&graph.uri(), &login.uri()), "x").await;
        assert!(e.contains("refused"), "{e}");
        assert!(
            !e.contains("eyJ.graph.token") && !e.contains("client-secret-value"),
            "{e}"
        );
        evil.verify().await;
    }

    #[tokio::test]
    async fn a_rejected_secret_is_clear_and_not_echoed() {
        let login = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided: client-secret-value"})))
            .expect(1)
            .mount(&login)
            .await;
        let e = fetch_err(&graph_cfg("https://graph.example", &login.uri()), "x").await;
        assert!(
            e.contains("rejected the credentials (HTTP 401)") && e.contains("AADSTS7000215"),
            "{e}"
        );
        assert!(!e.contains("client-secret-value"), "{e}");
        login.verify().await;
    }

    #[tokio::test]
    async fn graph_throttling_429_and_502_are_retried() {
        let login = MockServer::start().await;
        let graph = MockServer::start().await;
        mount_token(&login, 1).await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .mount(&graph)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(502))
            .up_to_n_times(1)
            .mount(&graph)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"value": [user("u1", true)]})),
            )
            .expect(1)
            .mount(&graph)
            .await;
        let ids = fetch_ok(&graph_cfg(&graph.uri(), &login.uri()), "x").await;
        assert_eq!(ids.len(), 1);
        graph.verify().await;
    }

    #[tokio::test]
    async fn etag_round_trip_on_graph() {
        let login = MockServer::start().await;
        let graph = MockServer::start().await;
        mount_token(&login, 1).await;
        Mock::given(method("GET"))
            .and(header("if-none-match", "W/\"g\""))
            .respond_with(ResponseTemplate::new(304))
            .expect(1)
            .mount(&graph)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "W/\"g\"")
                    .set_body_json(json!({"value": [user("u1", true)]})),
            )
            .expect(1)
            .mount(&graph)
            .await;
        let mut context = ctx("x");
        context.cache = Some(Arc::new(MemoryHttpCache::default()));
        let src = build(&graph_cfg(&graph.uri(), &login.uri()), &context).unwrap();
        assert_eq!(
            src.fetch().await.unwrap().identities,
            src.fetch().await.unwrap().identities
        );
        graph.verify().await;
    }

    #[test]
    fn absurd_or_odd_lifetimes_are_clamped_not_panicked_on() {
        let cases = [
            (json!(u64::MAX), LONGEST_LIFETIME),
            (json!(1e300), LONGEST_LIFETIME),
            (json!("3599"), Duration::from_secs(3599)),
            (json!(-5), DEFAULT_LIFETIME),
            (json!([1]), DEFAULT_LIFETIME),
            (Value::Null, DEFAULT_LIFETIME),
        ];
        for (value, expected) in cases {
            assert_eq!(token_lifetime(&value), expected, "{value}");
        }
    }

    #[tokio::test]
    async fn missing_secret_variable_is_named() {
        let mut context = ctx("x");
        context.secrets = crate::sources::Secrets::default();
        let e = build(
            &graph_cfg("https://graph.example", "https://login.example"),
            &context,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.contains("SECRET") && e.contains("client_secret_env"),
            "{e}"
        );
    }

    fn msgraph_config(c: &SourceConfig) -> &Config {
        match &c.vendor {
            VendorConfig::Msgraph(m) => m,
            _ => unreachable!("graph_cfg builds an msgraph source"),
        }
    }

    #[test]
    fn each_national_cloud_names_its_own_scope_and_authority() {
        for (graph, scope, authority) in [
            (
                "https://graph.microsoft.com",
                "https://graph.microsoft.com/.default",
                "https://login.microsoftonline.com/",
            ),
            (
                "https://graph.microsoft.us/v1.0",
                "https://graph.microsoft.us/.default",
                "https://login.microsoftonline.us/",
            ),
            (
                "https://DOD-Graph.microsoft.us",
                "https://dod-graph.microsoft.us/.default",
                "https://login.microsoftonline.us/",
            ),
            (
                "https://microsoftgraph.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn/.default",
                "https://login.chinacloudapi.cn/",
            ),
            // A proxy in front of the global Graph, or a test double.
            (
                "https://graph-proxy.acme.example",
                "https://graph.microsoft.com/.default",
                "https://login.microsoftonline.com/",
            ),
        ] {
            let base = Url::parse(graph).unwrap();
            assert_eq!(token_scope(&base), scope, "{graph}");
            assert_eq!(default_authority(&base).as_str(), authority, "{graph}");
        }
    }

    #[test]
    fn without_an_authority_the_graph_hosts_cloud_issues_the_token() {
        let mut c = graph_cfg(
            "https://microsoftgraph.chinacloudapi.cn",
            "https://unused.example",
        );
        let mut graph = msgraph_config(&c).clone();
        graph.authority = None;
        c.vendor = VendorConfig::Msgraph(graph.clone());
        let src = MsgraphSource::new(&c, &graph, &ctx("unused")).unwrap();
        assert_eq!(
            src.token_url.as_str(),
            "https://login.chinacloudapi.cn/acme.onmicrosoft.com/oauth2/v2.0/token"
        );
        // A configured authority wins.
        let c = graph_cfg("https://graph.microsoft.us", "https://login.acme.example");
        let src = MsgraphSource::new(&c, msgraph_config(&c), &ctx("unused")).unwrap();
        assert!(
            src.token_url
                .as_str()
                .starts_with("https://login.acme.example/")
        );
    }

    /// On the wire: a national cloud's Graph host puts its own scope in the token form.
    #[tokio::test]
    async fn the_token_request_asks_for_the_scope_of_the_configured_graph_host() {
        for (graph, scope) in [
            (
                "https://graph.microsoft.us",
                "https%3A%2F%2Fgraph.microsoft.us%2F.default",
            ),
            (
                "https://microsoftgraph.chinacloudapi.cn",
                "https%3A%2F%2Fmicrosoftgraph.chinacloudapi.cn%2F.default",
            ),
        ] {
            let login = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path("/acme.onmicrosoft.com/oauth2/v2.0/token"))
                .and(body_string_contains(format!("scope={scope}&").as_str()))
                .and(body_string_contains("grant_type=client_credentials"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "token_type": "Bearer", "expires_in": 3599, "access_token": "eyJ.gov.token"})))
                .expect(1)
                .mount(&login)
                .await;
            let c = graph_cfg(graph, &login.uri());
            let src = MsgraphSource::new(&c, msgraph_config(&c), &ctx("unused")).unwrap();
            src.authorize().await.unwrap();
            login.verify().await;
            let sent = login.received_requests().await.unwrap();
            let form = String::from_utf8_lossy(&sent[0].body).to_string();
            assert!(!form.contains("graph.microsoft.com"), "{graph}: {form}");
        }
    }
}
