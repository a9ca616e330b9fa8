//! Step 5 of a run, the table (SPEC §3.4): which people found in the tools are added
//! ([`additions`]), which removed rows come back ([`is_back_after_removal`]), what each row takes
//! from its person ([`apply_updates`]), a new row's stable id ([`developer_id`]), and the
//! conversions between table rows and SEI developer CSV rows ([`rows_to_developers`],
//! [`developers_to_rows`]).
//!
//! Architecture invariant: a run only adds, re-adds and updates rows; it never deletes a row or
//! marks one removed (removals stay recommendations until `apply`). A row `apply` removed comes
//! back only when the directory says its person is active and eligible again. Additions are
//! decided against the table as it was.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::model::{
    AccountStatus, Action, Developer, Identity, IdentityRef, RowStatus, SeiRow, SeiTable,
    name_from_email,
};

use super::context::Context;
use super::employment::{Employment, employment_of};
use super::people::Person;
use super::policy;
use super::recommend::inactivity;

/// The table after a run, with what changed.
pub(super) struct TableAfter {
    /// Every row: the stored ones updated, the additions at the end.
    pub table: Vec<Developer>,
    pub added: Vec<String>,
    pub updated: Vec<String>,
}

/// What a run adds to the table: new rows, and removed rows made active again.
pub(super) struct Additions {
    pub rows: Vec<Developer>,
    /// `(row, person)`: a removed row whose person is back (see [`is_back_after_removal`]).
    pub readmitted: Vec<(usize, usize)>,
    /// Eligible people not added because a possible match to a row waits for a decision
    /// (SPEC §4 `usage.withheld`).
    pub withheld: u64,
}

