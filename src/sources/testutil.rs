//! Test helpers shared by the kinds' tests (and `deliver`'s): fast HTTP settings, a config for a
//! mock server, a `harness` config and an SEI table, secrets. Compiled only for tests.

use std::time::Duration;

use url::Url;

use super::http::HttpSettings;
use super::{Location, Secrets, SourceConfig, SourceContext, SourceKind, VendorConfig};

/// Short timeouts and a small retry budget, so failing tests fail fast.
pub(crate) fn fast() -> HttpSettings {
    let _ = rustls::crypto::ring::default_provider().install_default();
    HttpSettings {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
        total_timeout: Duration::from_secs(10),
        max_retry_wait: Duration::from_secs(3),
        concurrency: 4,
        ..HttpSettings::default()
    }
}

/// A source of `kind` at `uri`, token in `TOKEN`.
pub(crate) fn cfg(kind: SourceKind, uri: &str) -> SourceConfig {
    let mut c = SourceConfig::new(
        kind.as_str(),
        VendorConfig::default_for(kind),
        Location::Http(Url::parse(uri).unwrap()),
    );
    c.token_env = Some("TOKEN".into());
    c.http = fast();
    c
}

/// A `harness` source named `sei` for account `AbCdEf123`: licensing at `url`, SEI under
/// `{sei}/prod1/sei/api`.
pub(crate) fn harness_cfg(url: &str, sei: &str) -> SourceConfig {
    let mut c = cfg(SourceKind::Harness, url);
    c.name = "sei".into();
    c.vendor = VendorConfig::Harness(super::harness::Config {
        account: "AbCdEf123".into(),
        sei_url: Some(Url::parse(&format!("{sei}/prod1/sei/api")).unwrap()),
        ..super::harness::Config::default()
    });
    c
}

/// An SEI developer table as SEI serves it (BOM, CRLF, mixed-case headers, `Name` for `Full Name`).
pub(crate) const SEI_TABLE: &str = "\u{feff}email,Manager Email,Name,ROLE,Site,Team,Sub Role,Department\r\n\
    Ada@Acme.example,boss@acme.example,Ada Lovelace,Engineer,London,Core,,R&D\r\n\
    boss@acme.example,,The Boss,Director,,,,R&D\r\n";

/// Secrets holding `TOKEN`.
pub(crate) fn ctx(token: &str) -> SourceContext {
    SourceContext {
        secrets: Secrets::from_pairs([("TOKEN", token), ("SECRET", "client-secret-value")]),
        ..SourceContext::default()
    }
}

/// Build and fetch `cfg` with `TOKEN` set to `token`: the identities, or the test fails.
pub(crate) async fn fetch_ok(cfg: &SourceConfig, token: &str) -> Vec<crate::model::Identity> {
    super::build(cfg, &ctx(token))
        .unwrap()
        .fetch()
        .await
        .unwrap()
        .identities
}

/// Build and fetch `cfg` with `TOKEN` set to `token`: the error as text, or the test fails.
pub(crate) async fn fetch_err(cfg: &SourceConfig, token: &str) -> String {
    super::build(cfg, &ctx(token))
        .unwrap()
        .fetch()
        .await
        .unwrap_err()
        .to_string()
}
