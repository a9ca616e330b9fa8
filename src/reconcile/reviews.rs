//! Step 4 of a run: when thin evidence becomes a `review` (SPEC §3.3, §3.5) — only where deciding it
//! would change the table. A weak link (a probable match, between the review and merge thresholds)
//! between two people with rows is a duplicate review of the row that would lose the license
//! ([`review_row_pair`]). A weak link between a row and someone with no row keeps that someone out
//! of the additions until a person decides ([`apply_weak_links`] returns them; the report counts
//! them as `withheld`), and turns the row's removal into a review only when the match could
//! contradict it ([`match_contradicts_removal`]): a departure by an active directory identity, an
//! inactivity by newer activity. A tool account that merely resembles a row is no recommendation
//! on that row: attaching it or not changes no license.
//!
//! A row removed as departed because no directory knows it, whose possible matches all point at
//! one employed person's row, is that row's duplicate instead ([`duplicate_before_departure`]).
//!
//! Architecture invariant: it only ever adds reviews, weakens a removal into one, or names a
//! removal's row a duplicate; it never creates a removal, never turns a kept row into a merge,
//! never touches a protected row (step 3 gives them nothing to change), and never changes the
//! table. Each review says what either decision would change.

use std::collections::{HashMap, HashSet};

use crate::model::{Action, Developer, Reason, Recommendation};
use crate::resolve::{MatchLink, NameAgreement, Resolution, name_key, numbered_siblings};

use super::context::Context;
use super::employment::{Employment, employment_of};
use super::people::Person;
use super::recommend::{
    Decisions, confidence, is_stale, last_activity, named_as_the_directory_knows, prefer_row,
};
use super::table::{holds_a_developer_role, would_be_added};

