//! Microsoft Graph (`microsoftgraph/msgraph-metadata`, v1.0 CSDL) and the Microsoft identity
//! platform's v2.0 client-credentials page: the token request must be the page's shared-secret
//! form, every `$select` field must be a property of `microsoft.graph.user` (or a base type), and
//! the users answered are made from the CSDL types of exactly the fields selected, paged by
//! `@odata.nextLink`.

use serde_json::{Map, Value, json};
use url::form_urlencoded;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::*;

const SECRET: &str = "graph-contract-secret";
const TENANT: &str = "contoso.onmicrosoft.com";
/// OData system query options (OData 4.01 part 2, §5.1): not properties, so not in the CSDL.
const SYSTEM_OPTIONS: [&str; 7] = [
    "$select",
    "$top",
    "$skiptoken",
    "$filter",
    "$count",
    "$orderby",
    "$expand",
];
/// Users per made-up page, and pages.
const PER_PAGE: usize = 2;
const PAGES: usize = 2;
const NAMES: [&str; 4] = ["Adele Vance", "Megan Bowen", "Lee Gu", "Nestor Wilke"];

fn user_type() -> Value {
    fixture_json("msgraph/user.json")
}

/// A value of an EDM or `graph.` type for user `i`, `property` naming where it goes.
fn made_value(csdl: &Value, ty: &str, property: &str, i: usize) -> Value {
    if let Some(inner) = ty
        .strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
    {
        return json!([made_value(csdl, inner, property, i)]);
    }
    let mail = format!("person{i}@contoso.example");
    match (property, ty) {
        ("id", _) => json!(format!("00000000-0000-0000-0000-00000000000{i}")),
        ("mail" | "userPrincipalName", _) => json!(mail),
        ("otherMails", _) => json!(format!("person{i}@old.example")),
        ("displayName", _) => json!(NAMES[i % NAMES.len()]),
        ("accountEnabled", _) => json!(i != 1),
        ("extensionAttribute1", _) => json!(format!("gh-person{i}")),
        (_, "Edm.String") => json!(format!("{property} {i}")),
        (_, "Edm.Boolean") => json!(true),
        (_, "Edm.DateTimeOffset") => json!("2021-06-01T00:00:00Z"),
        (_, "Edm.Int32" | "Edm.Int64") => json!(i),
        (_, complex) => {
            let name = complex.trim_start_matches("graph.");
            let props = csdl["complex_types"][name]
                .as_object()
                .unwrap_or_else(|| panic!("{property}: type {complex} is not in the fixture"));
            let mut out = Map::new();
            for (p, def) in props {
                out.insert(
                    p.clone(),
                    made_value(csdl, def["type"].as_str().expect("type"), p, i),
                );
            }
            Value::Object(out)
        }
    }
}

/// The `$select` fields of a users request, each checked against the entity type.
fn selected(csdl: &Value, request: &Request) -> Result<Vec<String>, Vec<String>> {
    let props = &csdl["entity_type"]["properties"];
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (k, v) in request.url.query_pairs() {
        if !SYSTEM_OPTIONS.contains(&k.as_ref()) {
            errors.push(format!("`{k}` is not an OData system query option"));
        }
        if k == "$select" {
            for field in v.split(',') {
                if props.get(field).is_none() {
                    errors.push(format!(
                        "$select `{field}` is not a property of microsoft.graph.user"
                    ));
                }
                out.push(field.to_string());
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A page of users with exactly the selected properties, typed as the CSDL says.
fn users_page(csdl: &Value, request: &Request, base: &str) -> ResponseTemplate {
    let fields = match selected(csdl, request) {
        Ok(f) => f,
        Err(errors) => {
            return ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"message": errors.join("; ")}}));
        }
    };
    let page: usize = request
        .url
        .query_pairs()
        .find(|(k, _)| k == "$skiptoken")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut value = Vec::new();
    for i in page * PER_PAGE..(page + 1) * PER_PAGE {
        let mut user = Map::new();
        for f in &fields {
            let ty = csdl["entity_type"]["properties"][f]["type"]
                .as_str()
                .expect("type");
            user.insert(f.clone(), made_value(csdl, ty, f, i));
        }
        value.push(Value::Object(user));
    }
    let mut body =
        json!({"@odata.context": format!("{base}/v1.0/$metadata#users"), "value": value});
    if page + 1 < PAGES {
        let query = request.url.query().unwrap_or("").to_string();
        body["@odata.nextLink"] =
            json!(format!("{base}/v1.0/users?{query}&$skiptoken={}", page + 1));
    }
    ResponseTemplate::new(200).set_body_json(body)
}

