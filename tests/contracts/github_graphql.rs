//! GitHub GraphQL (`octokit/graphql-schema`): every query the binary POSTs is validated against
//! GitHub's public schema (fields, arguments, variables and their types), every connection must
//! ask for `first` or `last` within 1-100 (GitHub's node limit), and the answer is made from the
//! query and the schema alone by apollo-compiler's executor: it has exactly the shape the query
//! asks for (`nodes` where the query says `nodes`, `edges` where it says `edges`), so a parser
//! that expects another shape than its own query fails here.

use std::sync::Mutex;

use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema, ast};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const TOKEN: &str = "gh-graphql-contract-token";
/// GitHub's node limit: "Values of `first` and `last` must be within 1-100" (docs.github.com,
/// "Rate limits and node limits for the GraphQL API"); the schema cannot say it.
const MAX_PAGE: i32 = 100;
/// Items per page in the made-up answers.
const PER_PAGE: usize = 2;
const NAMES: [&str; 6] = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
];

fn schema() -> Valid<Schema> {
    let sdl = fixture_text("github/graphql-schema.graphql");
    Schema::parse_and_validate(sdl, "github/graphql-schema.graphql")
        .unwrap_or_else(|e| panic!("the trimmed schema is invalid: {}", e.errors))
}

/// How many pages each connection has in the made-up answers: members outnumber SAML identities,
/// so the binary must keep paging one after the other has ended.
fn pages_of(connection_field: &str) -> usize {
    match connection_field {
        "membersWithRole" => 3,
        "externalIdentities" => 2,
        _ => 1,
    }
}

/// Where an object sits in the made-up answer.
#[derive(Clone)]
struct Page {
    field: String,
    number: usize,
}

impl Page {
    fn has_next(&self) -> bool {
        self.number + 1 < pages_of(&self.field)
    }
    fn cursor(&self, number: usize) -> String {
        format!("{}:{number}", self.field)
    }
}

/// An object of some schema type, made up from the schema: item `index` of its list, on `page`
/// of the connection it came from.
struct Made {
    type_name: String,
    index: usize,
    page: Option<Page>,
}

impl Made {
    fn leaf(&self, info: &ResolveInfo<'_>) -> JsonValue {
        let i = self.index;
        let field = info.field_name();
        let json = match (self.type_name.as_str(), field) {
            ("User", "login") => json!(format!("member{i}")),
            ("User", "databaseId") => json!(1000 + i),
            ("User", "email") => json!(format!("member{i}@users.example")),
            ("User", "name") => json!(NAMES[i % NAMES.len()]),
            ("ExternalIdentitySamlAttributes", "nameId") => {
                json!(format!("member{i}@corp.example"))
            }
            ("PageInfo", "hasNextPage") => json!(self.page.as_ref().is_some_and(Page::has_next)),
            ("PageInfo", "hasPreviousPage") => {
                json!(self.page.as_ref().is_some_and(|p| p.number > 0))
            }
            ("PageInfo", "endCursor") => json!(self.page.as_ref().map(|p| p.cursor(p.number + 1))),
            ("PageInfo", "startCursor") => json!(self.page.as_ref().map(|p| p.cursor(p.number))),
            _ => by_scalar(info, &self.type_name, field, i),
        };
        to_json(json)
    }
}

/// A value of the field's scalar or enum type that says where it came from.
fn by_scalar(info: &ResolveInfo<'_>, type_name: &str, field: &str, i: usize) -> Value {
    let named = info.field_definition().ty.inner_named_type();
    if let Some(ExtendedType::Enum(e)) = info.schema().types.get(named) {
        let first = e.values.keys().next().expect("an enum has values");
        return json!(first.as_str());
    }
    match named.as_str() {
        "Int" => json!(i),
        "Float" => json!(0.5),
        "Boolean" => json!(false),
        "DateTime" => json!(format!("2020-01-{:02}T00:00:00Z", i + 1)),
        "URI" => json!(format!("https://github.example/{type_name}/{field}/{i}")),
        _ => json!(format!("{type_name}.{field}.{i}")),
    }
}

fn to_json(v: Value) -> JsonValue {
    serde_json::from_value(v).expect("JSON converts")
}

