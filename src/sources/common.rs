//! Small helpers the source kinds share: reading secrets by variable name, parsing dates, reading
//! dotted paths and JSON values, collecting emails and links.
//!
//! Never does I/O and never formats a secret's value into a message.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde_json::Value;
use url::Url;

use super::http::{Auth, HttpClient};
use super::spec::{Location, SourceConfig, StatusValues};
use super::{Secret, SourceContext, SourceError};
use crate::model::{AccountStatus, Link};

/// The identity fields a file's record can feed: the keys of `columns` (csv) and `fields` (json,
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

pub(crate) fn config_error(cfg: &SourceConfig, message: impl Into<String>) -> SourceError {
    SourceError::Config {
        source_name: cfg.name.clone(),
        message: message.into(),
    }
}

/// The secret held by the variable named in `token_env` (required).
pub(crate) fn required_token(
    cfg: &SourceConfig,
    ctx: &SourceContext,
) -> Result<Secret, SourceError> {
    let Some(var) = cfg.token_env.as_deref() else {
        return Err(config_error(
            cfg,
            format!("token_env is required for kind `{}`", cfg.kind()),
        ));
    };
    secret_from(cfg, ctx, var, "token_env")
}

/// The secret of `token_env` when it is configured (csv / json over HTTP).
pub(crate) fn optional_token(
    cfg: &SourceConfig,
    ctx: &SourceContext,
) -> Result<Option<Secret>, SourceError> {
    match cfg.token_env.as_deref() {
        None => Ok(None),
        Some(var) => secret_from(cfg, ctx, var, "token_env").map(Some),
    }
}

pub(crate) fn secret_from(
    cfg: &SourceConfig,
    ctx: &SourceContext,
    var: &str,
    key: &str,
) -> Result<Secret, SourceError> {
    ctx.secrets.get(var).ok_or_else(|| {
        config_error(
            cfg,
            format!("environment variable {var} (named by {key}) is not set or empty"),
        )
    })
}

/// A vendor API's base URL and its client, authenticated with the source's required token.
pub(crate) fn vendor_client(
    cfg: &SourceConfig,
    ctx: &SourceContext,
    auth: impl FnOnce(Secret) -> Auth,
) -> Result<(Url, HttpClient), SourceError> {
    let token = required_token(cfg, ctx)?;
    let base = http_base(cfg)?;
    let client = HttpClient::new(&cfg.name, &base, cfg.http, auth(token), ctx.cache.clone())?;
    Ok((base, client))
}

/// The client of a file-or-URL source (`csv`, `json`): none for a local file; over HTTP, Bearer
/// with the token when one is configured.
pub(crate) fn file_or_http_client(
    cfg: &SourceConfig,
    ctx: &SourceContext,
) -> Result<Option<HttpClient>, SourceError> {
    let Location::Http(url) = &cfg.location else {
        return Ok(None);
    };
    let auth = match optional_token(cfg, ctx)? {
        Some(t) => Auth::Bearer(t),
        None => Auth::None,
    };
    HttpClient::new(&cfg.name, url, cfg.http, auth, ctx.cache.clone()).map(Some)
}

/// The HTTP base URL or a config error (vendor kinds are HTTP only).
pub(crate) fn http_base(cfg: &SourceConfig) -> Result<Url, SourceError> {
    cfg.http_url()
        .cloned()
        .ok_or_else(|| config_error(cfg, format!("kind `{}` needs an http(s) URL", cfg.kind())))
}

/// `base` with `path` appended to its own path (keeps a path prefix such as `/prod1/sei/api`).
pub(crate) fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}/{}", path.trim_start_matches('/')));
    url.set_query(None);
    url
}

/// RFC 3339, `YYYY-MM-DD`, or `YYYY-MM-DD HH:MM:SS` (UTC) into a UTC time.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|n| Utc.from_utc_datetime(&n));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    None
}

/// Epoch seconds or milliseconds (values past year 5138 in seconds are taken as milliseconds).
pub(crate) fn epoch_time(n: f64) -> Option<DateTime<Utc>> {
    let ms = if n.abs() > 1e11 { n } else { n * 1000.0 };
    DateTime::from_timestamp_millis(ms as i64)
}