/// The new rows for eligible people with no row, and the removed rows of people who are back (none
/// of either when `add_new_developers` is off), never two active rows with one email. `blocked`
/// people wait for a review first.
pub(super) fn additions(
    people: &[Person<'_>],
    blocked: &HashSet<usize>,
    ctx: &Context<'_>,
) -> Additions {
    let mut additions = Additions {
        rows: Vec::new(),
        readmitted: Vec::new(),
        withheld: 0,
    };
    if !ctx.policy.add_new_developers {
        return additions;
    }
    let mut ids: HashSet<String> = ctx.table.iter().map(|d| d.id.clone()).collect();
    let mut emails: HashSet<String> = ctx
        .table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .map(|d| d.email.to_lowercase())
        .collect();
    for (c, person) in people.iter().enumerate() {
        if blocked.contains(&c) {
            if person.rows.is_empty() && is_eligible_addition(person, ctx) {
                additions.withheld += 1;
            }
            continue;
        }
        if is_back_after_removal(person, ctx) {
            // The row removed last keeps the person's history; never two active rows with one email.
            if let Some(&r) = person.rows.last()
                && emails.insert(ctx.table[r].email.to_lowercase())
            {
                additions.readmitted.push((r, c));
            }
            continue;
        }
        if !person.rows.is_empty() || !is_eligible_addition(person, ctx) {
            continue;
        }
        let Some(dev) = new_developer(person, ctx.now, &mut ids) else {
            continue;
        };
        if !emails.insert(dev.email.to_lowercase()) {
            continue; // never two active rows with one email
        }
        additions.rows.push(dev);
    }
    additions
}

/// Whether a person whose every row was removed (by `apply`) is back: a directory shows them
/// employed (not merely unknown), and they are eligible as a new person would be (found in the
/// tools, no bot, no excluded role, not inactive).
pub(super) fn is_back_after_removal(person: &Person<'_>, ctx: &Context<'_>) -> bool {
    let all_removed = !person.rows.is_empty()
        && person
            .rows
            .iter()
            .all(|&r| ctx.table[r].status == RowStatus::Removed);
    all_removed
        && employment_of(&person.identities, &ctx.directories) == Employment::Employed
        && is_eligible_addition(person, ctx)
}

/// Update each person's license-keeping row in place, make the re-admitted rows active again
/// (updated from their person, listed as added), then append the new rows.
pub(super) fn table_after(
    mut table: Vec<Developer>,
    additions: Additions,
    people: &[Person<'_>],
    target_of_cluster: &[Option<usize>],
) -> TableAfter {
    let mut updated = Vec::new();
    let mut added = Vec::new();
    for &(r, c) in &additions.readmitted {
        table[r].status = RowStatus::Active;
        apply_updates(&mut table[r], &people[c]);
        added.push(table[r].id.clone());
    }
    for (c, person) in people.iter().enumerate() {
        if let Some(target) = target_of_cluster[c]
            && apply_updates(&mut table[target], person)
        {
            updated.push(table[target].id.clone());
        }
    }
    added.extend(additions.rows.iter().map(|d| d.id.clone()));
    table.extend(additions.rows);
    TableAfter {
        table,
        added,
        updated,
    }
}

/// Whether this run adds a person with no row unless a possible match holds them back: additions
/// on, eligible, with an address for the new row that no active row has.
pub(super) fn would_be_added(person: &Person<'_>, ctx: &Context<'_>) -> bool {
    ctx.policy.add_new_developers
        && person.rows.is_empty()
        && is_eligible_addition(person, ctx)
        && primary_email(person).is_some_and(|email| {
            !ctx.table
                .iter()
                .any(|d| d.status == RowStatus::Active && d.email.eq_ignore_ascii_case(&email))
        })
}

/// Whether a person's role keeps a license: no bot, no excluded role.
pub(super) fn holds_a_developer_role(person: &Person<'_>, ctx: &Context<'_>) -> bool {
    if policy::bot_evidence(&person.identities, &ctx.policy.bot_patterns).is_some() {
        return false;
    }
    let (department, title) = policy::role_of(&person.identities, None, None);
    policy::excluded_role_evidence(department.as_ref(), title.as_ref(), ctx.policy).is_none()
}

/// Whether a person with no row should be added (SPEC §3.4 `add_new_developers`): found in the
/// tools, employed (or no directory to ask), no bot, no excluded role, and not inactive — a
/// protected person is added whatever their activity.
fn is_eligible_addition(person: &Person<'_>, ctx: &Context<'_>) -> bool {
    let in_tools = person.identities.iter().any(|i| !i.directory);
    if !in_tools {
        return false;
    }
    match employment_of(&person.identities, &ctx.directories) {
        Employment::Employed => {}
        Employment::Unknown { .. } if ctx.directories.is_empty() => {}
        _ => return false,
    }
    if !holds_a_developer_role(person, ctx) {
        return false;
    }
    if policy::is_protected(
        person
            .identities
            .iter()
            .flat_map(|i| i.emails.iter().map(String::as_str)),
        ctx.policy,
    ) {
        return true;
    }
    let would_be_removed_as_inactive =
        inactivity(person, ctx).is_some_and(|c| c.action == Action::Remove);
    !would_be_removed_as_inactive
}

/// The best email to key a row on: a directory's primary, else the first address that is not a
/// GitHub noreply one.
fn primary_email(person: &Person<'_>) -> Option<String> {
    let usable = |e: &&String| {
        !e.trim().is_empty() && e.contains('@') && !e.to_lowercase().ends_with("noreply.github.com")
    };
    let from_directory = person
        .identities
        .iter()
        .filter(|i| i.directory && i.status == AccountStatus::Active)
        .find_map(|i| i.emails.iter().find(usable));
    from_directory
        .or_else(|| {
            person
                .identities
                .iter()
                .find_map(|i| i.emails.iter().find(usable))
        })
        .map(|e| e.trim().to_string())
}

/// The directory identity whose fields a row takes: an active one first.
fn directory_identity<'a>(person: &Person<'a>) -> Option<&'a Identity> {
    person
        .identities
        .iter()
        .copied()
        .filter(|i| i.directory)
        .max_by_key(|i| i.status == AccountStatus::Active)
}

/// The accounts attached to a row: every source identity of its person, sorted by source and id.
fn identity_refs(person: &Person<'_>) -> Vec<IdentityRef> {
    let mut refs: Vec<IdentityRef> = person
        .identities
        .iter()
        .map(|i| IdentityRef {
            source: i.source.clone(),
            id: i.id.clone(),
            login: i.login.clone(),
            email: i.email().map(str::to_string),
            name: i.name.clone(),
        })
        .collect();
    refs.sort_by(|a, b| (&a.source, &a.id).cmp(&(&b.source, &b.id)));
    refs
}

