//! Kind `harness`: the SEI subscription, the developer table as SEI holds it, and — when
//! `[sources.sei_integrations]` names seatwarden sources — the developer identities SEI holds.
//!
//! - Licensing: `GET {url}/ng/api/licenses/modules/{account}?moduleType=SEI`; the license that
//!   counts is chosen in [`license`].
//! - The table: SEI `GET {sei_url}/v2/developers` with `Accept: text/csv` (the whole table), read
//!   with the SEI CSV module's header rules, tolerantly (`sei_csv::parse_live`): a duplicate or a
//!   dangling manager is a finding for the report, not a failed source.
//! - Identities: `GET {sei_url}/v2/developers/identities` with `Accept: text/csv`.
//!
//! Harness's pages (developer.harness.io, "Upload and Manage Developer Records Using the Harness
//! SEI API", "Upload Developer Cloud IDs", "Automatch Developer Identities"; harness/developer-hub
//! `docs/software-engineering-insights/harness-sei/`, fixture `tests/fixtures/vendors/harness/`)
//! send current keys as `Authorization: ApiKey <key>` and older ones as `x-api-key: <key>`: the
//! `auth` key picks one, for every call of the source.
//!
//! Never changes anything in Harness: it only reads (the uploads are `deliver::sei`, which reaches
//! SEI through [`SeiApi`]).

mod license;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::common::{http_base, join_path, non_empty, push_email, required_token};
use super::http::{Auth, HttpClient, Request, Response, redact_url};
use super::spec::{FieldError, KindConfig, SourceConfig, SourceKind, http_url_key, required};
use super::{FetchOutput, Secret, Source, SourceContext, SourceError};
use crate::model::{
    Identity, IdentityKey, SeiIdentities, SeiIntegration, SeiRow, SeiTable, Subscription,
};
use crate::sei_csv;
use license::{ModuleLicense, current_license};

/// The Harness platform (licensing) for accounts on the shared SaaS cluster.
pub const DEFAULT_URL: &str = "https://app.harness.io";

/// How the API key is sent (`auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum AuthScheme {
    /// `Authorization: ApiKey <key>`: current SEI keys.
    #[default]
    #[serde(rename = "apikey")]
    ApiKey,
    /// `x-api-key: <key>`: older keys.
    #[serde(rename = "x-api-key")]
    XApiKey,
}

impl AuthScheme {
    fn with(self, key: Secret) -> Auth {
        match self {
            AuthScheme::ApiKey => Auth::ApiKey(key),
            AuthScheme::XApiKey => Auth::XApiKey(key),
        }
    }
}

/// Kind `harness`'s own settings.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The Harness account identifier.
    pub account: String,
    /// The region's SEI API (`https://app.harness.io/prod1/sei/api`, …): SEI's developer table is read
    /// (and pushed) there; without it only the license is read.
    pub sei_url: Option<Url>,
    pub auth: AuthScheme,
    /// `[sources.sei_integrations]` as written: seatwarden source name → SEI integration id.
    pub sei_integrations: BTreeMap<String, u64>,
    /// The same, with SEI's identity value for each source's kind; filled in by
    /// [`Config::resolve_sources`] once every source is known.
    pub integrations: Vec<SeiIntegration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    account: Option<String>,
    sei_url: Option<String>,
    auth: Option<String>,
    sei_integrations: Option<BTreeMap<String, u64>>,
}

impl KindConfig for Config {
    type Raw = RawConfig;

    fn build(raw: RawConfig) -> Result<Config, FieldError> {
        Ok(Config {
            account: required(raw.account, "account", SourceKind::Harness)?,
            sei_url: match raw.sei_url {
                Some(u) => Some(http_url_key(&u, "sei_url")?),
                None => None,
            },
            auth: match raw.auth {
                Some(word) => auth_word(&word)?,
                None => AuthScheme::default(),
            },
            sei_integrations: raw.sei_integrations.unwrap_or_default(),
            integrations: Vec::new(),
        })
    }
}

/// The `auth` word, the error listing the valid ones.
fn auth_word(word: &str) -> Result<AuthScheme, FieldError> {
    use serde::de::IntoDeserializer;
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        word.into_deserializer();
    AuthScheme::deserialize(de).map_err(|e| FieldError::new("auth", e.to_string()))
}

/// The value SEI takes as an account's identity in an integration of this kind, from Harness's
/// "Automatch Developer Identities" page (its "Identifier Type Used" per integration): GitHub
/// "Username" (the login), Jira "Account ID" (the accountId), GitLab "Name" (the display name),
/// Azure DevOps, Bitbucket Server and Harness Code "Email" — what a `csv` or `json` export of
/// another tool is taken to hold. Directories (Okta, Entra) are no SEI integration.
pub fn identity_key(kind: SourceKind) -> Option<IdentityKey> {
    match kind {
        SourceKind::Github => Some(IdentityKey::Login),
        SourceKind::Jira => Some(IdentityKey::AccountId),
        SourceKind::Gitlab => Some(IdentityKey::Name),
        SourceKind::Csv | SourceKind::Json => Some(IdentityKey::Email),
        SourceKind::Okta | SourceKind::Msgraph | SourceKind::Harness => None,
    }
}

