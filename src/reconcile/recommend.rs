//! Step 3 of a run, the reasons of SPEC §3.5 and their evidence: which of a person's active rows
//! keeps the license ([`choose_target`]), a `merge` for each other row with the path of merges that
//! joins them as evidence ([`duplicate_evidence`]), and for the row that keeps the license at most
//! one of `departed`, `bot`, `excluded_role`, `inactive`, `unseen` ([`recommend_for`]) — one
//! function per reason, removals before reviews, the most certain first.
//!
//! Architecture invariant: it only recommends; it never changes a row, and never recommends a
//! protected one. Uncertain cases (suspended, unknown, a failed source) are `review`, never `remove`.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};

use crate::model::{AccountStatus, Action, Developer, Identity, Reason, Recommendation, RowStatus};
use crate::resolve::{MatchLink, is_personal_mailbox, same_written_name};

use super::context::Context;
use super::employment::{Employment, employment_of};
use super::people::{Person, row_identity};
use super::policy;

/// Confidence of each kind of finding, in one place so the report reads consistently.
pub(super) mod confidence {
    pub const DEPARTED_FINAL: f64 = 0.97;
    pub const DEPARTED_ABSENT: f64 = 0.9;
    pub const BOT_FLAGGED: f64 = 0.99;
    pub const BOT_PATTERN: f64 = 0.9;
    pub const EXCLUDED_ROLE: f64 = 0.9;
    pub const INACTIVE: f64 = 0.85;
    pub const UNCERTAIN: f64 = 0.6;
    pub const UNKNOWN: f64 = 0.5;
}

/// What step 3 decided, and what steps 4 and 5 build on.
pub(super) struct Decisions {
    /// At most one recommendation per row, by row index.
    pub by_row: HashMap<usize, Recommendation>,
    /// For each person (by cluster), the active row that keeps their license, if they have one.
    pub target_of_cluster: Vec<Option<usize>>,
}

/// One reason a row could be recommended, before the most certain one is chosen.
pub(super) struct Candidate {
    pub action: Action,
    pub reason: Reason,
    pub confidence: f64,
    pub evidence: Vec<String>,
    /// A review that withholds every removal of the row: the directories cannot confirm the
    /// person's employment (suspended, unknown status), and SPEC §3.5 makes that a review, never a
    /// removal.
    pub withholds_removals: bool,
}

impl Candidate {
    fn new(action: Action, reason: Reason, confidence: f64, evidence: Vec<String>) -> Candidate {
        Candidate {
            action,
            reason,
            confidence,
            evidence,
            withholds_removals: false,
        }
    }
}

/// One recommendation per active row, duplicates first: every row of a person but the one that keeps
/// the license merges into it; the one that keeps it gets the person's most certain reason, if any.
pub(super) fn recommend_rows(
    people: &[Person<'_>],
    merges: &[MatchLink],
    ctx: &Context<'_>,
) -> Decisions {
    let adjacent = merges_by_identity(merges);
    let mut by_row: HashMap<usize, Recommendation> = HashMap::new();
    let mut target_of_cluster: Vec<Option<usize>> = vec![None; people.len()];
    for (c, person) in people.iter().enumerate() {
        let active: Vec<usize> = person
            .rows
            .iter()
            .copied()
            .filter(|&r| ctx.table[r].status == RowStatus::Active)
            .collect();
        let Some(target) = choose_target(&active, person, ctx) else {
            continue;
        };
        target_of_cluster[c] = Some(target);
        let mut separated: Vec<&Identity> = Vec::new();
        for &r in &active {
            if r == target || ctx.row_is_protected(r) {
                continue;
            }
            if let Some(own) = separate_directory_person(r, target, person, ctx) {
                separated.extend(own.identities.iter().copied());
                if let Some(rec) = recommend_for(r, &own, ctx) {
                    by_row.insert(r, rec);
                }
                continue;
            }
            by_row.insert(r, merge_into(r, target, merges, &adjacent, ctx));
        }
        let kept = Person {
            rows: person.rows.clone(),
            identities: person
                .identities
                .iter()
                .copied()
                .filter(|i| !separated.iter().any(|s| std::ptr::eq(*s, *i)))
                .collect(),
        };
        if !ctx.is_protected_person(&kept)
            && let Some(rec) = recommend_for(target, &kept, ctx)
        {
            by_row.insert(target, rec);
        }
    }
    Decisions {
        by_row,
        target_of_cluster,
    }
}

/// The recommendations in the report's order: most certain first, then by reason, then by row id.
pub(super) fn most_certain_first(by_row: HashMap<usize, Recommendation>) -> Vec<Recommendation> {
    let mut recommendations: Vec<Recommendation> = by_row.into_values().collect();
    recommendations.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.reason.cmp(&b.reason))
            .then(a.developer.cmp(&b.developer))
    });
    recommendations
}

