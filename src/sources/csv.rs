//! Kind `csv`: one CSV file (a local path, a `file://` URL, or an HTTP(S) URL read with
//! `Authorization: Bearer`) turned into identities through the `columns`, `status` and `links`
//! settings.
//!
//! Never guesses at bad data: a value that cannot be read is an error naming the file or URL, the
//! line and the column.

use std::collections::HashMap;

use async_trait::async_trait;
use serde::Deserialize;

use super::common::{
    config_error, file_or_http_client, links_from, map_status, non_empty, parse_time, push_email,
    split_emails, truthy,
};
use super::http::{HttpClient, Request};
use super::spec::{FieldError, KindConfig, Location, SourceConfig, StatusValues};
use super::{RecordFile, SourceContext, SourceError, read_location};
use crate::model::{AccountStatus, Identity};

/// Kind `csv`'s own settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Which column feeds which identity field (unmapped fields default to a header of that name).
    pub columns: Columns,
    /// Values of the status column that mean active, suspended and departed.
    pub status: StatusValues,
}

/// Which CSV column feeds which identity field.
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    columns: Columns,
    #[serde(default)]
    status: StatusValues,
}

impl KindConfig for Config {
    type Raw = RawConfig;

    fn build(raw: RawConfig) -> Result<Config, FieldError> {
        Ok(Config {
            columns: raw.columns,
            status: raw.status,
        })
    }
}

#[derive(Debug)]
pub(crate) struct CsvSource {
    cfg: SourceConfig,
    csv: Config,
    client: Option<HttpClient>,
}

impl CsvSource {
    pub(crate) fn new(
        cfg: &SourceConfig,
        csv: &Config,
        ctx: &SourceContext,
    ) -> Result<CsvSource, SourceError> {
        let client = file_or_http_client(cfg, ctx)?;
        Ok(CsvSource {
            cfg: cfg.clone(),
            csv: csv.clone(),
            client,
        })
    }

    async fn read_records(&self) -> Result<Vec<Identity>, SourceError> {
        let bytes = match (&self.cfg.location, &self.client) {
            (Location::Http(url), Some(client)) => {
                client
                    .send(Request::get(url.clone()).header("accept", "text/csv, */*;q=0.5"))
                    .await?
                    .body
            }
            (Location::File(path), _) => read_location(&self.cfg, path).await?,
            (Location::Http(_), None) => {
                return Err(config_error(
                    &self.cfg,
                    "no HTTP client for an HTTP location",
                ));
            }
        };
        parse(&self.cfg, &self.csv, &self.cfg.location.to_string(), &bytes)
    }
}

#[async_trait]
impl RecordFile for CsvSource {
    fn config(&self) -> &SourceConfig {
        &self.cfg
    }

    async fn read(&self) -> Result<Vec<Identity>, SourceError> {
        self.read_records().await
    }
}

fn configured(columns: &Columns, field: &str) -> Option<String> {
    let c = match field {
        "id" => &columns.id,
        "name" => &columns.name,
        "email" => &columns.email,
        "emails" => &columns.emails,
        "login" => &columns.login,
        "employee_id" => &columns.employee_id,
        "title" => &columns.title,
        "department" => &columns.department,
        "manager_email" => &columns.manager_email,
        "status" => &columns.status,
        "last_activity" => &columns.last_activity,
        "created_at" => &columns.created_at,
        "bot" => &columns.bot,
        _ => &None,
    };
    c.clone()
}

/// Header text compared loosely: case, spaces, dashes and underscores do not matter.
fn loose(h: &str) -> String {
    h.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where errors point: the source, and the file or URL (with a line when there is one).
struct Place<'a> {
    cfg: &'a SourceConfig,
    location: &'a str,
}

impl Place<'_> {
    fn error(&self, line: Option<u64>, message: String) -> SourceError {
        SourceError::Data {
            source_name: self.cfg.name.clone(),
            location: match line {
                Some(l) => format!("{}:{l}", self.location),
                None => self.location.to_string(),
            },
            message,
        }
    }
}

/// Where each identity field is in the file, read from its header once.
struct Layout {
    headers: csv::StringRecord,
    /// Identity field → column index.
    fields: HashMap<&'static str, usize>,
    /// Each `links` column (its header as configured) and its index.
    links: Vec<(String, usize)>,
    /// The column ids come from: `id`, else `email` (then lowercased).
    id_col: usize,
}

