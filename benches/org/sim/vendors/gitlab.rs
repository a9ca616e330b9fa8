//! GitLab's users API as an administrator sees it: `GET /api/v4/users` (`PRIVATE-TOKEN`), offset
//! pages of at most 100 with `X-Next-Page`, `X-Total`, `X-Total-Pages` and `Link`.

use serde_json::{Value, json};

use crate::sim::server::{Request, Response, Vendor, page, stamp, unauthorized};
use crate::sim::world::{GitlabAccount, World};

pub const TOKEN: &str = "glpat-simSIMsimSIMsim0000";
const MAX: usize = 100;

pub struct Gitlab {
    users: Vec<Value>,
}

fn user(a: &GitlabAccount, host: &str) -> Value {
    json!({
        "id": a.id, "username": a.username, "name": a.name, "state": a.state, "locked": false,
        "avatar_url": format!("https://secure.gravatar.com/avatar/{}?s=80&d=identicon", a.id),
        "web_url": format!("https://{host}/{}", a.username),
        "created_at": stamp(a.created_days_ago),
        "bio": "", "location": "", "public_email": "", "linkedin": "", "twitter": "",
        "website_url": "", "organization": "", "job_title": "", "pronouns": null,
        "bot": a.bot, "work_information": null, "followers": 0, "following": 0,
        "last_sign_in_at": a.last_activity_days_ago.map(stamp),
        "confirmed_at": stamp(a.created_days_ago),
        "last_activity_on": a.last_activity_days_ago
            .map(|d| crate::sim::server::days_ago(d).format("%Y-%m-%d").to_string()),
        "email": a.email, "theme_id": 1, "color_scheme_id": 1, "projects_limit": 100000,
        "current_sign_in_at": a.last_activity_days_ago.map(stamp),
        "identities": [], "can_create_group": true, "can_create_project": true,
        "two_factor_enabled": true, "external": false, "private_profile": false,
        "commit_email": a.email, "is_admin": false, "note": null,
    })
}

impl Gitlab {
    pub fn new(world: &World) -> Gitlab {
        let host = format!("gitlab.{}", world.company.acquired_domain);
        Gitlab {
            users: world.gitlab.iter().map(|a| user(a, &host)).collect(),
        }
    }

    pub fn dump(&self) -> Value {
        Value::Array(self.users.clone())
    }
}

impl Vendor for Gitlab {
    fn handle(&self, req: &Request, base: &str) -> Response {
        if req.header("private-token") != Some(TOKEN) {
            return unauthorized(json!({"message": "401 Unauthorized"}));
        }
        if req.method != "GET" || req.path != "/api/v4/users" {
            return Response::json(404, &json!({"message": "404 Not Found"}));
        }
        let per_page = req.query_usize("per_page", 20).clamp(1, MAX);
        let number = req.query_usize("page", 1).max(1);
        let (items, more) = page(&self.users, (number - 1) * per_page, per_page);
        let pages = self.users.len().div_ceil(per_page).max(1);
        let url = |n: usize| format!("<{base}/api/v4/users?page={n}&per_page={per_page}>");
        let mut links = vec![
            format!("{}; rel=\"first\"", url(1)),
            format!("{}; rel=\"last\"", url(pages)),
        ];
        if more {
            links.insert(0, format!("{}; rel=\"next\"", url(number + 1)));
        }
        let next = if more {
            (number + 1).to_string()
        } else {
            String::new()
        };
        let prev = if number > 1 {
            (number - 1).to_string()
        } else {
            String::new()
        };
        Response::json(200, &Value::Array(items.to_vec()))
            .with_header("link", links.join(", "))
            .with_header("x-next-page", next)
            .with_header("x-page", number.to_string())
            .with_header("x-per-page", per_page.to_string())
            .with_header("x-prev-page", prev)
            .with_header("x-total", self.users.len().to_string())
            .with_header("x-total-pages", pages.to_string())
    }
}
