//! Step 4 of a run: when thin evidence becomes a `review` (SPEC §3.3, §3.5). A weak link (a probable
//! match, between the review and merge thresholds) between two people with rows is a duplicate
//! review of the row that would lose the license; a weak link between a row and someone not in the
//! table turns the row's `departed` / `inactive` / `unseen` removal into a review
//! ([`soften_removal`]) and keeps that someone out of the additions until a person decides.
//!
//! Architecture invariant: it only ever adds reviews or weakens a removal into one; it never
//! creates a removal or a merge, never touches a protected row, and never changes the table.

use std::collections::{HashMap, HashSet};

use crate::model::{Action, Developer, Reason, Recommendation};
use crate::resolve::{MatchLink, Resolution};

use super::context::Context;
use super::people::Person;
use super::recommend::{Decisions, confidence, prefer_row};

/// Apply every weak link of the resolution to step 3's decisions. Returns the people (by cluster)
/// not to be added as new developers until reviewed.
pub(super) fn apply_weak_links(
    resolution: &Resolution,
    people: &[Person<'_>],
    decisions: &mut Decisions,
    ctx: &Context<'_>,
) -> HashSet<usize> {
    let mut blocked_additions: HashSet<usize> = HashSet::new();
    let target_of_cluster = &decisions.target_of_cluster;
    for link in &resolution.reviews {
        let (ca, cb) = (resolution.cluster_of[link.a], resolution.cluster_of[link.b]);
        match (target_of_cluster[ca], target_of_cluster[cb]) {
            (Some(_), Some(_)) if directory_says_distinct(&people[ca], &people[cb]) => {}
            (Some(ra), Some(rb)) => review_row_pair(
                link,
                (ra, &people[ca]),
                (rb, &people[cb]),
                &mut decisions.by_row,
                ctx,
            ),
            (Some(row), None) | (None, Some(row)) => {
                let other = if target_of_cluster[ca].is_some() {
                    cb
                } else {
                    ca
                };
                if !people[other].rows.is_empty() {
                    continue; // the other person only has removed rows
                }
                blocked_additions.insert(other);
                let note = format!(
                    "may be the same person as {}: {}",
                    people[other].describe(),
                    link.evidence.join("; ")
                );
                note_match_to_newcomer(row, note, link.confidence, &mut decisions.by_row, ctx);
            }
            (None, None) => {}
        }
    }
    blocked_additions
}

/// Two people the same directory source lists separately (two accounts, two ids) are two people,
/// however alike their names: such pairs are not worth a review.
fn directory_says_distinct(a: &Person<'_>, b: &Person<'_>) -> bool {
    a.identities.iter().filter(|i| i.directory).any(|i| {
        b.identities
            .iter()
            .filter(|j| j.directory)
            .any(|j| j.source == i.source && j.id != i.id)
    })
}

/// Two rows that may be one person: a duplicate review of the row that would lose the license,
/// both rows side by side, unless that row is protected or already has a stronger recommendation.
fn review_row_pair(
    link: &MatchLink,
    (ra, pa): (usize, &Person<'_>),
    (rb, pb): (usize, &Person<'_>),
    by_row: &mut HashMap<usize, Recommendation>,
    ctx: &Context<'_>,
) {
    let (worse, better) = if prefer_row(ra, rb, pa, pb, ctx) {
        (rb, ra)
    } else {
        (ra, rb)
    };
    if ctx.row_is_protected(worse) {
        return;
    }
    let (worse_row, better_row) = (&ctx.table[worse], &ctx.table[better]);
    let mut evidence = link.evidence.clone();
    evidence.push(format!(
        "side by side: {} | {}",
        describe_row(worse_row),
        describe_row(better_row)
    ));
    let review = Recommendation {
        developer: worse_row.id.clone(),
        action: Action::Review,
        reason: Reason::Duplicate,
        into: Some(better_row.id.clone()),
        confidence: link.confidence,
        evidence,
    };
    if review_replaces(by_row.get(&worse), &review) {
        by_row.insert(worse, review);
    }
}

/// A duplicate review takes a row's place only over nothing, another duplicate review, or a weaker
/// review: never over a removal or a merge.
fn review_replaces(existing: Option<&Recommendation>, review: &Recommendation) -> bool {
    match existing {
        Some(existing) if existing.action != Action::Review => false,
        Some(existing)
            if existing.confidence >= review.confidence && existing.reason != Reason::Duplicate =>
        {
            false
        }
        _ => true,
    }
}

/// A row that may be the same person as someone not in the table: a removal a match can contradict
/// becomes a review, any other recommendation carries the note, and a row without one gets a
/// duplicate review of its own (unless protected).
fn note_match_to_newcomer(
    row: usize,
    note: String,
    confidence: f64,
    by_row: &mut HashMap<usize, Recommendation>,
    ctx: &Context<'_>,
) {
    match by_row.get_mut(&row) {
        Some(rec) if match_can_contradict(rec) => soften_removal(rec, note),
        Some(rec) => rec.evidence.push(note),
        None if !ctx.row_is_protected(row) => {
            by_row.insert(row, newcomer_review(&ctx.table[row], note, confidence));
        }
        None => {}
    }
}

/// The removals a probable match to someone else can contradict: `departed`, `inactive`, `unseen`.
fn match_can_contradict(rec: &Recommendation) -> bool {
    rec.action == Action::Remove
        && matches!(
            rec.reason,
            Reason::Departed | Reason::Inactive | Reason::Unseen
        )
}

/// Turn a removal into a review, no more certain than an uncertain finding, with the match as evidence.
fn soften_removal(rec: &mut Recommendation, note: String) {
    rec.action = Action::Review;
    rec.confidence = rec.confidence.min(confidence::UNCERTAIN);
    rec.evidence.push(note);
}

/// A duplicate review of a row that may already be someone found in the tools.
fn newcomer_review(d: &Developer, note: String, confidence: f64) -> Recommendation {
    Recommendation {
        developer: d.id.clone(),
        action: Action::Review,
        reason: Reason::Duplicate,
        into: None,
        confidence,
        evidence: vec![note, "not added as a new developer until reviewed".into()],
    }
}

fn describe_row(d: &Developer) -> String {
    format!("{} <{}> (row {})", d.name, d.email, d.id)
}
