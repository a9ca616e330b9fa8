//! Write a git `.mailmap` for resolved clusters: one canonical name and email per person, one line
//! per other (name, email) pair that should map to it.
//!
//! Invariant: the output depends only on the identities and the clusters, not on input order
//! within a cluster (counts, then a fixed tie-break, pick the canonical values; lines are sorted).
//! A name or an email can never forge a line or an entry: names lose line breaks, other control
//! characters and `<` `>` (spaces instead), and an email holding any of those or a space is left out.

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

/// A name as a `.mailmap` can hold it: control characters and angle brackets become spaces,
/// spaces are collapsed; None when nothing is left.
fn mailmap_name(name: &str) -> Option<String> {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || c == '<' || c == '>' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let joined = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// An email a `.mailmap` can hold: trimmed, and nothing that would end its `<…>` or its line.
fn mailmap_email(email: &str) -> Option<&str> {
    let e = email.trim();
    let bad = |c: char| c.is_control() || c.is_whitespace() || c == '<' || c == '>';
    (!e.is_empty() && !e.chars().any(bad)).then_some(e)
}

/// git `.mailmap` lines (`Canonical Name <canonical@email> Other Name <other@email>`) for every
/// cluster, sorted. Each identity counts once for its name and once for each of its emails.
pub fn mailmap(identities: &[Identity], res: &Resolution) -> String {
    let mut lines: BTreeSet<String> = BTreeSet::new();
    for cluster in &res.clusters {
        let members: Vec<(Option<String>, Vec<&str>)> = cluster
            .iter()
            .filter_map(|&i| identities.get(i))
            .map(|m: &Identity| {
                let name = m.name.as_deref().and_then(mailmap_name);
                let emails = m.emails.iter().filter_map(|e| mailmap_email(e)).collect();
                (name, emails)
            })
            .collect();
        let canonical_name = most_used(members.iter().filter_map(|(n, _)| n.as_deref()));
        let emails = members.iter().flat_map(|(_, emails)| {
            let mut own = emails.clone();
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
        for (name, emails) in &members {
            let name = name.as_deref();
            for &email in emails {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_or_email_with_a_newline_cannot_forge_a_line() {
        assert_eq!(
            mailmap_name("Eve\nMallory <ceo@acme.example> Eve <x@y>").as_deref(),
            Some("Eve Mallory ceo@acme.example Eve x@y")
        );
        assert_eq!(mailmap_name("\r\n\t").as_deref(), None);
        assert_eq!(mailmap_email(" eve@x.example "), Some("eve@x.example"));
        for bad in ["eve@x\n<ceo@y>", "a b@x", "a>@x", ""] {
            assert_eq!(mailmap_email(bad), None, "{bad:?}");
        }
    }
}
