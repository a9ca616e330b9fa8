//! Microsoft Entra ID through Microsoft Graph, app-only: the authority issues a client-credentials
//! token (`POST /{tenant}/oauth2/v2.0/token`), Graph lists `GET /v1.0/users?$select=…&$top=999`
//! in pages linked by `@odata.nextLink` (a `$skiptoken`), answering only the selected fields.

use serde_json::{Map, Value, json};

use crate::sim::server::{Request, Response, Vendor, page, stamp, unauthorized};
use crate::sim::world::{DirRecord, DirState, World};

pub const CLIENT_ID: &str = "3f1c2a9e-8d47-4b6a-9c55-0e7a1b2c3d4e";
pub const CLIENT_SECRET: &str = "sim~graph~secret";
const ACCESS_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.sim-graph-token.signature";
const MAX: usize = 999;

pub fn tenant(world: &World) -> String {
    format!("{}.onmicrosoft.com", world.company.slug)
}

/// The token endpoint of the authority.
pub struct Authority {
    tenant: String,
}

impl Authority {
    pub fn new(world: &World) -> Authority {
        Authority {
            tenant: tenant(world),
        }
    }
}

impl Vendor for Authority {
    fn handle(&self, req: &Request, _base: &str) -> Response {
        if req.method != "POST" || req.path != format!("/{}/oauth2/v2.0/token", self.tenant) {
            return Response::json(404, &json!({"error": "not_found"}));
        }
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect();
        let field = |k: &str| {
            form.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let valid = field("grant_type") == Some("client_credentials")
            && field("client_id") == Some(CLIENT_ID)
            && field("client_secret") == Some(CLIENT_SECRET)
            && field("scope") == Some("https://graph.microsoft.com/.default");
        if !valid {
            return Response::json(
                401,
                &json!({"error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided."}),
            );
        }
        Response::json(
            200,
            &json!({"token_type": "Bearer", "expires_in": 3599,
                                    "ext_expires_in": 3599, "access_token": ACCESS_TOKEN}),
        )
    }
}

pub struct Graph {
    users: Vec<Value>,
}

fn user(r: &DirRecord) -> Value {
    let mut extensions = Map::new();
    for k in 1..=15 {
        let value = if k == 1 {
            json!(r.github_link)
        } else {
            Value::Null
        };
        extensions.insert(format!("extensionAttribute{k}"), value);
    }
    let employee = r.user_type != "Guest" && r.user_type != "Room";
    json!({
        "id": r.id,
        "displayName": r.display.clone().unwrap_or_else(|| format!("{} {}", r.first, r.last)),
        "givenName": (!r.first.is_empty()).then_some(&r.first),
        "surname": (!r.last.is_empty()).then_some(&r.last),
        "mail": r.email,
        "userPrincipalName": r.login,
        "otherMails": r.secondary,
        "accountEnabled": r.state != DirState::Deprovisioned,
        "employeeId": if employee { json!(r.employee_number) } else { Value::Null },
        "department": (!r.department.is_empty()).then_some(&r.department),
        "jobTitle": (!r.title.is_empty()).then_some(&r.title),
        "createdDateTime": stamp(r.created_days_ago).replace(".000Z", "Z"),
        "userType": if r.user_type == "Guest" { "Guest" } else { "Member" },
        "onPremisesExtensionAttributes": extensions,
    })
}

impl Graph {
    pub fn new(world: &World) -> Graph {
        Graph {
            users: world.directory.iter().map(user).collect(),
        }
    }

    pub fn dump(&self) -> Value {
        Value::Array(self.users.clone())
    }
}

/// Only the `$select`ed fields, as Graph answers (`id` always).
fn selected(user: &Value, select: Option<&str>) -> Value {
    let Some(select) = select else {
        return user.clone();
    };
    let mut out = Map::new();
    for field in select
        .split(',')
        .map(str::trim)
        .chain(std::iter::once("id"))
    {
        if let Some(v) = user.get(field) {
            out.insert(field.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

impl Vendor for Graph {
    fn handle(&self, req: &Request, base: &str) -> Response {
        if req.header("authorization") != Some(&format!("Bearer {ACCESS_TOKEN}")) {
            return unauthorized(json!({"error": {"code": "InvalidAuthenticationToken",
                "message": "Access token validation failure. Invalid audience."}}));
        }
        if req.method != "GET" || req.path != "/v1.0/users" {
            return Response::json(404, &json!({"error": {"code": "Request_ResourceNotFound"}}));
        }
        let top = req.query_usize("$top", 100).clamp(1, MAX);
        let start = req
            .query("$skiptoken")
            .and_then(|t| t.strip_prefix("RFNwdAIAAQAAA"))
            .and_then(|n| usize::from_str_radix(n, 16).ok())
            .unwrap_or(0);
        let select = req.query("$select");
        let (items, more) = page(&self.users, start, top);
        let value: Vec<Value> = items.iter().map(|u| selected(u, select)).collect();
        let mut body = json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "value": value,
        });
        if more {
            let mut next = url::Url::parse(&format!("{base}/v1.0/users")).expect("base URL");
            if let Some(s) = select {
                next.query_pairs_mut().append_pair("$select", s);
            }
            next.query_pairs_mut()
                .append_pair("$top", &top.to_string())
                .append_pair("$skiptoken", &format!("RFNwdAIAAQAAA{:x}", start + top));
            body["@odata.nextLink"] = json!(next.to_string());
        }
        Response::json(200, &body)
    }
}
