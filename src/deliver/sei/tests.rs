use super::*;
use crate::sources::testutil::{SEI_TABLE as TABLE, ctx, harness_cfg};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request as Received, ResponseTemplate};

const DEVELOPERS: &str = "/prod1/sei/api/v2/developers";

fn api(server: &MockServer) -> SeiApi {
    SeiApi::of(
        &harness_cfg("https://app.harness.io", &server.uri()),
        &ctx("k"),
    )
    .unwrap()
}

/// The multipart body's one part, as curl's `-F "file=@developers.csv;type=text/csv"` sends it.
fn assert_file_part(r: &Received, csv: &str) {
    let content_type = r.headers.get("content-type").unwrap().to_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not multipart: {content_type}"));
    let body = String::from_utf8_lossy(&r.body);
    let part = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"developers.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    assert_eq!(body, part);
}

async fn mount_upload(server: &MockServer, status: u16, answer: Value) {
    Mock::given(method("PUT"))
        .and(path(DEVELOPERS))
        .respond_with(ResponseTemplate::new(status).set_body_json(answer))
        .expect(1)
        .mount(server)
        .await;
}

async fn no_activation(server: &MockServer) {
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(server)
        .await;
}

#[tokio::test]
async fn upload_is_a_multipart_file_part_then_the_version_is_activated() {
    let sei = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(DEVELOPERS))
        .and(header("authorization", "ApiKey k"))
        .and(header("accept", "application/json"))
        .and(header("harness-account", "AbCdEf123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"versionId": "v-7", "summary": {"added": 1, "updated": 0, "removed": 0}}),
        ))
        .expect(1)
        .mount(&sei)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{DEVELOPERS}/versions/v-7")))
        .and(header("authorization", "ApiKey k"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"active": true})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"versionId": "v-7"})))
        .expect(1)
        .mount(&sei)
        .await;
    let version = upload_developers(&api(&sei), TABLE).await.unwrap();
    assert_eq!(version, "v-7");
    sei.verify().await;
    let received = sei.received_requests().await.unwrap();
    let order: Vec<&str> = received.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(order, ["PUT", "PATCH"]);
    assert_file_part(&received[0], TABLE);
}

#[tokio::test]
async fn the_version_id_may_come_in_a_data_envelope() {
    let sei = MockServer::start().await;
    mount_upload(
        &sei,
        200,
        json!({"status": "SUCCESS", "data": {"versionId": 42}}),
    )
    .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{DEVELOPERS}/versions/42")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&sei)
        .await;
    assert_eq!(upload_developers(&api(&sei), TABLE).await.unwrap(), "42");
    sei.verify().await;
}

#[tokio::test]
async fn a_412_says_to_finish_the_first_time_setup_and_activates_nothing() {
    let sei = MockServer::start().await;
    mount_upload(&sei, 412, json!({"message": "Precondition Failed"})).await;
    no_activation(&sei).await;
    let e = upload_developers(&api(&sei), TABLE).await.unwrap_err();
    assert!(matches!(e, SeiError::SetupIncomplete { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("412 Precondition Failed") && text.contains("field mappings"),
        "{text}"
    );
    sei.verify().await;
}

/// Harness's documented error structure, with two of its error types.
fn failure() -> Value {
    json!({"status": "FAILURE", "errors": [
        {"errorType": "DUPLICATE_EMAIL", "fieldName": "email", "errorDeveloperCount": 2,
         "sampleErrorDevelopers": [{"name": "Ada", "email": "ada@acme.example"},
                                   {"name": "Ada L", "email": "ADA@acme.example"}]},
        {"errorType": "MANAGER_EMAIL_MISSING_IN_DEVELOPER_EMAILS", "fieldName": "manager_email",
         "errorDeveloperCount": 1,
         "sampleErrorDevelopers": [{"manager_email": "gone@acme.example", "Email": "bob@acme.example"}]},
        {"errorType": "EMPTY_CSV", "fieldName": null, "errorDeveloperCount": 0, "sampleErrorDevelopers": []}
    ]})
}

#[tokio::test]
async fn a_failure_answer_becomes_one_line_per_error_and_activates_nothing() {
    let sei = MockServer::start().await;
    mount_upload(&sei, 400, failure()).await;
    no_activation(&sei).await;
    let e = upload_developers(&api(&sei), TABLE).await.unwrap_err();
    let SeiError::Rejected { problems, what, .. } = &e else {
        panic!("{e:?}");
    };
    assert_eq!(*what, "upload");
    assert_eq!(
        problems,
        &[
            "DUPLICATE_EMAIL (email): 2 developers, e.g. ada@acme.example, ADA@acme.example",
            "MANAGER_EMAIL_MISSING_IN_DEVELOPER_EMAILS (manager_email): 1 developers, e.g. bob@acme.example",
            "EMPTY_CSV: 0 developers",
        ]
    );
    assert!(e.to_string().contains("nothing was saved"), "{e}");
    sei.verify().await;
}

#[tokio::test]
async fn a_failure_answered_with_200_is_still_a_failure() {
    let sei = MockServer::start().await;
    mount_upload(&sei, 200, failure()).await;
    no_activation(&sei).await;
    let e = upload_developers(&api(&sei), TABLE).await.unwrap_err();
    assert!(matches!(e, SeiError::Rejected { .. }), "{e:?}");
    sei.verify().await;
}

#[tokio::test]
async fn an_answer_without_a_version_activates_nothing_and_says_so() {
    let sei = MockServer::start().await;
    mount_upload(
        &sei,
        200,
        json!({"status": "SUCCESS", "data": {"id": "not-the-field"}}),
    )
    .await;
    no_activation(&sei).await;
    let e = upload_developers(&api(&sei), TABLE)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("names no versionId") && e.contains("not-the-field"),
        "{e}"
    );
    sei.verify().await;
}

#[tokio::test]
async fn upload_is_not_retried_after_a_502_but_is_after_a_429() {
    let sei = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(DEVELOPERS))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&sei)
        .await;
    Mock::given(method("PUT"))
        .and(path(DEVELOPERS))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&sei)
        .await;
    let e = upload_developers(&api(&sei), TABLE)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not retried"), "{e}");
    sei.verify().await;
}

#[tokio::test]
async fn identities_are_patched_as_the_documented_json_list() {
    let sei = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("{DEVELOPERS}/identities")))
        .and(header("authorization", "ApiKey k"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!([
            {"email": "ada@acme.example", "integrationId": 101, "identity": "ada-gh"},
            {"email": "bob@acme.example", "integrationId": 202, "identity": "5b10ac8d82e05b22cc7d4ef5"}
        ])))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "success", "message": "Developer identities updated successfully."}),
        ))
        .expect(1)
        .mount(&sei)
        .await;
    let identities = [
        SeiIdentity {
            email: "ada@acme.example".into(),
            integration_id: 101,
            identity: "ada-gh".into(),
        },
        SeiIdentity {
            email: "bob@acme.example".into(),
            integration_id: 202,
            identity: "5b10ac8d82e05b22cc7d4ef5".into(),
        },
    ];
    patch_identities(&api(&sei), &identities).await.unwrap();
    sei.verify().await;
}

#[tokio::test]
async fn an_identities_error_answer_is_shown() {
    let sei = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"status": "error", "message": "Invalid payload or missing authorization."}),
        ))
        .expect(1)
        .mount(&sei)
        .await;
    let e = patch_identities(&api(&sei), &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("refused the identities") && e.contains("Invalid payload"),
        "{e}"
    );
}
