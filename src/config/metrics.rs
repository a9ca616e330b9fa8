//! The `[metrics]` section: where every run's Prometheus metrics go — a textfile for
//! node_exporter's textfile collector and/or a Pushgateway.
//!
//! Never reads a secret; a Pushgateway URL with credentials in it is refused (they would be logged).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use super::ConfigError;

/// The Pushgateway job name by default (`metrics.job`).
pub const DEFAULT_JOB: &str = "seatwarden";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    textfile: Option<String>,
    pushgateway_url: Option<String>,
    job: Option<String>,
}

/// The validated `[metrics]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsConfig {
    /// Written atomically (a temporary file in the same folder, then renamed) after every run.
    pub textfile: Option<PathBuf>,
    /// A Pushgateway's base URL; metrics are POSTed to `{url}/metrics/job/{job}`.
    pub pushgateway_url: Option<Url>,
    pub job: String,
}

pub(super) fn validate(
    raw: Option<RawMetrics>,
    file: &Path,
    base: &Path,
) -> Result<MetricsConfig, ConfigError> {
    let Some(raw) = raw else {
        return Ok(MetricsConfig {
            job: DEFAULT_JOB.into(),
            ..MetricsConfig::default()
        });
    };
    let pushgateway_url = raw
        .pushgateway_url
        .map(|u| {
            parse_pushgateway(&u).map_err(|m| ConfigError::new(file, "metrics.pushgateway_url", m))
        })
        .transpose()?;
    let job = raw.job.unwrap_or_else(|| DEFAULT_JOB.into());
    if job.is_empty() || job.contains('/') {
        return Err(ConfigError::new(
            file,
            "metrics.job",
            "must be a non-empty name without `/`",
        ));
    }
    Ok(MetricsConfig {
        textfile: raw.textfile.map(|p| base.join(p)),
        pushgateway_url,
        job,
    })
}

fn parse_pushgateway(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{text}` is not an http(s) URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials (they would appear in logs)".into());
    }
    Ok(url)
}
