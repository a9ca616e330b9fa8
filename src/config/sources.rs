//! `[[sources]]` entries: the keys every kind shares are read here; the rest go to the kind's own
//! file (`VendorConfig::from_raw`), which says what it requires. Errors name `sources[N].key`.
//!
//! Never reads a secret: only the names of the variables that hold them.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, HttpSettings, Word};
use crate::model::TABLE_SOURCE;
use crate::sources::http::MIB;
use crate::sources::{Location, SourceConfig, SourceKind, VendorConfig};

/// The keys every `[[sources]]` entry may carry, whatever its kind.
const COMMON_KEYS: [&str; 15] = [
    "name",
    "kind",
    "url",
    "token_env",
    "directory",
    "links",
    "page_size",
    "connect_timeout_secs",
    "read_timeout_secs",
    "total_timeout_secs",
    "max_retry_wait_secs",
    "concurrency",
    "max_response_mb",
    "max_source_mb",
    "max_pages",
];

/// Requests in flight to one host at most; beyond this a vendor only answers 429s.
const MAX_CONCURRENCY: usize = 64;
/// The longest timeout or retry wait the config accepts: a day.
const MAX_SECONDS: f64 = 86_400.0;
/// The largest byte cap (`max_response_mb`, `max_source_mb`) the config accepts: 64 GiB.
const MAX_MB: u64 = 65_536;
/// The most pages a listing may be allowed (`max_pages`).
const MAX_PAGES: usize = 1_000_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: Word<SourceKind>,
    url: Option<String>,
    token_env: Option<String>,
    #[serde(default)]
    directory: bool,
    #[serde(default)]
    links: BTreeMap<String, String>,
    page_size: Option<usize>,
    connect_timeout_secs: Option<Seconds>,
    read_timeout_secs: Option<Seconds>,
    total_timeout_secs: Option<Seconds>,
    max_retry_wait_secs: Option<Seconds>,
    concurrency: Option<usize>,
    max_response_mb: Option<u64>,
    max_source_mb: Option<u64>,
    max_pages: Option<usize>,
}

/// A `*_secs` key: a finite number of seconds from 0 to a day, as a `Duration`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seconds(pub(super) Duration);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Seconds, D::Error> {
        let secs = f64::deserialize(d)?;
        if !(0.0..=MAX_SECONDS).contains(&secs) {
            return Err(serde::de::Error::custom(format!(
                "must be a number of seconds from 0 to {MAX_SECONDS} (a day), not {secs}"
            )));
        }
        Duration::try_from_secs_f64(secs)
            .map(Seconds)
            .map_err(serde::de::Error::custom)
    }
}

/// One `[[sources]]` entry, validated. `base` resolves relative paths.
pub(super) fn validate_source(
    entry: config::Value,
    i: usize,
    file: &Path,
    base: &Path,
) -> Result<SourceConfig, ConfigError> {
    let key = |field: &str| format!("sources[{i}].{field}");
    let err = |field: &str, msg: String| ConfigError::new(file, key(field), msg);
    let mut rest = entry
        .into_table()
        .map_err(|e| ConfigError::new(file, format!("sources[{i}]"), e))?;
    let mut common = config::Map::new();
    for k in COMMON_KEYS {
        if let Some(v) = rest.remove(k) {
            common.insert(k.to_string(), v);
        }
    }
    let raw: RawSource = serde_path_to_error::deserialize(table(common)).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." { String::new() } else { at };
        ConfigError::new(file, key(&at).trim_end_matches('.'), e.inner())
    })?;
    let kind = raw.kind.0;
    if let Some(unknown) = rest.keys().find(|k| !kind.keys().contains(&k.as_str())) {
        return Err(err(unknown, unknown_key_message(unknown, kind)));
    }
    let vendor = VendorConfig::from_raw(kind, table(rest)).map_err(|e| err(&e.key, e.message))?;

    if raw.name.trim().is_empty() {
        return Err(err("name", "is empty".into()));
    }
    if raw.name == TABLE_SOURCE {
        return Err(err("name", format!("`{}` is reserved", raw.name)));
    }
    let raw_url = match (&raw.url, kind.default_url()) {
        (Some(u), _) => u.clone(),
        (None, Some(default)) => default.to_string(),
        (None, None) => return Err(err("url", "is required".into())),
    };
    let location = Location::parse(&raw_url, kind, base).map_err(|m| err("url", m))?;
    // Whether the kind needs a token at all is said where the token is read (the kind's file):
    // `check` and `reconcile` name the missing variable there.
    if raw
        .token_env
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(err("token_env", "is empty".into()));
    }
    if raw.page_size == Some(0) {
        return Err(err("page_size", "must be at least 1".into()));
    }
    let http = http_settings(&raw).map_err(|(field, m)| err(field, m))?;
    Ok(SourceConfig {
        name: raw.name,
        location,
        token_env: raw.token_env.map(|t| t.trim().to_string()),
        directory: raw.directory,
        links: raw.links,
        http,
        page_size: raw.page_size,
        vendor,
    })
}

fn table(map: config::Map<String, config::Value>) -> config::Value {
    config::Value::new(None, config::ValueKind::Table(map))
}

