//! Reconcile: take the resolved people, the stored table and the policy, and decide — employment,
//! eligibility, additions, updates, one recommendation per row, usage and the guard (SPEC §3).
//!
//! Architecture invariant: pure. `now` comes in as a parameter; no clock, file, socket or I/O crate.
//! Removals are only ever recommendations; nothing here deletes a row. When evidence is thin the
//! answer is `review`, never `remove`.

pub mod employment;
pub mod guard;
pub mod policy;

pub use policy::Policy;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::model::{
    Action, Developer, Identity, IdentityRef, Link, Reason, Recommendation, RowStatus, RunStatus,
    SourceStatus, Subscription, TABLE_SOURCE, Usage, name_from_email,
};
use crate::resolve::{self, MatchLink, ResolveOptions};

use employment::{Directories, Employment, display_account, employment_of};

/// What one source delivered to this run.
#[derive(Debug, Clone)]
pub enum SourceOutcome {
    Fetched(Vec<Identity>),
    /// A source that delivers no identities (the SEI subscription and table), with its record count
    /// so the guard still watches it.
    Counted(usize),
    Failed(String),
}

/// One configured source's contribution.
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub name: String,
    pub kind: String,
    pub directory: bool,
    pub outcome: SourceOutcome,
}

/// Everything a reconciliation decides from.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub now: DateTime<Utc>,
    pub policy: &'a Policy,
    pub resolve: &'a ResolveOptions,
    /// The stored table; the outcome's table is this one, updated and extended.
    pub table: Vec<Developer>,
    pub sources: Vec<SourceInput>,
    /// Each source's record count in its last good run (the guard's baseline).
    pub last_good: &'a HashMap<String, u64>,
    pub subscription: Option<Subscription>,
}

/// How one source fared (SPEC §4 `sources`).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceReport {
    pub name: String,
    pub kind: String,
    pub status: SourceStatus,
    pub records: u64,
    pub error: Option<String>,
}

/// The decision of one run.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: RunStatus,
    pub sources: Vec<SourceReport>,
    /// The table after this run: every row, additions at the end.
    pub table: Vec<Developer>,
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub recommendations: Vec<Recommendation>,
    pub usage: Usage,
    pub subscription: Option<Subscription>,
}

impl Outcome {
    /// Rows recommended for a merge, plus duplicate reviews.
    pub fn duplicates(&self) -> usize {
        self.recommendations
            .iter()
            .filter(|r| r.reason == Reason::Duplicate)
            .count()
    }
}

/// Confidence of each kind of finding, in one place so the report reads consistently.
mod confidence {
    pub const DEPARTED_FINAL: f64 = 0.97;
    pub const DEPARTED_ABSENT: f64 = 0.9;
    pub const BOT_FLAGGED: f64 = 0.99;
    pub const BOT_PATTERN: f64 = 0.9;
    pub const EXCLUDED_ROLE: f64 = 0.9;
    pub const INACTIVE: f64 = 0.85;
    pub const UNCERTAIN: f64 = 0.6;
    pub const UNKNOWN: f64 = 0.5;
}

/// Everything known about one resolved person.
struct Person<'a> {
    /// Indices into the table.
    rows: Vec<usize>,
    /// Identities from sources (not table rows).
    identities: Vec<&'a Identity>,
}

