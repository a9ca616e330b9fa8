//! Jira Cloud's user search: `GET /rest/api/3/users/search?startAt=&maxResults=` (Basic
//! `user:token`), at most 1,000 a page, ending on an empty page. `emailAddress` is left out
//! where the user's privacy setting hides it; apps and service-desk customers are listed too.

use serde_json::{Value, json};

use crate::sim::server::{Request, Response, Vendor, unauthorized};
use crate::sim::world::{JiraAccount, World};

pub const USER: &str = "seatwarden@acme.example";
pub const TOKEN: &str = "ATATTsimJIRA0000";
const MAX: usize = 1000;

pub struct Jira {
    users: Vec<Value>,
    basic: String,
}

fn user(a: &JiraAccount, base_host: &str) -> Value {
    let mut u = json!({
        "self": format!("https://{base_host}/rest/api/3/user?accountId={}", a.account_id),
        "accountId": a.account_id, "accountType": a.account_type,
        "avatarUrls": {"48x48": format!("https://avatar-management.atl-paas.net/{}/48", a.account_id)},
        "displayName": a.display_name, "active": a.active,
        "timeZone": "Europe/Berlin", "locale": "en_US",
    });
    if let Some(e) = &a.email {
        u["emailAddress"] = json!(e);
    }
    u
}

/// `Basic base64(user:token)`, spelled by hand (the bench has no base64 crate).
fn basic(user: &str, token: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{user}:{token}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

impl Jira {
    pub fn new(world: &World) -> Jira {
        let host = format!("{}.atlassian.net", world.company.slug);
        Jira {
            users: world.jira.iter().map(|a| user(a, &host)).collect(),
            basic: basic(USER, TOKEN),
        }
    }

    pub fn dump(&self) -> Value {
        Value::Array(self.users.clone())
    }
}

impl Vendor for Jira {
    fn handle(&self, req: &Request, _base: &str) -> Response {
        if req.header("authorization") != Some(self.basic.as_str()) {
            return unauthorized(
                json!({"errorMessages": ["Client must be authenticated to access this resource."], "errors": {}}),
            );
        }
        if req.method != "GET" || req.path != "/rest/api/3/users/search" {
            return Response::json(404, &json!({"errorMessages": ["Not found"]}));
        }
        let max = req.query_usize("maxResults", 50).clamp(1, MAX);
        let start = req.query_usize("startAt", 0);
        let (items, _) = crate::sim::server::page(&self.users, start, max);
        Response::json(200, &Value::Array(items.to_vec()))
    }
}
