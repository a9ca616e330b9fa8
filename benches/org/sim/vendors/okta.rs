//! Okta's users API: `GET /api/v1/users` (`Authorization: SSWS`), pages of at most 200 linked by
//! `Link: rel="next"` with an `after` cursor; the plain list leaves DEPROVISIONED users out, and
//! `filter=status eq "DEPROVISIONED"` lists them.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::sim::server::{Request, Response, Vendor, page, stamp, unauthorized};
use crate::sim::world::{DirRecord, DirState, Owner, World};

pub const TOKEN: &str = "00okta-sim-token";
const MAX: usize = 200;
const DEPROVISIONED: &str = "status eq \"DEPROVISIONED\"";

pub struct Okta {
    active: Vec<Value>,
    deprovisioned: Vec<Value>,
    position: HashMap<String, usize>,
}

fn status(state: DirState) -> &'static str {
    match state {
        DirState::Active => "ACTIVE",
        DirState::Suspended => "SUSPENDED",
        DirState::Provisioned => "PROVISIONED",
        DirState::Deprovisioned => "DEPROVISIONED",
    }
}

fn user(r: &DirRecord, world: &World, managers: &HashMap<usize, (String, String)>) -> Value {
    let manager = r.manager.and_then(|m| managers.get(&m));
    let mut profile = json!({
        "firstName": r.first, "lastName": r.last, "mobilePhone": null,
        "secondEmail": r.secondary.first(), "login": r.login, "email": r.email,
        "title": r.title, "department": r.department, "userType": r.user_type,
        "organization": world.company.name,
        "employeeNumber": r.employee_number,
        "managerId": manager.map(|(id, _)| id), "manager": manager.map(|(_, name)| name),
        "githubUsername": r.github_link,
    });
    if let Some(d) = &r.display {
        profile["displayName"] = json!(d);
    }
    let activated =
        (r.state != DirState::Provisioned).then(|| stamp(r.created_days_ago.saturating_sub(1)));
    json!({
        "id": r.id, "status": status(r.state),
        "created": stamp(r.created_days_ago), "activated": activated,
        "statusChanged": stamp(r.state_changed_days_ago),
        "lastLogin": (r.state == DirState::Active).then(|| stamp(1)),
        "lastUpdated": stamp(r.state_changed_days_ago.min(30)),
        "passwordChanged": stamp(r.created_days_ago.min(120)),
        "type": {"id": "oty1a2b3c4d5e6f7g8h9"},
        "profile": profile,
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": {"href": format!("/api/v1/users/{}", r.id)}},
    })
}

impl Okta {
    pub fn new(world: &World) -> Okta {
        let mut managers = HashMap::new();
        for r in &world.directory {
            if let Owner::Person(p) = r.owner
                && r.email == world.people[p].email
            {
                managers.insert(p, (r.id.clone(), format!("{} {}", r.first, r.last)));
            }
        }
        let (mut active, mut deprovisioned) = (Vec::new(), Vec::new());
        for r in &world.directory {
            let u = user(r, world, &managers);
            if r.state == DirState::Deprovisioned {
                deprovisioned.push(u);
            } else {
                active.push(u);
            }
        }
        let mut position = HashMap::new();
        for list in [&active, &deprovisioned] {
            for (i, u) in list.iter().enumerate() {
                position.insert(u["id"].as_str().unwrap_or_default().to_string(), i + 1);
            }
        }
        Okta {
            active,
            deprovisioned,
            position,
        }
    }

    /// Every user, for the data folder.
    pub fn dump(&self) -> Value {
        Value::Array(
            self.active
                .iter()
                .chain(&self.deprovisioned)
                .cloned()
                .collect(),
        )
    }
}

impl Vendor for Okta {
    fn handle(&self, req: &Request, base: &str) -> Response {
        if req.header("authorization") != Some(&format!("SSWS {TOKEN}")) {
            return unauthorized(
                json!({"errorCode": "E0000011", "errorSummary": "Invalid token provided",
                                       "errorLink": "E0000011", "errorId": "oae1", "errorCauses": []}),
            );
        }
        if req.method != "GET" || req.path != "/api/v1/users" {
            return Response::json(
                404,
                &json!({"errorCode": "E0000007", "errorSummary": "Not found: Resource not found"}),
            );
        }
        let filter = req.query("filter");
        let list = match filter {
            None => &self.active,
            Some(DEPROVISIONED) => &self.deprovisioned,
            Some(other) => {
                return Response::json(
                    400,
                    &json!({"errorCode": "E0000031",
                    "errorSummary": format!("Invalid search criteria: {other}")}),
                );
            }
        };
        let limit = req.query_usize("limit", MAX).clamp(1, MAX);
        let start = req
            .query("after")
            .and_then(|a| self.position.get(a))
            .copied()
            .unwrap_or(0);
        let (items, more) = page(list, start, limit);
        let mut link = format!("<{base}/api/v1/users?limit={limit}>; rel=\"self\"");
        if more && let Some(last) = items.last() {
            let mut next = url::Url::parse(&format!("{base}/api/v1/users")).expect("base URL");
            next.query_pairs_mut()
                .append_pair("after", last["id"].as_str().unwrap_or_default())
                .append_pair("limit", &limit.to_string());
            if let Some(f) = filter {
                next.query_pairs_mut().append_pair("filter", f);
            }
            link.push_str(&format!(", <{next}>; rel=\"next\""));
        }
        Response::json(200, &Value::Array(items.to_vec()))
            .with_header("link", link)
            .with_header("x-rate-limit-limit", "600")
            .with_header("x-rate-limit-remaining", "598")
            .with_header(
                "x-rate-limit-reset",
                (chrono::Utc::now().timestamp() + 60).to_string(),
            )
    }
}
