//! Configuration: one TOML file plus `SEATWARDEN__SECTION__KEY` environment overrides (SPEC §2), parsed
//! and validated in one place into typed values. The rest of the program never sees a raw string where
//! a URL, a path, a regex or an enum fits.
//!
//! Architecture invariant: every error names the file and the key path at fault; unknown keys are
//! errors; secrets are never read here (only the *names* of the variables that hold them).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use regex::Regex;
use serde::Deserialize;
use url::Url;

use crate::model::Subscription;

/// The identity fields a source's record can feed: the keys of `columns` (csv) and `fields` (json,
/// which also takes `first_name` and `last_name`).
pub const IDENTITY_FIELDS: [&str; 13] = [
    "id",
    "name",
    "email",
    "emails",
    "login",
    "employee_id",
    "title",
    "department",
    "manager_email",
    "status",
    "last_activity",
    "created_at",
    "bot",
];

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
    sources: Vec<RawSource>,
    report: Option<RawReport>,
    schedule: Option<RawSchedule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubscription {
    licenses: u64,
    period_start: Option<String>,
    period_end: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    url: Option<String>,
    seed: Option<String>,
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

/// Which CSV column (csv kind) feeds which identity field.
#[derive(Debug, Deserialize, Default, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Secondary emails, separated by `;`, `,` or spaces.
    pub emails: Option<String>,
    pub login: Option<String>,
    pub employee_id: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub manager_email: Option<String>,
    pub status: Option<String>,
    pub last_activity: Option<String>,
    pub created_at: Option<String>,
    pub bot: Option<String>,
}

/// Values of the status column / field that mean active, suspended (non-final) and departed.
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: String,
    url: Option<String>,
    token_env: Option<String>,
    #[serde(default)]
    directory: bool,
    #[serde(default)]
    links: BTreeMap<String, String>,
    columns: Option<Columns>,
    status: Option<StatusValues>,
    // json kind
    records: Option<String>,
    fields: Option<BTreeMap<String, String>>,
    next: Option<String>,
    // github
    org: Option<String>,
    #[serde(default)]
    copilot: bool,
    #[serde(default)]
    graphql: bool,
    // jira
    user: Option<String>,
    // msgraph
    authority: Option<String>,
    tenant: Option<String>,
    client_id: Option<String>,
    client_secret_env: Option<String>,
    #[serde(default)]
    sign_in_activity: bool,
    // harness
    sei_url: Option<String>,
    account: Option<String>,
    // HTTP behaviour
    connect_timeout_secs: Option<f64>,
    read_timeout_secs: Option<f64>,
    total_timeout_secs: Option<f64>,
    max_retry_wait_secs: Option<f64>,
    concurrency: Option<usize>,
    page_size: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    timezone: Option<String>,
    email: Option<RawEmail>,
    webhook: Option<RawWebhook>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    smtp_url: String,
    tls: Option<String>,
    username_env: Option<String>,
    password_env: Option<String>,
    from: String,
    to: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url_env: String,
    format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    reconcile: Option<String>,
    report: Option<String>,
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
    pub store: StoreConfig,
    pub policy: Policy,
    pub resolution: ResolutionConfig,
    pub sources: Vec<SourceConfig>,
    pub report: ReportConfig,
    pub schedule: Option<ScheduleConfig>,
}

/// Where the developer table, runs and overrides live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// `sqlite:///abs/path.db` or `postgres://…`, relative SQLite paths already resolved.
    pub url: String,
    /// An SEI developer CSV that seeds the table while it is empty (resolved against the config folder).
    pub seed: Option<PathBuf>,
}

impl StoreConfig {
    /// The SQLite file behind the URL, if this is a SQLite store.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        sqlite_path_of(&self.url)
    }
}

/// The file path in a `sqlite:` URL (query string dropped).
pub fn sqlite_path_of(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let rest = rest.split('?').next().unwrap_or(rest);
    if rest.is_empty() || rest == ":memory:" {
        return None;
    }
    Some(PathBuf::from(rest))
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

/// The closed set of source kinds (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    fn parse(s: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Kinds that read a local file as well as a URL.
    pub fn accepts_local_path(self) -> bool {
        matches!(self, SourceKind::Csv | SourceKind::Json)
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
            Location::Http(u) => write!(f, "{u}"),
            Location::File(p) => write!(f, "{}", p.display()),
        }
    }
}