impl Config {
    /// A client for `base` sending the source's key as `auth` says.
    fn client(
        &self,
        cfg: &SourceConfig,
        base: &Url,
        ctx: &SourceContext,
    ) -> Result<HttpClient, SourceError> {
        let token = required_token(cfg, ctx)?;
        HttpClient::new(
            &cfg.name,
            base,
            cfg.http,
            self.auth.with(token),
            ctx.cache.clone(),
        )
    }

    /// Resolves `sei_integrations` against the configured sources (name, kind): each must name
    /// one, of a kind SEI integrates.
    pub(crate) fn resolve_sources(
        &mut self,
        sources: &[(String, SourceKind)],
    ) -> Result<(), FieldError> {
        self.integrations.clear();
        for (name, &integration_id) in &self.sei_integrations {
            let key = format!("sei_integrations.{name}");
            let Some((_, kind)) = sources.iter().find(|(n, _)| n == name) else {
                return Err(FieldError::new(key, "names no configured source"));
            };
            let Some(identity) = identity_key(*kind) else {
                return Err(FieldError::new(
                    key,
                    format!(
                        "a `{kind}` source is no SEI integration (github, gitlab, jira, csv or json)"
                    ),
                ));
            };
            self.integrations.push(SeiIntegration {
                source: name.clone(),
                integration_id,
                key: identity,
            });
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct ResponseDto {
    #[serde(default)]
    data: Value,
}

/// The SEI service of one `harness` source: its client (key sent as `auth` says), base URL and
/// account; the reads the source makes and the writes `deliver::sei` makes go through it.
#[derive(Debug)]
pub struct SeiApi {
    pub source: String,
    pub account: String,
    pub base: Url,
    pub client: HttpClient,
}

impl SeiApi {
    /// The SEI service of a `harness` source, or a config error naming what is missing.
    pub fn of(cfg: &SourceConfig, ctx: &SourceContext) -> Result<SeiApi, SourceError> {
        let super::VendorConfig::Harness(harness) = &cfg.vendor else {
            return Err(super::common::config_error(
                cfg,
                "is not a `harness` source",
            ));
        };
        let Some(base) = harness.sei_url.clone() else {
            return Err(super::common::config_error(
                cfg,
                "sei_url is required to reach SEI",
            ));
        };
        let client = harness.client(cfg, &base, ctx)?;
        Ok(SeiApi {
            source: cfg.name.clone(),
            account: harness.account.clone(),
            base,
            client,
        })
    }

    /// `{sei_url}` with an API path appended.
    pub fn url(&self, path: &str) -> Url {
        join_path(&self.base, path)
    }

    /// A request to this SEI service carrying the account header.
    pub fn request(&self, req: Request) -> Request {
        req.header("harness-account", &self.account)
    }

    async fn get_csv(&self, path: &str) -> Result<Response, SourceError> {
        let req = self.request(Request::get(self.url(path)).header("accept", "text/csv"));
        self.client.send(req).await
    }

    fn data_error(&self, url: &Url, message: String) -> SourceError {
        SourceError::Data {
            source_name: self.source.clone(),
            location: url.to_string(),
            message,
        }
    }

    /// The whole table (`GET /v2/developers`, `Accept: text/csv`), read tolerantly: what an
    /// import would refuse becomes a finding, with its line.
    pub async fn read_table(&self) -> Result<SeiTable, SourceError> {
        let resp = self.get_csv("/v2/developers").await?;
        let live = sei_csv::parse_live(&resp.body)
            .map_err(|e| self.data_error(&resp.url, e.render_for("SEI's developer table")))?;
        let findings: Vec<String> = live.findings.iter().map(|f| format!("line {f}")).collect();
        for finding in &findings {
            tracing::warn!(source = %self.source, %finding, "SEI's developer table");
        }
        Ok(SeiTable {
            rows: live.rows,
            findings,
        })
    }

    /// The identities SEI holds (`GET /v2/developers/identities`, `Accept: text/csv`: the whole
    /// list). A row it cannot use is skipped with a warning naming its line.
    pub async fn read_identities(
        &self,
        integrations: &[SeiIntegration],
    ) -> Result<SeiIdentities, SourceError> {
        let resp = self.get_csv("/v2/developers/identities").await?;
        let parsed = sei_csv::identities::parse(&resp.body)
            .map_err(|e| self.data_error(&resp.url, e.render_for("SEI's developer identities")))?;
        for skipped in &parsed.skipped {
            tracing::warn!(source = %self.source, line = skipped.line, problem = %skipped.message, "SEI's developer identities");
        }
        Ok(SeiIdentities {
            integrations: integrations.to_vec(),
            held: parsed.identities,
        })
    }
}

#[derive(Debug)]
pub(crate) struct HarnessSource {
    cfg: SourceConfig,
    account: String,
    base: Url,
    platform: HttpClient,
    sei: Option<SeiApi>,
    integrations: Vec<SeiIntegration>,
    /// The run's `now`, which picks the license that counts; `None`: the clock, read here.
    now: Option<DateTime<Utc>>,
}

impl HarnessSource {
    pub(crate) fn new(
        cfg: &SourceConfig,
        harness: &Config,
        ctx: &SourceContext,
    ) -> Result<HarnessSource, SourceError> {
        let base = http_base(cfg)?;
        let platform = harness.client(cfg, &base, ctx)?;
        let sei = match harness.sei_url {
            Some(_) => Some(SeiApi::of(cfg, ctx)?),
            None => None,
        };
        Ok(HarnessSource {
            cfg: cfg.clone(),
            account: harness.account.clone(),
            base,
            platform,
            sei,
            integrations: harness.integrations.clone(),
            now: ctx.now,
        })
    }

    fn license_url(&self) -> Url {
        let account: String =
            url::form_urlencoded::byte_serialize(self.account.as_bytes()).collect();
        let mut url = join_path(&self.base, &format!("/ng/api/licenses/modules/{account}"));
        url.query_pairs_mut()
            .append_pair("moduleType", "SEI")
            .append_pair("accountIdentifier", &self.account);
        url
    }

    async fn subscription(&self) -> Result<Option<Subscription>, SourceError> {
        let resp = self.platform.get(self.license_url()).await?;
        map_license(&self.cfg, &resp, self.now.unwrap_or_else(Utc::now))
    }

    fn identity(&self, row: &SeiRow) -> Identity {
        let mut emails = Vec::new();
        push_email(&mut emails, Some(&row.email));
        Identity {
            source: self.cfg.name.clone(),
            id: row.email.to_lowercase(),
            emails,
            name: non_empty(Some(&row.full_name)),
            title: row.role.clone(),
            department: row.department.clone(),
            manager_email: row.manager_email.clone(),
            directory: self.cfg.directory,
            ..Identity::default()
        }
    }
}

/// The licensing answer (a `ResponseDTO` of module licenses) as the subscription the license that
/// counts at `now` grants; None when no license counts. A license with an odd-typed field loses
/// only that field.
pub fn map_license(
    cfg: &SourceConfig,
    resp: &Response,
    now: chrono::DateTime<Utc>,
) -> Result<Option<Subscription>, SourceError> {
    let dto: ResponseDto = resp.json(&cfg.name)?;
    let items = match dto.data {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        other => vec![other],
    };
    let licenses = items
        .into_iter()
        .map(|item| {
            serde_json::from_value::<ModuleLicense>(item).map_err(|e| SourceError::Data {
                source_name: cfg.name.clone(),
                location: redact_url(&resp.url),
                message: format!("unexpected module license: {e}"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let Some(chosen) = current_license(&licenses, now) else {
        tracing::warn!(
            source = %cfg.name,
            licenses = licenses.len(),
            "no ACTIVE SEI module license holds today"
        );
        return Ok(None);
    };
    Ok(Some(chosen.subscription()))
}

#[async_trait]
impl Source for HarnessSource {
    fn config(&self) -> &SourceConfig {
        &self.cfg
    }

    async fn fetch(&self) -> Result<FetchOutput, SourceError> {
        let subscription = self.subscription().await?;
        let (sei_table, sei_identities) = match &self.sei {
            None => (None, None),
            Some(sei) => {
                let table = sei.read_table().await?;
                let identities = if self.integrations.is_empty() {
                    None
                } else {
                    Some(sei.read_identities(&self.integrations).await?)
                };
                (Some(table), identities)
            }
        };
        let identities = sei_table
            .iter()
            .flat_map(|t| &t.rows)
            .map(|row| self.identity(row))
            .collect();
        Ok(FetchOutput {
            identities,
            subscription,
            sei_table,
            sei_identities,
        })
    }

    async fn check(&self) -> Result<String, SourceError> {
        let Some(s) = self.subscription().await? else {
            return Ok(format!(
                "Harness account {}: reachable, but no ACTIVE SEI license holds today",
                self.account
            ));
        };
        let day =
            |d: Option<chrono::NaiveDate>| d.map_or_else(|| "?".to_string(), |d| d.to_string());
        let id = s.license.as_ref().map_or("?", |l| l.id.as_str());
        Ok(format!(
            "Harness account {}: SEI license {id} for {} developers ({} to {})",
            self.account,
            s.licenses_purchased,
            day(s.period_start),
            day(s.period_end),
        ))
    }
}

#[cfg(test)]
mod tests;
