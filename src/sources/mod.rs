//! Sources: turn a vendor's API (or a file) into [`Identity`] records. All network I/O of a run
//! happens in this room; each kind is one small file that knows its endpoints, paging style and
//! field mapping, and nothing else.
//!
//! Architecture invariant: a token is only ever sent to the host its source is configured with, and
//! never appears in a log line, an error or a report.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use crate::model::{Identity, SeiIdentities, SeiTable, Subscription};

pub(crate) mod common;
pub mod csv;
pub mod github;
pub mod gitlab;
pub mod harness;
pub mod http;
pub mod jira;
pub mod json;
pub mod msgraph;
pub mod okta;
mod spec;
#[cfg(test)]
pub(crate) mod testutil;

pub use common::IDENTITY_FIELDS;
pub use spec::{FieldError, Location, SourceConfig, SourceKind, StatusValues, VendorConfig};

/// What one source delivered in one run.
#[derive(Debug, Default, Clone)]
pub struct FetchOutput {
    pub identities: Vec<Identity>,
    /// The purchased subscription, for kinds that know it (`harness`).
    pub subscription: Option<Subscription>,
    /// The developer table as the vendor holds it (`harness`: SEI `GET /v2/developers`).
    pub sei_table: Option<SeiTable>,
    /// The developer identities SEI holds (`harness` with `sei_integrations`).
    pub sei_identities: Option<SeiIdentities>,
}

/// Why a source could not be read. Messages name the source and the URL (never a token).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{source_name}: {message}")]
    Config {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: {url}: {message}")]
    Http {
        source_name: String,
        url: String,
        message: String,
        /// The transport error behind it (reqwest's, its URL removed), if any.
        #[source]
        cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    #[error("{source_name}: {location}: {message}")]
    Data {
        source_name: String,
        location: String,
        message: String,
    },
}

/// A secret value (a `secrecy::SecretString`: zeroed on drop, never shown by Debug or Display).
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(v: impl Into<String>) -> Secret {
        Secret(SecretString::from(v.into()))
    }
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where secrets come from: the variables the config names, read from the process environment in
/// production; a map in tests.
#[derive(Clone, Default)]
pub struct Secrets {
    values: HashMap<String, Secret>,
}

impl Secrets {
    /// The named variables of the process environment, and no other.
    pub fn from_env<'a>(names: impl IntoIterator<Item = &'a str>) -> Secrets {
        Secrets {
            values: names
                .into_iter()
                .filter_map(|name| {
                    let value = std::env::var(name).ok()?;
                    Some((name.to_string(), Secret::new(value)))
                })
                .collect(),
        }
    }
    pub fn from_pairs<I, K, V>(pairs: I) -> Secrets
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Secrets {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), Secret::new(v.into())))
                .collect(),
        }
    }
    /// The secret held by variable `name`, if set and not empty.
    pub fn get(&self, name: &str) -> Option<Secret> {
        self.values
            .get(name)
            .filter(|v| !v.expose().is_empty())
            .cloned()
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} variables)", self.values.len())
    }
}

/// A response body kept for a conditional request: the ETag and the body it stood for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedResponse {
    pub etag: String,
    pub body: Vec<u8>,
}

/// Storage for ETags (the store implements it; tests use [`MemoryHttpCache`]).
#[async_trait]
pub trait HttpCache: Send + Sync {
    async fn get(&self, url: &str) -> Option<CachedResponse>;
    async fn put(&self, url: &str, response: CachedResponse);
}

/// An in-memory [`HttpCache`].
#[derive(Default)]
pub struct MemoryHttpCache {
    map: tokio::sync::Mutex<HashMap<String, CachedResponse>>,
}

#[async_trait]
impl HttpCache for MemoryHttpCache {
    async fn get(&self, url: &str) -> Option<CachedResponse> {
        self.map.lock().await.get(url).cloned()
    }
    async fn put(&self, url: &str, response: CachedResponse) {
        self.map.lock().await.insert(url.to_string(), response);
    }
}

/// What every source is built with.
#[derive(Clone, Default)]
pub struct SourceContext {
    pub secrets: Secrets,
    pub cache: Option<Arc<dyn HttpCache>>,
    /// The run's `now`, for what a source decides by the date (which license counts); `None`
    /// reads the clock where it is needed.
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

/// One configured source. Debug shows its settings and client, never a secret.
#[async_trait]
pub trait Source: Send + Sync + fmt::Debug {
    /// Its configuration (name, kind, directory flag, ...).
    fn config(&self) -> &SourceConfig;
    /// Read every record, following every page.
    async fn fetch(&self) -> Result<FetchOutput, SourceError>;
    /// One cheap call that proves the source is reachable and the credentials work; returns a
    /// one-line description of what was reached.
    async fn check(&self) -> Result<String, SourceError>;
}

/// A source that is one document of records (`csv`, `json`): fetching and checking are both reading it.
#[async_trait]
pub(crate) trait RecordFile: Send + Sync + fmt::Debug {
    fn config(&self) -> &SourceConfig;
    /// Every record, following every page.
    async fn read(&self) -> Result<Vec<Identity>, SourceError>;
}

#[async_trait]
impl<T: RecordFile> Source for T {
    fn config(&self) -> &SourceConfig {
        RecordFile::config(self)
    }

    async fn fetch(&self) -> Result<FetchOutput, SourceError> {
        Ok(FetchOutput {
            identities: self.read().await?,
            ..FetchOutput::default()
        })
    }

