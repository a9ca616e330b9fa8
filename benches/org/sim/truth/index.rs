//! What the served data lets a careful admin link: directory groups (the records of one owner that
//! share an address), and for every account and row the evidence that ties it to a group — the
//! same address, a profile link, a SAML NameID, a GitHub noreply id, or a name (or name-shaped
//! login) that exactly one group carries, nicknames counted (SPEC §3.3).
//!
//! Uses the true owners only to say whether the evidence points at the right one; it never
//! guesses beyond what a person holding the data could see.

use std::collections::HashMap;

use serde::Serialize;

use crate::sim::names::{DisplayKey, Families, login_core};
use crate::sim::world::{DirState, Owner, Scenario, VmsStatus, World};

/// How an account or a row is tied to a directory group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// It is a directory record.
    Directory,
    /// A directory profile names the login (`githubUsername`, `extensionAttribute1`).
    Link,
    /// The GitHub SAML identity's NameID is an address of the group.
    Saml,
    /// It carries an address the group lists.
    Email,
    /// A GitHub noreply address whose account id is tied to the group.
    Noreply,
    /// Its address is on a tool account tied to the group by strong evidence.
    ToolAddress,
    /// Its name is carried by exactly one group.
    Name,
    /// Its login is shaped like a name exactly one group carries.
    Login,
    /// Its name or login points at exactly one group — of somebody else (indistinguishable).
    Misleading,
    None,
}

impl Evidence {
    pub fn is_strong(self) -> bool {
        matches!(
            self,
            Evidence::Directory
                | Evidence::Link
                | Evidence::Saml
                | Evidence::Email
                | Evidence::Noreply
                | Evidence::ToolAddress
        )
    }

    /// Evidence a careful admin acts on (strong, or a name only one group carries).
    pub fn is_derivable(self) -> bool {
        self.is_strong() || matches!(self, Evidence::Name | Evidence::Login)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Directory => "directory record",
            Evidence::Link => "profile link",
            Evidence::Saml => "SAML NameID",
            Evidence::Email => "address the directory lists",
            Evidence::Noreply => "noreply id of a tied account",
            Evidence::ToolAddress => "address of a tied tool account",
            Evidence::Name => "name only one directory person carries",
            Evidence::Login => "login shaped like one directory person's name",
            Evidence::Misleading => "name of someone else (indistinguishable)",
            Evidence::None => "none",
        }
    }
}

/// Evidence and the group it points at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchor {
    pub evidence: Evidence,
    pub group: Option<usize>,
}

impl Anchor {
    pub const NONE: Anchor = Anchor {
        evidence: Evidence::None,
        group: None,
    };
}

/// Where a group stands (SPEC §3.2): employed when one record is active, suspended when the best
/// is suspended, departed when every record is final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Employment {
    Active,
    Suspended,
    Departed,
}

/// The directory records of one owner that share an address: one "person" to an admin.
#[derive(Clone, Debug)]
pub struct Group {
    pub owner: Owner,
    pub emails: Vec<String>,
    /// The address of its most current record (the row an admin keeps).
    pub primary: String,
    pub employment: Employment,
    pub department: String,
    pub service: bool,
    /// The earliest creation date its records show, in days ago.
    pub created_days_ago: u32,
    /// It holds a directory (Okta / Entra) record, an agency record.
    pub in_directory: bool,
    pub in_agency: bool,
}

/// A directory or agency record, by position in `World::directory` / `World::vms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordRef {
    Directory(usize),
    Vms(usize),
}

/// The groups and the lookups evidence needs.
pub struct Index {
    pub groups: Vec<Group>,
    pub group_of_record: HashMap<RecordRef, usize>,
    by_email: HashMap<String, usize>,
    by_key: HashMap<DisplayKey, Vec<usize>>,
    by_shape: HashMap<String, Vec<usize>>,
    by_link: HashMap<String, usize>,
    pub families: Families,
    slug: String,
    graphql: bool,
}

struct Record<'a> {
    at: RecordRef,
    owner: &'a Owner,
    emails: Vec<String>,
    names: Vec<(String, String)>,
    state: Employment,
    department: &'a str,
    service: bool,
    current: bool,
    created_days_ago: u32,
}

