//! Per person: employed, eligible (employed, in engineering by the directory's department, not a
//! bot), seen in a tool, and whether they are an addition — an eligible person seen in a tool whom
//! no row a careful admin can tie to them covers.

use std::collections::HashMap;

use serde::Serialize;

use super::Policy;
use super::accounts::Accounts;
use super::index::{Employment, Index};
use super::rows::Rows;
use crate::sim::world::{Activity, Owner, World};

/// Whether the run should add a row for the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Addition {
    Yes,
    No,
    /// Either is right: the only evidence that they are in a tool is thin, they are suspended or
    /// idle, or their rows cannot be tied to them (an addition is right exactly when those rows
    /// all go).
    Either,
}

#[derive(Clone, Debug, Serialize)]
pub struct PersonTruth {
    pub id: String,
    pub name: String,
    pub story: &'static str,
    pub kind: String,
    pub department: String,
    pub employed: bool,
    pub engineering: bool,
    pub eligible: bool,
    pub seen_in_tool: bool,
    /// Eligible and seen in a tool: belongs in the table.
    pub in_table: bool,
    pub addition: Addition,
    /// The person's rows (emails, lowercase), as the table holds them.
    pub rows: Vec<String>,
}

/// What deciding a person needs, looked up once.
struct Ctx<'a> {
    index: &'a Index,
    accounts: &'a Accounts,
    rows: &'a Rows,
    policy: &'a Policy,
    groups_of: HashMap<Owner, Vec<usize>>,
    tools_of: HashMap<Owner, Vec<usize>>,
    rows_of: HashMap<Owner, Vec<String>>,
}

pub fn label(
    world: &World,
    index: &Index,
    accounts: &Accounts,
    rows: &Rows,
    policy: &Policy,
) -> Vec<PersonTruth> {
    let mut ctx = Ctx {
        index,
        accounts,
        rows,
        policy,
        groups_of: HashMap::new(),
        tools_of: HashMap::new(),
        rows_of: HashMap::new(),
    };
    for (g, group) in index.groups.iter().enumerate() {
        ctx.groups_of
            .entry(group.owner.clone())
            .or_default()
            .push(g);
    }
    for (k, account) in accounts.truths.iter().enumerate() {
        if accounts.is_tool[k] {
            ctx.tools_of
                .entry(account.owner.clone())
                .or_default()
                .push(k);
        }
    }
    for row in &world.rows {
        ctx.rows_of
            .entry(row.owner.clone())
            .or_default()
            .push(row.email.to_lowercase());
    }
    let mut out = Vec::with_capacity(world.people.len());
    for (p, person) in world.people.iter().enumerate() {
        let mut truth = PersonTruth {
            id: person.id.clone(),
            name: person.name.full(),
            story: person.story.as_str(),
            kind: format!("{:?}", person.kind).to_lowercase(),
            department: person.department.clone(),
            employed: false,
            engineering: person.engineering,
            eligible: false,
            seen_in_tool: false,
            in_table: false,
            addition: Addition::No,
            rows: Vec::new(),
        };
        ctx.decide(&mut truth, &Owner::Person(p));
        let idle = matches!(person.activity, Activity::Idle(_));
        if truth.addition == Addition::Yes && idle {
            truth.addition = Addition::Either;
        }
        out.push(truth);
    }
    out
}

impl Ctx<'_> {
    fn decide(&self, truth: &mut PersonTruth, owner: &Owner) {
        let (index, accounts) = (self.index, self.accounts);
        let groups = self.groups_of.get(owner).map_or(&[][..], Vec::as_slice);
        let employed: Vec<usize> = groups
            .iter()
            .copied()
            .filter(|&g| index.groups[g].employment != Employment::Departed)
            .collect();
        let eligible: Vec<usize> = employed
            .iter()
            .copied()
            .filter(|&g| {
                let group = &index.groups[g];
                !group.service && self.policy.is_engineering(&group.department)
            })
            .collect();
        let own_tools = self.tools_of.get(owner).map_or(&[][..], Vec::as_slice);
        let seen_derivable = own_tools.iter().any(|&k| {
            let a = accounts.anchors[k];
            a.evidence.is_derivable() && a.group.is_some_and(|g| eligible.contains(&g))
        });
        let tied_rows = employed
            .iter()
            .any(|g| self.rows.group_rows.contains_key(g));
        truth.rows = self.rows_of.get(owner).cloned().unwrap_or_default();
        truth.employed = !employed.is_empty();
        truth.eligible = !eligible.is_empty();
        truth.seen_in_tool = !own_tools.is_empty();
        truth.in_table = truth.eligible && truth.seen_in_tool;
        let suspended_only = eligible
            .iter()
            .all(|&g| index.groups[g].employment == Employment::Suspended);
        truth.addition = if !truth.in_table || tied_rows {
            Addition::No
        } else if !seen_derivable || suspended_only || !truth.rows.is_empty() {
            Addition::Either
        } else {
            Addition::Yes
        };
    }
}