/// A new row for a person found in the tools.
fn new_developer(
    person: &Person<'_>,
    now: DateTime<Utc>,
    ids: &mut HashSet<String>,
) -> Option<Developer> {
    let email = primary_email(person)?;
    let dir = directory_identity(person);
    let name = dir
        .and_then(|i| i.name.clone())
        .or_else(|| person.identities.iter().find_map(|i| i.name.clone()))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| name_from_email(&email));
    let mut emails = vec![email.clone()];
    for i in &person.identities {
        for e in &i.emails {
            if !emails.iter().any(|x| x.eq_ignore_ascii_case(e)) && e.contains('@') {
                emails.push(e.clone());
            }
        }
    }
    let id = developer_id(&email, ids);
    ids.insert(id.clone());
    let field = |get: fn(&Identity) -> Option<&String>| {
        dir.and_then(|i| get(i).cloned())
            .or_else(|| person.identities.iter().find_map(|i| get(i).cloned()))
    };
    Some(Developer {
        id,
        name,
        email,
        emails,
        status: RowStatus::Active,
        title: field(|i| i.title.as_ref()),
        department: field(|i| i.department.as_ref()),
        manager_email: field(|i| i.manager_email.as_ref()),
        site: None,
        team: None,
        sub_role: None,
        first_seen: person
            .identities
            .iter()
            .filter_map(|i| i.created_at)
            .min()
            .unwrap_or(now)
            .min(now),
        last_activity: person
            .identities
            .iter()
            .filter_map(|i| i.last_activity)
            .max(),
        identities: identity_refs(person),
    })
}

/// Update a row from its person: directory fields, every known email, attached accounts, activity.
/// Returns whether a field a person would see (name, emails, manager, title, department) changed.
fn apply_updates(row: &mut Developer, person: &Person<'_>) -> bool {
    let mut changed = false;
    if let Some(dir) = directory_identity(person) {
        let mut set = |slot: &mut Option<String>, v: &Option<String>| {
            if let Some(v) = v.as_ref().filter(|v| !v.trim().is_empty())
                && slot.as_deref() != Some(v.as_str())
            {
                *slot = Some(v.clone());
                changed = true;
            }
        };
        set(&mut row.title, &dir.title);
        set(&mut row.department, &dir.department);
        set(&mut row.manager_email, &dir.manager_email);
        if let Some(n) = dir.name.as_ref().filter(|n| !n.trim().is_empty())
            && row.name != *n
        {
            row.name = n.clone();
            changed = true;
        }
    }
    for i in &person.identities {
        for e in &i.emails {
            if e.contains('@')
                && !row.emails.iter().any(|x| x.eq_ignore_ascii_case(e))
                && !row.email.eq_ignore_ascii_case(e)
            {
                row.emails.push(e.clone());
                changed = true;
            }
        }
    }
    if !row
        .emails
        .iter()
        .any(|x| x.eq_ignore_ascii_case(&row.email))
    {
        row.emails.insert(0, row.email.clone());
    }
    row.identities = identity_refs(person);
    if let Some(t) = person
        .identities
        .iter()
        .filter_map(|i| i.last_activity)
        .max()
        && row.last_activity.is_none_or(|old| t > old)
    {
        row.last_activity = Some(t);
    }
    if let Some(created) = person.identities.iter().filter_map(|i| i.created_at).min()
        && created < row.first_seen
    {
        row.first_seen = created;
    }
    changed
}

/// A stable id for a new row: `d` + 12 hex digits of FNV-1a over the lowercased email.
pub fn developer_id(email: &str, taken: &HashSet<String>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in email.trim().to_lowercase().bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let base = format!("d{:012x}", hash & 0xffff_ffff_ffff);
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !taken.contains(c))
        .unwrap_or(base)
}

