//! Every source of one organisation served over loopback in its vendor's shape and paging, with
//! its credentials checked, its full data written to the run's folder, and the `[[sources]]` of
//! the seatwarden config that reads them.

mod contractors;
mod entra;
mod github;
mod gitlab;
mod harness;
mod jira;
mod okta;

use std::path::Path;
use std::sync::Arc;

use crate::sim::server::{Fault, FaultPlan, Server, Vendor, fault_seed, start};
use crate::sim::world::{Scenario, World};

/// The environment the seatwarden process needs: one variable per secret.
pub const ENV: &[(&str, &str)] = &[
    ("OKTA_TOKEN", okta::TOKEN),
    ("GRAPH_CLIENT_SECRET", entra::CLIENT_SECRET),
    ("VMS_TOKEN", contractors::TOKEN),
    ("GITHUB_TOKEN", github::TOKEN),
    ("GITLAB_TOKEN", gitlab::TOKEN),
    ("JIRA_TOKEN", jira::TOKEN),
    ("HARNESS_API_KEY", harness::TOKEN),
];

/// The faults each vendor is known to answer with now and then; `truncated` adds bodies cut
/// short (opt-in, added while seatwarden did not retry them; it does since issue 15).
fn fault_kinds(vendor: &str, truncated: bool) -> &'static [Fault] {
    use Fault::*;
    match (vendor, truncated) {
        ("authority", _) => &[Unavailable],
        ("entra", false) => &[TooManyRequests, Unavailable, BadGateway, Reset, Slow],
        ("entra", true) => &[
            TooManyRequests,
            Unavailable,
            BadGateway,
            Reset,
            Slow,
            Truncated,
        ],
        ("github", false) => &[SecondaryRateLimit, BadGateway, Reset, Slow],
        ("github", true) => &[SecondaryRateLimit, BadGateway, Reset, Slow, Truncated],
        ("gitlab", false) => &[TooManyRequests, BadGateway, Reset],
        ("gitlab", true) => &[TooManyRequests, BadGateway, Reset, Truncated],
        ("jira", _) => &[TooManyRequests, Unavailable, Slow],
        ("contractors", _) => &[Unavailable, Reset],
        _ => &[BadGateway, Slow],
    }
}

/// How the servers misbehave: a share of first attempts, and whether bodies get cut short.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    pub rate: f64,
    pub truncated: bool,
}

/// The running servers of one organisation.
pub struct Serving {
    pub servers: Vec<(&'static str, Server)>,
    /// The `[[sources]]` part of the config.
    pub sources: String,
}

impl Serving {
    fn base(&self, name: &str) -> &str {
        &self
            .servers
            .iter()
            .find(|(n, _)| *n == name)
            .expect("server")
            .1
            .base
    }
}

/// Starts every vendor of `world` with `faults`, writing their data under `data`.
pub async fn serve(world: &World, data: &Path, faults: Faults) -> Serving {
    std::fs::create_dir_all(data).expect("data folder");
    let write = |file: &str, text: String| {
        std::fs::write(data.join(file), text).unwrap_or_else(|e| panic!("{file}: {e}"));
    };
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).expect("JSON");
    let mut vendors: Vec<(&'static str, Arc<dyn Vendor>)> = Vec::new();
    match world.scenario {
        Scenario::Rest => {
            let o = okta::Okta::new(world);
            write("okta-users.json", pretty(&o.dump()));
            vendors.push(("okta", Arc::new(o)));
        }
        Scenario::Graphql => {
            let g = entra::Graph::new(world);
            write("entra-users.json", pretty(&g.dump()));
            vendors.push(("authority", Arc::new(entra::Authority::new(world))));
            vendors.push(("entra", Arc::new(g)));
        }
    }
    let c = contractors::Contractors::new(world);
    write("contractors.csv", c.dump().to_string());
    let gh = github::Github::new(world);
    write("github.json", pretty(&gh.dump()));
    let gl = gitlab::Gitlab::new(world);
    write("gitlab-users.json", pretty(&gl.dump()));
    let j = jira::Jira::new(world);
    write("jira-users.json", pretty(&j.dump()));
    let h = harness::Harness::new(world);
    write("sei-developers.csv", h.table().to_string());
    write("harness-license.json", pretty(h.license()));
    vendors.push(("contractors", Arc::new(c)));
    vendors.push(("github", Arc::new(gh)));
    vendors.push(("gitlab", Arc::new(gl)));
    vendors.push(("jira", Arc::new(j)));
    vendors.push(("harness", Arc::new(h)));
    let mut servers = Vec::new();
    for (name, vendor) in vendors {
        let plan = (faults.rate > 0.0).then(|| FaultPlan {
            rate: faults.rate,
            kinds: fault_kinds(name, faults.truncated),
            seed: fault_seed(world.seed, name),
        });
        servers.push((name, start(vendor, plan).await));
    }
    let mut serving = Serving {
        servers,
        sources: String::new(),
    };
    serving.sources = sources(world, &serving);
    serving
}

/// The `[[sources]]` of the config, as an admin of this organisation would write them.
fn sources(world: &World, s: &Serving) -> String {
    let directory = match world.scenario {
        Scenario::Rest => format!(
            "[[sources]]\nname = \"okta\"\nkind = \"okta\"\nurl = \"{}\"\ntoken_env = \"OKTA_TOKEN\"\ndirectory = true\n[sources.links]\ngithub = \"githubUsername\"\n",
            s.base("okta")
        ),
        Scenario::Graphql => format!(
            "[[sources]]\nname = \"entra\"\nkind = \"msgraph\"\nurl = \"{}\"\nauthority = \"{}\"\ntenant = \"{}\"\nclient_id = \"{}\"\nclient_secret_env = \"GRAPH_CLIENT_SECRET\"\ndirectory = true\n[sources.links]\ngithub = \"onPremisesExtensionAttributes.extensionAttribute1\"\n",
            s.base("entra"),
            s.base("authority"),
            entra::tenant(world),
            entra::CLIENT_ID
        ),
    };
    let graphql = world.scenario == Scenario::Graphql;
    format!(
        r#"{directory}
[[sources]]
name = "contractors"
kind = "csv"
url = "{contractors}{contractors_path}"
token_env = "VMS_TOKEN"
directory = true
[sources.columns]
id = "Contractor ID"
name = "Full Name"
email = "Email"
title = "Role"
department = "Department"
status = "Status"
[sources.status]
active = ["Active"]
suspended = ["On Hold"]
departed = ["Ended"]

[[sources]]
name = "github"
kind = "github"
url = "{github}"
org = "{org}"
token_env = "GITHUB_TOKEN"
copilot = true
graphql = {graphql}

[[sources]]
name = "gitlab"
kind = "gitlab"
url = "{gitlab}"
token_env = "GITLAB_TOKEN"

[[sources]]
name = "jira"
kind = "jira"
url = "{jira}"
user = "{jira_user}"
token_env = "JIRA_TOKEN"

[[sources]]
name = "sei"
kind = "harness"
url = "{harness}"
sei_url = "{harness}{sei_path}"
account = "{account}"
token_env = "HARNESS_API_KEY"
"#,
        contractors = s.base("contractors"),
        contractors_path = contractors::PATH,
        github = s.base("github"),
        org = github::org(world),
        gitlab = s.base("gitlab"),
        jira = s.base("jira"),
        jira_user = jira::USER,
        harness = s.base("harness"),
        sei_path = harness::SEI_PATH,
        account = harness::ACCOUNT,
    )
}
