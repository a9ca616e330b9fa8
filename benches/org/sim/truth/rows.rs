//! Row labels: which directory group each SEI row belongs to (by its address, a noreply id, the
//! address of a tied tool account, or a name only one group carries), which row of a group is the
//! one the directory knows, and from there SPEC §3.5 in its order — duplicate, departed, bot,
//! excluded role, inactive — with `review` where the evidence is a name alone.

use std::collections::HashMap;

use super::accounts::Accounts;
use super::index::{Anchor, Employment, Evidence, Index};
use super::{Policy, Reason, RowTruth, Verdict};
use crate::sim::world::{Owner, Row, World};

pub struct Rows {
    pub rows: Vec<RowTruth>,
    /// Rows a careful admin ties to each group.
    pub group_rows: HashMap<usize, Vec<usize>>,
}

/// Newest engineering activity (days ago) and the earliest date seen (days ago).
#[derive(Clone, Copy, Default)]
pub struct Activity {
    pub newest: Option<u32>,
    pub first_seen: u32,
}

impl Activity {
    fn add(&mut self, activity: Option<u32>, created: u32) {
        if let Some(d) = activity {
            self.newest = Some(self.newest.map_or(d, |n| n.min(d)));
        }
        self.first_seen = self.first_seen.max(created);
    }

    pub fn inactive(self, policy: &Policy) -> bool {
        self.newest.is_some_and(|d| d > policy.inactive_after_days)
            && self.first_seen > policy.grace_days
    }
}

struct Labeler<'a> {
    world: &'a World,
    index: &'a Index,
    policy: &'a Policy,
    anchors: Vec<Anchor>,
    group_rows: HashMap<usize, Vec<usize>>,
    home: HashMap<usize, usize>,
    groups_of_owner: HashMap<Owner, Vec<usize>>,
    /// Activity of the accounts a careful admin ties to each group, and of those tied by
    /// strong evidence only.
    group_activity: HashMap<usize, Activity>,
    strong_activity: HashMap<usize, Activity>,
    /// Activity of every account the owner truly holds.
    owner_activity: HashMap<Owner, Activity>,
}

pub fn label(world: &World, index: &Index, accounts: &Accounts, policy: &Policy) -> Rows {
    let anchors: Vec<Anchor> = world
        .rows
        .iter()
        .map(|row| row_anchor(index, accounts, row))
        .collect();
    let mut labeler = Labeler {
        world,
        index,
        policy,
        anchors,
        group_rows: HashMap::new(),
        home: HashMap::new(),
        groups_of_owner: HashMap::new(),
        group_activity: HashMap::new(),
        strong_activity: HashMap::new(),
        owner_activity: HashMap::new(),
    };
    labeler.group(accounts);
    let rows = (0..world.rows.len()).map(|r| labeler.truth(r)).collect();
    Rows {
        rows,
        group_rows: labeler.group_rows,
    }
}

/// Strong evidence keeps its strength under another name (a noreply id, a tool address); weak
/// evidence stays what it is.
fn transfer(anchor: Anchor, strong_as: Evidence) -> Anchor {
    if anchor.evidence.is_strong() {
        Anchor {
            evidence: strong_as,
            group: anchor.group,
        }
    } else {
        anchor
    }
}

fn rank(e: Evidence) -> u8 {
    if e.is_strong() {
        3
    } else if e.is_derivable() {
        2
    } else if e == Evidence::Misleading {
        1
    } else {
        0
    }
}

fn row_anchor(index: &Index, accounts: &Accounts, row: &Row) -> Anchor {
    if let Some(g) = index.group_of_email(&row.email) {
        return index.strong(&row.owner, Evidence::Email, g);
    }
    let lower = row.email.to_lowercase();
    let noreply_id = lower
        .strip_suffix("@users.noreply.github.com")
        .and_then(|local| local.split('+').next())
        .and_then(|id| id.parse::<u64>().ok());
    if let Some(k) = noreply_id.and_then(|id| accounts.github_by_id.get(&id)) {
        return transfer(accounts.anchors[*k], Evidence::Noreply);
    }
    let by_tool = accounts
        .by_address
        .get(&lower)
        .and_then(|ks| {
            ks.iter()
                .map(|k| accounts.anchors[*k])
                .max_by_key(|a| rank(a.evidence))
        })
        .filter(|a| a.evidence != Evidence::None);
    match by_tool {
        Some(a) => transfer(a, Evidence::ToolAddress),
        None => index.weak(&row.owner, Some(&row.full_name), None),
    }
}

