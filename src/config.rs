//! Configuration: one TOML file plus `SEATWARDEN__SECTION__KEY` environment overrides (SPEC §2), parsed
//! and validated in one place into typed values. The rest of the program never sees a raw string where
//! a URL, a path, a regex or an enum fits.
//!
//! Architecture invariant: every error names the file and the key path at fault; unknown keys are
//! errors; secrets are never read here (only the *names* of the variables that hold them).

mod metrics;
mod report;
mod schedule;
mod sources;

pub use metrics::MetricsConfig;
pub use schedule::{Cron, ScheduleConfig, parse_timezone};

pub use report::{
    EmailConfig, Pricing, ReportConfig, SmtpTls, WebhookConfig, WebhookFormat, is_loopback_host,
};

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use regex::Regex;
use serde::Deserialize;
use url::Url;

use crate::model::Subscription;
use crate::sources::SourceConfig;

/// A configuration problem: which file, which key, what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {key}{sep}{message}", sep = if key.is_empty() { "" } else { ": " })]
pub struct ConfigError {
    pub file: String,
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn new(file: &Path, key: impl Into<String>, message: impl fmt::Display) -> Self {
        ConfigError {
            file: file.display().to_string(),
            key: key.into(),
            message: message.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The file as written (serde), deny_unknown_fields everywhere.
// ---------------------------------------------------------------------------------------------

/// A word of a closed set (a serde enum), read as text first: config-rs's own enum errors do not
/// list the valid words, serde's do ("unknown variant `x`, expected one of `a`, `b`").
#[derive(Debug, Clone, Copy)]
struct Word<T>(T);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Word<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Word<T>, D::Error> {
        use serde::de::IntoDeserializer;
        let text = String::deserialize(d)?;
        let words: serde::de::value::StringDeserializer<serde::de::value::Error> =
            text.into_deserializer();
        T::deserialize(words)
            .map(Word)
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    subscription: Option<RawSubscription>,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default)]
    resolution: RawResolution,
    #[serde(default)]
    sources: Vec<config::Value>,
    report: Option<report::RawReport>,
    schedule: Option<schedule::RawSchedule>,
    metrics: Option<metrics::RawMetrics>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubscription {
    licenses: Option<u64>,
    period_start: Option<String>,
    period_end: Option<String>,
    /// The yearly price of one license, for the report's money lines.
    price_per_license: Option<f64>,
    currency: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    url: Option<String>,
    seed: Option<String>,
    lock_timeout_secs: Option<u64>,
    keep_runs: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    inactive_after_days: Option<u32>,
    new_developer_grace_days: Option<u32>,
    exclude_departments: Option<Vec<String>>,
    exclude_titles: Option<Vec<String>>,
    protect: Option<Vec<String>>,
    add_new_developers: Option<bool>,
    bot_patterns: Option<Vec<String>>,
    max_apply_percent: Option<f64>,
    guard: Option<RawGuard>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGuard {
    max_drop_percent: Option<f64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawResolution {
    merge_threshold: Option<f64>,
    review_threshold: Option<f64>,
    overrides: Option<String>,
    org_domains: Option<Vec<String>>,
}

// ---------------------------------------------------------------------------------------------
// The validated configuration.
// ---------------------------------------------------------------------------------------------

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (for messages).
    pub file: PathBuf,
    /// The folder relative paths are resolved against.
    pub base_dir: PathBuf,
    pub subscription: Option<Subscription>,
    /// What a license costs (`subscription.price_per_license`, `currency`), when set.
    pub pricing: Option<Pricing>,
    pub store: StoreConfig,
    pub policy: Policy,
    pub resolution: ResolutionConfig,
    pub sources: Vec<SourceConfig>,
    pub report: ReportConfig,
    pub schedule: Option<ScheduleConfig>,
    /// Where every run's Prometheus metrics go (`[metrics]`).
    pub metrics: MetricsConfig,
}

impl Config {
    /// The names of every environment variable that holds a secret this config uses: the only
    /// variables a run reads besides `SEATWARDEN__…` overrides.
    pub fn secret_vars(&self) -> Vec<&str> {
        let mut vars: Vec<&str> = self
            .sources
            .iter()
            .flat_map(SourceConfig::secret_vars)
            .collect();
        if let Some(e) = &self.report.email {
            vars.extend(e.username_env.as_deref());
            vars.extend(e.password_env.as_deref());
        }
        if let Some(w) = &self.report.webhook {
            vars.push(&w.url_env);
        }
        // A new secret key of [report] is named here, or `Secrets` never reads it.
        vars
    }
}

/// Where the developer table, runs and overrides live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// `sqlite:///abs/path.db` or `postgres://…`, relative SQLite paths already resolved.
    pub url: String,
    /// An SEI developer CSV that seeds the table while it is empty (resolved against the config folder).
    pub seed: Option<PathBuf>,
    /// How long a writer waits for another command's store lock before it gives up (exit 1).
    pub lock_timeout: std::time::Duration,
    /// How many runs the store keeps (with their per-source rows); older ones are pruned after a run.
    pub keep_runs: u32,
}

impl StoreConfig {
    pub const DEFAULT_LOCK_TIMEOUT_SECS: u64 = 30;
    pub const DEFAULT_KEEP_RUNS: u32 = 104;
}

impl StoreConfig {
    /// The SQLite file behind the URL, if this is a SQLite store.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        crate::store::sqlite_path_of(&self.url)
    }
}

pub use crate::reconcile::Policy;

/// Identity-resolution settings (`[resolution]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResolutionConfig {
    /// Links at or above this confidence merge.
    pub merge_threshold: f64,
    /// Links at or above this (and below `merge_threshold`) become `review` recommendations.
    pub review_threshold: f64,
    /// A GitOps overrides file (manual merges, splits, dismissals), already resolved to a path.
    pub overrides: Option<PathBuf>,
    /// The organisation's own email domains (lowercased); empty means "infer from directory sources".
    pub org_domains: Vec<String>,
}

