//! Identity F1: pairwise precision and recall over source accounts. Predicted clusters are the
//! report's `developers[].identities`, joined along its `merge` recommendations (a merge is the
//! report's claim that two rows are one person); an account no row holds is a singleton. True
//! clusters are the true persons (each bot and outsider its own). The headline figure counts the
//! accounts of the people the table holds or should hold (SPEC §4's `developers` is the table, so
//! nobody else's accounts can ever be shown together); the figure over every account is kept
//! beside it.

use std::collections::HashMap;

use crate::sim::run::Report;
use crate::sim::truth::Truth;
use crate::sim::truth::index::Evidence;

/// Pair counts: correct pairs, predicted pairs, true pairs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pairwise {
    pub correct: u64,
    pub predicted: u64,
    pub truth: u64,
}

impl Pairwise {
    pub fn precision(self) -> f64 {
        ratio(self.correct, self.predicted)
    }
    pub fn recall(self) -> f64 {
        ratio(self.correct, self.truth)
    }
    pub fn f1(self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Pairwise counts of `predicted` against the true persons of `truth.accounts`, over the
/// accounts `in_scope` says.
pub fn count(truth: &Truth, predicted: &[usize], in_scope: &dyn Fn(usize) -> bool) -> Pairwise {
    let mut joint: HashMap<(usize, &str), u64> = HashMap::new();
    let mut by_predicted: HashMap<usize, u64> = HashMap::new();
    let mut by_truth: HashMap<&str, u64> = HashMap::new();
    for (k, &c) in predicted.iter().enumerate() {
        if !in_scope(k) {
            continue;
        }
        let person = truth.accounts[k].person.as_str();
        *joint.entry((c, person)).or_default() += 1;
        *by_predicted.entry(c).or_default() += 1;
        *by_truth.entry(person).or_default() += 1;
    }
    Pairwise {
        correct: joint.values().map(|&n| pairs(n)).sum(),
        predicted: by_predicted.values().map(|&n| pairs(n)).sum(),
        truth: by_truth.values().map(|&n| pairs(n)).sum(),
    }
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Where the report puts the truth's accounts.
pub struct Predicted {
    /// The cluster of every truth account.
    pub clusters: Vec<usize>,
    /// The developer holding each truth account, if any.
    pub holders: Vec<Option<usize>>,
}

/// The predicted cluster of every truth account.
pub fn predicted(
    truth: &Truth,
    report: &Report,
    account_of: &HashMap<(&str, &str), usize>,
    dev_by_id: &HashMap<&str, usize>,
) -> Predicted {
    let devs = report.developers.len();
    let mut parent: Vec<usize> = (0..devs).collect();
    let mut holder: Vec<Option<usize>> = vec![None; truth.accounts.len()];
    for (d, dev) in report.developers.iter().enumerate() {
        for i in &dev.identities {
            let Some(&k) = account_of.get(&(i.source.as_str(), i.id.as_str())) else {
                continue;
            };
            match holder[k] {
                // One account on two rows: the report says the two are one person.
                Some(other) => {
                    let (a, b) = (find(&mut parent, d), find(&mut parent, other));
                    parent[a] = b;
                }
                None => holder[k] = Some(d),
            }
        }
    }
    for rec in &report.recommendations {
        let from = dev_by_id.get(rec.developer.as_str());
        let into = rec.into.as_deref().and_then(|i| dev_by_id.get(i));
        if rec.action == "merge"
            && let (Some(&a), Some(&b)) = (from, into)
        {
            let (a, b) = (find(&mut parent, a), find(&mut parent, b));
            parent[a] = b;
        }
    }
    let clusters: Vec<usize> = (0..truth.accounts.len())
        .map(|k| match holder[k] {
            Some(d) => find(&mut parent, d),
            None => devs + k,
        })
        .collect();
    Predicted {
        clusters,
        holders: holder,
    }
}

/// The score of attaching every account exactly where its evidence points (derivable or
/// misleading) and leaving the rest alone: what a careful admin could reach.
pub fn ceiling(truth: &Truth, in_scope: &dyn Fn(usize) -> bool) -> Pairwise {
    let offset = truth.accounts.len();
    let clusters: Vec<usize> = truth
        .accounts
        .iter()
        .enumerate()
        .map(|(k, a)| match a.group {
            Some(g) if a.evidence.is_derivable() || a.evidence == Evidence::Misleading => g,
            _ => offset + k,
        })
        .collect();
    count(truth, &clusters, in_scope)
}
