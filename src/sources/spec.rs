//! What a configured source is: the fields every kind shares ([`SourceConfig`]) and one typed variant
//! per kind ([`VendorConfig`]), each owned by its vendor's file and built there from the raw TOML
//! (`okta::Config`, `github::Config`, …). The top-level config loader hands each `[[sources]]` entry's
//! kind-specific keys to [`VendorConfig::from_raw`]; what a kind requires is said once, in its file.
//!
//! Never reads the environment or a file: a source names the variables that hold its secrets, and
//! [`SourceConfig::secret_vars`] lists them so that only those are read.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use url::Url;

use super::http::HttpSettings;
use super::{csv, github, gitlab, harness, jira, json, msgraph, okta};

/// The closed set of source kinds (SPEC §2). The config's `kind` word; an unknown word is an error
/// that lists the valid ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Okta,
    Msgraph,
    Github,
    Gitlab,
    Jira,
    Csv,
    Json,
    Harness,
}

impl SourceKind {
    pub const ALL: [SourceKind; 8] = [
        SourceKind::Okta,
        SourceKind::Msgraph,
        SourceKind::Github,
        SourceKind::Gitlab,
        SourceKind::Jira,
        SourceKind::Csv,
        SourceKind::Json,
        SourceKind::Harness,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Okta => "okta",
            SourceKind::Msgraph => "msgraph",
            SourceKind::Github => "github",
            SourceKind::Gitlab => "gitlab",
            SourceKind::Jira => "jira",
            SourceKind::Csv => "csv",
            SourceKind::Json => "json",
            SourceKind::Harness => "harness",
        }
    }

    /// Kinds that read a local file as well as a URL.
    pub fn accepts_local_path(self) -> bool {
        matches!(self, SourceKind::Csv | SourceKind::Json)
    }

    /// The vendor's public API when the config gives no `url`.
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            SourceKind::Github => Some(github::DEFAULT_URL),
            SourceKind::Msgraph => Some(msgraph::DEFAULT_URL),
            SourceKind::Harness => Some(harness::DEFAULT_URL),
            _ => None,
        }
    }

    /// The keys of a `[[sources]]` entry only this kind takes (its file's raw config struct).
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            SourceKind::Okta => okta::Config::keys(),
            SourceKind::Gitlab => gitlab::Config::keys(),
            SourceKind::Msgraph => msgraph::Config::keys(),
            SourceKind::Github => github::Config::keys(),
            SourceKind::Jira => jira::Config::keys(),
            SourceKind::Csv => csv::Config::keys(),
            SourceKind::Json => json::Config::keys(),
            SourceKind::Harness => harness::Config::keys(),
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a source reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An absolute HTTP(S) URL.
    Http(Url),
    /// A local file (from a path or a `file://` URL), resolved against the config folder.
    File(PathBuf),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // As every message shows a URL: a token in its query is masked.
            Location::Http(u) => f.write_str(&super::http::redact_url(u)),
            Location::File(p) => write!(f, "{}", p.display()),
        }
    }
}

impl Location {
    /// A source URL: absolute http(s), a `file://` URL, or (csv/json only) a local path relative to
    /// the config folder.
    pub fn parse(raw: &str, kind: SourceKind, base: &Path) -> Result<Location, String> {
        match Url::parse(raw) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {
                if u.host_str().is_none_or(str::is_empty) {
                    return Err(format!("`{raw}` has no host"));
                }
                Ok(Location::Http(u))
            }
            Ok(u) if u.scheme() == "file" => {
                if !kind.accepts_local_path() {
                    return Err(format!("kind `{kind}` reads over HTTP(S) only"));
                }
                let p = u
                    .to_file_path()
                    .map_err(|_| format!("`{raw}` is not a valid file URL"))?;
                Ok(Location::File(p))
            }
            Ok(u) if u.scheme().len() > 1 => {
                Err(format!("unsupported URL scheme `{}`", u.scheme()))
            }
            _ => {
                if !kind.accepts_local_path() {
                    return Err(format!(
                        "relative URL without a base (`{raw}`); kind `{kind}` needs an absolute http(s) URL"
                    ));
                }
                let p = Path::new(raw);
                Ok(Location::File(if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    base.join(p)
                }))
            }
        }
    }
}

/// One validated `[[sources]]` entry: the fields every kind shares, and the kind's own settings.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub location: Location,
    /// The *name* of the environment variable that holds the token.
    pub token_env: Option<String>,
    /// Authoritative for who is employed (SPEC §3.2).
    pub directory: bool,
    /// Other source name → attribute / column / pointer / dotted path naming the account there.
    pub links: BTreeMap<String, String>,
    pub http: HttpSettings,
    /// Page size override (defaults to the vendor's maximum).
    pub page_size: Option<usize>,
    pub vendor: VendorConfig,
}