impl Layout {
    fn read(
        cfg: &SourceConfig,
        columns: &Columns,
        headers: csv::StringRecord,
        place: &Place<'_>,
    ) -> Result<Layout, SourceError> {
        let find = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
        };
        let missing = |col: &str, key: String| {
            place.error(
                Some(1),
                format!("column `{col}` ({key}) is not in the header"),
            )
        };
        let mut fields = HashMap::new();
        for field in super::common::IDENTITY_FIELDS {
            match configured(columns, field) {
                Some(col) => {
                    let i = find(&col).ok_or_else(|| missing(&col, format!("columns.{field}")))?;
                    fields.insert(field, i);
                }
                None => {
                    if let Some(i) = headers.iter().position(|h| loose(h) == loose(field)) {
                        fields.insert(field, i);
                    }
                }
            }
        }
        let mut links = Vec::new();
        for (other, col) in &cfg.links {
            let i = find(col).ok_or_else(|| missing(col, format!("links.{other}")))?;
            links.push((col.clone(), i));
        }
        let Some(&id_col) = fields.get("id").or(fields.get("email")) else {
            return Err(place.error(
                Some(1),
                "no id column (set columns.id, or add an `id` or `email` header)".into(),
            ));
        };
        Ok(Layout {
            headers,
            fields,
            links,
            id_col,
        })
    }

    fn col_name(&self, i: usize) -> String {
        self.headers.get(i).unwrap_or("?").to_string()
    }
}

/// One data row, read through the layout.
struct Row<'a> {
    layout: &'a Layout,
    record: &'a csv::StringRecord,
    line: Option<u64>,
    place: &'a Place<'a>,
}

impl Row<'_> {
    fn cell(&self, field: &str) -> Option<String> {
        let i = self.layout.fields.get(field)?;
        non_empty(self.record.get(*i))
    }

    fn id(&self) -> Result<String, SourceError> {
        let id_col = self.layout.id_col;
        let Some(id) = non_empty(self.record.get(id_col)) else {
            let message = format!("column `{}`: empty id", self.layout.col_name(id_col));
            return Err(self.place.error(self.line, message));
        };
        Ok(if self.layout.fields.contains_key("id") {
            id
        } else {
            id.to_lowercase()
        })
    }

    fn time(&self, field: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, SourceError> {
        let Some(v) = self.cell(field) else {
            return Ok(None);
        };
        parse_time(&v).map(Some).ok_or_else(|| {
            let col = self.layout.col_name(self.layout.fields[field]);
            let message =
                format!("column `{col}`: `{v}` is not an RFC 3339 time or a YYYY-MM-DD date");
            self.place.error(self.line, message)
        })
    }

    fn emails(&self) -> Vec<String> {
        let mut emails = Vec::new();
        push_email(&mut emails, self.cell("email").as_deref());
        if let Some(list) = self.cell("emails") {
            for e in split_emails(&list) {
                push_email(&mut emails, Some(e));
            }
        }
        emails
    }

    fn identity(&self, cfg: &SourceConfig, csv_cfg: &Config) -> Result<Identity, SourceError> {
        let id = self.id()?;
        let status = match self.cell("status") {
            Some(v) => map_status(&csv_cfg.status, &v),
            None if cfg.directory => AccountStatus::Active,
            None => AccountStatus::Unknown,
        };
        let links = links_from(cfg, |attr| {
            let (_, i) = self.layout.links.iter().find(|(c, _)| c == attr)?;
            non_empty(self.record.get(*i))
        });
        Ok(Identity {
            source: cfg.name.clone(),
            id,
            emails: self.emails(),
            login: self.cell("login"),
            name: self.cell("name"),
            employee_id: self.cell("employee_id"),
            title: self.cell("title"),
            department: self.cell("department"),
            manager_email: self.cell("manager_email"),
            status,
            is_bot: self.cell("bot").is_some_and(|v| truthy(&v)),
            last_activity: self.time("last_activity")?,
            created_at: self.time("created_at")?,
            links,
            directory: cfg.directory,
        })
    }
}