/// For each identity, the merges (indices into `merges`) it takes part in.
fn merges_by_identity(merges: &[MatchLink]) -> HashMap<usize, Vec<usize>> {
    let mut adjacent: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, m) in merges.iter().enumerate() {
        adjacent.entry(m.a).or_default().push(k);
        adjacent.entry(m.b).or_default().push(k);
    }
    adjacent
}

/// `duplicate` / `merge`: row `r` is the same person as row `target`, which keeps the license.
fn merge_into(
    r: usize,
    target: usize,
    merges: &[MatchLink],
    adjacent: &HashMap<usize, Vec<usize>>,
    ctx: &Context<'_>,
) -> Recommendation {
    let (confidence, evidence) = duplicate_evidence(r, target, merges, adjacent);
    Recommendation {
        developer: ctx.table[r].id.clone(),
        action: Action::Merge,
        reason: Reason::Duplicate,
        into: Some(ctx.table[target].id.clone()),
        confidence,
        evidence,
    }
}

/// Which of a person's active rows keeps the license: the row [`prefer_row`] prefers to all others
/// (SPEC §3.5: the row the directory knows is kept).
fn choose_target(active: &[usize], person: &Person<'_>, ctx: &Context<'_>) -> Option<usize> {
    let mut best: Option<usize> = None;
    for &r in active {
        best = match best {
            None => Some(r),
            Some(b) => Some(if prefer_row(r, b, person, person, ctx) {
                r
            } else {
                b
            }),
        };
    }
    best
}

/// How well the directories know a row's address: as the primary or another address of a live
/// directory record of its person (active, suspended, not yet final), or of an ended one, or not at
/// all — in the order a row is preferred to keep the license.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum DirectoryKnows {
    No,
    AsEndedSecondary,
    AsEndedPrimary,
    AsLiveSecondary,
    AsLivePrimary,
}

/// Whether the row carries the name a directory record of the person carries, as written.
pub(super) fn named_as_the_directory_knows(d: &Developer, p: &Person<'_>) -> bool {
    p.identities
        .iter()
        .filter(|i| i.directory)
        .filter_map(|i| i.name.as_deref())
        .any(|name| same_written_name(&d.name, name))
}

/// Whether the directory records of person `p` carry row `d`'s address, and how.
pub(super) fn directory_knows(d: &Developer, p: &Person<'_>) -> DirectoryKnows {
    let mut best = DirectoryKnows::No;
    for i in p.identities.iter().filter(|i| i.directory) {
        let Some(k) = i
            .emails
            .iter()
            .position(|e| e.eq_ignore_ascii_case(&d.email))
        else {
            continue;
        };
        let known = match (i.status == AccountStatus::Departed, k == 0) {
            (true, false) => DirectoryKnows::AsEndedSecondary,
            (true, true) => DirectoryKnows::AsEndedPrimary,
            (false, false) => DirectoryKnows::AsLiveSecondary,
            (false, true) => DirectoryKnows::AsLivePrimary,
        };
        best = best.max(known);
    }
    best
}

/// The directory records of person `p` that carry row `d`'s address.
fn records_of_row<'a>(d: &Developer, p: &Person<'a>) -> Vec<&'a Identity> {
    p.identities
        .iter()
        .copied()
        .filter(|i| i.directory && i.emails.iter().any(|e| e.eq_ignore_ascii_case(&d.email)))
        .collect()
}