/// Apply every weak link of the resolution to step 3's decisions. Returns the people (by cluster)
/// not to be added as new developers until reviewed.
pub(super) fn apply_weak_links(
    resolution: &Resolution,
    people: &[Person<'_>],
    decisions: &mut Decisions,
    ctx: &Context<'_>,
) -> HashSet<usize> {
    let mut blocked_additions: HashSet<usize> = HashSet::new();
    let mut lookalikes: HashMap<usize, Vec<Lookalike<'_, '_>>> = HashMap::new();
    let mut either_way: Vec<(usize, usize, &MatchLink)> = Vec::new();
    let target_of_cluster = &decisions.target_of_cluster;
    for link in &resolution.reviews {
        let (ca, cb) = (resolution.cluster_of[link.a], resolution.cluster_of[link.b]);
        if directory_says_distinct(&people[ca], &people[cb]) {
            continue;
        }
        match (target_of_cluster[ca], target_of_cluster[cb]) {
            (Some(ra), Some(rb)) => {
                let (a, b) = ((ra, &people[ca]), (rb, &people[cb]));
                match absent_lookalike(a, b, &decisions.by_row, ctx) {
                    Some((row, into, person)) => {
                        let candidate = Lookalike { into, person, link };
                        lookalikes.entry(row).or_default().push(candidate);
                    }
                    None => review_row_pair(link, a, b, &mut decisions.by_row, ctx),
                }
            }
            (Some(row), None) | (None, Some(row)) => {
                let other = if target_of_cluster[ca].is_some() {
                    cb
                } else {
                    ca
                };
                if !people[other].rows.is_empty() {
                    continue; // the other person only has removed rows
                }
                let own = if other == ca { cb } else { ca };
                if let Some(rec) = decisions.by_row.get_mut(&row)
                    && match_contradicts_removal(rec, &people[other], ctx)
                {
                    if ended_record_of_someone_added_anyway(rec, &people[own], &people[other], ctx)
                    {
                        either_way.push((row, other, link));
                        continue;
                    }
                    soften_removal(rec, &people[other], link);
                }
                blocked_additions.insert(other);
            }
            (None, None) => {}
        }
    }
    for (row, candidates) in lookalikes {
        duplicate_before_departure(row, &candidates, &mut decisions.by_row, ctx);
    }
    namesakes_in_the_directory(people, &mut blocked_additions, decisions, ctx);
    // A departure stands on a match added anyway only if another link did not hold them back:
    // otherwise the match is not added, and the decision changes a license after all.
    for (row, other, link) in either_way {
        if let Some(rec) = decisions.by_row.get_mut(&row) {
            if blocked_additions.contains(&other) {
                soften_removal(rec, &people[other], link);
            } else {
                note_either_way(rec, &people[other], link);
            }
        }
    }
    blocked_additions
}

/// A possible match of a row no directory knows: the employed person's row it may be a duplicate
/// of, that person, and the link.
struct Lookalike<'p, 'a> {
    into: usize,
    person: &'p Person<'a>,
    link: &'p MatchLink,
}

/// A row removed as departed because no directory knows it, whose name (nicknames counted, middle
/// names aside) an active directory person carries who has no row: the row may be theirs under an
/// address the directory does not list, and the name being two people's ("Phil Singh", "Philip
/// Singh") is why nothing attached it. It is a review (SPEC §3.3: a removal a possible match to an
/// active directory identity could contradict): removing it would take their only license, or,
/// when they would be added this run, their history with it. Such a namesake is held back from
/// the additions until the review is decided (`held_back`). A namesake with a row of their own,
/// or two or more namesakes who would be added (the row is at most one of theirs), leave the
/// departure standing, the match shown.
fn namesakes_in_the_directory(
    people: &[Person<'_>],
    held_back: &mut HashSet<usize>,
    decisions: &mut Decisions,
    ctx: &Context<'_>,
) {
    let absent_departures = absent_departures(people, decisions);
    if absent_departures.is_empty() {
        return;
    }
    // Who would be added had no row been reviewed here: each review's words must not depend on
    // the order of the rows.
    let held_before = held_back.clone();
    let by_key = employed_without_rows_by_name(people, ctx);
    for (c, row) in absent_departures {
        let d = &ctx.table[row];
        let Some(candidates) = name_key(&d.name).and_then(|k| by_key.get(&k)) else {
            continue;
        };
        let namesakes: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&o| o != c && holds_a_developer_role(&people[o], ctx))
            .collect();
        let Some(rec) = decisions.by_row.get_mut(&row) else {
            continue;
        };
        if namesakes.is_empty() {
            continue;
        }
        let added: Vec<usize> = namesakes
            .iter()
            .copied()
            .filter(|&o| !held_before.contains(&o) && would_be_added(&people[o], ctx))
            .collect();
        if added.len() > 1 {
            // Two or more of them are added as new developers: the row is at most one of theirs,
            // and holding them all back would cost the others their license. One license either
            // way, the match shown.
            let added: Vec<&Person<'_>> = added.iter().map(|&o| &people[o]).collect();
            rec.evidence.push(may_be_namesakes(&added));
            rec.evidence.push(EITHER_WAY.to_string());
            continue;
        }
        // The one who would be added this run is not, until a person decides: the row may be
        // theirs.
        let added = added.len();
        held_back.extend(namesakes.iter().copied());
        let namesakes: Vec<&Person<'_>> = namesakes.iter().map(|&o| &people[o]).collect();
        rec.action = Action::Review;
        rec.confidence = rec.confidence.min(confidence::UNCERTAIN);
        rec.evidence.push(may_be_namesakes(&namesakes));
        rec.evidence.push(if added == 0 {
            "if theirs: keep this row (it takes their accounts), no license change; if not: remove \
             it as departed, one license fewer"
                .to_string()
        } else {
            "if theirs: keep this row (it takes their accounts and their history stays), and they \
             are not added as a new developer; if not: remove it as departed and add them; one \
             license either way"
                .to_string()
        });
    }
}

/// The evidence naming the directory people a row's name may be (three at most).
fn may_be_namesakes(namesakes: &[&Person<'_>]) -> String {
    let named: Vec<String> = namesakes.iter().take(3).map(|o| o.describe()).collect();
    format!(
        "may be {} (the same name, nicknames counted; no address ties them)",
        named.join(" or ")
    )
}

/// `(cluster, row)` of each person whose license-keeping row is removed as departed because no
/// directory knows them.
fn absent_departures(people: &[Person<'_>], decisions: &Decisions) -> Vec<(usize, usize)> {
    decisions
        .target_of_cluster
        .iter()
        .enumerate()
        .filter_map(|(c, t)| Some((c, (*t)?)))
        .filter(|&(c, row)| {
            people[c].identities.iter().all(|i| !i.directory)
                && decisions
                    .by_row
                    .get(&row)
                    .is_some_and(|r| r.action == Action::Remove && r.reason == Reason::Departed)
        })
        .collect()
}

/// The people a directory employs who have no row, by the name keys of their directory records.
fn employed_without_rows_by_name(
    people: &[Person<'_>],
    ctx: &Context<'_>,
) -> HashMap<String, Vec<usize>> {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for (c, person) in people.iter().enumerate() {
        if !person.rows.is_empty()
            || employment_of(&person.identities, &ctx.directories) != Employment::Employed
        {
            continue;
        }
        let mut keys: Vec<String> = person
            .identities
            .iter()
            .filter(|i| i.directory)
            .filter_map(|i| name_key(i.name.as_deref()?))
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            by_key.entry(key).or_default().push(c);
        }
    }
    by_key
}

/// A weak link between a row removed as departed because no directory knows it and the row of a
/// person a directory employs: `(the absent row, the employed person's row, that person)`.
fn absent_lookalike<'p, 'a>(
    a: (usize, &'p Person<'a>),
    b: (usize, &'p Person<'a>),
    by_row: &HashMap<usize, Recommendation>,
    ctx: &Context<'_>,
) -> Option<(usize, usize, &'p Person<'a>)> {
    for ((row, person), (other_row, other)) in [(a, b), (b, a)] {
        let removed_as_departed = by_row
            .get(&row)
            .is_some_and(|r| r.action == Action::Remove && r.reason == Reason::Departed);
        let no_directory_knows = person.identities.iter().all(|i| !i.directory);
        if removed_as_departed
            && no_directory_knows
            && employment_of(&other.identities, &ctx.directories) == Employment::Employed
        {
            return Some((row, other_row, other));
        }
    }
    None
}

/// Duplicates before departures (SPEC §3.5): a row no directory knows whose possible matches all
/// point at one employed person's row is a duplicate of that row, not a leaver — when the row is
/// plainly that person's ([`plainly_theirs`]). Either way its license goes, so no review is
/// needed; with matches to two or more rows, or to a namesake, it stays `departed`.
fn duplicate_before_departure(
    row: usize,
    candidates: &[Lookalike<'_, '_>],
    by_row: &mut HashMap<usize, Recommendation>,
    ctx: &Context<'_>,
) {
    let into = candidates[0].into;
    if candidates.iter().any(|c| c.into != into) {
        return;
    }
    let (d, target) = (&ctx.table[row], &ctx.table[into]);
    if !candidates
        .iter()
        .all(|c| plainly_theirs(d, c.person, c.link, ctx))
    {
        return;
    }
    let link = candidates
        .iter()
        .map(|c| c.link)
        .max_by(|x, y| x.confidence.total_cmp(&y.confidence))
        .expect("at least one candidate");
    let mut evidence = link.evidence.clone();
    evidence.push(format!(
        "no directory knows {}; the only row it may be is {}",
        d.email,
        describe_row(target)
    ));
    evidence.push(format!(
        "either way this row's license goes: merged, its accounts and history go to row {}",
        target.id
    ));
    by_row.insert(
        row,
        Recommendation {
            developer: d.id.clone(),
            action: Action::Merge,
            reason: Reason::Duplicate,
            into: Some(target.id.clone()),
            confidence: link.confidence.min(confidence::DEPARTED_ABSENT),
            evidence,
        },
    );
}

/// Whether a row no directory knows is plainly a second row of `person` (employed, with a row of
/// their own) rather than a namesake who left, whose record the directory deleted: the row carries
/// the name the directory knows the person by, as written (a nickname or one word of it may be
/// the namesake's), the name is not common (a common name's leaver is as likely), and no address
/// of the person is the row's address with a number added or taken away (`jsmith2@` is what the
/// second J. Smith gets: the two were two people).
pub(super) fn plainly_theirs(
    d: &Developer,
    person: &Person<'_>,
    link: &MatchLink,
    ctx: &Context<'_>,
) -> bool {
    if link.names == NameAgreement::CommonName {
        return false;
    }
    let named = named_as_the_directory_knows(d, person);
    let addresses = person
        .identities
        .iter()
        .flat_map(|i| i.emails.iter().map(String::as_str))
        .chain(person.rows.iter().map(|&r| ctx.table[r].email.as_str()));
    let numbered = addresses
        .into_iter()
        .any(|email| numbered_siblings(&d.email, email));
    named && !numbered
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
    evidence.push(format!(
        "if the same person: merge row {} into row {}, one license fewer; if not: keep both",
        worse_row.id, better_row.id
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

/// Whether a possible match to `other` (someone with no row) could contradict the removal `rec`
/// (SPEC §3.3, §3.5): a departure, only when `other` is employed by a directory (a departed
/// person's tool accounts never make them employed); an inactivity, only when `other` shows
/// activity within the policy.
pub(super) fn match_contradicts_removal(
    rec: &Recommendation,
    other: &Person<'_>,
    ctx: &Context<'_>,
) -> bool {
    if rec.action != Action::Remove {
        return false;
    }
    match rec.reason {
        Reason::Departed => {
            employment_of(&other.identities, &ctx.directories) == Employment::Employed
        }
        Reason::Inactive => last_activity(other, ctx.table).is_some_and(|(t, _)| !is_stale(t, ctx)),
        _ => false,
    }
}

/// Whether a departure that a possible match to someone with no row contradicts changes no license
/// either way: the row's own directory records have ended (a converted contractor's vendor record,
/// not an absence a directory might explain) and the match is added as a new developer unless held
/// back ([`would_be_added`]). Then the removal stands, with the match as evidence ([`note_either_way`]), and the match
/// is added: keeping this row instead, if they are one person, would change no license.
fn ended_record_of_someone_added_anyway(
    rec: &Recommendation,
    own: &Person<'_>,
    other: &Person<'_>,
    ctx: &Context<'_>,
) -> bool {
    rec.reason == Reason::Departed
        && matches!(
            employment_of(&own.identities, &ctx.directories),
            Employment::Departed { .. }
        )
        && would_be_added(other, ctx)
}

/// What a departure that a possible match added anyway contradicts changes: no license.
const EITHER_WAY: &str = "either way one license: this row goes and they are added as a new \
                          developer (if the same person, this row's history is not carried over)";

/// A removal that stands although a possible match contradicts it: the match and what either
/// answer would change, as evidence.
fn note_either_way(rec: &mut Recommendation, other: &Person<'_>, link: &MatchLink) {
    rec.evidence.push(format!(
        "may be the same person as {}: {}",
        other.describe(),
        link.evidence.join("; ")
    ));
    rec.evidence.push(EITHER_WAY.to_string());
}

/// Turn a removal into a review, no more certain than an uncertain finding, with the match and what
/// either decision would change as evidence.
fn soften_removal(rec: &mut Recommendation, other: &Person<'_>, link: &MatchLink) {
    rec.action = Action::Review;
    rec.confidence = rec.confidence.min(confidence::UNCERTAIN);
    rec.evidence.push(format!(
        "may be the same person as {}: {}",
        other.describe(),
        link.evidence.join("; ")
    ));
    rec.evidence.push(format!(
        "if the same person: keep this row (it takes those accounts), no license change; \
         if not: remove it as {}, one license fewer; they are not added as a new developer until then",
        rec.reason.as_str()
    ));
}

fn describe_row(d: &Developer) -> String {
    format!("{} <{}> (row {})", d.name, d.email, d.id)
}
