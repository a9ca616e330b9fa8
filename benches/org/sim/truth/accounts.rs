//! Every source account with its true person, its activity, and the evidence that ties it to a
//! directory group.

use std::collections::HashMap;

use serde::Serialize;

use super::index::{Anchor, Evidence, Index, RecordRef};
use crate::sim::world::{Owner, World};

/// The truth about one account of one source (as the report names it: source name and id).
#[derive(Clone, Debug, Serialize)]
pub struct AccountTruth {
    pub source: &'static str,
    pub id: String,
    pub person: String,
    pub evidence: Evidence,
    /// Whom the evidence points at when it is somebody else's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_at: Option<String>,
    #[serde(skip)]
    pub owner: Owner,
    /// The group its evidence points at, when it points anywhere (derivable or misleading).
    #[serde(skip)]
    pub group: Option<usize>,
}

/// Accounts with what rows and people need to know about them.
pub struct Accounts {
    pub truths: Vec<AccountTruth>,
    pub anchors: Vec<Anchor>,
    /// Last engineering activity (days ago), for Copilot seats and GitLab accounts.
    pub activity: Vec<Option<u32>>,
    /// The earliest date the account shows (creation, seat), in days ago.
    pub created: Vec<u32>,
    /// Tool accounts (not directory records).
    pub is_tool: Vec<bool>,
    pub github_by_id: HashMap<u64, usize>,
    /// Tool accounts by the address they show.
    pub by_address: HashMap<String, Vec<usize>>,
}

/// The configured names of the sources, as the report's identities carry them.
pub fn directory_source(world: &World) -> &'static str {
    match world.scenario {
        crate::sim::world::Scenario::Rest => "okta",
        crate::sim::world::Scenario::Graphql => "entra",
    }
}

/// What an account shows of a person's work: its last engineering activity and earliest date.
#[derive(Clone, Copy, Default)]
struct Seen {
    activity: Option<u32>,
    created: u32,
    tool: bool,
}

impl Accounts {
    fn push(
        &mut self,
        world: &World,
        source: &'static str,
        id: String,
        owner: &Owner,
        anchor: Anchor,
        seen: Seen,
    ) {
        self.truths.push(AccountTruth {
            source,
            id,
            person: world.owner_label(owner),
            evidence: anchor.evidence,
            points_at: None,
            owner: owner.clone(),
            group: anchor.group,
        });
        self.anchors.push(anchor);
        self.activity.push(seen.activity);
        self.created.push(seen.created);
        self.is_tool.push(seen.tool);
    }

    fn index_address(&mut self, email: Option<&str>) {
        if let Some(e) = email {
            let k = self.truths.len() - 1;
            self.by_address.entry(e.to_lowercase()).or_default().push(k);
        }
    }
}

pub fn anchors(world: &World, index: &Index) -> Accounts {
    let mut out = Accounts {
        truths: Vec::new(),
        anchors: Vec::new(),
        activity: Vec::new(),
        created: Vec::new(),
        is_tool: Vec::new(),
        github_by_id: HashMap::new(),
        by_address: HashMap::new(),
    };
    let directory = directory_source(world);
    for (i, r) in world.directory.iter().enumerate() {
        let g = index.group_of_record[&RecordRef::Directory(i)];
        let anchor = index.strong(&r.owner, Evidence::Directory, g);
        out.push(
            world,
            directory,
            r.id.clone(),
            &r.owner,
            anchor,
            Seen::default(),
        );
    }
    for (i, v) in world.vms.iter().enumerate() {
        let g = index.group_of_record[&RecordRef::Vms(i)];
        let anchor = index.strong(&v.owner, Evidence::Directory, g);
        out.push(
            world,
            "contractors",
            v.id.clone(),
            &v.owner,
            anchor,
            Seen::default(),
        );
    }
    github(world, index, &mut out);
    gitlab(world, index, &mut out);
    jira(world, index, &mut out);
    for k in 0..out.truths.len() {
        if out.anchors[k].evidence == Evidence::Misleading {
            let g = out.anchors[k]
                .group
                .expect("misleading evidence points somewhere");
            out.truths[k].points_at = Some(world.owner_label(&index.groups[g].owner));
        }
    }
    out
}

/// Strong evidence by address (`email` is one a group lists), else the weak anchor.
fn by_address_or_weak(
    index: &Index,
    owner: &Owner,
    evidence: Evidence,
    email: Option<&str>,
    weak: Anchor,
) -> Anchor {
    match email.and_then(|e| index.group_of_email(e)) {
        Some(g) => index.strong(owner, evidence, g),
        None => weak,
    }
}

fn github(world: &World, index: &Index, out: &mut Accounts) {
    for a in &world.github {
        let weak = index.weak(&a.owner, a.name.as_deref(), Some(&a.login));
        let by_email =
            by_address_or_weak(index, &a.owner, Evidence::Email, a.email.as_deref(), weak);
        let saml = a.saml_name_id.as_deref().filter(|_| index.graphql());
        let by_saml = by_address_or_weak(index, &a.owner, Evidence::Saml, saml, by_email);
        let anchor = match index.by_link(&a.login) {
            Some(g) => index.strong(&a.owner, Evidence::Link, g),
            None => by_saml,
        };
        let seat = a.seat.as_ref();
        let activity = seat.and_then(|s| s.last_activity_days_ago);
        let created = a
            .created_days_ago
            .max(seat.map_or(0, |s| s.created_days_ago));
        let seen = Seen {
            activity,
            created,
            tool: true,
        };
        out.push(world, "github", a.id.to_string(), &a.owner, anchor, seen);
        out.index_address(a.email.as_deref());
        out.github_by_id.insert(a.id, out.truths.len() - 1);
    }
}

fn gitlab(world: &World, index: &Index, out: &mut Accounts) {
    for a in &world.gitlab {
        let weak = index.weak(&a.owner, Some(&a.name), Some(&a.username));
        let anchor = by_address_or_weak(index, &a.owner, Evidence::Email, Some(&a.email), weak);
        let seen = Seen {
            activity: a.last_activity_days_ago,
            created: a.created_days_ago,
            tool: true,
        };
        out.push(world, "gitlab", a.id.to_string(), &a.owner, anchor, seen);
        out.index_address(Some(&a.email));
    }
}

fn jira(world: &World, index: &Index, out: &mut Accounts) {
    for a in &world.jira {
        let weak = index.weak(&a.owner, Some(&a.display_name), None);
        let anchor = by_address_or_weak(index, &a.owner, Evidence::Email, a.email.as_deref(), weak);
        let seen = Seen {
            tool: true,
            ..Seen::default()
        };
        out.push(world, "jira", a.account_id.clone(), &a.owner, anchor, seen);
        out.index_address(a.email.as_deref());
    }
}