/// Homonyms (SPEC §3.3): two records of one directory source are two people, whatever joined them.
/// When row `r`'s address is on a record of the source that carries `target`'s address on another
/// record, and no record carries both addresses, `r` is not `target`'s duplicate: the person of `r`
/// is its records alone. A record that lists both addresses (a converted contractor's employee
/// record naming the agency address) says they are one person.
fn separate_directory_person<'a>(
    r: usize,
    target: usize,
    person: &Person<'a>,
    ctx: &Context<'_>,
) -> Option<Person<'a>> {
    let own = records_of_row(&ctx.table[r], person);
    let targets = records_of_row(&ctx.table[target], person);
    let one_record_lists_both = own
        .iter()
        .any(|x| targets.iter().any(|y| std::ptr::eq(*x, *y)));
    let distinct = own
        .iter()
        .any(|x| targets.iter().any(|y| x.source == y.source && x.id != y.id));
    (distinct && !one_record_lists_both).then(|| Person {
        rows: vec![r],
        identities: own,
    })
}

/// True when row `a` (of person `pa`) should keep the license rather than row `b` (of `pb`): a
/// protected row, then the row the directory knows (SPEC §3.5: its primary address before one it
/// lists), then a row strong evidence ties to a directory record (through a tool account's
/// address, a GitHub noreply id) before one only a name attaches, then the row under the name the
/// directory knows the person by (a renamed person's old row carries the old name), then a work
/// address before a personal one, then the row holding more accounts, then the older row.
pub(super) fn prefer_row(
    a: usize,
    b: usize,
    pa: &Person<'_>,
    pb: &Person<'_>,
    ctx: &Context<'_>,
) -> bool {
    let key = |r: usize, p: &Person<'_>| {
        let d = &ctx.table[r];
        (
            ctx.row_is_protected(r),
            directory_knows(d, p),
            ctx.row_tied_strongly(r),
            named_as_the_directory_knows(d, p),
            !is_personal_mailbox(&d.email),
            d.identities.len(),
            std::cmp::Reverse(d.first_seen),
            std::cmp::Reverse(r),
        )
    };
    key(a, pa) > key(b, pb)
}

/// Confidence and evidence that row `r` is the same person as row `target`: the merge links on the
/// shortest path between them (the resolver keeps the evidence of every merge); the confidence is the
/// weakest link on that path.
fn duplicate_evidence(
    r: usize,
    target: usize,
    merges: &[MatchLink],
    adjacent: &HashMap<usize, Vec<usize>>,
) -> (f64, Vec<String>) {
    let via = merge_path(r, target, merges, adjacent);
    let mut evidence: Vec<String> = Vec::new();
    let mut conf: f64 = 1.0;
    let mut node = target;
    while node != r {
        let Some(&k) = via.get(&node) else {
            // Joined by an override or transitively outside the recorded links.
            return (
                0.9,
                vec!["resolved into one person (see the cluster's identities)".into()],
            );
        };
        let m = &merges[k];
        conf = conf.min(m.confidence);
        for e in m.evidence.iter().rev() {
            if !evidence.contains(e) {
                evidence.push(e.clone());
            }
        }
        node = if m.a == node { m.b } else { m.a };
    }
    evidence.reverse();
    evidence.truncate(6);
    (conf, evidence)
}

/// Breadth-first from `r` towards `target` over the merges: `via[node]` is the merge that reached it.
fn merge_path(
    r: usize,
    target: usize,
    merges: &[MatchLink],
    adjacent: &HashMap<usize, Vec<usize>>,
) -> HashMap<usize, usize> {
    let mut via: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([r]);
    let mut seen: HashSet<usize> = HashSet::from([r]);
    while let Some(node) = queue.pop_front() {
        if node == target {
            break;
        }
        for &k in adjacent.get(&node).map(Vec::as_slice).unwrap_or(&[]) {
            let m = &merges[k];
            let next = if m.a == node { m.b } else { m.a };
            if seen.insert(next) {
                via.insert(next, k);
                queue.push_back(next);
            }
        }
    }
    via
}