impl ResolutionConfig {
    /// What the resolver is run with, given this run's overrides and who hears of its phases.
    pub fn options(
        &self,
        overrides: crate::resolve::Overrides,
        on_phase: crate::resolve::PhaseObserver,
    ) -> crate::resolve::ResolveOptions {
        crate::resolve::ResolveOptions {
            merge_threshold: self.merge_threshold,
            review_threshold: self.review_threshold,
            org_domains: self.org_domains.clone(),
            overrides,
            explain: Vec::new(),
            on_phase,
        }
    }
}

impl Default for ResolutionConfig {
    fn default() -> Self {
        ResolutionConfig {
            merge_threshold: 0.9,
            review_threshold: 0.6,
            overrides: None,
            org_domains: Vec::new(),
        }
    }
}

pub use crate::sources::http::HttpSettings;

// ---------------------------------------------------------------------------------------------
// Loading.
// ---------------------------------------------------------------------------------------------

/// Refuses a config that would send credentials or read data in clear: every source URL (and a
/// Graph `authority`, an SEI `sei_url`) must be `https://` unless its host is loopback. The command
/// line's `--allow-http` skips this for a lab; the error says so.
pub fn refuse_plain_http(cfg: &Config) -> Result<(), ConfigError> {
    match sources::plain_http_urls(&cfg.sources).into_iter().next() {
        None => Ok(()),
        Some((key, url)) => Err(ConfigError::new(
            &cfg.file,
            key,
            format!(
                "`{url}` is plain http to a host that is not loopback: tokens and people's data would cross the network unencrypted; use https (or --allow-http in a lab)"
            ),
        )),
    }
}

/// Where to look for the config file: `--config`, then `$SEATWARDEN_CONFIG`, then `./seatwarden.toml`.
pub fn config_path(cli: Option<&Path>, env_value: Option<&str>) -> PathBuf {
    if let Some(p) = cli {
        return p.to_path_buf();
    }
    if let Some(v) = env_value.filter(|v| !v.is_empty()) {
        return PathBuf::from(v);
    }
    PathBuf::from("seatwarden.toml")
}

/// Load and validate the config file, with the process environment's `SEATWARDEN__…` overrides.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let overrides: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("SEATWARDEN__"))
        .collect();
    load_with_env(path, &overrides)
}

