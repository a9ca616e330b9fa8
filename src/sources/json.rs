//! Kind `json`: a JSON document (local file or HTTP(S) with `Authorization: Bearer`) whose
//! `records` pointer names the array of people and whose `fields` pointers name each field;
//! `next` (a pointer to the next page's URL, relative URLs resolved) is followed to the end.
//!
//! Never follows a next link to another host, and never invents an id.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::common::IDENTITY_FIELDS;
use super::common::{
    config_error, dotted, epoch_time, file_or_http_client, links_from, map_status, non_empty,
    parse_time, push_email, split_emails, truthy, value_text,
};
use super::http::{HttpClient, json_next};
use super::spec::{
    FieldError, KindConfig, Location, SourceConfig, SourceKind, StatusValues, required,
};
use super::{RecordFile, SourceContext, SourceError, read_location};
use crate::model::{AccountStatus, Identity, Link};

/// Kind `json`'s own settings: JSON pointers into each page and each record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The array of records in each page (`/data/people`).
    pub records: String,
    /// Identity field → pointer within a record; `id` is required.
    pub fields: BTreeMap<String, String>,
    /// The next page's URL (relative URLs resolved against the page's own).
    pub next: Option<String>,
    /// Values of the status field that mean active, suspended and departed.
    pub status: StatusValues,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    records: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    next: Option<String>,
    #[serde(default)]
    status: StatusValues,
}

impl KindConfig for Config {
    type Raw = RawConfig;

    fn build(raw: RawConfig) -> Result<Config, FieldError> {
        let records = pointer(
            required(raw.records, "records", SourceKind::Json)?,
            "records",
        )?;
        if !raw.fields.contains_key("id") {
            return Err(FieldError::new("fields.id", "required for kind `json`"));
        }
        let mut fields = BTreeMap::new();
        for (field, p) in raw.fields {
            let known = IDENTITY_FIELDS.contains(&field.as_str())
                || field == "first_name"
                || field == "last_name";
            if !known {
                return Err(FieldError::new(
                    format!("fields.{field}"),
                    format!(
                        "unknown field (expected one of {}, first_name, last_name)",
                        IDENTITY_FIELDS.join(", ")
                    ),
                ));
            }
            let p = pointer(p, &format!("fields.{field}"))?;
            fields.insert(field, p);
        }
        let next = match raw.next {
            Some(p) => Some(pointer(p, "next")?).filter(|p| !p.is_empty()),
            None => None,
        };
        Ok(Config {
            records,
            fields,
            next,
            status: raw.status,
        })
    }
}

/// A JSON pointer key: empty (the whole document) or starting with `/`.
fn pointer(p: String, key: &str) -> Result<String, FieldError> {
    if p.is_empty() || p.starts_with('/') {
        Ok(p)
    } else {
        Err(FieldError::new(
            key,
            format!("`{p}` is not a JSON pointer (starts with /)"),
        ))
    }
}

#[derive(Debug)]
pub(crate) struct JsonSource {
    cfg: SourceConfig,
    json: Config,
    client: Option<HttpClient>,
}

impl JsonSource {
    pub(crate) fn new(
        cfg: &SourceConfig,
        json: &Config,
        ctx: &SourceContext,
    ) -> Result<JsonSource, SourceError> {
        let client = file_or_http_client(cfg, ctx)?;
        Ok(JsonSource {
            cfg: cfg.clone(),
            json: json.clone(),
            client,
        })
    }