/// Run the reconciliation.
pub fn reconcile(input: Input<'_>) -> Outcome {
    let Input {
        now,
        policy,
        resolve: resolve_options,
        table,
        sources,
        last_good,
        subscription,
    } = input;

    // 1. Sources and the guard.
    let mut reports = Vec::with_capacity(sources.len());
    let mut per_source: Vec<Vec<Identity>> = Vec::new();
    let mut directories = Directories::default();
    let mut unhealthy_tools: Vec<String> = Vec::new();
    let mut activity_sources: Vec<String> = Vec::new();
    for s in sources {
        let (status, records, error) = match &s.outcome {
            SourceOutcome::Fetched(ids) => (
                guard::status_for(
                    ids.len(),
                    last_good.get(&s.name).copied(),
                    policy.max_drop_percent,
                ),
                ids.len() as u64,
                None,
            ),
            SourceOutcome::Counted(n) => (
                guard::status_for(*n, last_good.get(&s.name).copied(), policy.max_drop_percent),
                *n as u64,
                None,
            ),
            SourceOutcome::Failed(e) => (SourceStatus::Failed, 0, Some(e.clone())),
        };
        let error = match (status, error) {
            (SourceStatus::Guarded, None) => Some(format!(
                "returned {records} records, more than {}% fewer than its last good run ({}); nothing is inferred from absence in it",
                policy.max_drop_percent,
                last_good.get(&s.name).copied().unwrap_or(0)
            )),
            (_, e) => e,
        };
        let healthy = status == SourceStatus::Ok;
        if s.directory {
            directories.sources.push((s.name.clone(), healthy));
        } else if !healthy {
            unhealthy_tools.push(s.name.clone());
        }
        if let SourceOutcome::Fetched(ids) = s.outcome {
            if !s.directory && ids.iter().any(|i| i.last_activity.is_some()) {
                activity_sources.push(s.name.clone());
            }
            per_source.push(ids);
        }
        reports.push(SourceReport {
            name: s.name,
            kind: s.kind,
            status,
            records,
            error,
        });
    }
    let status = if reports.iter().all(|r| r.status == SourceStatus::Ok) {
        RunStatus::Ok
    } else {
        RunStatus::Degraded
    };

    // 2. Resolve table rows and source identities together.
    let n_rows = table.len();
    // One allocation of the exact size; each source's vector is moved in and freed in turn.
    let total: usize = per_source.iter().map(Vec::len).sum();
    let mut all: Vec<Identity> = Vec::with_capacity(n_rows + total);
    all.extend(table.iter().map(row_identity));
    for ids in per_source {
        all.extend(ids);
    }
    let resolution = resolve::resolve(&all, resolve_options);

    let people: Vec<Person<'_>> = resolution
        .clusters
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
        .collect();

    let mut ctx = Context {
        now,
        policy,
        table: &table,
        directories: &directories,
        unhealthy_tools: &unhealthy_tools,
        activity_sources: &activity_sources,
        absence_withheld: None,
    };
    ctx.absence_withheld = first_run_absence_guard(&people, &ctx, last_good);

    // 3. One recommendation per active row, duplicates first.
    let mut adjacent: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, m) in resolution.merges.iter().enumerate() {
        adjacent.entry(m.a).or_default().push(k);
        adjacent.entry(m.b).or_default().push(k);
    }
    let mut by_row: HashMap<usize, Recommendation> = HashMap::new();
    let mut target_of_cluster: Vec<Option<usize>> = vec![None; people.len()];
    for (c, person) in people.iter().enumerate() {
        let active: Vec<usize> = person
            .rows
            .iter()
            .copied()
            .filter(|&r| table[r].status == RowStatus::Active)
            .collect();
        let Some(target) = choose_target(&active, person, &ctx) else {
            continue;
        };
        target_of_cluster[c] = Some(target);
        let protected = ctx.is_protected_person(person);
        for &r in &active {
            if r == target || ctx.row_is_protected(r) {
                continue;
            }
            let (conf, evidence) = duplicate_evidence(r, target, &resolution.merges, &adjacent);
            by_row.insert(
                r,
                Recommendation {
                    developer: table[r].id.clone(),
                    action: Action::Merge,
                    reason: Reason::Duplicate,
                    into: Some(table[target].id.clone()),
                    confidence: conf,
                    evidence,
                },
            );
        }
        if !protected && let Some(rec) = recommend_for(target, person, &ctx) {
            by_row.insert(target, rec);
        }
    }

    // 4. Weak links: reviews between rows, and softening of removals that a probable match contradicts.
    let mut blocked_additions: HashSet<usize> = HashSet::new();
    for link in &resolution.reviews {
        let (ca, cb) = (resolution.cluster_of[link.a], resolution.cluster_of[link.b]);
        match (target_of_cluster[ca], target_of_cluster[cb]) {
            (Some(_), Some(_)) if directory_says_distinct(&people[ca], &people[cb]) => {}
            (Some(ra), Some(rb)) => {
                let (worse, better) = if prefer_row(ra, rb, &people[ca], &people[cb], &ctx) {
                    (rb, ra)
                } else {
                    (ra, rb)
                };
                if ctx.row_is_protected(worse) {
                    continue;
                }
                let mut evidence = link.evidence.clone();
                evidence.push(format!(
                    "side by side: {} | {}",
                    describe_row(&table[worse]),
                    describe_row(&table[better])
                ));
                let review = Recommendation {
                    developer: table[worse].id.clone(),
                    action: Action::Review,
                    reason: Reason::Duplicate,
                    into: Some(table[better].id.clone()),
                    confidence: link.confidence,
                    evidence,
                };
                match by_row.get(&worse) {
                    Some(existing) if existing.action != Action::Review => {}
                    Some(existing)
                        if existing.confidence >= review.confidence
                            && existing.reason != Reason::Duplicate => {}
                    _ => {
                        by_row.insert(worse, review);
                    }
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
                blocked_additions.insert(other);
                let other_desc = describe_person(&people[other]);
                let note = format!(
                    "may be the same person as {other_desc}: {}",
                    link.evidence.join("; ")
                );
                match by_row.get_mut(&row) {
                    Some(rec)
                        if rec.action == Action::Remove
                            && matches!(
                                rec.reason,
                                Reason::Departed | Reason::Inactive | Reason::Unseen
                            ) =>
                    {
                        rec.action = Action::Review;
                        rec.confidence = rec.confidence.min(confidence::UNCERTAIN);
                        rec.evidence.push(note);
                    }
                    Some(rec) => rec.evidence.push(note),
                    None if !ctx.row_is_protected(row) => {
                        by_row.insert(
                            row,
                            Recommendation {
                                developer: table[row].id.clone(),
                                action: Action::Review,
                                reason: Reason::Duplicate,
                                into: None,
                                confidence: link.confidence,
                                evidence: vec![
                                    note,
                                    "not added as a new developer until reviewed".into(),
                                ],
                            },
                        );
                    }
                    None => {}
                }
            }
            (None, None) => {}
        }
    }

    // 5. Additions are decided against the table as it was; then the table is updated in place.
    let mut additions: Vec<Developer> = Vec::new();
    if policy.add_new_developers {
        let mut ids: HashSet<String> = table.iter().map(|d| d.id.clone()).collect();
        let mut emails: HashSet<String> = table
            .iter()
            .filter(|d| d.status == RowStatus::Active)
            .map(|d| d.email.to_lowercase())
            .collect();
        for (c, person) in people.iter().enumerate() {
            if !person.rows.is_empty()
                || blocked_additions.contains(&c)
                || !is_eligible_addition(person, &ctx)
            {
                continue;
            }
            let Some(dev) = new_developer(person, now, &mut ids) else {
                continue;
            };
            if !emails.insert(dev.email.to_lowercase()) {
                continue; // never two active rows with one email
            }
            additions.push(dev);
        }
    }
    let consumed_before = table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .count() as u64;
    let mut after = table;
    let mut updated = Vec::new();
    for (c, person) in people.iter().enumerate() {
        if let Some(target) = target_of_cluster[c]
            && apply_updates(&mut after[target], person)
        {
            updated.push(after[target].id.clone());
        }
    }
    let added: Vec<String> = additions.iter().map(|d| d.id.clone()).collect();
    after.extend(additions);

    // 6. Usage.
    let mut recommendations: Vec<Recommendation> = by_row.into_values().collect();
    recommendations.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.reason.cmp(&b.reason))
            .then(a.developer.cmp(&b.developer))
    });
    let consumed_after = after
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .count() as u64;
    let leaving = recommendations
        .iter()
        .filter(|r| matches!(r.action, Action::Remove | Action::Merge))
        .count() as u64;
    let purchased = subscription.as_ref().map(|s| s.licenses_purchased);
    let usage = Usage {
        consumed_before,
        consumed_after,
        overage: purchased
            .map(|p| consumed_after.saturating_sub(p))
            .unwrap_or(0),
        consumed_if_applied: consumed_after.saturating_sub(leaving),
    };

    Outcome {
        status,
        sources: reports,
        table: after,
        added,
        updated,
        recommendations,
        usage,
        subscription,
    }
}

