//! Kind `harness`: the SEI subscription and the developer table as SEI holds it. Licensing comes
//! from `GET {url}/ng/api/licenses/modules/{account}?moduleType=SEI` (the latest ACTIVE module
//! license: `numberOfContributors`, `startTime` / `expiryTime` in epoch ms); the table from SEI
//! `GET {sei_url}/v2/developers` as CSV.
//!
//! Never changes anything in Harness: it only reads (the upload of `developers export --push` is
//! `deliver::sei`).

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::common::{
    epoch_time, http_base, join_path, lenient, non_empty, push_email, required_token,
};
use super::http::{Auth, HttpClient, Request, Response, redact_url};
use super::spec::{FieldError, KindConfig, SourceConfig, SourceKind, http_url_key, required};
use super::{FetchOutput, Source, SourceContext, SourceError};
use crate::model::{Identity, SeiRow, Subscription};

/// The Harness platform (licensing) for accounts on the shared SaaS cluster.
pub const DEFAULT_URL: &str = "https://app.harness.io";

/// Kind `harness`'s own settings.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The Harness account identifier.
    pub account: String,
    /// The region's SEI API (`https://app.harness.io/prod1/sei/api`, …): SEI's developer table is read
    /// (and pushed) there; without it only the license is read.
    pub sei_url: Option<Url>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    account: Option<String>,
    sei_url: Option<String>,
}

impl KindConfig for Config {
    type Raw = RawConfig;

    fn build(raw: RawConfig) -> Result<Config, FieldError> {
        Ok(Config {
            account: required(raw.account, "account", SourceKind::Harness)?,
            sei_url: match raw.sei_url {
                Some(u) => Some(http_url_key(&u, "sei_url")?),
                None => None,
            },
        })
    }
}

#[derive(Deserialize)]
struct ResponseDto {
    #[serde(default)]
    data: Value,
}

/// A module license; every field lenient (an odd-typed one loses only itself, and a license
/// without a readable count is not counted).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModuleLicense {
    #[serde(default, deserialize_with = "lenient")]
    module_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    number_of_contributors: Option<u64>,
    #[serde(default, deserialize_with = "lenient")]
    start_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    expiry_time: Option<i64>,
}

#[derive(Debug)]
pub(crate) struct HarnessSource {
    cfg: SourceConfig,
    account: String,
    base: Url,
    sei_url: Option<Url>,
    platform: HttpClient,
    sei: Option<HttpClient>,
}

impl HarnessSource {
    pub(crate) fn new(
        cfg: &SourceConfig,
        harness: &Config,
        ctx: &SourceContext,
    ) -> Result<HarnessSource, SourceError> {
        let token = required_token(cfg, ctx)?;
        let account = harness.account.clone();
        let base = http_base(cfg)?;
        let platform = HttpClient::new(
            &cfg.name,
            &base,
            cfg.http,
            Auth::ApiKey(token.clone()),
            ctx.cache.clone(),
        )?;
        let sei = match &harness.sei_url {
            Some(u) => Some(HttpClient::new(
                &cfg.name,
                u,
                cfg.http,
                Auth::ApiKey(token),
                ctx.cache.clone(),
            )?),
            None => None,
        };
        Ok(HarnessSource {
            cfg: cfg.clone(),
            account,
            base,
            sei_url: harness.sei_url.clone(),
            platform,
            sei,
        })
    }

    fn license_url(&self) -> Url {
        let account: String =
            url::form_urlencoded::byte_serialize(self.account.as_bytes()).collect();
        let mut url = join_path(&self.base, &format!("/ng/api/licenses/modules/{account}"));
        url.query_pairs_mut()
            .append_pair("moduleType", "SEI")
            .append_pair("accountIdentifier", &self.account);
        url
    }

    async fn subscription(&self) -> Result<Option<Subscription>, SourceError> {
        let resp = self.platform.get(self.license_url()).await?;
        map_license(&self.cfg, &resp)
    }

    async fn sei_table(&self) -> Result<Option<Vec<SeiRow>>, SourceError> {
        let (Some(sei), Some(sei_url)) = (&self.sei, &self.sei_url) else {
            return Ok(None);
        };
        let url = join_path(sei_url, "/v2/developers");
        let resp = sei
            .send(
                Request::get(url.clone())
                    .header("accept", "text/csv")
                    .header("harness-account", &self.account),
            )
            .await?;
        let text = resp.text(&self.cfg.name)?;
        parse_sei_csv(&self.cfg.name, &redact_url(&url), text).map(Some)
    }