/// Load and validate with an explicit set of environment overrides (`SEATWARDEN__SECTION__KEY`).
pub fn load_with_env(path: &Path, env: &[(String, String)]) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(path, "", format!("cannot read the config file: {e}")))?;
    // Syntax errors first, from the TOML parser itself: it knows lines and columns.
    if let Err(e) = text.parse::<toml::Table>() {
        return Err(
            ConfigError::new(path, "", format!("invalid TOML: {}", e.message()))
                .with_toml_span(&text, e.span()),
        );
    }
    let env_map: std::collections::HashMap<String, String> = env.iter().cloned().collect();
    let built = config::Config::builder()
        .add_source(config::File::from_str(&text, config::FileFormat::Toml))
        .add_source(
            config::Environment::with_prefix("SEATWARDEN")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(env_map)),
        )
        .build()
        .map_err(|e| ConfigError::new(path, "", e))?;
    let raw: RawConfig = serde_path_to_error::deserialize(built).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { String::new() } else { key };
        ConfigError::new(path, key, clean_serde_message(&e.inner().to_string()))
    })?;
    let base_dir = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .unwrap_or(Path::new("."))
        .to_path_buf();
    validate(raw, path, &base_dir)
}

impl ConfigError {
    fn with_toml_span(mut self, text: &str, span: Option<std::ops::Range<usize>>) -> Self {
        if let Some(span) = span {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            self.key = format!("line {line}");
        }
        self
    }
}

/// config-rs prefixes some messages with its own key rendering; keep ours only.
fn clean_serde_message(msg: &str) -> String {
    msg.trim().to_string()
}

fn validate(raw: RawConfig, file: &Path, base: &Path) -> Result<Config, ConfigError> {
    let sources = validate_sources(raw.sources, file, base)?;
    let pricing = match &raw.subscription {
        Some(s) => report::validate_pricing(s.price_per_license, s.currency.as_deref(), file)?,
        None => None,
    };
    let report = match raw.report {
        None => ReportConfig::default(),
        Some(r) => report::validate_report(r, file, base)?,
    };
    Ok(Config {
        file: file.to_path_buf(),
        base_dir: base.to_path_buf(),
        subscription: validate_subscription(raw.subscription, file)?,
        pricing,
        store: validate_store(raw.store, file, base)?,
        policy: validate_policy(raw.policy, file)?,
        resolution: validate_resolution(raw.resolution, file, base)?,
        sources,
        schedule: raw
            .schedule
            .map(|s| schedule::validate(s, &report.timezone, file))
            .transpose()?,
        report,
        metrics: metrics::validate(raw.metrics, file, base)?,
    })
}

fn validate_store(raw: RawStore, file: &Path, base: &Path) -> Result<StoreConfig, ConfigError> {
    let url = resolve_store_url(raw.url.as_deref().unwrap_or("sqlite://seatwarden.db"), base)
        .map_err(|m| ConfigError::new(file, "store.url", m))?;
    let keep_runs = raw.keep_runs.unwrap_or(StoreConfig::DEFAULT_KEEP_RUNS);
    if keep_runs == 0 {
        return Err(ConfigError::new(
            file,
            "store.keep_runs",
            "must be at least 1 (the guard compares each source with its last good run)",
        ));
    }
    let lock_timeout_secs = raw
        .lock_timeout_secs
        .unwrap_or(StoreConfig::DEFAULT_LOCK_TIMEOUT_SECS);
    if lock_timeout_secs > 86_400 {
        return Err(ConfigError::new(
            file,
            "store.lock_timeout_secs",
            "must be at most 86400 (a day)",
        ));
    }
    Ok(StoreConfig {
        url,
        seed: raw.seed.map(|p| base.join(p)),
        lock_timeout: std::time::Duration::from_secs(lock_timeout_secs),
        keep_runs,
    })
}