impl SourceConfig {
    /// A config for a kind at a location with that kind's defaults; tests and helpers fill in the rest.
    pub fn new(name: &str, vendor: VendorConfig, location: Location) -> SourceConfig {
        SourceConfig {
            name: name.to_string(),
            location,
            token_env: None,
            directory: false,
            links: BTreeMap::new(),
            http: HttpSettings::default(),
            page_size: None,
            vendor,
        }
    }

    pub fn kind(&self) -> SourceKind {
        self.vendor.kind()
    }

    /// The HTTP base URL, if this source is read over HTTP.
    pub fn http_url(&self) -> Option<&Url> {
        match &self.location {
            Location::Http(u) => Some(u),
            Location::File(_) => None,
        }
    }

    /// The names of the environment variables this source reads its secrets from.
    pub fn secret_vars(&self) -> Vec<&str> {
        let mut vars: Vec<&str> = self.token_env.iter().map(String::as_str).collect();
        if let VendorConfig::Msgraph(m) = &self.vendor {
            vars.push(&m.client_secret_env);
        }
        vars
    }
}

/// The settings only one kind reads, one variant per kind (vector's style: each vendor's file owns
/// its struct). Built once per source from the config, so the size of the largest variant costs
/// nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum VendorConfig {
    Okta(okta::Config),
    Msgraph(msgraph::Config),
    Github(github::Config),
    Gitlab(gitlab::Config),
    Jira(jira::Config),
    Csv(csv::Config),
    Json(json::Config),
    Harness(harness::Config),
}

impl VendorConfig {
    pub fn kind(&self) -> SourceKind {
        match self {
            VendorConfig::Okta(_) => SourceKind::Okta,
            VendorConfig::Msgraph(_) => SourceKind::Msgraph,
            VendorConfig::Github(_) => SourceKind::Github,
            VendorConfig::Gitlab(_) => SourceKind::Gitlab,
            VendorConfig::Jira(_) => SourceKind::Jira,
            VendorConfig::Csv(_) => SourceKind::Csv,
            VendorConfig::Json(_) => SourceKind::Json,
            VendorConfig::Harness(_) => SourceKind::Harness,
        }
    }

    /// Build a kind's settings from the keys of its `[[sources]]` entry that are not shared by every
    /// kind. Unknown keys are errors; so is a key the kind requires and the entry lacks.
    pub fn from_raw<'de, D: Deserializer<'de>>(
        kind: SourceKind,
        keys: D,
    ) -> Result<VendorConfig, FieldError> {
        Ok(match kind {
            SourceKind::Okta => VendorConfig::Okta(okta::Config::from_raw(keys)?),
            SourceKind::Msgraph => VendorConfig::Msgraph(msgraph::Config::from_raw(keys)?),
            SourceKind::Github => VendorConfig::Github(github::Config::from_raw(keys)?),
            SourceKind::Gitlab => VendorConfig::Gitlab(gitlab::Config::from_raw(keys)?),
            SourceKind::Jira => VendorConfig::Jira(jira::Config::from_raw(keys)?),
            SourceKind::Csv => VendorConfig::Csv(csv::Config::from_raw(keys)?),
            SourceKind::Json => VendorConfig::Json(json::Config::from_raw(keys)?),
            SourceKind::Harness => VendorConfig::Harness(harness::Config::from_raw(keys)?),
        })
    }

    /// Lets a kind whose keys name other sources check them against every configured source
    /// (name, kind) once all are read (`harness`: `sei_integrations`). Other kinds name none.
    pub fn resolve_sources(&mut self, sources: &[(String, SourceKind)]) -> Result<(), FieldError> {
        match self {
            VendorConfig::Harness(h) => h.resolve_sources(sources),
            _ => Ok(()),
        }
    }

    /// A kind's settings with nothing configured (tests; kinds whose keys are all optional).
    pub fn default_for(kind: SourceKind) -> VendorConfig {
        match kind {
            SourceKind::Okta => VendorConfig::Okta(okta::Config::default()),
            SourceKind::Msgraph => VendorConfig::Msgraph(msgraph::Config::default()),
            SourceKind::Github => VendorConfig::Github(github::Config::default()),
            SourceKind::Gitlab => VendorConfig::Gitlab(gitlab::Config::default()),
            SourceKind::Jira => VendorConfig::Jira(jira::Config::default()),
            SourceKind::Csv => VendorConfig::Csv(csv::Config::default()),
            SourceKind::Json => VendorConfig::Json(json::Config::default()),
            SourceKind::Harness => VendorConfig::Harness(harness::Config::default()),
        }
    }
}

/// A problem with one key of a `[[sources]]` entry: the key's path below the entry (`org`,
/// `fields.email`) and what is wrong. The config loader prefixes `sources[N].` and the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct FieldError {
    pub key: String,
    pub message: String,
}