    fn parse_doc(&self, location: &str, bytes: &[u8]) -> Result<Value, SourceError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        serde_json::from_slice(bytes).map_err(|e| SourceError::Data {
            source_name: self.cfg.name.clone(),
            location: format!("{location}:{}", e.line()),
            message: format!("invalid JSON: {e}"),
        })
    }

    /// Every page's document, in order.
    async fn documents(&self) -> Result<Vec<(String, Value)>, SourceError> {
        let next_ptr = self.json.next.clone();
        match (&self.cfg.location, &self.client) {
            (Location::Http(url), Some(client)) => {
                let mut docs = Vec::new();
                let mut failure = None;
                let pages = client
                    .get_pages(url.clone(), |resp| {
                        let loc = super::http::redact_url(&resp.url);
                        let doc = match self.parse_doc(&loc, &resp.body) {
                            Ok(d) => d,
                            Err(e) => {
                                failure = Some(e);
                                return Ok(None);
                            }
                        };
                        let next = next_ptr.as_deref().and_then(|p| json_next(&doc, p));
                        docs.push((loc, doc));
                        Ok(next)
                    })
                    .await?;
                drop(pages);
                match failure {
                    Some(e) => Err(e),
                    None => Ok(docs),
                }
            }
            (Location::File(path), _) => {
                // Local pages: `next` may name another file relative to this one.
                let mut docs = Vec::new();
                let mut seen = std::collections::HashSet::new();
                let mut current = path.clone();
                loop {
                    if docs.len() >= self.cfg.http.max_pages {
                        return Err(config_error(
                            &self.cfg,
                            format!(
                                "{}: still another page after {} pages (max_pages)",
                                current.display(),
                                self.cfg.http.max_pages
                            ),
                        ));
                    }
                    if !seen.insert(current.clone()) {
                        return Err(config_error(
                            &self.cfg,
                            format!("{}: next page already read (loop)", current.display()),
                        ));
                    }
                    let loc = current.display().to_string();
                    let bytes = read_location(&self.cfg, &current).await?;
                    let doc = self.parse_doc(&loc, &bytes)?;
                    let next = next_ptr.as_deref().and_then(|p| json_next(&doc, p));
                    docs.push((loc.clone(), doc));
                    let Some(next) = next else { return Ok(docs) };
                    let base = Url::from_file_path(&current).map_err(|_| {
                        config_error(&self.cfg, format!("{loc}: not an absolute path"))
                    })?;
                    let joined = base.join(&next).ok().filter(|u| u.scheme() == "file");
                    current = joined.and_then(|u| u.to_file_path().ok()).ok_or_else(|| {
                        config_error(
                            &self.cfg,
                            format!("{loc}: next `{next}` is not a file next to this one"),
                        )
                    })?;
                }
            }
            (Location::Http(_), None) => Err(config_error(&self.cfg, "no HTTP client")),
        }
    }

    async fn read_records(&self) -> Result<Vec<Identity>, SourceError> {
        let mut out = Vec::new();
        for (loc, doc) in self.documents().await? {
            let first = out.is_empty();
            out.extend(self.doc_identities(&loc, &doc, first)?);
        }
        Ok(out)
    }

    /// The records of one page; a page after the first may have none (`null` or no array).
    fn doc_identities(
        &self,
        loc: &str,
        doc: &Value,
        first: bool,
    ) -> Result<Vec<Identity>, SourceError> {
        let pointer = &self.json.records;
        let records = match doc.pointer(pointer) {
            Some(Value::Array(a)) => a,
            Some(Value::Null) | None if !first => return Ok(Vec::new()),
            _ => {
                return Err(SourceError::Data {
                    source_name: self.cfg.name.clone(),
                    location: loc.to_string(),
                    message: format!("records pointer `{pointer}` does not name an array"),
                });
            }
        };
        let mut out = Vec::with_capacity(records.len());
        for (i, rec) in records.iter().enumerate() {
            out.push(self.identity(loc, i, rec)?);
        }
        Ok(out)
    }

    fn field<'a>(&self, rec: &'a Value, name: &str) -> Option<&'a Value> {
        let p = self.json.fields.get(name)?;
        rec.pointer(p).filter(|v| !v.is_null())
    }

    fn text(&self, rec: &Value, name: &str) -> Option<String> {
        self.field(rec, name).and_then(value_text)
    }

    fn identity(&self, loc: &str, i: usize, rec: &Value) -> Result<Identity, SourceError> {
        let err = |message: String| SourceError::Data {
            source_name: self.cfg.name.clone(),
            location: format!("{loc}: record {i}"),
            message,
        };
        let id_ptr = self.json.fields.get("id").map(String::as_str).unwrap_or("");
        let id = self
            .text(rec, "id")
            .ok_or_else(|| err(format!("no id at `{id_ptr}`")))?;
        let time = |name: &str| self.time(rec, name).map_err(&err);
        Ok(Identity {
            source: self.cfg.name.clone(),
            id,
            emails: self.emails(rec),
            login: self.text(rec, "login"),
            name: self.name(rec),
            employee_id: self.text(rec, "employee_id"),
            title: self.text(rec, "title"),
            department: self.text(rec, "department"),
            manager_email: self.text(rec, "manager_email"),
            status: self.status(rec),
            is_bot: self.is_bot(rec),
            last_activity: time("last_activity")?,
            created_at: time("created_at")?,
            links: self.links(rec),
            directory: self.cfg.directory,
        })
    }

    /// `name`, else `first_name` and `last_name` joined.
    fn name(&self, rec: &Value) -> Option<String> {
        self.text(rec, "name").or_else(|| {
            let parts: Vec<String> = ["first_name", "last_name"]
                .iter()
                .filter_map(|f| self.text(rec, f))
                .collect();
            non_empty(Some(&parts.join(" ")))
        })
    }

    /// `email`, then `emails` (an array, or one string of several).
    fn emails(&self, rec: &Value) -> Vec<String> {
        let mut emails = Vec::new();
        push_email(&mut emails, self.text(rec, "email").as_deref());
        match self.field(rec, "emails") {
            Some(Value::Array(a)) => {
                for v in a {
                    push_email(&mut emails, value_text(v).as_deref());
                }
            }
            Some(Value::String(s)) => {
                for e in split_emails(s) {
                    push_email(&mut emails, Some(e));
                }
            }
            _ => {}
        }
        emails
    }

    /// A boolean `status` is active / departed; text goes through `status` values.
    fn status(&self, rec: &Value) -> AccountStatus {
        let text = match self.field(rec, "status") {
            Some(Value::Bool(true)) => return AccountStatus::Active,
            Some(Value::Bool(false)) => return AccountStatus::Departed,
            Some(v) => value_text(v),
            None => None,
        };
        match text {
            Some(t) => map_status(&self.json.status, &t),
            None if self.cfg.directory => AccountStatus::Active,
            None => AccountStatus::Unknown,
        }
    }

    /// A time field: epoch seconds, RFC 3339 or a date; the message of an unreadable one.
    fn time(
        &self,
        rec: &Value,
        name: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
        match self.field(rec, name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64().and_then(epoch_time)),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => parse_time(s).map(Some).ok_or_else(|| {
                format!("{name}: `{s}` is not an RFC 3339 time or a YYYY-MM-DD date")
            }),
            Some(other) => Err(format!("{name}: unexpected value {other}")),
        }
    }

    fn is_bot(&self, rec: &Value) -> bool {
        match self.field(rec, "bot") {
            Some(Value::Bool(b)) => *b,
            Some(v) => value_text(v).is_some_and(|t| truthy(&t)),
            None => false,
        }
    }

    /// `links` paths: a JSON pointer (`/a/b`) or dotted (`a.b`).
    fn links(&self, rec: &Value) -> Vec<Link> {
        links_from(&self.cfg, |attr| {
            let v = if attr.starts_with('/') {
                rec.pointer(attr)
            } else {
                dotted(rec, attr)
            };
            v.and_then(value_text)
        })
    }
}

