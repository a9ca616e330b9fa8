//! GitHub for one organisation: REST `GET /orgs/{org}/members` and `GET /users/{login}`, the
//! Copilot seats (`GET /orgs/{org}/copilot/billing/seats`), paged by `page` / `per_page` (at most
//! 100) and `Link`; and GraphQL `POST /graphql` for `membersWithRole` and the SAML
//! `externalIdentities` in pages of 100 with opaque cursors. `Authorization: Bearer`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::sim::server::{Request, Response, Vendor, page, stamp_secs, unauthorized};
use crate::sim::world::{GithubAccount, World};

pub const TOKEN: &str = "ghp_simSIMsimSIMsimSIMsimSIMsimSIM0000";
const MAX: usize = 100;
const CURSOR: &str = "Y3Vyc29yOnYyOpHO";

pub struct Github {
    org: String,
    members: Vec<Value>,
    users: HashMap<String, Value>,
    seats: Vec<Value>,
    nodes: Vec<Value>,
    identities: Vec<Value>,
    calls: AtomicUsize,
}

pub fn org(world: &World) -> String {
    format!("{}-eng", world.company.slug)
}

fn member(a: &GithubAccount) -> Value {
    json!({
        "login": a.login, "id": a.id, "node_id": format!("MDQ6VXNlcj{}", a.id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", a.id),
        "gravatar_id": "", "url": format!("https://api.github.com/users/{}", a.login),
        "html_url": format!("https://github.com/{}", a.login),
        "type": "User", "site_admin": false, "user_view_type": "public",
    })
}

fn profile(a: &GithubAccount) -> Value {
    let mut u = member(a);
    let extra = json!({
        "name": a.name, "company": null, "blog": "", "location": null, "email": a.email,
        "hireable": null, "bio": null, "twitter_username": null,
        "public_repos": a.id % 40, "public_gists": a.id % 3,
        "followers": a.id % 90, "following": a.id % 20,
        "created_at": stamp_secs(a.created_days_ago), "updated_at": stamp_secs(a.created_days_ago.min(20)),
    });
    for (k, v) in extra.as_object().expect("object") {
        u[k] = v.clone();
    }
    u
}

fn seat(a: &GithubAccount) -> Option<Value> {
    let s = a.seat.as_ref()?;
    Some(json!({
        "created_at": stamp_secs(s.created_days_ago),
        "updated_at": stamp_secs(s.created_days_ago.min(10)),
        "pending_cancellation_date": null,
        "last_activity_at": s.last_activity_days_ago.map(stamp_secs),
        "last_activity_editor": s.last_activity_days_ago.map(|_| s.editor),
        "plan_type": "business",
        "assignee": member(a),
    }))
}

impl Github {
    pub fn new(world: &World) -> Github {
        let accounts = &world.github;
        let mut identities: Vec<Value> = accounts
            .iter()
            .filter_map(|a| {
                let name_id = a.saml_name_id.as_ref()?;
                Some(json!({"samlIdentity": {"nameId": name_id}, "user": {"login": a.login}}))
            })
            .collect();
        for name_id in &world.unlinked_saml {
            identities.push(json!({"samlIdentity": {"nameId": name_id}, "user": null}));
        }
        Github {
            org: org(world),
            members: accounts.iter().map(member).collect(),
            users: accounts
                .iter()
                .map(|a| (a.login.to_lowercase(), profile(a)))
                .collect(),
            seats: accounts.iter().filter_map(seat).collect(),
            nodes: accounts
                .iter()
                .map(|a| {
                    json!({"databaseId": a.id, "login": a.login, "name": a.name,
                                "email": a.email.clone().unwrap_or_default(),
                                "createdAt": stamp_secs(a.created_days_ago)})
                })
                .collect(),
            identities,
            calls: AtomicUsize::new(0),
        }
    }

    pub fn dump(&self) -> Value {
        let mut profiles: Vec<&Value> = self.users.values().collect();
        profiles.sort_by_key(|u| u["id"].as_u64());
        json!({"profiles": profiles, "copilot_seats": self.seats, "saml_identities": self.identities})
    }

    fn rate_headers(&self, resp: Response, resource: &str) -> Response {
        let used = self.calls.fetch_add(1, Ordering::Relaxed) % 4000 + 1;
        resp.with_header("x-ratelimit-limit", "5000")
            .with_header("x-ratelimit-remaining", (5000 - used).to_string())
            .with_header("x-ratelimit-used", used.to_string())
            .with_header(
                "x-ratelimit-reset",
                (chrono::Utc::now().timestamp() + 3600).to_string(),
            )
            .with_header("x-ratelimit-resource", resource)
            .with_header("x-github-api-version-selected", "2022-11-28")
    }

    fn rest_page(
        &self,
        req: &Request,
        base: &str,
        items: &[Value],
        wrap: impl Fn(&[Value]) -> Value,
    ) -> Response {
        let per_page = req.query_usize("per_page", 30).clamp(1, MAX);
        let number = req.query_usize("page", 1).max(1);
        let (slice, more) = page(items, (number - 1) * per_page, per_page);
        let last = items.len().div_ceil(per_page).max(1);
        let url = |n: usize| format!("<{base}{}?per_page={per_page}&page={n}>", req.path);
        let mut links = Vec::new();
        if more {
            links.push(format!("{}; rel=\"next\"", url(number + 1)));
            links.push(format!("{}; rel=\"last\"", url(last)));
        }
        if number > 1 {
            links.push(format!("{}; rel=\"prev\"", url(number - 1)));
            links.push(format!("{}; rel=\"first\"", url(1)));
        }
        let mut resp = Response::json(200, &wrap(slice));
        if !links.is_empty() {
            resp = resp.with_header("link", links.join(", "));
        }
        resp
    }

    fn graphql(&self, req: &Request) -> Response {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let vars = &body["variables"];
        let query = body["query"].as_str().unwrap_or_default();
        if !query.contains("organization") {
            return Response::json(
                200,
                &json!({"errors": [{"message": "Field 'organization' is required"}]}),
            );
        }
        if vars["org"].as_str() != Some(self.org.as_str()) {
            return Response::json(
                200,
                &json!({"data": {"organization": null}, "errors": [{
                "type": "NOT_FOUND", "path": ["organization"],
                "message": format!("Could not resolve to an Organization with the login of '{}'.", vars["org"])}]}),
            );
        }
        let cursor = |k: &str| {
            vars[k]
                .as_str()
                .and_then(|c| c.strip_prefix(CURSOR))
                .and_then(|n| usize::from_str_radix(n, 16).ok())
                .unwrap_or(0)
        };
        let mut org = json!({});
        if vars["withMembers"] != false && query.contains("membersWithRole") {
            org["membersWithRole"] = connection(&self.nodes, cursor("members"));
        }
        if vars["withIds"] != false && query.contains("externalIdentities") {
            org["samlIdentityProvider"] =
                json!({"externalIdentities": connection(&self.identities, cursor("ids"))});
        }
        Response::json(200, &json!({"data": {"organization": org}}))
    }
}

/// One GraphQL connection page of `first: 100` from `start`.
fn connection(items: &[Value], start: usize) -> Value {
    let (slice, more) = page(items, start, MAX);
    let end = start + slice.len();
    json!({"nodes": slice, "pageInfo": {"hasNextPage": more, "endCursor": format!("{CURSOR}{end:08x}")}})
}

impl Vendor for Github {
    fn handle(&self, req: &Request, base: &str) -> Response {
        let auth = req.header("authorization").unwrap_or_default();
        if auth != format!("Bearer {TOKEN}") && auth != format!("token {TOKEN}") {
            return unauthorized(json!({"message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest", "status": "401"}));
        }
        let members = format!("/orgs/{}/members", self.org);
        let seats = format!("/orgs/{}/copilot/billing/seats", self.org);
        let total = self.seats.len();
        let resp = match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/graphql") => return self.rate_headers(self.graphql(req), "graphql"),
            ("GET", p) if p == members => self.rest_page(req, base, &self.members, |s| json!(s)),
            ("GET", p) if p == seats => self.rest_page(
                req,
                base,
                &self.seats,
                |s| json!({"total_seats": total, "seats": s}),
            ),
            ("GET", p) if p.starts_with("/users/") => {
                match self.users.get(&p["/users/".len()..].to_lowercase()) {
                    Some(u) => Response::json(200, u),
                    None => Response::json(404, &json!({"message": "Not Found", "status": "404"})),
                }
            }
            _ => Response::json(404, &json!({"message": "Not Found", "status": "404"})),
        };
        self.rate_headers(resp, "core")
    }
}