/// Parses the CSV text into identities. `location` names the file / URL in errors.
pub fn parse(
    cfg: &SourceConfig,
    csv_cfg: &Config,
    location: &str,
    bytes: &[u8],
) -> Result<Vec<Identity>, SourceError> {
    let place = Place { cfg, location };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| place.error(Some(1), format!("cannot read the header: {e}")))?
        .clone();
    let layout = Layout::read(cfg, &csv_cfg.columns, headers, &place)?;
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            place.error(line, format!("{e}"))
        })?;
        let row = Row {
            layout: &layout,
            line: record.position().map(|p| p.line()),
            record: &record,
            place: &place,
        };
        out.push(row.identity(cfg, csv_cfg)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::testutil::{cfg as http_cfg, fetch_err, fetch_ok};
    use crate::sources::{Secrets, SourceKind, VendorConfig, build};
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn file_cfg(path: &std::path::Path) -> SourceConfig {
        file_cfg_with(path, Config::default())
    }

    fn file_cfg_with(path: &std::path::Path, csv: Config) -> SourceConfig {
        let mut c = SourceConfig::new(
            "contractors",
            VendorConfig::Csv(csv),
            Location::File(path.into()),
        );
        c.http = crate::sources::testutil::fast();
        c
    }

    #[tokio::test]
    async fn local_file_with_configured_columns_status_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.csv");
        std::fs::write(
            &p,
            "\u{feff}Contractor ID,Full Name,Email,Role,Status,GitHub,Last Active,Bot\n\
             C1,Ada Lovelace,ada@acme.example,Engineer,Active,ada-gh,2026-01-02,no\n\
             C2,Bob,bob@acme.example,,Ended,,2026-01-03T10:00:00Z,\n\
             C3,Ci,ci@acme.example,,Weird,,,yes\n\
             C4,Dee,dee@acme.example,,,,,\n",
        )
        .unwrap();
        let columns = Columns {
            id: Some("Contractor ID".into()),
            name: Some("Full Name".into()),
            email: Some("email".into()),
            title: Some("Role".into()),
            status: Some("Status".into()),
            last_activity: Some("Last Active".into()),
            ..Columns::default()
        };
        let status = StatusValues {
            active: vec!["active".into()],
            suspended: vec![],
            departed: vec!["Ended".into()],
        };
        let mut c = file_cfg_with(&p, Config { columns, status });
        c.directory = true;
        c.links.insert("github".into(), "GitHub".into());
        let src = build(&c, &SourceContext::default()).unwrap();
        let ids = src.fetch().await.unwrap().identities;
        assert_eq!(ids.len(), 4);
        assert_eq!(ids[0].id, "C1");
        assert_eq!(ids[0].name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(ids[0].title.as_deref(), Some("Engineer"));
        assert_eq!(ids[0].status, AccountStatus::Active);
        assert_eq!(ids[0].links[0].value, "ada-gh");
        assert_eq!(ids[0].links[0].source, "github");
        assert!(ids[0].directory && !ids[0].is_bot);
        assert_eq!(ids[1].status, AccountStatus::Departed);
        assert!(ids[1].last_activity.is_some());
        assert_eq!(ids[2].status, AccountStatus::Unknown);
        assert!(ids[2].is_bot, "default `bot` header is picked up");
        assert_eq!(
            ids[3].status,
            AccountStatus::Active,
            "empty status in a directory"
        );
    }

    #[tokio::test]
    async fn a_bad_date_names_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("people.csv");
        std::fs::write(
            &p,
            "id,email,last_activity\n1,a@x.example,2026-01-01\n2,b@x.example,soon\n",
        )
        .unwrap();
        let e = build(&file_cfg(&p), &SourceContext::default())
            .unwrap()
            .fetch()
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("people.csv:3"), "{e}");
        assert!(
            e.contains("column `last_activity`") && e.contains("`soon`"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_missing_configured_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.csv");
        std::fs::write(&p, "id,email\n1,a@x.example\n").unwrap();
        let columns = Columns {
            name: Some("Full Name".into()),
            ..Columns::default()
        };
        let c = file_cfg_with(
            &p,
            Config {
                columns,
                ..Config::default()
            },
        );
        let e = build(&c, &SourceContext::default())
            .unwrap()
            .fetch()
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`Full Name`") && e.contains("columns.name"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_ragged_row_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.csv");
        std::fs::write(&p, "id,email\n1,a@x.example\n2\n").unwrap();
        let e = build(&file_cfg(&p), &SourceContext::default())
            .unwrap()
            .fetch()
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("p.csv:3"), "{e}");
    }

    #[tokio::test]
    async fn over_http_with_bearer() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/export.csv"))
            .and(header("authorization", "Bearer vms-token"))
            .respond_with(
                ResponseTemplate::new(200).set_body_string("ID,Name,EMAIL\n7,Eve,eve@x.example\n"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let c = http_cfg(SourceKind::Csv, &format!("{}/export.csv", server.uri()));
        let ids = fetch_ok(&c, "vms-token").await;
        assert_eq!(ids[0].id, "7");
        assert_eq!(ids[0].email(), Some("eve@x.example"));
        assert_eq!(ids[0].status, AccountStatus::Unknown);
        server.verify().await;
    }

    #[tokio::test]
    async fn missing_token_variable_is_named_not_shown() {
        let c = http_cfg(SourceKind::Csv, "https://vms.example/x.csv");
        let e = build(
            &c,
            &SourceContext {
                secrets: Secrets::default(),
                ..SourceContext::default()
            },
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("TOKEN") && e.contains("not set"), "{e}");
    }

    #[tokio::test]
    async fn http_401_is_a_clear_error_without_the_token() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401))
            .expect(1)
            .mount(&server)
            .await;
        let c = http_cfg(SourceKind::Csv, &format!("{}/x.csv", server.uri()));
        let e = fetch_err(&c, "sekrit-csv").await;
        assert!(e.contains("rejected the credentials (HTTP 401)"), "{e}");
        assert!(!e.contains("sekrit-csv"));
        server.verify().await;
    }
}