impl ObjectValue for Made {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let ty = &info.field_definition().ty;
        let named = ty.inner_named_type().as_str().to_string();
        let is_object = matches!(
            info.schema().types.get(ty.inner_named_type()),
            Some(ExtendedType::Object(_))
        );
        if !is_object {
            return Ok(ResolvedValue::leaf(self.leaf(info)));
        }
        let field = info.field_name();
        if named.ends_with("Connection") {
            let after = info.arguments().get("after").and_then(JsonValue::as_str);
            let number = after
                .and_then(|c| c.rsplit(':').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let page = Page {
                field: field.to_string(),
                number,
            };
            return Ok(ResolvedValue::object(Made {
                type_name: named,
                index: 0,
                page: Some(page),
            }));
        }
        if ty.is_list() {
            // `nodes` / `edges` of a connection: one page of items; any other list: one item.
            let (first, count) = match &self.page {
                Some(p) if self.type_name.ends_with("Connection") => {
                    (p.number * PER_PAGE, PER_PAGE)
                }
                _ => (self.index, 1),
            };
            let page = self.page.clone();
            let items = (first..first + count).map(move |index| {
                ResolvedValue::object(Made {
                    type_name: named.clone(),
                    index,
                    page: page.clone(),
                })
            });
            return Ok(ResolvedValue::list(items));
        }
        Ok(ResolvedValue::object(Made {
            type_name: named,
            index: self.index,
            page: self.page.clone(),
        }))
    }
}

/// The `first` / `last` a connection field asks for, resolved through the variables.
fn page_size(arg: &ast::Value, variables: &Value) -> Option<i32> {
    match arg {
        ast::Value::Int(n) => n.try_to_i32().ok(),
        ast::Value::Variable(name) => variables[name.as_str()].as_i64().map(|n| n as i32),
        _ => None,
    }
}

/// GitHub's node limit over every connection field of a selection set.
fn node_limit_departures(set: &SelectionSet, variables: &Value, out: &mut Vec<String>) {
    for selection in &set.selections {
        let Selection::Field(field) = selection else {
            out.push("fragments are not checked here; extend node_limit_departures".into());
            continue;
        };
        if field
            .definition
            .ty
            .inner_named_type()
            .ends_with("Connection")
        {
            let sizes: Vec<Option<i32>> = field
                .arguments
                .iter()
                .filter(|a| a.name == "first" || a.name == "last")
                .map(|a| page_size(&a.value, variables))
                .collect();
            match sizes.as_slice() {
                [] => out.push(format!(
                    "`{}` asks for neither `first` nor `last`",
                    field.name
                )),
                sizes => {
                    for size in sizes {
                        if !size.is_some_and(|n| (1..=MAX_PAGE).contains(&n)) {
                            out.push(format!(
                                "`{}`: page size {size:?} outside 1-{MAX_PAGE}",
                                field.name
                            ));
                        }
                    }
                }
            }
        }
        node_limit_departures(&field.selection_set, variables, out);
    }
}