impl Labeler<'_> {
    /// Groups rows and activity: which rows each group holds, which one is its home (the
    /// directory's address, else its best-evidenced row), and what activity it shows.
    fn group(&mut self, accounts: &Accounts) {
        for (r, a) in self.anchors.iter().enumerate() {
            if a.evidence.is_derivable() {
                let g = a.group.expect("derivable evidence has a group");
                self.group_rows.entry(g).or_default().push(r);
            }
        }
        for (&g, rows) in &self.group_rows {
            let primary = &self.index.groups[g].primary;
            // SPEC §3.5: "the row the directory knows is kept" — the directory's primary address,
            // else an address the directory lists, before a row tied through a tool account.
            let home = rows
                .iter()
                .copied()
                .find(|&r| self.world.rows[r].email.eq_ignore_ascii_case(primary))
                .or_else(|| {
                    rows.iter()
                        .copied()
                        .find(|&r| self.anchors[r].evidence == Evidence::Email)
                })
                .or_else(|| {
                    rows.iter()
                        .copied()
                        .max_by_key(|&r| rank(self.anchors[r].evidence))
                });
            self.home.insert(g, home.expect("a group with rows"));
        }
        for (g, group) in self.index.groups.iter().enumerate() {
            self.groups_of_owner
                .entry(group.owner.clone())
                .or_default()
                .push(g);
            self.group_activity.entry(g).or_default().first_seen = group.created_days_ago;
            self.strong_activity.entry(g).or_default().first_seen = group.created_days_ago;
        }
        for k in 0..accounts.truths.len() {
            let (activity, created) = (accounts.activity[k], accounts.created[k]);
            let anchor = accounts.anchors[k];
            if let Some(g) = anchor.group {
                self.group_activity
                    .entry(g)
                    .or_default()
                    .add(activity, created);
                if anchor.evidence.is_strong() {
                    self.strong_activity
                        .entry(g)
                        .or_default()
                        .add(activity, created);
                }
            }
            let owner = accounts.truths[k].owner.clone();
            self.owner_activity
                .entry(owner)
                .or_default()
                .add(activity, created);
        }
    }

    fn truth(&self, r: usize) -> RowTruth {
        let row = &self.world.rows[r];
        let anchor = self.anchors[r];
        let (expected, mut alternatives, note) = match (&row.owner, anchor.group) {
            (Owner::Bot(_), _) => self.bot(anchor),
            (_, Some(g)) if anchor.evidence.is_derivable() => self.grouped(r, g),
            (_, Some(g)) if anchor.evidence == Evidence::Misleading => self.misleading(r, g),
            _ => self.unanchored(r),
        };
        if expected == Verdict::remove(Reason::Departed)
            && self.possible_active_match(r, anchor.group)
        {
            // SPEC §3.3: a removal a possible match to an active directory identity could
            // contradict is a review.
            alternatives.push(Verdict::review(Reason::Departed));
        }
        alternatives.retain(|v| *v != expected);
        let mut unique = Vec::new();
        for v in alternatives {
            if !unique.contains(&v) {
                unique.push(v);
            }
        }
        let mut phenomena = self.phenomena(r);
        let mut verdict = expected.clone();
        verdict.into.clear();
        phenomena.push(format!("expected: {}", verdict.describe()));
        RowTruth {
            email: row.email.clone(),
            name: row.full_name.clone(),
            person: self.world.owner_label(&row.owner),
            phenomena,
            expected,
            alternatives: unique,
            evidence: note,
        }
    }

    /// An active group other than the row's own carries the row's name, and may be the same
    /// person (not a homonym within one directory source).
    fn possible_active_match(&self, r: usize, own: Option<usize>) -> bool {
        self.index
            .groups_named(&self.world.rows[r].full_name)
            .iter()
            .any(|&other| {
                Some(other) != own
                    && self.index.groups[other].employment == Employment::Active
                    && own.is_none_or(|g| self.index.may_be_one(g, other))
            })
    }

    fn bot(&self, anchor: Anchor) -> (Verdict, Vec<Verdict>, String) {
        // A bot no directory knows is also "departed" by SPEC §3.2; IT is an excluded department.
        let alternatives = vec![
            Verdict::remove(Reason::Departed),
            Verdict::remove(Reason::ExcludedRole),
        ];
        let note = match anchor.group {
            Some(_) => "a service account the directory lists".to_string(),
            None => "a bot by its name and address".to_string(),
        };
        (Verdict::remove(Reason::Bot), alternatives, note)
    }

    fn grouped(&self, r: usize, g: usize) -> (Verdict, Vec<Verdict>, String) {
        let home = self.home[&g];
        let group = &self.index.groups[g];
        let weak = !self.anchors[r].evidence.is_strong();
        let mut alternatives = Vec::new();
        let expected = if home == r {
            let (verdict, more) = self.status(g);
            alternatives.extend(more);
            // No row at the directory's primary address: the directory knows the rows with the
            // same evidence as the home equally, and keeping any one of them is right.
            let equals = self.equally_known_siblings(r, g);
            if !equals.is_empty() {
                alternatives.push(Verdict::merge(equals));
            }
            if weak {
                alternatives.push(Verdict::review(Reason::Duplicate));
            }
            verdict
        } else {
            let siblings: Vec<String> = self.group_rows[&g]
                .iter()
                .filter(|&&s| s != r)
                .map(|&s| self.world.rows[s].email.to_lowercase())
                .collect();
            alternatives.push(Verdict::merge(siblings));
            if weak {
                alternatives.push(Verdict::review(Reason::Duplicate));
            }
            if group.employment == Employment::Departed {
                alternatives.push(Verdict::remove(Reason::Departed));
            }
            Verdict::merge(vec![self.world.rows[home].email.to_lowercase()])
        };
        self.other_group(r, g, &mut alternatives);
        let who = self.world.owner_label(&group.owner);
        let note = format!(
            "{} of {who} ({:?} in the directory){}",
            self.anchors[r].evidence.as_str(),
            group.employment,
            if home == r {
                ""
            } else {
                "; another row of theirs is the one the directory knows"
            }
        );
        (expected, alternatives, note)
    }

    /// What the row's group says under SPEC §3.5, and what else is right when the true activity
    /// differs from what the tied accounts show.
    fn status(&self, g: usize) -> (Verdict, Vec<Verdict>) {
        let group = &self.index.groups[g];
        if group.service {
            return (
                Verdict::remove(Reason::Bot),
                vec![Verdict::remove(Reason::ExcludedRole)],
            );
        }
        let excluded = !self.policy.is_engineering(&group.department);
        match group.employment {
            Employment::Departed => (Verdict::remove(Reason::Departed), Vec::new()),
            // Suspension makes the departure uncertain, not the department.
            Employment::Suspended if excluded => (
                Verdict::review(Reason::Departed),
                vec![Verdict::remove(Reason::ExcludedRole)],
            ),
            Employment::Suspended => (Verdict::review(Reason::Departed), Vec::new()),
            Employment::Active if excluded => (Verdict::remove(Reason::ExcludedRole), Vec::new()),
            Employment::Active => self.activity_verdict(g),
        }
    }

    /// Inactive or not from the accounts tied to the group. When the answer hangs on accounts tied
    /// by a name alone, `review` is right too (SPEC §3.3: a possible match that could contradict
    /// the removal), and so is no recommendation when only such accounts show idleness. When
    /// the true activity differs from what the tied accounts show, the true answer is right too.
    fn activity_verdict(&self, g: usize) -> (Verdict, Vec<Verdict>) {
        let verdict = |inactive: bool| {
            if inactive {
                Verdict::remove(Reason::Inactive)
            } else {
                Verdict::KEEP
            }
        };
        let seen = self.group_activity[&g].inactive(self.policy);
        let strong = self.strong_activity[&g].inactive(self.policy);
        let owner = &self.index.groups[g].owner;
        let truly = self
            .owner_activity
            .get(owner)
            .is_some_and(|a| a.inactive(self.policy));
        let mut alternatives = vec![verdict(truly)];
        if seen != strong {
            alternatives.push(Verdict::review(Reason::Inactive));
        }
        if seen && !strong {
            alternatives.push(Verdict::KEEP);
        }
        (verdict(seen), alternatives)
    }

    /// The owner's other groups: a converted contractor whose agency record nothing ties to the
    /// employee record. Merging into the employee's rows is right; so is keeping the only row.
    fn other_group(&self, r: usize, g: usize, alternatives: &mut Vec<Verdict>) {
        let owner = &self.world.rows[r].owner;
        for &other in self.groups_of_owner.get(owner).into_iter().flatten() {
            if other == g || self.index.groups[other].employment == Employment::Departed {
                continue;
            }
            match self.group_rows.get(&other) {
                Some(rows) => alternatives.push(Verdict::merge(self.emails(rows))),
                None if self.index.groups[g].employment == Employment::Departed => {
                    alternatives.push(Verdict::KEEP)
                }
                None => {}
            }
        }
    }

    fn emails(&self, rows: &[usize]) -> Vec<String> {
        rows.iter()
            .map(|&s| self.world.rows[s].email.to_lowercase())
            .collect()
    }

    /// The other rows of group `g` the directory knows as well as its home row `r` (the same
    /// evidence, none of them at the directory's primary address), as emails.
    fn equally_known_siblings(&self, r: usize, g: usize) -> Vec<String> {
        let primary = &self.index.groups[g].primary;
        if self.world.rows[r].email.eq_ignore_ascii_case(primary) {
            return Vec::new();
        }
        let evidence = self.anchors[r].evidence;
        let equals: Vec<usize> = self.group_rows[&g]
            .iter()
            .copied()
            .filter(|&s| s != r && self.anchors[s].evidence == evidence)
            .collect();
        self.emails(&equals)
    }

    /// A name that only someone else carries: indistinguishable from a duplicate of them.
    fn misleading(&self, r: usize, g: usize) -> (Verdict, Vec<Verdict>, String) {
        let (expected, mut alternatives, _) = self.unanchored(r);
        alternatives.push(Verdict::review(Reason::Duplicate));
        if let Some(&h) = self.home.get(&g) {
            alternatives.push(Verdict::merge(vec![
                self.world.rows[h].email.to_lowercase(),
            ]));
        }
        let other = self.world.owner_label(&self.index.groups[g].owner);
        let note =
            format!("no directory knows the address; its name is {other}'s (indistinguishable)");
        (expected, alternatives, note)
    }

    /// No directory knows the row and nothing ties it to anyone: departed (SPEC §3.2). When it
    /// truly is an employed person's row, merging it into their row or keeping it is right too.
    fn unanchored(&self, r: usize) -> (Verdict, Vec<Verdict>, String) {
        let owner = &self.world.rows[r].owner;
        let mut alternatives = vec![
            Verdict::review(Reason::Departed),
            Verdict::review(Reason::Duplicate),
        ];
        for &g in self.groups_of_owner.get(owner).into_iter().flatten() {
            if self.index.groups[g].employment == Employment::Departed {
                continue;
            }
            match self.group_rows.get(&g) {
                Some(rows) => alternatives.push(Verdict::merge(self.emails(rows))),
                None => alternatives.push(Verdict::KEEP),
            }
        }
        let note =
            "no directory knows the address and nothing ties it to a directory person".into();
        (Verdict::remove(Reason::Departed), alternatives, note)
    }

    fn phenomena(&self, r: usize) -> Vec<String> {
        let row = &self.world.rows[r];
        let mut tags = vec![format!("row: {}", row.kind.as_str())];
        if let Owner::Person(p) = row.owner {
            let person = &self.world.people[p];
            tags.push(format!("story: {}", person.story.as_str()));
            tags.extend(name_style(row, person));
            if let crate::sim::world::Status::Departed { deleted } = person.status {
                tags.push(
                    if deleted {
                        "leaver: deleted from the directory"
                    } else {
                        "leaver: deprovisioned"
                    }
                    .into(),
                );
            }
            if !person.engineering {
                tags.push("outside engineering".into());
            }
            let activity = self
                .owner_activity
                .get(&row.owner)
                .copied()
                .unwrap_or_default();
            tags.push(format!("activity: {}", activity_tag(activity, self.policy)));
        }
        tags.push(format!("evidence: {}", self.anchors[r].evidence.as_str()));
        tags
    }
}

/// What the person's accounts show, all of them (not only those tied to the row).
fn activity_tag(activity: Activity, policy: &Policy) -> &'static str {
    match activity.newest {
        None => "none",
        Some(d) if d > policy.inactive_after_days => "idle for months",
        Some(_) => "recent",
    }
}

/// How the row writes the name, when not plainly.
fn name_style(row: &Row, person: &crate::sim::world::Person) -> Option<String> {
    let name = &row.full_name;
    if name.contains(',') {
        return Some("name: Last, First".into());
    }
    if name.chars().any(char::is_alphabetic) && name.to_uppercase() == *name {
        return Some("name: all caps".into());
    }
    let first_word = name.split_whitespace().next().unwrap_or("");
    match &person.name.nick {
        Some(nick) if first_word == nick => Some("name: nickname".into()),
        _ => None,
    }
}