/// Where a run's table came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The stored table.
    Stored,
    /// The store was empty: SEI's own table (a `harness` source) seeded it.
    FromSei,
    /// The store was empty and SEI said nothing: the `[store] seed` file seeded it.
    FromSeed,
    /// Nothing to start from: an empty table.
    Empty,
}

/// The table a run starts from: the stored one; while the store is empty, SEI's table, else the
/// seed file's rows. Drift is only meaningful against a stored table.
pub fn starting_table(
    stored: Vec<Developer>,
    sei: Option<(&str, &SeiTable)>,
    seed: Option<&[SeiRow]>,
    now: DateTime<Utc>,
) -> (Vec<Developer>, Start, Option<super::drift::Drift>) {
    if !stored.is_empty() {
        let drift = sei.map(|(source, rows)| super::drift::compute_drift(source, rows, &stored));
        return (stored, Start::Stored, drift);
    }
    match (sei, seed) {
        (Some((_, sei)), _) if !sei.rows.is_empty() => (
            rows_to_developers(&sei.rows, &[], now),
            Start::FromSei,
            None,
        ),
        (_, Some(rows)) => (rows_to_developers(rows, &[], now), Start::FromSeed, None),
        _ => (Vec::new(), Start::Empty, None),
    }
}

/// Table rows for SEI CSV rows, keeping the ids (and everything else) of rows with the same email.
pub fn rows_to_developers(
    rows: &[SeiRow],
    existing: &[Developer],
    now: DateTime<Utc>,
) -> Vec<Developer> {
    let by_email: HashMap<String, &Developer> = existing
        .iter()
        .map(|d| (d.email.to_lowercase(), d))
        .collect();
    let mut taken: HashSet<String> = existing.iter().map(|d| d.id.clone()).collect();
    rows.iter()
        .map(|r| {
            let old = by_email.get(&r.email.to_lowercase()).copied();
            let id = match old {
                Some(d) => d.id.clone(),
                None => {
                    let id = developer_id(&r.email, &taken);
                    taken.insert(id.clone());
                    id
                }
            };
            let mut emails = old.map(|d| d.emails.clone()).unwrap_or_default();
            if !emails.iter().any(|e| e.eq_ignore_ascii_case(&r.email)) {
                emails.insert(0, r.email.clone());
            }
            Developer {
                id,
                name: r.full_name.clone(),
                email: r.email.clone(),
                emails,
                status: RowStatus::Active,
                title: r.role.clone(),
                department: r.department.clone(),
                manager_email: r.manager_email.clone(),
                site: r.site.clone(),
                team: r.team.clone(),
                sub_role: r.sub_role.clone(),
                first_seen: old.map(|d| d.first_seen).unwrap_or(now),
                last_activity: old.and_then(|d| d.last_activity),
                identities: old.map(|d| d.identities.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

/// The active rows of the table as SEI CSV rows.
pub fn developers_to_rows(table: &[Developer]) -> Vec<SeiRow> {
    table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .map(|d| SeiRow {
            email: d.email.clone(),
            manager_email: d.manager_email.clone(),
            full_name: d.name.clone(),
            role: d.title.clone(),
            site: d.site.clone(),
            team: d.team.clone(),
            sub_role: d.sub_role.clone(),
            department: d.department.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::tests::sei;

    #[test]
    fn developer_id_is_stable_and_unique() {
        let taken = HashSet::new();
        let a = developer_id("Jane@Acme.example", &taken);
        assert_eq!(a, developer_id("jane@acme.example", &taken));
        let taken: HashSet<String> = [a.clone()].into();
        assert_ne!(developer_id("jane@acme.example", &taken), a);
    }

    #[test]
    fn rows_to_developers_keeps_the_id_and_history_of_a_known_email() {
        let now = Utc::now();
        let mut first = rows_to_developers(&[sei("ada@acme.example")], &[], now);
        first[0].last_activity = Some(now);
        let again = rows_to_developers(&[sei("Ada@acme.example")], &first, now);
        assert_eq!(again[0].id, first[0].id);
        assert_eq!(again[0].last_activity, Some(now));
        assert_eq!(again[0].email, "Ada@acme.example");
    }
}