    async fn check(&self) -> Result<String, SourceError> {
        let n = self.read().await?.len();
        Ok(format!(
            "{}: {n} records",
            RecordFile::config(self).location
        ))
    }
}

/// Build the source for one config entry. A missing secret is a [`SourceError::Config`] naming
/// the variable (never its value).
pub fn build(cfg: &SourceConfig, ctx: &SourceContext) -> Result<Box<dyn Source>, SourceError> {
    Ok(match &cfg.vendor {
        VendorConfig::Csv(c) => Box::new(csv::CsvSource::new(cfg, c, ctx)?),
        VendorConfig::Json(c) => Box::new(json::JsonSource::new(cfg, c, ctx)?),
        VendorConfig::Okta(_) => Box::new(okta::OktaSource::new(cfg, ctx)?),
        VendorConfig::Gitlab(_) => Box::new(gitlab::GitlabSource::new(cfg, ctx)?),
        VendorConfig::Jira(c) => Box::new(jira::JiraSource::new(cfg, c, ctx)?),
        VendorConfig::Github(c) => Box::new(github::GithubSource::new(cfg, c, ctx)?),
        VendorConfig::Msgraph(c) => Box::new(msgraph::MsgraphSource::new(cfg, c, ctx)?),
        VendorConfig::Harness(c) => Box::new(harness::HarnessSource::new(cfg, c, ctx)?),
    })
}

/// Fetch every source concurrently, in order; a source that cannot even be built counts as failed.
pub async fn fetch_all(
    sources: &[SourceConfig],
    ctx: &SourceContext,
) -> Vec<Result<FetchOutput, SourceError>> {
    let futures = sources.iter().map(|src| async move {
        let source = build(src, ctx)?;
        let started = std::time::Instant::now();
        crate::progress::source_started(&src.name);
        let out = source.fetch().await;
        if let Ok(o) = &out {
            let ms = started.elapsed().as_millis() as u64;
            tracing::info!(source = %src.name, records = o.identities.len(), ms, "source fetched");
        }
        crate::progress::source_done(&src.name, out.as_ref().ok().map(|o| o.identities.len()));
        out
    });
    futures::future::join_all(futures).await
}

/// Reads a local file, errors naming it.
pub(crate) async fn read_location(
    cfg: &SourceConfig,
    path: &std::path::Path,
) -> Result<Vec<u8>, SourceError> {
    tokio::fs::read(path).await.map_err(|e| SourceError::Data {
        source_name: cfg.name.clone(),
        location: path.display().to_string(),
        message: format!("cannot read the file: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_kind_names_a_missing_variable_without_a_value() {
        for kind in [
            SourceKind::Okta,
            SourceKind::Github,
            SourceKind::Gitlab,
            SourceKind::Jira,
            SourceKind::Harness,
        ] {
            let mut cfg = testutil::cfg(kind, "https://api.example");
            cfg.token_env = Some("MY_TOKEN_VAR".into());
            let ctx = SourceContext {
                secrets: Secrets::from_pairs([("OTHER", "value-123")]),
                ..SourceContext::default()
            };
            let e = build(&cfg, &ctx).expect_err("missing token").to_string();
            assert!(
                e.contains("MY_TOKEN_VAR") && e.contains("not set"),
                "{kind}: {e}"
            );
            assert!(!e.contains("value-123"));
        }
    }

    /// Every kind built with real secrets: the Debug of its config, of the built source (clients and
    /// auth included) and of the secrets holder shows none of them.
    #[test]
    fn debug_of_configs_sources_and_secrets_shows_no_secret() {
        let token = "tok-3f9a1c";
        let client_secret = "cs~9q8w7e";
        let secrets = Secrets::from_pairs([("TOKEN", token), ("SECRET", client_secret)]);
        let ctx = SourceContext {
            secrets: secrets.clone(),
            ..SourceContext::default()
        };
        let mut seen = vec![
            format!("{secrets:?}"),
            format!("{:?}", secrets.get("TOKEN")),
        ];
        for kind in SourceKind::ALL {
            let mut cfg = testutil::cfg(kind, "https://api.example");
            if let VendorConfig::Msgraph(m) = &mut cfg.vendor {
                m.client_secret_env = "SECRET".into();
            }
            let source = build(&cfg, &ctx).unwrap_or_else(|e| panic!("{kind}: {e}"));
            seen.push(format!("{cfg:?}"));
            seen.push(format!("{source:?}"));
            seen.push(format!("{source:#?}"));
        }
        for text in &seen {
            for secret in [token, client_secret] {
                assert!(!text.contains(secret), "a secret in Debug output: {text}");
            }
        }
        assert!(seen.iter().any(|t| t.contains("HttpClient")), "{seen:?}");
    }

    #[test]
    fn vendor_kinds_refuse_a_local_file() {
        let cfg = SourceConfig::new(
            "o",
            VendorConfig::default_for(SourceKind::Okta),
            Location::File("/tmp/x".into()),
        );
        let mut cfg = cfg;
        cfg.token_env = Some("T".into());
        let ctx = SourceContext {
            secrets: Secrets::from_pairs([("T", "v")]),
            ..SourceContext::default()
        };
        let e = build(&cfg, &ctx).err().unwrap().to_string();
        assert!(e.contains("http(s) URL"), "{e}");
    }
}