fn validate_subscription(
    raw: Option<RawSubscription>,
    file: &Path,
) -> Result<Option<Subscription>, ConfigError> {
    // Without `licenses` (a `harness` source supplies them) the section may still set the price.
    let Some((s, licenses)) = raw.and_then(|s| s.licenses.map(|l| (s, l))) else {
        return Ok(None);
    };
    let date = |v: Option<&str>, key: &str| {
        parse_date(v).map_err(|m| ConfigError::new(file, format!("subscription.{key}"), m))
    };
    let subscription = Subscription {
        licenses_purchased: licenses,
        period_start: date(s.period_start.as_deref(), "period_start")?,
        period_end: date(s.period_end.as_deref(), "period_end")?,
        license: None,
    };
    if let (Some(a), Some(b)) = (subscription.period_start, subscription.period_end)
        && b < a
    {
        return Err(ConfigError::new(
            file,
            "subscription.period_end",
            "is before period_start",
        ));
    }
    Ok(Some(subscription))
}

fn validate_policy(p: RawPolicy, file: &Path) -> Result<Policy, ConfigError> {
    let defaults = Policy::default();
    let max_drop_percent = p
        .guard
        .and_then(|g| g.max_drop_percent)
        .unwrap_or(defaults.max_drop_percent);
    let max_apply_percent = p.max_apply_percent.unwrap_or(defaults.max_apply_percent);
    for (key, value) in [
        ("policy.guard.max_drop_percent", max_drop_percent),
        ("policy.max_apply_percent", max_apply_percent),
    ] {
        if !(0.0..=100.0).contains(&value) {
            return Err(ConfigError::new(file, key, "must be between 0 and 100"));
        }
    }
    let protect = lowercased(p.protect);
    if let Some((i, e)) = protect.iter().enumerate().find(|(_, e)| !e.contains('@')) {
        return Err(ConfigError::new(
            file,
            format!("policy.protect[{i}]"),
            format!("`{e}` is not an email address"),
        ));
    }
    Ok(Policy {
        inactive_after_days: p
            .inactive_after_days
            .unwrap_or(defaults.inactive_after_days),
        new_developer_grace_days: p
            .new_developer_grace_days
            .unwrap_or(defaults.new_developer_grace_days),
        exclude_departments: lowercased(p.exclude_departments),
        exclude_titles: compile_all(
            p.exclude_titles.unwrap_or_default(),
            "policy.exclude_titles",
            file,
        )?,
        protect,
        add_new_developers: p.add_new_developers.unwrap_or(defaults.add_new_developers),
        bot_patterns: compile_all(
            p.bot_patterns.unwrap_or_default(),
            "policy.bot_patterns",
            file,
        )?,
        max_drop_percent,
        max_apply_percent,
    })
}

/// A list of words, trimmed and lowercased (an absent list is empty).
fn lowercased(list: Option<Vec<String>>) -> Vec<String> {
    list.into_iter()
        .flatten()
        .map(|v| v.trim().to_lowercase())
        .collect()
}

fn validate_resolution(
    r: RawResolution,
    file: &Path,
    base: &Path,
) -> Result<ResolutionConfig, ConfigError> {
    let defaults = ResolutionConfig::default();
    let resolution = ResolutionConfig {
        merge_threshold: r.merge_threshold.unwrap_or(defaults.merge_threshold),
        review_threshold: r.review_threshold.unwrap_or(defaults.review_threshold),
        overrides: r.overrides.map(|p| base.join(p)),
        org_domains: lowercased(r.org_domains),
    };
    for (key, v) in [
        ("resolution.merge_threshold", resolution.merge_threshold),
        ("resolution.review_threshold", resolution.review_threshold),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(ConfigError::new(file, key, "must be between 0 and 1"));
        }
    }
    if resolution.review_threshold > resolution.merge_threshold {
        return Err(ConfigError::new(
            file,
            "resolution.review_threshold",
            "must not exceed merge_threshold",
        ));
    }
    Ok(resolution)
}

fn validate_sources(
    raw: Vec<config::Value>,
    file: &Path,
    base: &Path,
) -> Result<Vec<SourceConfig>, ConfigError> {
    let mut sources: Vec<SourceConfig> = Vec::with_capacity(raw.len());
    for (i, entry) in raw.into_iter().enumerate() {
        let src = sources::validate_source(entry, i, file, base)?;
        if sources.iter().any(|o| o.name == src.name) {
            return Err(ConfigError::new(
                file,
                format!("sources[{i}].name"),
                format!("`{}` is used by another source", src.name),
            ));
        }
        sources.push(src);
    }
    sources::resolve_links(&mut sources, file)?;
    sources::resolve_references(&mut sources, file)?;
    Ok(sources)
}

