//! The writes to SEI, as Harness documents them (developer.harness.io, "Upload and Manage
//! Developer Records Using the Harness SEI API" and "Upload Developer Cloud IDs"; the documented
//! shapes are kept in `tests/fixtures/vendors/harness/`):
//!
//! - [`upload_developers`]: re-upload the developer table, `PUT {sei_url}/v2/developers` as
//!   `multipart/form-data` with the CSV in the part `file` (`text/csv`); SEI maps the columns with
//!   the field mappings saved at first setup and answers review data naming the new version's
//!   `versionId`; then activate it, `PATCH {sei_url}/v2/developers/versions/{versionId}` with
//!   `{"active": true}`.
//! - [`patch_identities`]: `PATCH {sei_url}/v2/developers/identities` with the JSON list
//!   `[{"email", "integrationId", "identity"}]` (add or update).
//!
//! What SEI answers is turned into something an admin can act on: `412 Precondition Failed` (the
//! first-time setup never saved field mappings) into what to do in SEI; a validation failure
//! (`{"status": "FAILURE", "errors": [{"errorType", "fieldName", "errorDeveloperCount",
//! "sampleErrorDevelopers"}]}`, checked before SEI saves anything) into one line per error.
//!
//! Never retries the upload or the activation after a 5xx or a timeout (both change state in SEI
//! and may have been received), never sends the key anywhere but `sei_url`'s host, and sends
//! exactly what it is given: what to send, and whether to, is the caller's decision.

use serde::Serialize;
use serde_json::{Value, json};

use crate::model::SeiIdentity;
use crate::sources::SourceError;
use crate::sources::common::value_text;
use crate::sources::harness::SeiApi;
use crate::sources::http::{Request, Response};

/// How many sample developers of one validation error a message names.
const SAMPLES_SHOWN: usize = 3;

/// Why a write to SEI did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SeiError {
    #[error(transparent)]
    Http(#[from] SourceError),
    /// 412: the developer records' first-time setup is not finished.
    #[error(
        "{source_name}: {url}: SEI answered 412 Precondition Failed: the developer records' \
         first-time setup is not finished. In SEI, upload a developer CSV once and save its field \
         mappings (Email, Name, Manager Email) — the Developers settings page, or \
         POST /v2/developers then PUT /v2/developers/versions/{{versionId}}/fieldMappings — and \
         run this again"
    )]
    SetupIncomplete { source_name: String, url: String },
    /// SEI validated the request and refused it; nothing was saved.
    #[error("{source_name}: {url}: SEI refused the {what}, nothing was saved:\n  {}", problems.join("\n  "))]
    Rejected {
        source_name: String,
        url: String,
        what: &'static str,
        problems: Vec<String>,
    },
    /// The upload was accepted, but its answer names no version to activate.
    #[error(
        "{source_name}: {url}: the upload answer names no versionId, so nothing was activated; \
         the new version waits for approval in SEI: {excerpt}"
    )]
    NoVersion {
        source_name: String,
        url: String,
        excerpt: String,
    },
}

/// Uploads `csv_text` as the new SEI developer table and activates it; returns the version id.
pub async fn upload_developers(api: &SeiApi, csv_text: &str) -> Result<String, SeiError> {
    let url = api.url("/v2/developers");
    let upload = Request::put(url)
        .not_idempotent()
        .header("accept", "application/json")
        .file_part("file", "developers.csv", "text/csv", csv_text.as_bytes())
        .keeping_client_errors();
    let resp = api.client.send(api.request(upload)).await?;
    let answer = read_answer(api, &resp, "upload")?;
    let version = version_id(&answer).ok_or_else(|| SeiError::NoVersion {
        source_name: api.source.clone(),
        url: resp.url.to_string(),
        excerpt: excerpt(&resp.body),
    })?;
    let seg: String = url::form_urlencoded::byte_serialize(version.as_bytes()).collect();
    let activate = Request::patch(api.url(&format!("/v2/developers/versions/{seg}")))
        .not_idempotent()
        .header("accept", "application/json")
        .json(&json!({"active": true}))
        .keeping_client_errors();
    let resp = api.client.send(api.request(activate)).await?;
    read_answer(api, &resp, "activation")?;
    Ok(version)
}