fn records(world: &World) -> Vec<Record<'_>> {
    let mut out = Vec::new();
    for (i, r) in world.directory.iter().enumerate() {
        let mut emails = vec![r.email.to_lowercase()];
        emails.extend(r.secondary.iter().map(|e| e.to_lowercase()));
        let state = match r.state {
            DirState::Active | DirState::Provisioned => Employment::Active,
            DirState::Suspended => Employment::Suspended,
            DirState::Deprovisioned => Employment::Departed,
        };
        let person_like = !matches!(r.user_type, "Service" | "Room");
        let mut names = Vec::new();
        if person_like {
            names.push((r.first.clone(), r.last.clone()));
        }
        out.push(Record {
            at: RecordRef::Directory(i),
            owner: &r.owner,
            emails,
            names,
            state,
            department: &r.department,
            service: r.user_type == "Service",
            current: true,
            created_days_ago: r.created_days_ago,
        });
        if person_like && let Some(d) = &r.display {
            out.last_mut().expect("pushed").names.push(display_pair(d));
        }
    }
    for (i, v) in world.vms.iter().enumerate() {
        let state = match v.status {
            VmsStatus::Active => Employment::Active,
            VmsStatus::OnHold => Employment::Suspended,
            VmsStatus::Ended => Employment::Departed,
        };
        out.push(Record {
            at: RecordRef::Vms(i),
            owner: &v.owner,
            emails: vec![v.email.to_lowercase()],
            names: vec![display_pair(&v.full_name)],
            state,
            department: &v.department,
            service: false,
            current: false,
            created_days_ago: v.start_days_ago,
        });
    }
    out
}

/// A displayed name as (first, last) for keys; the whole string when it has one word.
fn display_pair(display: &str) -> (String, String) {
    (display.to_string(), String::new())
}

fn better(a: Employment, b: Employment) -> Employment {
    use Employment::*;
    match (a, b) {
        (Active, _) | (_, Active) => Active,
        (Suspended, _) | (_, Suspended) => Suspended,
        _ => Departed,
    }
}

impl Index {
    pub fn build(world: &World) -> Index {
        let mut index = Index {
            groups: Vec::new(),
            group_of_record: HashMap::new(),
            by_email: HashMap::new(),
            by_key: HashMap::new(),
            by_shape: HashMap::new(),
            by_link: HashMap::new(),
            families: Families::new(),
            slug: world.company.slug.clone(),
            graphql: world.scenario == Scenario::Graphql,
        };
        let records = records(world);
        let groups = group_records(&records);
        for members in groups {
            index.add_group(&records, &members);
        }
        for (i, r) in world.directory.iter().enumerate() {
            if let Some(login) = &r.github_link {
                let g = index.group_of_record[&RecordRef::Directory(i)];
                index.by_link.insert(login.to_lowercase(), g);
            }
        }
        index
    }