    fn identity(&self, row: &SeiRow) -> Identity {
        let mut emails = Vec::new();
        push_email(&mut emails, Some(&row.email));
        Identity {
            source: self.cfg.name.clone(),
            id: row.email.to_lowercase(),
            emails,
            name: non_empty(Some(&row.full_name)),
            title: row.role.clone(),
            department: row.department.clone(),
            manager_email: row.manager_email.clone(),
            directory: self.cfg.directory,
            ..Identity::default()
        }
    }
}

#[async_trait]
impl Source for HarnessSource {
    fn config(&self) -> &SourceConfig {
        &self.cfg
    }

    async fn fetch(&self) -> Result<FetchOutput, SourceError> {
        let subscription = self.subscription().await?;
        let sei_table = self.sei_table().await?;
        let identities = sei_table
            .iter()
            .flatten()
            .map(|row| self.identity(row))
            .collect();
        Ok(FetchOutput {
            identities,
            subscription,
            sei_table,
        })
    }

    async fn check(&self) -> Result<String, SourceError> {
        match self.subscription().await? {
            Some(s) => Ok(format!(
                "Harness account {}: SEI license for {} developers ({} to {})",
                self.account,
                s.licenses_purchased,
                s.period_start
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "?".into()),
                s.period_end
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "?".into()),
            )),
            None => Ok(format!(
                "Harness account {}: reachable, but no ACTIVE SEI license",
                self.account
            )),
        }
    }
}

/// The licensing answer (a `ResponseDTO` of module licenses): the ACTIVE SEI license with the
/// latest window, as the subscription; None when there is none.
pub fn map_license(
    cfg: &SourceConfig,
    resp: &Response,
) -> Result<Option<Subscription>, SourceError> {
    let dto: ResponseDto = resp.json(&cfg.name)?;
    let items = match dto.data {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        other => vec![other],
    };
    let mut best: Option<ModuleLicense> = None;
    for item in items {
        let lic: ModuleLicense = serde_json::from_value(item).map_err(|e| SourceError::Data {
            source_name: cfg.name.clone(),
            location: redact_url(&resp.url),
            message: format!("unexpected module license: {e}"),
        })?;
        let active = lic
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("ACTIVE"));
        let sei = lic
            .module_type
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case("SEI"));
        if !active || !sei || lic.number_of_contributors.is_none() {
            continue;
        }
        let newer = best
            .as_ref()
            .is_none_or(|b| (lic.start_time, lic.expiry_time) > (b.start_time, b.expiry_time));
        if newer {
            best = Some(lic);
        }
    }
    let Some(lic) = best else {
        tracing::warn!(source = %cfg.name, "no ACTIVE SEI module license found");
        return Ok(None);
    };
    let date = |ms: Option<i64>| {
        ms.and_then(|m| epoch_time(m as f64))
            .map(|t| t.date_naive())
    };
    Ok(Some(Subscription {
        licenses_purchased: lic.number_of_contributors.unwrap_or(0),
        period_start: date(lic.start_time),
        period_end: date(lic.expiry_time),
    }))
}