/// The shared, read-only facts of one run.
struct Context<'a> {
    now: DateTime<Utc>,
    policy: &'a Policy,
    table: &'a [Developer],
    directories: &'a Directories,
    unhealthy_tools: &'a [String],
    activity_sources: &'a [String],
    /// Set when absence from the directories is not trusted to remove anyone this run: the reason.
    absence_withheld: Option<String>,
}

impl Context<'_> {
    fn row_is_protected(&self, r: usize) -> bool {
        let d = &self.table[r];
        policy::is_protected(
            std::iter::once(d.email.as_str()).chain(d.emails.iter().map(String::as_str)),
            self.policy,
        )
    }

    fn is_protected_person(&self, p: &Person<'_>) -> bool {
        p.rows.iter().any(|&r| self.row_is_protected(r))
            || policy::is_protected(
                p.identities
                    .iter()
                    .flat_map(|i| i.emails.iter().map(String::as_str)),
                self.policy,
            )
    }
}

/// The guard (SPEC §3.6) compares a source with its last good run; a directory's first run has none,
/// so a truncated export would pass. On a first run, when absence alone would call more than
/// `max_drop_percent` of the active rows departed, those removals become reviews until a stored run
/// gives the directory a baseline.
fn first_run_absence_guard(
    people: &[Person<'_>],
    ctx: &Context<'_>,
    last_good: &HashMap<String, u64>,
) -> Option<String> {
    let new_directories: Vec<&str> = ctx
        .directories
        .sources
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !last_good.contains_key(*name))
        .collect();
    if new_directories.is_empty() {
        return None;
    }
    let active_rows = ctx
        .table
        .iter()
        .filter(|d| d.status == RowStatus::Active)
        .count();
    let absent = people
        .iter()
        .filter(|p| {
            p.rows
                .iter()
                .any(|&r| ctx.table[r].status == RowStatus::Active)
        })
        .filter(|p| {
            matches!(
                employment_of(&p.identities, ctx.directories),
                Employment::Absent { .. }
            )
        })
        .count();
    let limit = active_rows as f64 * ctx.policy.max_drop_percent / 100.0;
    if absent == 0 || (absent as f64) <= limit {
        return None;
    }
    Some(format!(
        "withheld: first run of {} with no earlier run to compare, and absence alone would call {absent} of {active_rows} rows departed (more than {}%); confirm with a stored run",
        new_directories.join(", "),
        ctx.policy.max_drop_percent
    ))
}