/// The query and variables of one POST, checked against the schema; the answer when they conform.
fn answer(schema: &Valid<Schema>, body: &Value) -> Result<Value, String> {
    let query = body["query"]
        .as_str()
        .ok_or("the body has no `query` string")?;
    let variables = body.get("variables").cloned().unwrap_or(json!({}));
    let doc =
        ExecutableDocument::parse_and_validate(schema, query, "query.graphql").map_err(|e| {
            format!(
                "the query does not validate against GitHub's schema:\n{}",
                e.errors
            )
        })?;
    let operation = doc
        .operations
        .get(None)
        .map_err(|_| "not exactly one operation")?;
    let mut limits = Vec::new();
    node_limit_departures(&operation.selection_set, &variables, &mut limits);
    if !limits.is_empty() {
        return Err(limits.join("\n"));
    }
    let raw: JsonMap = serde_json::from_value(variables).map_err(|e| format!("variables: {e}"))?;
    let root = Made {
        type_name: "Query".into(),
        index: 0,
        page: None,
    };
    let response = Execution::new(schema, &doc)
        .raw_variable_values(&raw)
        .execute_sync(&root)
        .map_err(|e| format!("variables do not fit the query: {}", e.message()))?;
    let response = serde_json::to_value(&response).expect("the response serializes");
    if response.get("errors").is_some() {
        return Err(format!(
            "executing the query failed: {}",
            response["errors"]
        ));
    }
    Ok(response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_queries_validate_against_githubs_schema_and_its_answers_parse() {
    let schema = schema();
    let server = MockServer::start().await;
    let departures: std::sync::Arc<Mutex<Vec<String>>> = Default::default();
    let seen = departures.clone();
    let contract = schema.clone();
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(move |request: &wiremock::Request| {
            let body: Value = request.body_json().unwrap_or(Value::Null);
            match answer(&contract, &body) {
                Ok(response) => ResponseTemplate::new(200).set_body_json(response),
                Err(e) => {
                    seen.lock().expect("lock").push(e.clone());
                    ResponseTemplate::new(200).set_body_json(json!({"errors": [{"message": e}]}))
                }
            }
        })
        .mount(&server)
        .await;
    let s = Scratch::new();
    contract_config(
        &s,
        "github",
        &server.uri(),
        "org = \"acme\"\ngraphql = true\n",
        &[],
    );

    let report = reconcile(&s, TOKEN).await;
    let departures = departures.lock().expect("lock").clone();
    assert!(departures.is_empty(), "{}", departures.join("\n---\n"));
    let posts = server.received_requests().await.expect("recording").len();
    assert_eq!(
        posts,
        pages_of("membersWithRole"),
        "one POST per page of members"
    );

    let members = pages_of("membersWithRole") * PER_PAGE;
    let with_saml = pages_of("externalIdentities") * PER_PAGE;
    assert_eq!(
        source_records(&report, "github"),
        members as u64,
        "{report:#}"
    );
    for i in 0..members {
        // The SAML NameID is the corporate email, and goes first.
        let email = if i < with_saml {
            format!("member{i}@corp.example")
        } else {
            format!("member{i}@users.example")
        };
        let row = row(&report, &email);
        let gh = identity(row, "github", &(1000 + i).to_string());
        assert_eq!(gh["login"], format!("member{i}"), "{gh}");
        assert_eq!(gh["name"], NAMES[i % NAMES.len()], "{gh}");
    }
}

#[test]
fn the_answer_follows_the_query_not_the_parser() {
    let schema = schema();
    let query = "query($org: String!) { organization(login: $org) {
        membersWithRole(first: 2) { edges { node { login } } pageInfo { hasNextPage endCursor } } } }";
    let answer = answer(
        &schema,
        &json!({"query": query, "variables": {"org": "acme"}}),
    )
    .unwrap();
    let conn = &answer["data"]["organization"]["membersWithRole"];
    assert!(conn.get("nodes").is_none(), "{conn}");
    assert_eq!(conn["edges"][1]["node"]["login"], "member1", "{conn}");
    assert_eq!(
        conn["pageInfo"],
        json!({"hasNextPage": true, "endCursor": "membersWithRole:1"})
    );
}

#[test]
fn a_misspelt_field_a_missing_page_size_and_a_wrong_variable_type_are_refused() {
    let schema = schema();
    let ask = |query: &str, variables: Value| {
        answer(&schema, &json!({"query": query, "variables": variables}))
    };
    let e = ask(
        "{ organization(login: \"acme\") { membersWithRole(first: 10) { nodes { logn } } } }",
        json!({}),
    )
    .unwrap_err();
    assert!(e.contains("logn"), "{e}");
    let e = ask(
        "{ organization(login: \"acme\") { membersWithRole { totalCount } } }",
        json!({}),
    )
    .unwrap_err();
    assert!(e.contains("neither `first` nor `last`"), "{e}");
    let e = ask(
        "query($n: Int) { organization(login: \"acme\") { membersWithRole(first: $n) { totalCount } } }",
        json!({"n": 101}),
    )
    .unwrap_err();
    assert!(e.contains("outside 1-100"), "{e}");
    let e = ask(
        "query($org: String!) { organization(login: $org) { login } }",
        json!({"org": 7}),
    )
    .unwrap_err();
    assert!(e.contains("variables do not fit"), "{e}");
}