/// One entry of the identities PATCH body, in the field names of Harness's example.
#[derive(Serialize)]
struct IdentityBody<'a> {
    email: &'a str,
    #[serde(rename = "integrationId")]
    integration_id: u64,
    identity: &'a str,
}

/// Adds or updates these developer identities in SEI. An upsert: sending it twice leaves SEI as
/// sending it once, so it is retried like a read.
pub async fn patch_identities(api: &SeiApi, identities: &[SeiIdentity]) -> Result<(), SeiError> {
    let body: Vec<IdentityBody<'_>> = identities
        .iter()
        .map(|i| IdentityBody {
            email: &i.email,
            integration_id: i.integration_id,
            identity: &i.identity,
        })
        .collect();
    let body = serde_json::to_value(&body).unwrap_or(Value::Null);
    let patch = Request::patch(api.url("/v2/developers/identities"))
        .header("accept", "application/json")
        .json(&body)
        .keeping_client_errors();
    let resp = api.client.send(api.request(patch)).await?;
    read_answer(api, &resp, "identities")?;
    Ok(())
}

/// SEI's answer as JSON, or the error it stands for: 412, a validation failure, another 4xx.
fn read_answer(api: &SeiApi, resp: &Response, what: &'static str) -> Result<Value, SeiError> {
    if resp.status == reqwest::StatusCode::PRECONDITION_FAILED {
        return Err(SeiError::SetupIncomplete {
            source_name: api.source.clone(),
            url: resp.url.to_string(),
        });
    }
    let body: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    if let Some(problems) = failure_lines(&body) {
        return Err(SeiError::Rejected {
            source_name: api.source.clone(),
            url: resp.url.to_string(),
            what,
            problems,
        });
    }
    api.client.refuse_failure(&resp.url, resp)?;
    Ok(body)
}

/// The version a re-upload created: `versionId` (the field Harness's page names), at the top of
/// the answer or in a `data` envelope.
fn version_id(answer: &Value) -> Option<String> {
    answer
        .get("versionId")
        .or_else(|| answer.get("data").and_then(|d| d.get("versionId")))
        .and_then(value_text)
}

/// One readable line per error of a failure answer (`status: FAILURE`, or the identities API's
/// `status: error` with a `message`); `None` for any other answer.
fn failure_lines(body: &Value) -> Option<Vec<String>> {
    let status = body.get("status")?.as_str()?;
    if status.eq_ignore_ascii_case("error") {
        let message = body.get("message").and_then(value_text);
        return Some(vec![message.unwrap_or_else(|| "error (no message)".into())]);
    }
    if !status.eq_ignore_ascii_case("FAILURE") {
        return None;
    }
    let errors = body.get("errors").and_then(Value::as_array);
    let lines: Vec<String> = errors.into_iter().flatten().map(error_line).collect();
    if lines.is_empty() {
        return Some(vec!["FAILURE (SEI listed no errors)".into()]);
    }
    Some(lines)
}

/// `DUPLICATE_EMAIL (email): 2 developers, e.g. a@x.example, b@x.example`.
fn error_line(error: &Value) -> String {
    let kind = error
        .get("errorType")
        .and_then(value_text)
        .unwrap_or_else(|| "ERROR".into());
    let mut line = kind;
    if let Some(field) = error.get("fieldName").and_then(value_text) {
        line.push_str(&format!(" ({field})"));
    }
    if let Some(count) = error.get("errorDeveloperCount").and_then(value_text) {
        line.push_str(&format!(": {count} developers"));
    }
    let samples: Vec<String> = error
        .get("sampleErrorDevelopers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(sample_name)
        .take(SAMPLES_SHOWN)
        .collect();
    if !samples.is_empty() {
        line.push_str(&format!(", e.g. {}", samples.join(", ")));
    }
    line
}

/// How a sample developer is named: its `email`, else a field naming an email, else its first
/// text value.
fn sample_name(sample: &Value) -> Option<String> {
    let fields = sample.as_object()?;
    let by_key = |wanted: fn(&str) -> bool| {
        fields
            .iter()
            .find(|(k, _)| wanted(&k.to_ascii_lowercase()))
            .and_then(|(_, v)| value_text(v))
    };
    by_key(|k| k == "email")
        .or_else(|| by_key(|k| k.contains("email") && !k.contains("manager")))
        .or_else(|| fields.values().find_map(value_text))
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(200).collect()
}

#[cfg(test)]
mod tests;