    fn add_group(&mut self, records: &[Record<'_>], members: &[usize]) {
        let g = self.groups.len();
        let first = &records[members[0]];
        let mut group = Group {
            owner: first.owner.clone(),
            emails: Vec::new(),
            primary: String::new(),
            employment: Employment::Departed,
            department: String::new(),
            service: first.service,
            created_days_ago: 0,
            in_directory: false,
            in_agency: false,
        };
        let mut best: Option<(Employment, bool)> = None;
        for &m in members {
            let r = &records[m];
            self.group_of_record.insert(r.at, g);
            match r.at {
                RecordRef::Directory(_) => group.in_directory = true,
                RecordRef::Vms(_) => group.in_agency = true,
            }
            for e in &r.emails {
                if !group.emails.contains(e) {
                    group.emails.push(e.clone());
                }
                self.by_email.insert(e.clone(), g);
            }
            group.employment = better(group.employment, r.state);
            group.created_days_ago = group.created_days_ago.max(r.created_days_ago);
            // The most current record gives the primary address and the department.
            let rank = (r.state, r.current);
            if best.is_none_or(|b| outranks(rank, b)) {
                best = Some(rank);
                group.primary = r.emails[0].clone();
                group.department = r.department.to_string();
            }
            for (first, last) in &r.names {
                self.add_name(g, first, last);
            }
        }
        self.groups.push(group);
    }

    /// Registers the keys a record's name gives its group: the full key, an initial key per
    /// spelling of the first name ("B. Smith" and "R. Smith" for Robert), and the login shapes.
    fn add_name(&mut self, g: usize, first: &str, last: &str) {
        let display = if last.is_empty() {
            first.to_string()
        } else {
            format!("{first} {last}")
        };
        let Some(DisplayKey::Full(key)) = self.families.display_key(&display) else {
            return;
        };
        let (f, l) = key.split_once(' ').expect("a full key has two words");
        let mut keys = vec![DisplayKey::Full(key.clone())];
        for spelling in self.families.spellings(f) {
            let initial: String = spelling.chars().take(1).collect();
            keys.push(DisplayKey::Initial(format!("{initial} {l}")));
        }
        for k in keys {
            push_group(self.by_key.entry(k).or_default(), g);
        }
        let (full, initials) = self.families.shapes(f, l);
        for s in full.into_iter().chain(initials) {
            push_group(self.by_shape.entry(s).or_default(), g);
        }
    }

    pub fn group_of_email(&self, email: &str) -> Option<usize> {
        self.by_email.get(&email.to_lowercase()).copied()
    }

    /// The one group a displayed name points at (full name, or "J. Doe" by initial), if exactly
    /// one carries it; one-word names are read as logins.
    pub fn by_name(&self, display: &str) -> Option<usize> {
        match self.families.display_key(display) {
            Some(key) => unique(self.by_key.get(&key)),
            None => self.by_login(display),
        }
    }

    /// The one group whose name a login is shaped like (`jdoe`, `jane-doe`, `doejane`).
    pub fn by_login(&self, login: &str) -> Option<usize> {
        unique(self.by_shape.get(&login_core(login, &self.slug)))
    }

    /// Every group a displayed name's full key points at.
    pub fn groups_named(&self, display: &str) -> &[usize] {
        match self.families.display_key(display) {
            Some(key @ DisplayKey::Full(_)) => self.by_key.get(&key).map_or(&[], Vec::as_slice),
            _ => &[],
        }
    }

    /// Two groups may be one person only when they do not come from one directory source alone:
    /// two records of one source are two people (SPEC §3.3).
    pub fn may_be_one(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.groups[a], &self.groups[b]);
        let single = |g: &Group| g.in_directory != g.in_agency;
        !(single(a) && single(b) && a.in_directory == b.in_directory)
    }

    pub fn by_link(&self, login: &str) -> Option<usize> {
        self.by_link.get(&login.to_lowercase()).copied()
    }

    pub fn graphql(&self) -> bool {
        self.graphql
    }

    /// The anchor of weak evidence: `Name` / `Login` on the owner's group, `Misleading` on
    /// someone else's.
    pub fn weak(&self, owner: &Owner, name: Option<&str>, login: Option<&str>) -> Anchor {
        let by_name = name
            .and_then(|n| self.by_name(n))
            .map(|g| (Evidence::Name, g));
        let by_login = login
            .and_then(|l| self.by_login(l))
            .map(|g| (Evidence::Login, g));
        match by_name.or(by_login) {
            Some((evidence, g)) if self.groups[g].owner == *owner => Anchor {
                evidence,
                group: Some(g),
            },
            Some((_, g)) => Anchor {
                evidence: Evidence::Misleading,
                group: Some(g),
            },
            None => Anchor::NONE,
        }
    }

    /// A strong anchor on `g`, checked: strong evidence never points at another owner (the
    /// generator never plants an address of one person on another's account).
    pub fn strong(&self, owner: &Owner, evidence: Evidence, g: usize) -> Anchor {
        assert_eq!(
            &self.groups[g].owner, owner,
            "strong evidence ({evidence:?}) points at another owner: a generator bug"
        );
        Anchor {
            evidence,
            group: Some(g),
        }
    }
}

/// Active beats suspended beats departed; among equals a directory record beats an agency one.
fn outranks(a: (Employment, bool), b: (Employment, bool)) -> bool {
    let score = |(e, current): (Employment, bool)| {
        let e = match e {
            Employment::Active => 2,
            Employment::Suspended => 1,
            Employment::Departed => 0,
        };
        e * 2 + usize::from(current)
    };
    score(a) > score(b)
}

fn push_group(list: &mut Vec<usize>, g: usize) {
    if !list.contains(&g) {
        list.push(g);
    }
}

fn unique(list: Option<&Vec<usize>>) -> Option<usize> {
    match list {
        Some(l) if l.len() == 1 => Some(l[0]),
        _ => None,
    }
}

/// Records of one owner that share an address are one group (union-find over shared emails).
fn group_records(records: &[Record<'_>]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..records.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut holder: HashMap<&str, usize> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        for e in &r.emails {
            if let Some(&j) = holder.get(e.as_str()) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            } else {
                holder.insert(e, i);
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..records.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().collect();
    out.sort();
    out
}