pub use crate::sources::http::HttpSettings;

/// One validated `[[sources]]` entry.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub kind: SourceKind,
    pub location: Location,
    /// The *name* of the environment variable that holds the token.
    pub token_env: Option<String>,
    pub directory: bool,
    /// Other source name → attribute / column / pointer / dotted path naming the account there.
    pub links: BTreeMap<String, String>,
    pub columns: Columns,
    pub status: StatusValues,
    /// json: JSON pointer to the records array.
    pub records: Option<String>,
    /// json: identity field → JSON pointer within a record.
    pub fields: BTreeMap<String, String>,
    /// json: JSON pointer to the next page URL.
    pub next: Option<String>,
    pub org: Option<String>,
    pub copilot: bool,
    pub graphql: bool,
    pub user: Option<String>,
    pub authority: Option<Url>,
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_env: Option<String>,
    pub sign_in_activity: bool,
    pub sei_url: Option<Url>,
    pub account: Option<String>,
    pub http: HttpSettings,
    /// Page size override (defaults to the vendor's maximum).
    pub page_size: Option<usize>,
}

impl SourceConfig {
    /// A minimal config for a kind at a location; tests and helpers fill in the rest.
    pub fn new(name: &str, kind: SourceKind, location: Location) -> SourceConfig {
        SourceConfig {
            name: name.to_string(),
            kind,
            location,
            token_env: None,
            directory: false,
            links: BTreeMap::new(),
            columns: Columns::default(),
            status: StatusValues::default(),
            records: None,
            fields: BTreeMap::new(),
            next: None,
            org: None,
            copilot: false,
            graphql: false,
            user: None,
            authority: None,
            tenant: None,
            client_id: None,
            client_secret_env: None,
            sign_in_activity: false,
            sei_url: None,
            account: None,
            http: HttpSettings::default(),
            page_size: None,
        }
    }

    /// The HTTP base URL, if this source is read over HTTP.
    pub fn http_url(&self) -> Option<&Url> {
        match &self.location {
            Location::Http(u) => Some(u),
            Location::File(_) => None,
        }
    }
}

/// TLS policy for SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    Required,
    Opportunistic,
    None,
}

#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub smtp_url: Url,
    pub tls: SmtpTls,
    pub username_env: Option<String>,
    pub password_env: Option<String>,
    pub from: String,
    pub to: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    Slack,
    Teams,
    Json,
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url_env: String,
    pub format: WebhookFormat,
}

#[derive(Debug, Clone)]
pub struct ReportConfig {
    pub timezone: String,
    pub email: Option<EmailConfig>,
    pub webhook: Option<WebhookConfig>,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            timezone: "UTC".into(),
            email: None,
            webhook: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    pub reconcile: Option<String>,
    pub report: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Loading.
// ---------------------------------------------------------------------------------------------

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
    let err = |key: String, msg: String| ConfigError::new(file, key, msg);

    let subscription = match raw.subscription {
        None => None,
        Some(s) => Some(Subscription {
            licenses_purchased: s.licenses,
            period_start: parse_date(s.period_start.as_deref())
                .map_err(|m| err("subscription.period_start".into(), m))?,
            period_end: parse_date(s.period_end.as_deref())
                .map_err(|m| err("subscription.period_end".into(), m))?,
        }),
    };
    if let Some(s) = &subscription
        && let (Some(a), Some(b)) = (s.period_start, s.period_end)
        && b < a
    {
        return Err(err(
            "subscription.period_end".into(),
            "is before period_start".into(),
        ));
    }

    let store_url = raw
        .store
        .url
        .unwrap_or_else(|| "sqlite://seatwarden.db".into());
    let store = StoreConfig {
        url: resolve_store_url(&store_url, base).map_err(|m| err("store.url".into(), m))?,
        seed: raw.store.seed.map(|p| base.join(p)),
    };

