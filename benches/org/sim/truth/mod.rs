//! The truth file: per SEI row, the true person, what a careful admin holding SPEC.md and the
//! served data would recommend (`expected`) and what else is acceptable (`alternatives`), with the
//! evidence that makes it derivable; per source account, its true person and the evidence that
//! ties it to them; per person, whether they belong in the table and whether they are an addition.
//!
//! Labels follow SPEC §3: duplicates before departures, a departed person's tool accounts never
//! keep them employed, no activity data is unknown (no recommendation), `inactive` only from
//! engineering activity older than 90 days past the 30-day grace, homonyms never merged,
//! suspended is `review`. Where the data cannot tell, the label says so instead of demanding
//! the true answer. Never reads seatwarden's code or report.

pub mod accounts;
pub mod index;
mod people;
mod rows;

use serde::{Deserialize, Serialize};

use crate::sim::world::World;
pub use accounts::AccountTruth;
use index::Index;
pub use people::{Addition, PersonTruth};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Keep,
    Remove,
    Merge,
    Review,
}

/// The reasons of SPEC §3.5, in the words the report uses (the library's own enum: the words are
/// the contract's, not an assumption about how they are decided).
pub use seatwarden::model::Reason;

/// One outcome for a row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// For a merge: the rows (by email, lowercase) it may fold into.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub into: Vec<String>,
}

impl Verdict {
    pub const KEEP: Verdict = Verdict {
        action: Action::Keep,
        reason: None,
        into: Vec::new(),
    };

    pub fn remove(reason: Reason) -> Verdict {
        Verdict {
            action: Action::Remove,
            reason: Some(reason),
            into: Vec::new(),
        }
    }

    pub fn review(reason: Reason) -> Verdict {
        Verdict {
            action: Action::Review,
            reason: Some(reason),
            into: Vec::new(),
        }
    }

    pub fn merge(into: Vec<String>) -> Verdict {
        Verdict {
            action: Action::Merge,
            reason: Some(Reason::Duplicate),
            into,
        }
    }

    /// The license goes (remove or merge).
    pub fn takes_license(&self) -> bool {
        matches!(self.action, Action::Remove | Action::Merge)
    }

    pub fn describe(&self) -> String {
        let mut s = format!("{:?}", self.action).to_lowercase();
        if let Some(r) = self.reason {
            s.push('/');
            s.push_str(r.as_str());
        }
        if !self.into.is_empty() {
            s.push_str(&format!(" into {}", self.into.join(" | ")));
        }
        s
    }
}

/// The truth about one SEI row.
#[derive(Clone, Debug, Serialize)]
pub struct RowTruth {
    pub email: String,
    pub name: String,
    pub person: String,
    pub phenomena: Vec<String>,
    pub expected: Verdict,
    pub alternatives: Vec<Verdict>,
    pub evidence: String,
}

impl RowTruth {
    /// Every acceptable outcome, the expected one first.
    pub fn acceptable(&self) -> impl Iterator<Item = &Verdict> {
        std::iter::once(&self.expected).chain(self.alternatives.iter())
    }

    /// Some acceptable outcome takes the license (remove or merge).
    pub fn may_go(&self) -> bool {
        self.acceptable().any(Verdict::takes_license)
    }
}

/// The whole truth of one organisation.
#[derive(Serialize)]
pub struct Truth {
    pub rows: Vec<RowTruth>,
    pub accounts: Vec<AccountTruth>,
    pub people: Vec<PersonTruth>,
    /// Homonym pairs by person id.
    pub homonym_pairs: Vec<(String, String)>,
}

/// The policy the simulated admin configured (and the truth applies).
pub struct Policy {
    pub inactive_after_days: u32,
    pub grace_days: u32,
    pub engineering_departments: Vec<String>,
}

impl Policy {
    pub fn is_engineering(&self, department: &str) -> bool {
        self.engineering_departments
            .iter()
            .any(|d| d.eq_ignore_ascii_case(department))
    }
}

pub fn build(world: &World, policy: &Policy) -> Truth {
    let index = Index::build(world);
    let accounts = accounts::anchors(world, &index);
    let rows = rows::label(world, &index, &accounts, policy);
    let people = people::label(world, &index, &accounts, &rows, policy);
    let mut homonym_pairs = Vec::new();
    for (i, p) in world.people.iter().enumerate() {
        if let Some(j) = p.homonym_of
            && i < j
        {
            homonym_pairs.push((p.id.clone(), world.people[j].id.clone()));
        }
    }
    Truth {
        rows: rows.rows,
        accounts: accounts.truths,
        people,
        homonym_pairs,
    }
}