/// What to say about a key the kind does not take: which kind takes it, else the keys there are.
fn unknown_key_message(unknown: &str, kind: SourceKind) -> String {
    let owners: Vec<&str> = SourceKind::ALL
        .iter()
        .filter(|k| k.keys().contains(&unknown))
        .map(|k| k.as_str())
        .collect();
    if !owners.is_empty() {
        return format!(
            "unknown field: `{unknown}` is a key of kind `{}`, not `{kind}`",
            owners.join("`, `")
        );
    }
    let own = kind.keys();
    format!(
        "unknown field `{unknown}` (keys of every source: {}; of kind `{kind}`: {})",
        COMMON_KEYS.join(", "),
        if own.is_empty() {
            "none".to_string()
        } else {
            own.join(", ")
        }
    )
}

/// The HTTP behaviour of a source; on error, the key at fault and why.
fn http_settings(raw: &RawSource) -> Result<HttpSettings, (&'static str, String)> {
    let mut http = HttpSettings::default();
    let positive = |v: Option<Seconds>, field: &'static str, default: Duration| match v {
        None => Ok(default),
        Some(Seconds(d)) if !d.is_zero() => Ok(d),
        Some(_) => Err((field, "must be a positive number of seconds".to_string())),
    };
    http.connect_timeout = positive(
        raw.connect_timeout_secs,
        "connect_timeout_secs",
        http.connect_timeout,
    )?;
    http.read_timeout = positive(
        raw.read_timeout_secs,
        "read_timeout_secs",
        http.read_timeout,
    )?;
    http.total_timeout = positive(
        raw.total_timeout_secs,
        "total_timeout_secs",
        http.total_timeout,
    )?;
    if let Some(Seconds(d)) = raw.max_retry_wait_secs {
        http.max_retry_wait = d;
    }
    match raw.concurrency {
        None => {}
        Some(c) if (1..=MAX_CONCURRENCY).contains(&c) => http.concurrency = c,
        Some(_) => {
            return Err((
                "concurrency",
                format!("must be from 1 to {MAX_CONCURRENCY} requests in flight"),
            ));
        }
    }
    let mebibytes = |v: Option<u64>, field: &'static str, default: u64| match v {
        None => Ok(default),
        Some(mb) if (1..=MAX_MB).contains(&mb) => Ok(mb * MIB),
        Some(_) => Err((field, format!("must be from 1 to {MAX_MB} (MiB)"))),
    };
    http.max_response_bytes = mebibytes(
        raw.max_response_mb,
        "max_response_mb",
        http.max_response_bytes,
    )?;
    http.max_source_bytes = mebibytes(raw.max_source_mb, "max_source_mb", http.max_source_bytes)?;
    match raw.max_pages {
        None => {}
        Some(p) if (1..=MAX_PAGES).contains(&p) => http.max_pages = p,
        Some(_) => return Err(("max_pages", format!("must be from 1 to {MAX_PAGES}"))),
    }
    Ok(http)
}

/// Every source whose keys name other sources checks them against the configured ones (the kind
/// says which keys; errors name `sources[N].key`).
pub(super) fn resolve_references(
    sources: &mut [SourceConfig],
    file: &Path,
) -> Result<(), ConfigError> {
    let names: Vec<(String, SourceKind)> =
        sources.iter().map(|s| (s.name.clone(), s.kind())).collect();
    for (i, s) in sources.iter_mut().enumerate() {
        s.vendor
            .resolve_sources(&names)
            .map_err(|e| ConfigError::new(file, format!("sources[{i}].{}", e.key), e.message))?;
    }
    Ok(())
}

/// Every URL a source sends credentials or reads data over in clear (`http://`) to a host that is
/// not loopback, with its key: `sources[N].url`, `.authority`, `.sei_url`.
pub(super) fn plain_http_urls(sources: &[SourceConfig]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        let mut urls: Vec<(&str, &url::Url)> =
            s.http_url().map(|u| ("url", u)).into_iter().collect();
        match &s.vendor {
            VendorConfig::Msgraph(m) => urls.extend(m.authority.as_ref().map(|u| ("authority", u))),
            VendorConfig::Harness(h) => urls.extend(h.sei_url.as_ref().map(|u| ("sei_url", u))),
            _ => {}
        }
        for (key, u) in urls {
            if u.scheme() != "https" && !is_loopback(u) {
                found.push((
                    format!("sources[{i}].{key}"),
                    crate::sources::http::redact_url(u),
                ));
            }
        }
    }
    found
}

/// Whether a URL's host is this machine: `localhost`, 127.0.0.0/8 or `::1`.
fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Every source's `links` must name a configured source, or the kind of exactly one source; a
/// kind is rewritten to that source's name, so the rest of the program only sees source names.
pub(super) fn resolve_links(sources: &mut [SourceConfig], file: &Path) -> Result<(), ConfigError> {
    let names: Vec<(String, SourceKind)> =
        sources.iter().map(|s| (s.name.clone(), s.kind())).collect();
    for (i, s) in sources.iter_mut().enumerate() {
        let mut links = BTreeMap::new();
        for (target, attr) in std::mem::take(&mut s.links) {
            let err = |m: &str| ConfigError::new(file, format!("sources[{i}].links.{target}"), m);
            let name = if names.iter().any(|(n, _)| *n == target) {
                target.clone()
            } else {
                let of_kind: Vec<&str> = names
                    .iter()
                    .filter(|(_, k)| k.as_str() == target)
                    .map(|(n, _)| n.as_str())
                    .collect();
                match of_kind.as_slice() {
                    [one] => one.to_string(),
                    [] => return Err(err("names no configured source (use a source name)")),
                    _ => {
                        return Err(err(
                            "names a kind that several sources have (use a source name)",
                        ));
                    }
                }
            };
            links.insert(name, attr);
        }
        s.links = links;
    }
    Ok(())
}