/// One JSON document (a first page) as identities, as a `json` source maps it.
pub fn map_document(
    cfg: &SourceConfig,
    json: &Config,
    location: &str,
    bytes: &[u8],
) -> Result<Vec<Identity>, SourceError> {
    let source = JsonSource {
        cfg: cfg.clone(),
        json: json.clone(),
        client: None,
    };
    let doc = source.parse_doc(location, bytes)?;
    source.doc_identities(location, &doc, true)
}

#[async_trait]
impl RecordFile for JsonSource {
    fn config(&self) -> &SourceConfig {
        &self.cfg
    }

    async fn read(&self) -> Result<Vec<Identity>, SourceError> {
        self.read_records().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::testutil::{cfg as http_cfg, fast, fetch_err, fetch_ok};
    use crate::sources::{SourceKind, VendorConfig, build};
    use serde_json::json;
    use wiremock::matchers::{header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn with_fields(mut c: SourceConfig) -> SourceConfig {
        let mut json = Config {
            records: "/data/people".into(),
            next: Some("/paging/next".into()),
            ..Config::default()
        };
        for (k, v) in [
            ("id", "/uid"),
            ("email", "/mail"),
            ("emails", "/aliases"),
            ("first_name", "/name/first"),
            ("last_name", "/name/last"),
            ("status", "/active"),
            ("last_activity", "/seen"),
            ("bot", "/robot"),
        ] {
            json.fields.insert(k.into(), v.into());
        }
        c.vendor = VendorConfig::Json(json);
        c
    }

    fn page(ids: &[u32], next: Option<String>) -> serde_json::Value {
        let people: Vec<_> = ids
            .iter()
            .map(|i| {
                json!({"uid": i, "mail": format!("p{i}@x.example"), "aliases": [format!("alias{i}@x.example")],
                       "name": {"first": "P", "last": i.to_string()}, "active": i % 2 == 1,
                       "seen": 1_767_225_600, "robot": "no"})
            })
            .collect();
        json!({"data": {"people": people}, "paging": {"next": next}})
    }

    #[tokio::test]
    async fn three_pages_over_http_with_relative_next_links() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/people"))
            .and(query_param("page", "2"))
            .and(header("authorization", "Bearer jt"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(page(&[3, 4], Some("people?page=3".into()))),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/people"))
            .and(query_param("page", "3"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(&[5], None)))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/people"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(page(&[1, 2], Some("/people?page=2".into()))),
            )
            .expect(1)
            .mount(&server)
            .await;
        let c = with_fields(http_cfg(
            SourceKind::Json,
            &format!("{}/people", server.uri()),
        ));
        let ids = fetch_ok(&c, "jt").await;
        assert_eq!(ids.len(), 5);
        assert_eq!(ids[0].id, "1");
        assert_eq!(ids[0].name.as_deref(), Some("P 1"));
        assert_eq!(ids[0].emails, vec!["p1@x.example", "alias1@x.example"]);
        assert_eq!(ids[0].status, AccountStatus::Active);
        assert_eq!(ids[1].status, AccountStatus::Departed);
        assert_eq!(
            ids[0].last_activity.unwrap().to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
        server.verify().await;
    }

    #[tokio::test]
    async fn a_next_link_to_another_host_is_refused() {
        let server = MockServer::start().await;
        let other = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(page(&[1], Some(format!("{}/steal", other.uri())))),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(&[], None)))
            .expect(0)
            .mount(&other)
            .await;
        let c = with_fields(http_cfg(
            SourceKind::Json,
            &format!("{}/people", server.uri()),
        ));
        let e = fetch_err(&c, "jt-secret").await;
        assert!(e.contains("refused") && !e.contains("jt-secret"), "{e}");
        other.verify().await;
    }

    #[tokio::test]
    async fn local_files_follow_next_to_a_sibling_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.json"),
            page(&[1], Some("b.json".into())).to_string(),
        )
        .unwrap();
        std::fs::write(dir.path().join("b.json"), page(&[2], None).to_string()).unwrap();
        let mut c = with_fields(SourceConfig::new(
            "j",
            VendorConfig::default_for(SourceKind::Json),
            Location::File(dir.path().join("a.json")),
        ));
        c.http = fast();
        let ids = build(&c, &SourceContext::default())
            .unwrap()
            .fetch()
            .await
            .unwrap()
            .identities;
        assert_eq!(
            ids.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["1", "2"]
        );
    }

    #[tokio::test]
    async fn a_record_without_id_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        std::fs::write(&p, r#"{"data":{"people":[{"uid":1},{"mail":"a@b.c"}]}}"#).unwrap();
        let c = with_fields(SourceConfig::new(
            "j",
            VendorConfig::default_for(SourceKind::Json),
            Location::File(p),
        ));
        let e = build(&c, &SourceContext::default())
            .unwrap()
            .fetch()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.json: record 1") && e.contains("no id at `/uid`"),
            "{e}"
        );
    }
}