/// The SEI developer CSV (SPEC §5 columns, header case-insensitive, `Name` / `Display Name`
/// accepted for `Full Name`). Rows without an email are skipped with a warning; the strict
/// validation of imports lives in `sei_csv`.
pub fn parse_sei_csv(source: &str, location: &str, text: &str) -> Result<Vec<SeiRow>, SourceError> {
    let err = |line: Option<u64>, message: String| SourceError::Data {
        source_name: source.to_string(),
        location: match line {
            Some(l) => format!("{location}:{l}"),
            None => location.to_string(),
        },
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| err(Some(1), format!("cannot read the header: {e}")))?
        .clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let email = col(&["Email"]).ok_or_else(|| err(Some(1), "no Email column".into()))?;
    let manager = col(&["Manager Email"]);
    let name = col(&["Full Name", "Name", "Display Name"]);
    let role = col(&["Role"]);
    let site = col(&["Site"]);
    let team = col(&["Team"]);
    let sub_role = col(&["Sub Role"]);
    let department = col(&["Department"]);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| err(e.position().map(|p| p.line()), e.to_string()))?;
        let cell = |i: Option<usize>| i.and_then(|i| non_empty(record.get(i)));
        let Some(email_value) = cell(Some(email)) else {
            tracing::warn!(
                source,
                line = record.position().map(|p| p.line()),
                "SEI row without an email skipped"
            );
            continue;
        };
        rows.push(SeiRow {
            email: email_value,
            manager_email: cell(manager),
            full_name: cell(name).unwrap_or_default(),
            role: cell(role),
            site: cell(site),
            team: cell(team),
            sub_role: cell(sub_role),
            department: cell(department),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::VendorConfig;
    use crate::sources::testutil::{SEI_TABLE as TABLE, ctx, harness_cfg};
    use crate::sources::{MemoryHttpCache, build};
    use serde_json::json;
    use std::sync::Arc;
    use wiremock::matchers::{header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn licenses() -> Value {
        json!({"status": "SUCCESS", "data": [
            {"id": "old", "accountIdentifier": "AbCdEf123", "moduleType": "SEI", "edition": "ENTERPRISE",
             "licenseType": "PAID", "status": "ACTIVE", "numberOfContributors": 300,
             "startTime": 1_704_067_200_000_i64, "expiryTime": 1_735_603_200_000_i64},
            {"id": "new", "accountIdentifier": "AbCdEf123", "moduleType": "SEI", "status": "ACTIVE",
             "numberOfContributors": 500, "startTime": 1_767_225_600_000_i64, "expiryTime": 1_798_675_200_000_i64},
            {"id": "gone", "moduleType": "SEI", "status": "EXPIRED", "numberOfContributors": 900,
             "startTime": 1_800_000_000_000_i64, "expiryTime": 1_900_000_000_000_i64}
        ], "metaData": null, "correlationId": "c"})
    }

    #[tokio::test]
    async fn subscription_and_table_with_the_api_key() {
        let platform = MockServer::start().await;
        let sei = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/ng/api/licenses/modules/AbCdEf123"))
            .and(query_param("moduleType", "SEI"))
            .and(header("x-api-key", "pat.harness"))
            .respond_with(ResponseTemplate::new(200).set_body_json(licenses()))
            .expect(1)
            .mount(&platform)
            .await;
        Mock::given(method("GET"))
            .and(path("/prod1/sei/api/v2/developers"))
            .and(header("x-api-key", "pat.harness"))
            .and(header("accept", "text/csv"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "text/csv")
                    .set_body_string(TABLE),
            )
            .expect(1)
            .mount(&sei)
            .await;
        let out = build(
            &harness_cfg(&platform.uri(), &sei.uri()),
            &ctx("pat.harness"),
        )
        .unwrap()
        .fetch()
        .await
        .unwrap();
        let s = out.subscription.unwrap();
        assert_eq!(s.licenses_purchased, 500);
        assert_eq!(s.period_start.unwrap().to_string(), "2026-01-01");
        assert_eq!(s.period_end.unwrap().to_string(), "2026-12-31");
        let table = out.sei_table.unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(table[0].full_name, "Ada Lovelace");
        assert_eq!(table[0].role.as_deref(), Some("Engineer"));
        assert_eq!(table[0].manager_email.as_deref(), Some("boss@acme.example"));
        assert_eq!(out.identities[0].id, "ada@acme.example");
        assert_eq!(out.identities[0].source, "sei");
        platform.verify().await;
        sei.verify().await;
    }

    #[tokio::test]
    async fn retries_then_succeeds_and_401_is_clear() {
        let platform = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .mount(&platform)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(502))
            .up_to_n_times(1)
            .mount(&platform)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(licenses()))
            .expect(1)
            .mount(&platform)
            .await;
        let mut c = harness_cfg(&platform.uri(), "http://unused.invalid");
        if let VendorConfig::Harness(h) = &mut c.vendor {
            h.sei_url = None;
        }
        let out = build(&c, &ctx("k")).unwrap().fetch().await.unwrap();
        assert_eq!(out.subscription.unwrap().licenses_purchased, 500);
        platform.verify().await;

        let denied = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401))
            .expect(1)
            .mount(&denied)
            .await;
        let e = build(
            &harness_cfg(&denied.uri(), &denied.uri()),
            &ctx("pat.SECRET"),
        )
        .unwrap()
        .fetch()
        .await
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("rejected the credentials (HTTP 401)") && !e.contains("pat.SECRET"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn etag_round_trip_on_the_table() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(header("if-none-match", "\"t1\""))
            .respond_with(ResponseTemplate::new(304))
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/ng/api/licenses/modules/AbCdEf123"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"t1\"")
                    .set_body_json(licenses()),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/prod1/sei/api/v2/developers"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"t1\"")
                    .set_body_string(TABLE),
            )
            .expect(1)
            .mount(&server)
            .await;
        let mut context = ctx("k");
        context.cache = Some(Arc::new(MemoryHttpCache::default()));
        let src = build(&harness_cfg(&server.uri(), &server.uri()), &context).unwrap();
        let a = src.fetch().await.unwrap();
        let b = src.fetch().await.unwrap();
        assert_eq!(a.sei_table, b.sei_table);
        assert_eq!(a.subscription, b.subscription);
        server.verify().await;
    }

    #[test]
    fn sei_csv_without_email_column_is_refused() {
        let e = parse_sei_csv("sei", "u", "Name,Team\nA,B\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("u:1") && e.contains("no Email column"), "{e}");
    }
}
