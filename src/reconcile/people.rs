//! Step 2 of a run: the table's rows and the sources' identities are resolved together into people.
//! A row takes part as an identity ([`row_identity`]) linked to the accounts attached to it in
//! earlier runs; each resolved [`Person`] then names their rows and their source identities.
//!
//! Architecture invariant: resolving is `resolve`'s job; this file only builds its input and reads
//! its clusters. It decides nothing about employment, recommendations or the table.

use crate::model::{Developer, Identity, Link, TABLE_SOURCE};
use crate::resolve::MatchLink;

use super::employment::display_account;

/// Everything known about one resolved person.
pub(super) struct Person<'a> {
    /// Indices into the table.
    pub rows: Vec<usize>,
    /// Identities from sources (not table rows).
    pub identities: Vec<&'a Identity>,
}

impl Person<'_> {
    /// Up to four of the person's accounts (a directory account with its status), for evidence.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .identities
            .iter()
            .take(4)
            .map(|i| {
                let status = if i.directory {
                    format!(", {:?}", i.status).to_lowercase()
                } else {
                    String::new()
                };
                format!("{} {}{}", i.source, display_account(i), status)
            })
            .collect();
        if parts.is_empty() {
            "no source".into()
        } else {
            parts.join("; ")
        }
    }
}

/// What resolution runs on: the table's rows first (identity `r` is row `r`), then every fetched
/// identity. One allocation of the exact size; each source's vector is moved in and freed in turn.
pub(super) fn identities_to_resolve(
    table: &[Developer],
    per_source: Vec<Vec<Identity>>,
) -> Vec<Identity> {
    let total: usize = per_source.iter().map(Vec::len).sum();
    let mut all: Vec<Identity> = Vec::with_capacity(table.len() + total);
    all.extend(table.iter().map(row_identity));
    for ids in per_source {
        all.extend(ids);
    }
    all
}

/// The people of a resolution of [`identities_to_resolve`]'s list, whose first `n_rows` entries are
/// the table's rows.
pub(super) fn people_of<'a>(
    clusters: &[Vec<usize>],
    all: &'a [Identity],
    n_rows: usize,
) -> Vec<Person<'a>> {
    clusters
        .iter()
        .map(|members| Person {
            rows: members.iter().copied().filter(|&m| m < n_rows).collect(),
            identities: members
                .iter()
                .copied()
                .filter(|&m| m >= n_rows)
                .map(|m| &all[m])
                .collect(),
        })
        .collect()
}

/// A table row as an identity, linked to the accounts attached to it in earlier runs. Only what
/// resolution reads: every other decision reads the row from the table itself.
pub(super) fn row_identity(d: &Developer) -> Identity {
    let mut emails = Vec::with_capacity(d.emails.len() + 1);
    emails.push(d.email.clone());
    for e in &d.emails {
        if !e.eq_ignore_ascii_case(&d.email) {
            emails.push(e.clone());
        }
    }
    Identity {
        source: TABLE_SOURCE.to_string(),
        id: d.id.clone(),
        emails,
        name: Some(d.name.clone()).filter(|n| !n.trim().is_empty()),
        // Only what resolution reads: the rest of the row is read from the table itself.
        links: d
            .identities
            .iter()
            .map(|r| Link {
                source: r.source.clone(),
                value: r.id.clone(),
            })
            .collect(),
        ..Identity::default()
    }
}

/// For each table row (identity `r` of [`identities_to_resolve`]'s list is row `r`), whether strong
/// evidence alone (an email, an account id, a link, an employee id: no score, no name) joins it to
/// a directory record: such a row is the person's more surely than one only a name attaches.
/// A union-find over the strong merges: four bytes an identity.
pub(super) fn rows_tied_strongly(
    merges: &[MatchLink],
    all: &[Identity],
    n_rows: usize,
) -> Vec<bool> {
    let mut parent: Vec<u32> = (0..all.len() as u32).collect();
    fn find(parent: &mut [u32], mut x: usize) -> usize {
        while parent[x] as usize != x {
            let grand = parent[parent[x] as usize];
            parent[x] = grand;
            x = grand as usize;
        }
        x
    }
    for m in merges.iter().filter(|m| m.strong) {
        let (a, b) = (find(&mut parent, m.a), find(&mut parent, m.b));
        if a != b {
            parent[a.max(b)] = a.min(b) as u32;
        }
    }
    let mut directory_root = vec![false; all.len()];
    for (i, identity) in all.iter().enumerate() {
        if identity.directory {
            let r = find(&mut parent, i);
            directory_root[r] = true;
        }
    }
    (0..n_rows.min(all.len()))
        .map(|r| {
            let root = find(&mut parent, r);
            directory_root[root]
        })
        .collect()
}