    let p = raw.policy;
    let defaults = Policy::default();
    let exclude_titles = compile_all(
        p.exclude_titles.unwrap_or_default(),
        "policy.exclude_titles",
        file,
    )?;
    let bot_patterns = compile_all(
        p.bot_patterns.unwrap_or_default(),
        "policy.bot_patterns",
        file,
    )?;
    let max_drop_percent = p
        .guard
        .and_then(|g| g.max_drop_percent)
        .unwrap_or(defaults.max_drop_percent);
    if !(0.0..=100.0).contains(&max_drop_percent) {
        return Err(err(
            "policy.guard.max_drop_percent".into(),
            "must be between 0 and 100".into(),
        ));
    }
    let protect: Vec<String> = p
        .protect
        .unwrap_or_default()
        .iter()
        .map(|e| e.trim().to_lowercase())
        .collect();
    for (i, e) in protect.iter().enumerate() {
        if !e.contains('@') {
            return Err(err(
                format!("policy.protect[{i}]"),
                format!("`{e}` is not an email address"),
            ));
        }
    }
    let policy = Policy {
        inactive_after_days: p
            .inactive_after_days
            .unwrap_or(defaults.inactive_after_days),
        new_developer_grace_days: p
            .new_developer_grace_days
            .unwrap_or(defaults.new_developer_grace_days),
        exclude_departments: p
            .exclude_departments
            .unwrap_or_default()
            .iter()
            .map(|d| d.trim().to_lowercase())
            .collect(),
        exclude_titles,
        protect,
        add_new_developers: p.add_new_developers.unwrap_or(defaults.add_new_developers),
        bot_patterns,
        max_drop_percent,
    };

    let r = raw.resolution;
    let rd = ResolutionConfig::default();
    let resolution = ResolutionConfig {
        merge_threshold: r.merge_threshold.unwrap_or(rd.merge_threshold),
        review_threshold: r.review_threshold.unwrap_or(rd.review_threshold),
        overrides: r.overrides.map(|p| base.join(p)),
        org_domains: r
            .org_domains
            .unwrap_or_default()
            .iter()
            .map(|d| d.trim().to_lowercase())
            .collect(),
    };
    for (key, v) in [
        ("resolution.merge_threshold", resolution.merge_threshold),
        ("resolution.review_threshold", resolution.review_threshold),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(err(key.into(), "must be between 0 and 1".into()));
        }
    }
    if resolution.review_threshold > resolution.merge_threshold {
        return Err(err(
            "resolution.review_threshold".into(),
            "must not exceed merge_threshold".into(),
        ));
    }

    let mut sources = Vec::with_capacity(raw.sources.len());
    for (i, s) in raw.sources.into_iter().enumerate() {
        let src = validate_source(s, i, file, base)?;
        if src.name == crate::model::TABLE_SOURCE {
            return Err(err(
                format!("sources[{i}].name"),
                format!("`{}` is reserved", src.name),
            ));
        }
        if sources.iter().any(|o: &SourceConfig| o.name == src.name) {
            return Err(err(
                format!("sources[{i}].name"),
                format!("`{}` is used by another source", src.name),
            ));
        }
        sources.push(src);
    }
    for (i, s) in sources.iter().enumerate() {
        for target in s.links.keys() {
            if !sources
                .iter()
                .any(|o| &o.name == target || o.kind.as_str() == target)
            {
                return Err(err(
                    format!("sources[{i}].links.{target}"),
                    "names no configured source (use a source name)".into(),
                ));
            }
        }
    }

    let report = match raw.report {
        None => ReportConfig::default(),
        Some(r) => validate_report(r, file)?,
    };
    let schedule = raw.schedule.map(|s| ScheduleConfig {
        reconcile: s.reconcile,
        report: s.report,
    });

    Ok(Config {
        file: file.to_path_buf(),
        base_dir: base.to_path_buf(),
        subscription,
        store,
        policy,
        resolution,
        sources,
        report,
        schedule,
    })
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