fn parse_date(v: Option<&str>) -> Result<Option<NaiveDate>, String> {
    match v {
        None => Ok(None),
        Some(s) => {
            // TOML dates come through config-rs as "2026-01-01" or "2026-01-01T00:00:00…".
            let d = s.get(..10).unwrap_or(s);
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD)"))
        }
    }
}

fn compile_all(patterns: Vec<String>, key: &str, file: &Path) -> Result<Vec<Regex>, ConfigError> {
    let mut out = Vec::with_capacity(patterns.len());
    for (i, p) in patterns.iter().enumerate() {
        let re = regex::RegexBuilder::new(p)
            .case_insensitive(true)
            .build()
            .map_err(|e| {
                ConfigError::new(
                    file,
                    format!("{key}[{i}]"),
                    format!("invalid regular expression: {e}"),
                )
            })?;
        out.push(re);
    }
    Ok(out)
}

fn resolve_store_url(url: &str, base: &Path) -> Result<String, String> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        if path.is_empty() {
            return Err("sqlite URL without a file path".into());
        }
        if path == ":memory:" {
            return Ok("sqlite::memory:".into());
        }
        let full = if Path::new(path).is_absolute() {
            PathBuf::from(path)
        } else {
            base.join(path)
        };
        let mut s = format!("sqlite://{}", full.display());
        if let Some(q) = query {
            s.push('?');
            s.push_str(q);
        }
        return Ok(s);
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
        return Ok(url.to_string());
    }
    Err("must start with sqlite:// or postgres://".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::Location;

    fn load_str(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seatwarden.toml");
        std::fs::write(&path, text).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        load_with_env(&path, &env)
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = load_str("", &[]).unwrap();
        assert_eq!(c.policy.inactive_after_days, 90);
        assert_eq!(c.policy.new_developer_grace_days, 30);
        assert!(c.policy.add_new_developers);
        assert!(c.store.url.starts_with("sqlite://") && c.store.url.ends_with("seatwarden.db"));
        assert_eq!(c.store.lock_timeout, std::time::Duration::from_secs(30));
        assert_eq!(c.store.keep_runs, 104);
        assert_eq!(c.policy.max_apply_percent, 10.0);
    }

    #[test]
    fn store_and_apply_limits_are_read_and_checked() {
        let c = load_str(
            "[store]\nlock_timeout_secs = 5\nkeep_runs = 3\n[policy]\nmax_apply_percent = 25\n",
            &[],
        )
        .unwrap();
        assert_eq!(c.store.lock_timeout, std::time::Duration::from_secs(5));
        assert_eq!(c.store.keep_runs, 3);
        assert_eq!(c.policy.max_apply_percent, 25.0);
        for (text, key) in [
            ("[store]\nkeep_runs = 0\n", "store.keep_runs"),
            (
                "[store]\nlock_timeout_secs = 100000\n",
                "store.lock_timeout_secs",
            ),
            (
                "[policy]\nmax_apply_percent = 150\n",
                "policy.max_apply_percent",
            ),
        ] {
            assert_eq!(load_str(text, &[]).unwrap_err().key, key, "{text}");
        }
    }

    #[test]
    fn unknown_top_level_key_is_named() {
        let e = load_str("[polcy]\nx = 1\n", &[]).unwrap_err();
        assert_eq!(e.key, "polcy", "{e}");
    }

    #[test]
    fn unknown_source_key_names_its_path() {
        let e = load_str(
            "[[sources]]\nname='a'\nkind='csv'\nurl='a.csv'\ntokn_env='X'\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "sources[0].tokn_env", "{e}");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn relative_url_for_vendor_kind_is_refused_with_path() {
        let e = load_str(
            "[[sources]]\nname='a'\nkind='csv'\nurl='a.csv'\n[[sources]]\nname='b'\nkind='csv'\nurl='b.csv'\n[[sources]]\nname='g'\nkind='gitlab'\nurl='gitlab.example'\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "sources[2].url");
        assert!(e.message.contains("relative URL without a base"), "{e}");
    }

    #[test]
    fn relative_paths_resolve_against_the_config_folder() {
        let c = load_str("[store]\nurl='sqlite://data/x.db'\n[[sources]]\nname='a'\nkind='csv'\nurl='people.csv'\n", &[]).unwrap();
        let base = c.base_dir.clone();
        assert_eq!(c.store.sqlite_path().unwrap(), base.join("data/x.db"));
        assert_eq!(
            c.sources[0].location,
            Location::File(base.join("people.csv"))
        );
    }

    #[test]
    fn env_overrides_a_nested_key() {
        let c = load_str(
            "[policy]\ninactive_after_days = 90\n",
            &[("SEATWARDEN__POLICY__INACTIVE_AFTER_DAYS", "30")],
        )
        .unwrap();
        assert_eq!(c.policy.inactive_after_days, 30);
    }

    #[test]
    fn env_override_of_a_string_key_with_underscores() {
        let c = load_str(
            "[store]\nurl='sqlite://a.db'\n",
            &[("SEATWARDEN__STORE__URL", "postgres://root@127.0.0.1/test")],
        )
        .unwrap();
        assert_eq!(c.store.url, "postgres://root@127.0.0.1/test");
    }

    #[test]
    fn bad_regex_names_its_index() {
        let e = load_str("[policy]\nexclude_titles = ['ok', '(']\n", &[]).unwrap_err();
        assert_eq!(e.key, "policy.exclude_titles[1]");
    }

    #[test]
    fn duplicate_source_names_are_refused() {
        let e = load_str("[[sources]]\nname='a'\nkind='csv'\nurl='a.csv'\n[[sources]]\nname='a'\nkind='csv'\nurl='b.csv'\n", &[]).unwrap_err();
        assert_eq!(e.key, "sources[1].name");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = load_str("[policy]\ninactive_after_days = 'soon'\n", &[]).unwrap_err();
        assert!(e.key.contains("policy.inactive_after_days"), "{e}");
    }

    #[test]
    fn toml_syntax_error_names_the_line() {
        let e = load_str("[policy]\ninactive_after_days = = 3\n", &[]).unwrap_err();
        assert_eq!(e.key, "line 2", "{e}");
    }

    #[test]
    fn github_needs_an_org() {
        let e = load_str("[[sources]]\nname='gh'\nkind='github'\n", &[]).unwrap_err();
        assert_eq!(e.key, "sources[0].org");
    }

    #[test]
    fn links_must_name_a_source() {
        let e = load_str("[[sources]]\nname='okta'\nkind='okta'\nurl='https://x.okta.com'\n[sources.links]\ngithub='gh'\n", &[]).unwrap_err();
        assert_eq!(e.key, "sources[0].links.github");
    }

    #[test]
    fn a_key_of_another_kind_says_which_kind_takes_it() {
        let e = load_str(
            "[[sources]]\nname='o'\nkind='okta'\nurl='https://x.okta.com'\n[sources.columns]\nid='ID'\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "sources[0].columns", "{e}");
        assert!(e.message.contains("kind `csv`, not `okta`"), "{e}");
    }

    #[test]
    fn an_unknown_kind_lists_the_kinds() {
        let e = load_str("[[sources]]\nname='o'\nkind='octa'\nurl='https://x'\n", &[]).unwrap_err();
        assert_eq!(e.key, "sources[0].kind", "{e}");
        assert!(
            e.message.contains("`okta`") && e.message.contains("`harness`"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_tls_word_lists_the_valid_ones() {
        let e = load_str(
            "[report.email]\nsmtp_url='smtp://x'\ntls='maybe'\nfrom='a@x'\nto=['b@x']\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "report.email.tls", "{e}");
        assert!(e.message.contains("`opportunistic`"), "{e}");
    }

    #[test]
    fn absurd_durations_and_concurrency_are_refused_not_panicked_on() {
        let base = "[[sources]]\nname='a'\nkind='csv'\nurl='a.csv'\n";
        for (extra, key) in [
            (
                "connect_timeout_secs = 1e300",
                "sources[0].connect_timeout_secs",
            ),
            ("read_timeout_secs = -1", "sources[0].read_timeout_secs"),
            ("total_timeout_secs = 0", "sources[0].total_timeout_secs"),
            (
                "max_retry_wait_secs = nan",
                "sources[0].max_retry_wait_secs",
            ),
            (
                "concurrency = 9223372036854775807",
                "sources[0].concurrency",
            ),
            ("concurrency = 0", "sources[0].concurrency"),
        ] {
            let e = load_str(&format!("{base}{extra}\n"), &[]).unwrap_err();
            assert_eq!(e.key, key, "{extra}: {e}");
        }
    }

    #[test]
    fn plain_http_off_loopback_is_refused_and_loopback_or_https_is_not() {
        let graph = "kind='msgraph'\ntenant='t'\nclient_id='c'\nclient_secret_env='S'";
        for (entry, key) in [
            (
                "kind='okta'\nurl='http://acme.okta.example'",
                Some("sources[0].url"),
            ),
            (
                "kind='csv'\nurl='http://vms.example/x.csv?access_token=abc'",
                Some("sources[0].url"),
            ),
            ("kind='okta'\nurl='https://acme.okta.example'", None),
            ("kind='okta'\nurl='http://127.0.0.1:8080'", None),
            ("kind='okta'\nurl='http://localhost:8080'", None),
            ("kind='okta'\nurl='http://[::1]:8080'", None),
            (
                &format!("{graph}\nauthority='http://login.example'") as &str,
                Some("sources[0].authority"),
            ),
            (
                "kind='harness'\naccount='a'\nsei_url='http://sei.example/api'",
                Some("sources[0].sei_url"),
            ),
        ] {
            let c = load_str(&format!("[[sources]]\nname='s'\n{entry}\n"), &[]).unwrap();
            let result = refuse_plain_http(&c);
            match key {
                Some(key) => {
                    let e = result.unwrap_err();
                    assert_eq!(e.key, key, "{entry}: {e}");
                    assert!(e.message.contains("--allow-http"), "{e}");
                    assert!(!e.message.contains("abc"), "{e}");
                }
                None => assert!(result.is_ok(), "{entry}: {result:?}"),
            }
        }
        let e = load_str(
            &format!("[[sources]]\nname='s'\n{graph}\nauthority='ftp://login.example'\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "sources[0].authority", "{e}");
    }

    #[test]
    fn byte_and_page_caps_are_read_and_absurd_ones_refused() {
        let base = "[[sources]]\nname='a'\nkind='csv'\nurl='a.csv'\n";
        let c = load_str(
            &format!("{base}max_response_mb = 8\nmax_source_mb = 16\nmax_pages = 3\n"),
            &[],
        )
        .unwrap();
        let http = c.sources[0].http;
        assert_eq!(
            (
                http.max_response_bytes,
                http.max_source_bytes,
                http.max_pages
            ),
            (8 << 20, 16 << 20, 3)
        );
        for (extra, key) in [
            ("max_response_mb = 0", "sources[0].max_response_mb"),
            ("max_source_mb = 100000", "sources[0].max_source_mb"),
            ("max_pages = 0", "sources[0].max_pages"),
            ("max_pages = -1", "sources[0].max_pages"),
        ] {
            let e = load_str(&format!("{base}{extra}\n"), &[]).unwrap_err();
            assert_eq!(e.key, key, "{extra}: {e}");
        }
    }

    #[test]
    fn a_link_to_a_kind_becomes_the_name_of_its_one_source() {
        let c = load_str(
            "[[sources]]\nname='okta'\nkind='okta'\nurl='https://x.okta.com'\n[sources.links]\ngithub='githubUsername'\n\
             [[sources]]\nname='gh'\nkind='github'\norg='acme'\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            c.sources[0].links.get("gh").map(String::as_str),
            Some("githubUsername")
        );
    }

    #[test]
    fn only_the_named_variables_are_secrets() {
        let c = load_str(include_str!("../config/example.toml"), &[]).unwrap();
        let mut vars = c.secret_vars();
        vars.sort();
        assert!(
            vars.contains(&"GRAPH_CLIENT_SECRET") && vars.contains(&"GITHUB_TOKEN"),
            "{vars:?}"
        );
        assert!(!vars.contains(&"PATH"));
    }

    #[test]
    fn full_spec_example_loads() {
        let text = include_str!("../config/example.toml");
        let c = load_str(text, &[]).unwrap();
        assert_eq!(c.sources.len(), 7);
        assert_eq!(c.subscription.as_ref().unwrap().licenses_purchased, 500);
    }

    #[test]
    fn the_harness_keys_of_the_example_resolve() {
        let c = load_str(include_str!("../config/example.toml"), &[]).unwrap();
        assert_eq!(c.policy.max_apply_percent, 10.0);
        let sei = c.sources.iter().find(|s| s.name == "sei").unwrap();
        let crate::sources::VendorConfig::Harness(h) = &sei.vendor else {
            panic!("{sei:?}");
        };
        assert_eq!(h.auth, crate::sources::harness::AuthScheme::ApiKey);
        let keys: Vec<(&str, u64, crate::model::IdentityKey)> = h
            .integrations
            .iter()
            .map(|i| (i.source.as_str(), i.integration_id, i.key))
            .collect();
        assert_eq!(
            keys,
            [
                ("github", 101, crate::model::IdentityKey::Login),
                ("jira", 202, crate::model::IdentityKey::AccountId),
            ]
        );
    }

    #[test]
    fn harness_keys_are_checked_with_their_paths() {
        let harness = "[[sources]]\nname='sei'\nkind='harness'\naccount='a'\n";
        let e = load_str(&format!("{harness}auth='bearer'\n"), &[]).unwrap_err();
        assert_eq!(e.key, "sources[0].auth");
        assert!(e.message.contains("`x-api-key`"), "{e}");
        let e = load_str(
            &format!("{harness}[sources.sei_integrations]\ngithub=1\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "sources[0].sei_integrations.github");
        assert!(e.message.contains("names no configured source"), "{e}");
        let e = load_str("[policy]\nmax_apply_percent = 150\n", &[]).unwrap_err();
        assert_eq!(e.key, "policy.max_apply_percent");
    }

    const EMAIL: &str = "from='seatwarden <sw@acme.example>'\nto=['leads@acme.example']\n";

    #[test]
    fn tls_none_is_only_for_a_loopback_relay() {
        let relay = |url: &str| {
            load_str(
                &format!("[report.email]\nsmtp_url='{url}'\ntls='none'\n{EMAIL}"),
                &[],
            )
        };
        let e = relay("smtp://smtp.acme.example:25").unwrap_err();
        assert_eq!(e.key, "report.email.tls", "{e}");
        assert!(e.message.contains("loopback"), "{e}");
        assert_eq!(
            relay("smtps://127.0.0.1").unwrap_err().key,
            "report.email.tls"
        );
        for ok in [
            "smtp://127.0.0.1:2525",
            "smtp://localhost",
            "smtp://[::1]:25",
        ] {
            let c = relay(ok).unwrap();
            assert_eq!(c.report.email.unwrap().tls, SmtpTls::None, "{ok}");
        }
    }

    #[test]
    fn report_keys_have_defaults_and_are_checked() {
        let c = load_str(
            &format!("[report.email]\nsmtp_url='smtps://smtp.acme.example'\n{EMAIL}"),
            &[],
        )
        .unwrap();
        let email = c.report.email.unwrap();
        assert_eq!((email.port(), email.timeout.as_secs()), (465, 30));
        assert_eq!(c.report.weeks, 12);
        let e = load_str(
            "[report.email]\nsmtp_url='smtp://x'\nfrom='not an address'\nto=['a@x']\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "report.email.from", "{e}");
        let e = load_str("[report]\nweeks = 0\n", &[]).unwrap_err();
        assert_eq!(e.key, "report.weeks");
        let e = load_str("[report.webhook]\nurl_env='X'\ntimeout_secs=0\n", &[]).unwrap_err();
        assert_eq!(e.key, "report.webhook.timeout_secs");
    }

    #[test]
    fn the_price_needs_no_licenses_and_defaults_to_usd() {
        let c = load_str("[subscription]\nprice_per_license = 480.5\n", &[]).unwrap();
        assert!(c.subscription.is_none());
        assert_eq!(c.pricing.unwrap().currency, "USD");
        let e = load_str(
            "[subscription]\nlicenses = 5\nprice_per_license = -1\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "subscription.price_per_license");
    }
}
