//! The SEI developer table upload: `PUT {sei_url}/v2/developers` with the CSV, then activating the
//! version SEI answers with, through the configured `harness` source's `sei_url` and API key.
//!
//! Never retries either call after a 5xx or a timeout (both change state in SEI and may have been
//! received), never sends the key anywhere but `sei_url`'s host, and sends exactly the CSV it is
//! given.

use serde_json::Value;

use crate::sources::common::{config_error, join_path, required_token, value_text};
use crate::sources::http::{Auth, HttpClient, Request};
use crate::sources::{SourceConfig, SourceContext, SourceError, VendorConfig};

/// Uploads `csv_text` as the new SEI developer table and activates it; returns the version.
///
/// The Harness docs describe the developer records API as upload → (re)upload → approve, without
/// a stable public schema for the re-upload response. This speaks the shape we settled on:
/// `PUT {sei_url}/v2/developers` with `Content-Type: text/csv` answers JSON carrying the new
/// version (`version`, `versionId`, `uploadId` or `id`, at the top level or under `data`), then
/// `POST {sei_url}/v2/developers/versions/{version}/activate` makes it live. Both calls carry
/// `x-api-key` and `Harness-Account`.
pub async fn push_developers(
    cfg: &SourceConfig,
    ctx: &SourceContext,
    csv_text: &str,
) -> Result<String, SourceError> {
    let VendorConfig::Harness(harness) = &cfg.vendor else {
        return Err(config_error(cfg, "is not a `harness` source"));
    };
    let token = required_token(cfg, ctx)?;
    let account = harness.account.clone();
    let sei_url = harness
        .sei_url
        .clone()
        .ok_or_else(|| config_error(cfg, "sei_url is required to push developers"))?;
    let client = HttpClient::new(&cfg.name, &sei_url, cfg.http, Auth::ApiKey(token), None)?;
    let url = join_path(&sei_url, "/v2/developers");
    let resp = client
        .send(
            Request::put(url.clone())
                .not_idempotent()
                .header("harness-account", &account)
                .header("accept", "application/json")
                .text("text/csv", csv_text),
        )
        .await?;
    let body: Value = resp.json(&cfg.name)?;
    let version = ["version", "versionId", "uploadId", "id"]
        .iter()
        .find_map(|k| {
            body.get(k)
                .or_else(|| body.get("data").and_then(|d| d.get(k)))
                .and_then(value_text)
        })
        .ok_or_else(|| SourceError::Data {
            source_name: cfg.name.clone(),
            location: url.to_string(),
            message: "the upload answer names no version (version, versionId, uploadId or id)"
                .into(),
        })?;
    let seg: String = url::form_urlencoded::byte_serialize(version.as_bytes()).collect();
    let activate = join_path(&sei_url, &format!("/v2/developers/versions/{seg}/activate"));
    client
        .send(
            Request::post(activate)
                .not_idempotent()
                .header("harness-account", &account)
                .header("accept", "application/json"),
        )
        .await?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::testutil::{SEI_TABLE as TABLE, ctx, harness_cfg};
    use serde_json::json;
    use wiremock::matchers::{body_string, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[tokio::test]
    async fn push_uploads_then_activates_the_version() {
        let sei = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path("/prod1/sei/api/v2/developers"))
            .and(header("x-api-key", "k"))
            .and(header("content-type", "text/csv"))
            .and(body_string(TABLE))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"version": 7}})))
            .expect(1)
            .mount(&sei)
            .await;
        Mock::given(method("POST"))
            .and(path("/prod1/sei/api/v2/developers/versions/7/activate"))
            .and(header("x-api-key", "k"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "ACTIVE"})))
            .expect(1)
            .mount(&sei)
            .await;
        let v = push_developers(
            &harness_cfg("https://app.harness.io", &sei.uri()),
            &ctx("k"),
            TABLE,
        )
        .await
        .unwrap();
        assert_eq!(v, "7");
        sei.verify().await;
    }

    #[tokio::test]
    async fn upload_is_not_retried_after_a_502_but_is_after_a_429() {
        let sei = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path("/prod1/sei/api/v2/developers"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
            .up_to_n_times(1)
            .expect(1)
            .mount(&sei)
            .await;
        Mock::given(method("PUT"))
            .and(path("/prod1/sei/api/v2/developers"))
            .respond_with(ResponseTemplate::new(502))
            .expect(1)
            .mount(&sei)
            .await;
        let e = push_developers(
            &harness_cfg("https://app.harness.io", &sei.uri()),
            &ctx("k"),
            TABLE,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.contains("not retried"), "{e}");
        sei.verify().await;
    }
}