fn validate_source(
    s: RawSource,
    i: usize,
    file: &Path,
    base: &Path,
) -> Result<SourceConfig, ConfigError> {
    let key = |field: &str| format!("sources[{i}].{field}");
    let err = |field: &str, msg: String| ConfigError::new(file, key(field), msg);

    if s.name.trim().is_empty() {
        return Err(err("name", "is empty".into()));
    }
    let kind = SourceKind::parse(&s.kind).ok_or_else(|| {
        let known: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
        err(
            "kind",
            format!(
                "unknown kind `{}` (expected one of {})",
                s.kind,
                known.join(", ")
            ),
        )
    })?;
    let raw_url = match (&s.url, kind) {
        (Some(u), _) => u.clone(),
        (None, SourceKind::Github) => "https://api.github.com".into(),
        (None, SourceKind::Msgraph) => "https://graph.microsoft.com".into(),
        (None, SourceKind::Harness) => "https://app.harness.io".into(),
        (None, _) => return Err(err("url", "is required".into())),
    };
    let location = parse_location(&raw_url, kind, base).map_err(|m| err("url", m))?;
    if s.token_env.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(err("token_env", "is empty".into()));
    }
    let mut http = HttpSettings::default();
    let secs = |v: Option<f64>,
                field: &str,
                default: std::time::Duration|
     -> Result<std::time::Duration, ConfigError> {
        match v {
            None => Ok(default),
            Some(x) if x > 0.0 && x.is_finite() => Ok(std::time::Duration::from_secs_f64(x)),
            Some(_) => Err(err(field, "must be a positive number of seconds".into())),
        }
    };
    http.connect_timeout = secs(
        s.connect_timeout_secs,
        "connect_timeout_secs",
        http.connect_timeout,
    )?;
    http.read_timeout = secs(s.read_timeout_secs, "read_timeout_secs", http.read_timeout)?;
    http.total_timeout = secs(
        s.total_timeout_secs,
        "total_timeout_secs",
        http.total_timeout,
    )?;
    http.max_retry_wait = match s.max_retry_wait_secs {
        Some(x) if x >= 0.0 && x.is_finite() => std::time::Duration::from_secs_f64(x),
        Some(_) => {
            return Err(err(
                "max_retry_wait_secs",
                "must be zero or a positive number of seconds".into(),
            ));
        }
        None => http.max_retry_wait,
    };
    if let Some(c) = s.concurrency {
        if c == 0 {
            return Err(err("concurrency", "must be at least 1".into()));
        }
        http.concurrency = c;
    }
    if s.page_size == Some(0) {
        return Err(err("page_size", "must be at least 1".into()));
    }

    // Kind-specific requirements.
    let need = |v: &Option<String>, field: &str| -> Result<(), ConfigError> {
        match v {
            Some(x) if !x.trim().is_empty() => Ok(()),
            _ => Err(err(field, format!("is required for kind `{kind}`"))),
        }
    };
    match kind {
        SourceKind::Github => need(&s.org, "org")?,
        SourceKind::Jira => need(&s.user, "user")?,
        SourceKind::Msgraph => {
            need(&s.tenant, "tenant")?;
            need(&s.client_id, "client_id")?;
            need(&s.client_secret_env, "client_secret_env")?;
        }
        SourceKind::Harness => need(&s.account, "account")?,
        SourceKind::Json => {
            need(&s.records, "records")?;
            if s.fields.as_ref().is_none_or(|f| !f.contains_key("id")) {
                return Err(err("fields.id", "is required for kind `json`".into()));
            }
        }
        _ => {}
    }
    if s.columns.is_some() && kind != SourceKind::Csv {
        return Err(err(
            "columns",
            format!("applies to kind `csv` only, not `{kind}`"),
        ));
    }
    if let Some(fields) = &s.fields {
        for (f, pointer) in fields {
            let known =
                IDENTITY_FIELDS.contains(&f.as_str()) || f == "first_name" || f == "last_name";
            if !known {
                return Err(err(
                    &format!("fields.{f}"),
                    format!(
                        "unknown field (expected one of {}, first_name, last_name)",
                        IDENTITY_FIELDS.join(", ")
                    ),
                ));
            }
            if !pointer.is_empty() && !pointer.starts_with('/') {
                return Err(err(
                    &format!("fields.{f}"),
                    format!("`{pointer}` is not a JSON pointer (starts with /)"),
                ));
            }
        }
    }
    for (field, v) in [("records", &s.records), ("next", &s.next)] {
        if let Some(p) = v
            && !p.is_empty()
            && !p.starts_with('/')
        {
            return Err(err(
                field,
                format!("`{p}` is not a JSON pointer (starts with /)"),
            ));
        }
    }
    let authority = match (&s.authority, kind) {
        (Some(a), _) => {
            Some(Url::parse(a).map_err(|e| err("authority", format!("invalid URL: {e}")))?)
        }
        (None, SourceKind::Msgraph) => {
            Some(Url::parse("https://login.microsoftonline.com").expect("static URL"))
        }
        (None, _) => None,
    };
    let sei_url = match &s.sei_url {
        Some(u) => Some(Url::parse(u).map_err(|e| err("sei_url", format!("invalid URL: {e}")))?),
        None => None,
    };

    Ok(SourceConfig {
        name: s.name,
        kind,
        location,
        token_env: s.token_env,
        directory: s.directory,
        links: s.links,
        columns: s.columns.unwrap_or_default(),
        status: s.status.unwrap_or_default(),
        records: s.records,
        fields: s.fields.unwrap_or_default(),
        next: s.next,
        org: s.org,
        copilot: s.copilot,
        graphql: s.graphql,
        user: s.user,
        authority,
        tenant: s.tenant,
        client_id: s.client_id,
        client_secret_env: s.client_secret_env,
        sign_in_activity: s.sign_in_activity,
        sei_url,
        account: s.account,
        http,
        page_size: s.page_size,
    })
}