impl FieldError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Deserialize a kind's raw keys, the error naming the key at fault.
pub(crate) fn raw_keys<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    keys: D,
) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(keys).map_err(|e| {
        let key = e.path().to_string();
        let message = e.inner().to_string();
        let key = if key == "." {
            // serde names an unknown key in its message, not in the path.
            unknown_key_in(&message).unwrap_or_default()
        } else {
            key
        };
        FieldError::new(key, message)
    })
}

/// The field names a serde struct accepts, read from its derived `Deserialize` (which names them to
/// the deserializer), so that a kind's keys are written once: in its raw config struct.
pub(crate) fn struct_keys<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};

    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probed"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

/// A kind's own settings, built from the keys of its `[[sources]]` entry that not every kind takes.
pub(crate) trait KindConfig: Sized {
    /// The keys as written (serde, `deny_unknown_fields`); its fields are the kind's keys.
    type Raw: serde::de::DeserializeOwned;

    /// Check what the kind requires (once, here) and build its settings.
    fn build(raw: Self::Raw) -> Result<Self, FieldError>;

    /// The keys only this kind takes.
    fn keys() -> &'static [&'static str] {
        struct_keys::<Self::Raw>()
    }

    fn from_raw<'de, D: Deserializer<'de>>(keys: D) -> Result<Self, FieldError> {
        Self::build(raw_keys(keys)?)
    }
}

/// The raw keys of a kind that has none of its own: any key left is unknown.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoKeys {}

/// The key an "unknown field `x`, expected …" message names.
fn unknown_key_in(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// A required text key of a kind: present and not blank.
pub(crate) fn required(
    value: Option<String>,
    key: &str,
    kind: SourceKind,
) -> Result<String, FieldError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(FieldError::new(key, format!("required for kind `{kind}`"))),
    }
}

/// An absolute http(s) URL key of a kind.
pub(crate) fn http_url_key(value: &str, key: &str) -> Result<Url, FieldError> {
    let url = Url::parse(value).map_err(|e| FieldError::new(key, format!("invalid URL: {e}")))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(FieldError::new(
            key,
            format!("must be an http(s) URL, not `{}`", url.scheme()),
        ));
    }
    Ok(url)
}

/// Values of the status column / field that mean active, suspended (non-final) and departed
/// (kinds `csv` and `json`).
#[derive(Debug, Deserialize, Default, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StatusValues {
    #[serde(default)]
    pub active: Vec<String>,
    #[serde(default)]
    pub suspended: Vec<String>,
    #[serde(default)]
    pub departed: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(toml_text: &str) -> toml::Value {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn a_required_key_is_named_with_its_kind() {
        let e = VendorConfig::from_raw(SourceKind::Github, keys("copilot = true")).unwrap_err();
        assert_eq!(e.key, "org");
        assert_eq!(e.message, "required for kind `github`");
    }

    #[test]
    fn an_unknown_key_is_named_and_the_valid_ones_listed() {
        let e =
            VendorConfig::from_raw(SourceKind::Github, keys("org = 'a'\norgg = 'b'")).unwrap_err();
        assert_eq!(e.key, "orgg");
        assert!(e.message.contains("expected one of"), "{e}");
        assert!(e.message.contains("`copilot`"), "{e}");
    }

    #[test]
    fn a_key_of_another_kind_is_refused() {
        let e = VendorConfig::from_raw(SourceKind::Okta, keys("org = 'a'")).unwrap_err();
        assert_eq!(e.key, "org");
    }

    #[test]
    fn an_unknown_kind_lists_the_valid_words() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct K {
            kind: SourceKind,
        }
        let e = toml::from_str::<K>("kind = 'oktaa'")
            .unwrap_err()
            .to_string();
        for k in SourceKind::ALL {
            assert!(e.contains(&format!("`{k}`")), "{e}");
        }
    }

    #[test]
    fn a_kinds_keys_are_its_raw_structs_fields() {
        assert_eq!(SourceKind::Github.keys(), ["org", "copilot", "graphql"]);
        assert!(SourceKind::Okta.keys().is_empty());
        assert!(SourceKind::Csv.keys().contains(&"columns"));
    }

    #[test]
    fn only_the_variables_a_source_names_are_its_secrets() {
        let mut c = SourceConfig::new(
            "entra",
            VendorConfig::Msgraph(msgraph::Config {
                client_secret_env: "GRAPH_SECRET".into(),
                ..msgraph::Config::default()
            }),
            Location::Http(Url::parse("https://graph.microsoft.com").unwrap()),
        );
        assert_eq!(c.secret_vars(), ["GRAPH_SECRET"]);
        c.token_env = Some("T".into());
        assert_eq!(c.secret_vars(), ["T", "GRAPH_SECRET"]);
    }
}
