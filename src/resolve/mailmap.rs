//! Write a git `.mailmap` for resolved clusters: one canonical name and email per person, one line
//! per other (name, email) pair that should map to it.
//!
//! Invariant: the output depends only on the identities and the clusters, not on input order
//! within a cluster (counts, then a fixed tie-break, pick the canonical values; lines are sorted).

use std::collections::{BTreeMap, BTreeSet};

use super::Resolution;
use crate::model::Identity;

/// The most used value; ties go to the lexicographically smallest, so the choice is stable.
fn most_used<'a>(values: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_insert(0) += 1;
    }
    let mut best: Option<(&str, usize)> = None;
    for (v, c) in counts {
        if best.is_none_or(|(_, bc)| c > bc) {
            best = Some((v, c));
        }
    }
    best.map(|(v, _)| v)
}

/// git `.mailmap` lines (`Canonical Name <canonical@email> Other Name <other@email>`) for every
/// cluster, sorted. Each identity counts once for its name and once for each of its emails.
pub fn mailmap(identities: &[Identity], res: &Resolution) -> String {
    let mut lines: BTreeSet<String> = BTreeSet::new();
    for cluster in &res.clusters {
        let members: Vec<&Identity> = cluster.iter().filter_map(|&i| identities.get(i)).collect();
        let names = members
            .iter()
            .filter_map(|m| m.name.as_deref())
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let canonical_name = most_used(names);
        let emails = members.iter().flat_map(|m| {
            let mut own: Vec<&str> = m
                .emails
                .iter()
                .map(|e| e.trim())
                .filter(|e| !e.is_empty())
                .collect();
            own.sort_unstable();
            own.dedup();
            own
        });
        let Some(canonical_email) = most_used(emails) else {
            continue;
        };
        let canonical = match canonical_name {
            Some(name) => format!("{name} <{canonical_email}>"),
            None => format!("<{canonical_email}>"),
        };
        for m in &members {
            let name = m.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
            for email in m.emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
                if name == canonical_name && email == canonical_email {
                    continue;
                }
                let other = match name {
                    Some(n) => format!("{n} <{email}>"),
                    None => format!("<{email}>"),
                };
                lines.insert(format!("{canonical} {other}"));
            }
        }
    }
    let mut out = String::new();
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