/// A source URL: absolute http(s), a `file://` URL, or (csv/json only) a local path relative to the
/// config folder.
pub fn parse_location(raw: &str, kind: SourceKind, base: &Path) -> Result<Location, String> {
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
        Ok(u) if u.scheme().len() > 1 => Err(format!("unsupported URL scheme `{}`", u.scheme())),
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

fn validate_report(r: RawReport, file: &Path) -> Result<ReportConfig, ConfigError> {
    let err = |key: &str, msg: String| ConfigError::new(file, key, msg);
    let timezone = r.timezone.unwrap_or_else(|| "UTC".into());
    let email = match r.email {
        None => None,
        Some(e) => {
            let smtp_url = Url::parse(&e.smtp_url)
                .map_err(|x| err("report.email.smtp_url", format!("invalid URL: {x}")))?;
            if smtp_url.scheme() != "smtp" && smtp_url.scheme() != "smtps" {
                return Err(err(
                    "report.email.smtp_url",
                    "must start with smtp:// or smtps://".into(),
                ));
            }
            let tls = match e.tls.as_deref().unwrap_or("required") {
                "required" => SmtpTls::Required,
                "opportunistic" => SmtpTls::Opportunistic,
                "none" => SmtpTls::None,
                other => {
                    return Err(err(
                        "report.email.tls",
                        format!(
                            "unknown value `{other}` (expected required, opportunistic or none)"
                        ),
                    ));
                }
            };
            if e.to.is_empty() {
                return Err(err(
                    "report.email.to",
                    "needs at least one recipient".into(),
                ));
            }
            Some(EmailConfig {
                smtp_url,
                tls,
                username_env: e.username_env,
                password_env: e.password_env,
                from: e.from,
                to: e.to,
            })
        }
    };
    let webhook = match r.webhook {
        None => None,
        Some(w) => Some(WebhookConfig {
            url_env: w.url_env,
            format: match w.format.as_deref().unwrap_or("slack") {
                "slack" => WebhookFormat::Slack,
                "teams" => WebhookFormat::Teams,
                "json" => WebhookFormat::Json,
                other => {
                    return Err(err(
                        "report.webhook.format",
                        format!("unknown value `{other}` (expected slack, teams or json)"),
                    ));
                }
            },
        }),
    };
    Ok(ReportConfig {
        timezone,
        email,
        webhook,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn full_spec_example_loads() {
        let text = include_str!("../config/example.toml");
        let c = load_str(text, &[]).unwrap();
        assert_eq!(c.sources.len(), 7);
        assert_eq!(c.subscription.as_ref().unwrap().licenses_purchased, 500);
    }
}