/// The one recommendation for a person's license-keeping row, if any (SPEC §3.5).
fn recommend_for(row: usize, person: &Person<'_>, ctx: &Context<'_>) -> Option<Recommendation> {
    let d = &ctx.table[row];
    let candidates: Vec<Candidate> = [
        departure(person, ctx),
        bot(person, d, ctx),
        excluded_role(person, d, ctx),
        inactivity(person, ctx),
    ]
    .into_iter()
    .flatten()
    .collect();
    let chosen = most_certain(candidates)?;
    Some(Recommendation {
        developer: d.id.clone(),
        action: chosen.action,
        reason: chosen.reason,
        into: None,
        confidence: chosen.confidence,
        evidence: chosen.evidence,
    })
}

/// A review that withholds removals first (a suspended person is reviewed, never removed), then
/// removals before reviews; then the most certain; then the order of SPEC §3.5. The reasons not
/// chosen are named in the chosen one's evidence (`also: …`).
fn most_certain(mut candidates: Vec<Candidate>) -> Option<Candidate> {
    candidates.sort_by(|a, b| {
        let rank = |x: &Candidate| match (x.withholds_removals, x.action) {
            (true, _) => 0,
            (false, Action::Remove) => 1,
            _ => 2,
        };
        rank(a)
            .cmp(&rank(b))
            .then(b.confidence.total_cmp(&a.confidence))
            .then(a.reason.cmp(&b.reason))
    });
    let mut rest = candidates.into_iter();
    let mut chosen = rest.next()?;
    let also: Vec<&'static str> = rest.map(|c| c.reason.as_str()).collect();
    if !also.is_empty() {
        chosen.evidence.push(format!("also: {}", also.join(", ")));
    }
    Some(chosen)
}

/// What deciding a review of uncertain employment changes (a review says what either answer does).
const UNCERTAIN_CHOICE: &str = "if they have left: remove this row, one license fewer; if they are still employed: keep it, no license change";

/// `departed` (SPEC §3.2): remove when every directory account is final, review when one is suspended
/// or unknown; absence and `unseen` have rules of their own.
fn departure(person: &Person<'_>, ctx: &Context<'_>) -> Option<Candidate> {
    match employment_of(&person.identities, &ctx.directories) {
        Employment::Employed => None,
        Employment::Departed { evidence } => Some(Candidate::new(
            Action::Remove,
            Reason::Departed,
            confidence::DEPARTED_FINAL,
            vec![evidence],
        )),
        Employment::Absent { evidence } => Some(absence(evidence, person, ctx)),
        Employment::Uncertain { evidence } => Some(Candidate {
            withholds_removals: true,
            ..Candidate::new(
                Action::Review,
                Reason::Departed,
                confidence::UNCERTAIN,
                vec![evidence, UNCERTAIN_CHOICE.into()],
            )
        }),
        Employment::Unknown { evidence } => unseen(evidence, person),
    }
}

/// `departed` by absence: no healthy directory knows them. A removal, unless absence is withheld this
/// run (a directory's first run that would remove too many), then a review.
fn absence(evidence: String, person: &Person<'_>, ctx: &Context<'_>) -> Candidate {
    let mut evidence = vec![evidence];
    if person.identities.is_empty() {
        evidence.push("no source knows this row".into());
    } else {
        evidence.push(format!("still seen in {}", person.describe()));
    }
    match &ctx.absence_withheld {
        None => Candidate::new(
            Action::Remove,
            Reason::Departed,
            confidence::DEPARTED_ABSENT,
            evidence,
        ),
        Some(why) => {
            evidence.push(why.clone());
            Candidate::new(
                Action::Review,
                Reason::Departed,
                confidence::UNCERTAIN,
                evidence,
            )
        }
    }
}

/// `unseen`: the directories cannot say and no source knows the row at all: a review.
fn unseen(evidence: String, person: &Person<'_>) -> Option<Candidate> {
    if !person.identities.is_empty() {
        return None;
    }
    Some(Candidate::new(
        Action::Review,
        Reason::Unseen,
        confidence::UNKNOWN,
        vec!["no source knows this row".into(), evidence],
    ))
}