/// The earlier of two optional times.
pub(crate) fn earliest(
    a: Option<DateTime<Utc>>,
    b: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The later of two optional times.
pub(crate) fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// For an optional field of a vendor's record (`#[serde(default, deserialize_with = "lenient")]`):
/// its value when it has the expected type, else the default (None, empty), so that one
/// odd-typed field (`title: ["a", "b"]`) loses only itself, never its record or its page.
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(d)?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

/// Trimmed, or None when empty.
pub(crate) fn non_empty(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Adds an email unless empty or already present (case-insensitively).
pub(crate) fn push_email(emails: &mut Vec<String>, email: Option<&str>) {
    let Some(e) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        return;
    };
    if !emails.iter().any(|x| x.eq_ignore_ascii_case(e)) {
        emails.push(e.to_string());
    }
}

/// Splits a list of emails on `;`, `,` and whitespace.
pub(crate) fn split_emails(text: &str) -> impl Iterator<Item = &str> {
    text.split([';', ',', ' ', '\t', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A JSON scalar as text (strings as-is, numbers and booleans printed); None for null / empty /
/// arrays / objects.
pub(crate) fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => non_empty(Some(s)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Follows a dotted path (`onPremisesExtensionAttributes.extensionAttribute1`) into an object.
pub(crate) fn dotted<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

/// `sources.links` read through `lookup` (attribute → value), empty values skipped.
pub(crate) fn links_from(
    cfg: &SourceConfig,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Vec<Link> {
    let mut links = Vec::new();
    for (other, attr) in &cfg.links {
        if let Some(value) = lookup(attr).and_then(|v| non_empty(Some(&v))) {
            links.push(Link {
                source: other.clone(),
                value,
            });
        }
    }
    links
}

/// Text that means "yes" in a bot column / field.
pub(crate) fn truthy(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "true" | "yes" | "y" | "1" | "x" | "bot" | "t"
    )
}

/// Status words from `[sources.status]`; with none configured, common defaults apply.
pub(crate) fn map_status(s: &StatusValues, value: &str) -> AccountStatus {
    let v = value.trim();
    let configured = !(s.active.is_empty() && s.suspended.is_empty() && s.departed.is_empty());
    let hit = |list: &[String]| list.iter().any(|x| x.trim().eq_ignore_ascii_case(v));
    if configured {
        if hit(&s.active) {
            AccountStatus::Active
        } else if hit(&s.suspended) {
            AccountStatus::Suspended
        } else if hit(&s.departed) {
            AccountStatus::Departed
        } else {
            AccountStatus::Unknown
        }
    } else {
        match v.to_ascii_lowercase().as_str() {
            "active" | "enabled" | "employed" => AccountStatus::Active,
            "suspended" | "on leave" | "leave" => AccountStatus::Suspended,
            "departed" | "ended" | "terminated" | "inactive" | "disabled" | "deprovisioned"
            | "left" => AccountStatus::Departed,
            _ => AccountStatus::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_time_accepts_rfc3339_and_dates() {
        assert_eq!(
            parse_time("2026-01-02").unwrap().to_rfc3339(),
            "2026-01-02T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-01-02T03:04:05+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-01-02T01:04:05+00:00"
        );
        assert!(parse_time("yesterday").is_none());
    }

    #[derive(serde::Deserialize, Debug)]
    struct Record {
        id: String,
        #[serde(default, deserialize_with = "lenient")]
        name: Option<String>,
        #[serde(default, deserialize_with = "lenient")]
        emails: Vec<String>,
        #[serde(default, deserialize_with = "lenient")]
        bot: bool,
    }

    #[test]
    fn an_odd_typed_lenient_field_loses_only_itself() {
        let r: Record = serde_json::from_str(
            r#"{"id": "7", "name": ["a", "b"], "emails": "x@y", "bot": "yes"}"#,
        )
        .unwrap();
        assert_eq!(r.id, "7");
        assert_eq!((r.name, r.emails, r.bot), (None, Vec::new(), false));
        let r: Record =
            serde_json::from_str(r#"{"id": "8", "name": "Ann", "emails": ["a@x"]}"#).unwrap();
        assert_eq!((r.name.as_deref(), r.emails.len()), (Some("Ann"), 1));
        assert!(
            serde_json::from_str::<Record>(r#"{"id": 8}"#).is_err(),
            "ids stay required"
        );
    }

    #[test]
    fn join_path_keeps_a_prefix() {
        let u = Url::parse("https://app.harness.io/prod1/sei/api").unwrap();
        assert_eq!(
            join_path(&u, "/v2/developers").as_str(),
            "https://app.harness.io/prod1/sei/api/v2/developers"
        );
        let u = Url::parse("https://acme.okta.com/").unwrap();
        assert_eq!(
            join_path(&u, "api/v1/users").as_str(),
            "https://acme.okta.com/api/v1/users"
        );
    }
}