/// Every way the token request departs from the page's shared-secret form.
fn token_departures(page: &Value, request: &Request) -> Vec<String> {
    let want = &page["request"];
    let mut out = Vec::new();
    let path = want["path"]
        .as_str()
        .expect("path")
        .replace("{tenant}", TENANT);
    if request.method.as_str() != want["method"] || request.url.path() != path {
        out.push(format!(
            "{} {} is not {} {path}",
            request.method,
            request.url.path(),
            want["method"]
        ));
    }
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with(want["content_type"].as_str().expect("content type")) {
        out.push(format!("content type {content_type:?}"));
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(&request.body).into_owned().collect();
    let mut names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    let mut wanted: Vec<&str> = want["form"]
        .as_array()
        .expect("form")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    names.sort_unstable();
    wanted.sort_unstable();
    if names != wanted {
        out.push(format!("form fields {names:?}, the page's are {wanted:?}"));
    }
    for fixed in ["grant_type", "scope"] {
        let sent = form
            .iter()
            .find(|(k, _)| k == fixed)
            .map(|(_, v)| v.as_str());
        if sent != want["example_form"][fixed].as_str() {
            out.push(format!(
                "{fixed} = {sent:?}, the page says {}",
                want["example_form"][fixed]
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_selects_only_user_properties_and_the_token_request_is_the_v2_client_credentials_form()
 {
    let csdl = user_type();
    let page = fixture_json("msgraph/token.json");
    assert_eq!(csdl["entity_set"]["entity_type"], "microsoft.graph.user");
    let login = MockServer::start().await;
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page["success_example"].clone()))
        .expect(1)
        .mount(&login)
        .await;
    let base = graph.uri();
    let types = csdl.clone();
    Mock::given(method("GET"))
        .and(path(format!(
            "/v1.0/{}",
            csdl["entity_set"]["name"].as_str().expect("set")
        )))
        .respond_with(move |r: &Request| users_page(&types, r, &base))
        .expect(PAGES as u64)
        .mount(&graph)
        .await;
    let people = PER_PAGE * PAGES;
    let emails: Vec<String> = (0..people)
        .map(|i| format!("person{i}@contoso.example"))
        .collect();
    let seed: Vec<(&str, &str)> = emails
        .iter()
        .zip(NAMES)
        .map(|(e, n)| (e.as_str(), n))
        .collect();
    let s = Scratch::new();
    let extra = format!(
        "authority = \"{}\"\ntenant = \"{TENANT}\"\nclient_id = \"535fb089-9ff3-47b6-9bfb-4f1264799865\"\n\
         client_secret_env = \"VENDOR_TOKEN\"\ndirectory = true\nsign_in_activity = true\n\
         [sources.links]\ngithub = \"onPremisesExtensionAttributes.extensionAttribute1\"\n\n\
         [[sources]]\nname = \"github\"\nkind = \"csv\"\nurl = \"github.csv\"\n",
        login.uri()
    );
    contract_config(&s, "msgraph", &graph.uri(), &extra, &seed);
    // Only there so the link above names a source.
    s.write(
        "github.csv",
        "id,name,email,login\n7,Lee Gu,lee@contoso.example,gh-person2\n",
    );

    let report = reconcile(&s, SECRET).await;
    login.verify().await;
    graph.verify().await;
    let token = login.received_requests().await.expect("recording");
    let departures: Vec<String> = token
        .iter()
        .flat_map(|r| token_departures(&page, r))
        .collect();
    assert!(departures.is_empty(), "token request: {departures:#?}");
    for r in graph.received_requests().await.expect("recording") {
        let fields = selected(&csdl, &r).unwrap_or_else(|e| panic!("{}: {e:#?}", r.url));
        assert!(
            fields.iter().any(|f| f == "signInActivity"),
            "sign_in_activity = true selects it: {fields:?}"
        );
        assert!(
            fields.iter().any(|f| f == "onPremisesExtensionAttributes"),
            "a link's first segment is selected: {fields:?}"
        );
    }

    assert_eq!(
        source_records(&report, "msgraph"),
        people as u64,
        "{report:#}"
    );
    for (i, email) in emails.iter().enumerate() {
        let id = format!("00000000-0000-0000-0000-00000000000{i}");
        let graph_id = identity(row(&report, email), "msgraph", &id);
        assert_eq!(graph_id["name"], NAMES[i], "{graph_id}");
        let want = if i == 1 {
            Some(("remove", "departed"))
        } else {
            None
        };
        let got = recommendation(&report, email);
        assert_eq!(
            got.as_ref().map(|(a, r, _)| (a.as_str(), r.as_str())),
            want,
            "{email}: {got:?}"
        );
    }
}

#[test]
fn a_property_graph_does_not_have_is_refused() {
    let csdl = user_type();
    let request = |query: &str| Request {
        url: url::Url::parse(&format!("http://graph.example/v1.0/users?{query}")).unwrap(),
        method: http_get(),
        headers: Default::default(),
        body: vec![],
    };
    assert!(selected(&csdl, &request("$select=id,mail,otherMails&$top=999")).is_ok());
    let e = selected(&csdl, &request("$select=id,mails")).unwrap_err();
    assert!(e[0].contains("`mails`"), "{e:?}");
    assert!(selected(&csdl, &request("select=id")).is_err());
}

fn http_get() -> wiremock::http::Method {
    wiremock::http::Method::GET
}