/// `bot`: a source flags one of the person's accounts, or a bot pattern matches an account or the row
/// itself.
fn bot(person: &Person<'_>, d: &Developer, ctx: &Context<'_>) -> Option<Candidate> {
    let (evidence, flagged) = policy::bot_evidence(&person.identities, &ctx.policy.bot_patterns)
        .or_else(|| policy::bot_evidence(&[&row_identity(d)], &ctx.policy.bot_patterns))?;
    let confidence = if flagged {
        confidence::BOT_FLAGGED
    } else {
        confidence::BOT_PATTERN
    };
    Some(Candidate::new(
        Action::Remove,
        Reason::Bot,
        confidence,
        vec![evidence],
    ))
}

/// `excluded_role`: the department or title that counts for the person is excluded by policy.
fn excluded_role(person: &Person<'_>, d: &Developer, ctx: &Context<'_>) -> Option<Candidate> {
    let (department, title) = policy::role_of(
        &person.identities,
        d.department.as_deref(),
        d.title.as_deref(),
    );
    let evidence = policy::excluded_role_evidence(department.as_ref(), title.as_ref(), ctx.policy)?;
    Some(Candidate::new(
        Action::Remove,
        Reason::ExcludedRole,
        confidence::EXCLUDED_ROLE,
        vec![evidence],
    ))
}

/// `inactive` (SPEC §3.5): remove when the newest activity is older than the policy allows and every
/// activity source is healthy; review when a tool source failed. No activity known at all is not
/// inactivity: no recommendation (the report counts the row in `usage.activity_unknown`).
pub(super) fn inactivity(person: &Person<'_>, ctx: &Context<'_>) -> Option<Candidate> {
    let seen = first_seen(person, ctx.table, ctx.now);
    let grace = chrono::Duration::days(i64::from(ctx.policy.new_developer_grace_days));
    if ctx.now - seen < grace {
        return None;
    }
    let (t, from) = last_activity(person, ctx.table)?;
    is_stale(t, ctx).then(|| stale_activity(t, &from, ctx))
}

/// Whether activity at `t` is older than `inactive_after_days`.
pub(super) fn is_stale(t: DateTime<Utc>, ctx: &Context<'_>) -> bool {
    ctx.now - t > chrono::Duration::days(i64::from(ctx.policy.inactive_after_days))
}

/// Activity older than the policy allows: a removal, or a review while a tool source that may hold
/// newer activity failed or was guarded.
fn stale_activity(t: DateTime<Utc>, from: &str, ctx: &Context<'_>) -> Candidate {
    let days = (ctx.now - t).num_days();
    let mut evidence = vec![format!(
        "last engineering activity {} ({from}), {days} days ago; policy: {} days",
        t.format("%Y-%m-%d"),
        ctx.policy.inactive_after_days
    )];
    if ctx.unhealthy_tools.is_empty() {
        return Candidate::new(
            Action::Remove,
            Reason::Inactive,
            confidence::INACTIVE,
            evidence,
        );
    }
    evidence.push(format!(
        "withheld: {} failed or was guarded this run, newer activity may be there",
        ctx.unhealthy_tools.join(", ")
    ));
    Candidate::new(
        Action::Review,
        Reason::Inactive,
        confidence::UNCERTAIN,
        evidence,
    )
}

/// The newest engineering activity across a person's rows and identities, with where it came from.
pub(super) fn last_activity(
    person: &Person<'_>,
    table: &[Developer],
) -> Option<(DateTime<Utc>, String)> {
    let mut best: Option<(DateTime<Utc>, String)> = None;
    for &r in &person.rows {
        if let Some(t) = table[r].last_activity
            && best.as_ref().is_none_or(|(b, _)| t > *b)
        {
            best = Some((t, "an earlier run".into()));
        }
    }
    for i in &person.identities {
        if let Some(t) = i.last_activity
            && best.as_ref().is_none_or(|(b, _)| t > *b)
        {
            best = Some((t, i.source.clone()));
        }
    }
    best
}

/// When the person was first seen: the earliest creation date a source reports, else the row's.
fn first_seen(person: &Person<'_>, table: &[Developer], now: DateTime<Utc>) -> DateTime<Utc> {
    let rows = person.rows.iter().map(|&r| table[r].first_seen);
    let created = person.identities.iter().filter_map(|i| i.created_at);
    rows.chain(created).min().unwrap_or(now)
}