/// A table row as an identity, linked to the accounts attached to it in earlier runs. Only what
/// resolution reads: every other decision reads the row from the table itself.
fn row_identity(d: &Developer) -> Identity {
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

/// Which of a person's active rows keeps the license: a protected row, then the row whose email the
/// directory knows as primary, then the one with most attached accounts, then the oldest.
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

/// True when row `a` (of person `pa`) should keep the license rather than row `b` (of `pb`).
fn prefer_row(a: usize, b: usize, pa: &Person<'_>, pb: &Person<'_>, ctx: &Context<'_>) -> bool {
    let key = |r: usize, p: &Person<'_>| {
        let d = &ctx.table[r];
        let directory_primary = p
            .identities
            .iter()
            .filter(|i| i.directory)
            .filter_map(|i| i.email())
            .any(|e| e.eq_ignore_ascii_case(&d.email));
        (
            ctx.row_is_protected(r),
            directory_primary,
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
    // Breadth-first from r; `via[node]` is the merge that reached it.
    let mut via: HashMap<usize, usize> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([r]);
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

/// The newest engineering activity across a person's rows and identities, with where it came from.
fn last_activity(person: &Person<'_>, table: &[Developer]) -> Option<(DateTime<Utc>, String)> {
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

/// The one recommendation for a person's license-keeping row, if any (SPEC §3.5).
fn recommend_for(row: usize, person: &Person<'_>, ctx: &Context<'_>) -> Option<Recommendation> {
    let d = &ctx.table[row];
    let mut candidates: Vec<(Action, Reason, f64, Vec<String>)> = Vec::new();

    match employment_of(&person.identities, ctx.directories) {
        Employment::Employed => {}
        Employment::Departed { evidence } => candidates.push((
            Action::Remove,
            Reason::Departed,
            confidence::DEPARTED_FINAL,
            vec![evidence],
        )),
        Employment::Absent { evidence } => {
            let mut ev = vec![evidence];
            if person.identities.is_empty() {
                ev.push("no source knows this row".into());
            } else {
                ev.push(format!("still seen in {}", describe_person(person)));
            }
            match &ctx.absence_withheld {
                None => candidates.push((
                    Action::Remove,
                    Reason::Departed,
                    confidence::DEPARTED_ABSENT,
                    ev,
                )),
                Some(why) => {
                    ev.push(why.clone());
                    candidates.push((Action::Review, Reason::Departed, confidence::UNCERTAIN, ev));
                }
            }
        }
        Employment::Uncertain { evidence } => candidates.push((
            Action::Review,
            Reason::Departed,
            confidence::UNCERTAIN,
            vec![evidence],
        )),
        Employment::Unknown { evidence } => {
            if person.identities.is_empty() {
                candidates.push((
                    Action::Review,
                    Reason::Unseen,
                    confidence::UNKNOWN,
                    vec!["no source knows this row".into(), evidence],
                ));
            }
        }
    }

    if let Some((evidence, flagged)) =
        policy::bot_evidence(&person.identities, &ctx.policy.bot_patterns)
            .or_else(|| policy::bot_evidence(&[&row_identity(d)], &ctx.policy.bot_patterns))
    {
        let conf = if flagged {
            confidence::BOT_FLAGGED
        } else {
            confidence::BOT_PATTERN
        };
        candidates.push((Action::Remove, Reason::Bot, conf, vec![evidence]));
    }

    let (department, title) = policy::role_of(
        &person.identities,
        d.department.as_deref(),
        d.title.as_deref(),
    );
    if let Some(evidence) =
        policy::excluded_role_evidence(department.as_ref(), title.as_ref(), ctx.policy)
    {
        candidates.push((
            Action::Remove,
            Reason::ExcludedRole,
            confidence::EXCLUDED_ROLE,
            vec![evidence],
        ));
    }

    if let Some(c) = inactivity(person, ctx) {
        candidates.push(c);
    }

    // Removals beat reviews; then the most certain; then the order of SPEC §3.5.
    candidates.sort_by(|a, b| {
        let rank =
            |x: &(Action, Reason, f64, Vec<String>)| if x.0 == Action::Remove { 0 } else { 1 };
        rank(a)
            .cmp(&rank(b))
            .then(b.2.total_cmp(&a.2))
            .then(a.1.cmp(&b.1))
    });
    let mut chosen = candidates.into_iter();
    let (action, reason, conf, mut evidence) = chosen.next()?;
    let also: Vec<&'static str> = chosen.map(|c| c.1.as_str()).collect();
    if !also.is_empty() {
        evidence.push(format!("also: {}", also.join(", ")));
    }
    Some(Recommendation {
        developer: d.id.clone(),
        action,
        reason,
        into: None,
        confidence: conf,
        evidence,
    })
}

/// `inactive` (SPEC §3.5): remove when the newest activity is older than the policy allows and every
/// activity source is healthy; review when a tool source failed or when no activity source knows them.
fn inactivity(
    person: &Person<'_>,
    ctx: &Context<'_>,
) -> Option<(Action, Reason, f64, Vec<String>)> {
    let seen = first_seen(person, ctx.table, ctx.now);
    let grace = chrono::Duration::days(i64::from(ctx.policy.new_developer_grace_days));
    if ctx.now - seen < grace {
        return None;
    }
    let limit = chrono::Duration::days(i64::from(ctx.policy.inactive_after_days));
    match last_activity(person, ctx.table) {
        Some((t, from)) if ctx.now - t > limit => {
            let days = (ctx.now - t).num_days();
            let mut evidence = vec![format!(
                "last engineering activity {} ({from}), {days} days ago; policy: {} days",
                t.format("%Y-%m-%d"),
                ctx.policy.inactive_after_days
            )];
            if ctx.unhealthy_tools.is_empty() {
                Some((
                    Action::Remove,
                    Reason::Inactive,
                    confidence::INACTIVE,
                    evidence,
                ))
            } else {
                evidence.push(format!(
                    "withheld: {} failed or was guarded this run, newer activity may be there",
                    ctx.unhealthy_tools.join(", ")
                ));
                Some((
                    Action::Review,
                    Reason::Inactive,
                    confidence::UNCERTAIN,
                    evidence,
                ))
            }
        }
        Some(_) => None,
        None => {
            let in_activity_source = person
                .identities
                .iter()
                .any(|i| ctx.activity_sources.contains(&i.source));
            if ctx.activity_sources.is_empty() || in_activity_source || person.identities.is_empty()
            {
                return None; // unknown activity is not inactivity
            }
            Some((
                Action::Review,
                Reason::Inactive,
                confidence::UNKNOWN,
                vec![format!(
                    "no engineering activity known: not found in {} (the sources that report activity)",
                    ctx.activity_sources.join(", ")
                )],
            ))
        }
    }
}

/// Whether a person with no row should be added (SPEC §3.4 `add_new_developers`).
fn is_eligible_addition(person: &Person<'_>, ctx: &Context<'_>) -> bool {
    let in_tools = person.identities.iter().any(|i| !i.directory);
    if !in_tools {
        return false;
    }
    match employment_of(&person.identities, ctx.directories) {
        Employment::Employed => {}
        Employment::Unknown { .. } if ctx.directories.is_empty() => {}
        _ => return false,
    }
    if policy::bot_evidence(&person.identities, &ctx.policy.bot_patterns).is_some() {
        return false;
    }
    let (department, title) = policy::role_of(&person.identities, None, None);
    if policy::excluded_role_evidence(department.as_ref(), title.as_ref(), ctx.policy).is_some() {
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
    !matches!(inactivity(person, ctx), Some((Action::Remove, ..)))
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
        .filter(|i| i.directory && i.status == crate::model::AccountStatus::Active)
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
        .max_by_key(|i| i.status == crate::model::AccountStatus::Active)
}

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

fn describe_row(d: &Developer) -> String {
    format!("{} <{}> (row {})", d.name, d.email, d.id)
}

fn describe_person(p: &Person<'_>) -> String {
    let parts: Vec<String> = p
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

#[cfg(test)]
mod tests;
