//! Scores one report against the truth: each SEI row's recommendation judged against the row's
//! acceptable outcomes, the accounts' clusters against the true persons, the additions against
//! the people who should be added. The figures are defined in the bench's `//!` doc and in
//! BENCHMARKS.md; this module computes exactly those and never adjusts the truth to the report.

mod identity;
pub mod print;

use std::collections::{HashMap, HashSet};

use crate::sim::run::{Developer, Recommendation, Report};
use crate::sim::truth::{Action, Addition, Reason, RowTruth, Truth, Verdict};
pub use identity::Pairwise;

/// What the report recommends for one row (no recommendation is `keep`).
#[derive(Clone, Debug)]
pub struct RowOutcome {
    pub action: Action,
    pub reason: Option<Reason>,
    /// The developer a merge folds into.
    pub into: Option<usize>,
    pub evidence: Vec<String>,
}

/// How one row's outcome compares with its truth.
#[derive(Clone, Copy, Debug, Default)]
pub struct Judgement {
    pub expected: bool,
    pub acceptable: bool,
    pub wrong_removal: bool,
    pub wrong_merge: bool,
    pub should_go: bool,
    pub proposed: bool,
    pub reason_right: bool,
    pub unexpected_review: bool,
}

/// One added developer and how it was judged.
#[derive(Clone, Debug)]
pub struct AddedRow {
    pub developer: usize,
    pub person: Option<String>,
    pub verdict: AddedVerdict,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddedVerdict {
    Right,
    /// An addition for someone either way is right about, consistent with their rows going.
    Neutral,
    /// Not eligible, not a person, or already covered by a row (or by an earlier addition).
    False,
}

/// Everything the printer needs.
pub struct Scored<'a> {
    pub truth: &'a Truth,
    pub report: &'a Report,
    /// The truth rows, plus rows an earlier stored run added (labelled here).
    pub rows: Vec<RowTruth>,
    pub dev_of_row: Vec<Option<usize>>,
    pub outcomes: Vec<RowOutcome>,
    pub judgements: Vec<Judgement>,
    pub dev_person: Vec<Option<String>>,
    pub added: Vec<AddedRow>,
    /// Over the accounts of people the table holds or should hold.
    pub identity: Pairwise,
    /// Over every account.
    pub identity_all: Pairwise,
    pub ceiling: Pairwise,
    /// Accounts whose person the table holds or should hold.
    pub in_scope: Vec<bool>,
    /// Predicted cluster of each truth account (by position in `truth.accounts`).
    pub clusters: Vec<usize>,
    /// The developer holding each truth account.
    pub holders: Vec<Option<usize>>,
    /// Recommendations on developers that are no row of the table (none expected).
    pub stray_recommendations: usize,
    /// People an earlier stored run already added (they have a row now: no addition is due).
    pub carried_people: HashSet<String>,
}

fn parse_action(s: &str) -> Action {
    match s {
        "remove" => Action::Remove,
        "merge" => Action::Merge,
        "review" => Action::Review,
        _ => Action::Keep,
    }
}

fn parse_reason(s: &str) -> Option<Reason> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

fn lower_emails(d: &Developer) -> Vec<String> {
    let mut out = vec![d.email.to_lowercase()];
    out.extend(d.emails.iter().map(|e| e.to_lowercase()));
    out
}

/// The report's developers and the truth's accounts, indexed for the scorer.
struct Lookups<'a> {
    dev_by_id: HashMap<&'a str, usize>,
    account_of: HashMap<(&'a str, &'a str), usize>,
    /// Developers by any of their emails (lowercase), primary emails first.
    by_email: HashMap<String, usize>,
    added: HashSet<&'a str>,
}

impl<'a> Lookups<'a> {
    fn new(truth: &'a Truth, report: &'a Report) -> Lookups<'a> {
        let devs = &report.developers;
        let mut by_email: HashMap<String, usize> = HashMap::new();
        for (i, d) in devs.iter().enumerate() {
            by_email.entry(d.email.to_lowercase()).or_insert(i);
        }
        for (i, d) in devs.iter().enumerate() {
            for e in lower_emails(d) {
                by_email.entry(e).or_insert(i);
            }
        }
        Lookups {
            dev_by_id: devs
                .iter()
                .enumerate()
                .map(|(i, d)| (d.id.as_str(), i))
                .collect(),
            account_of: truth
                .accounts
                .iter()
                .enumerate()
                .map(|(k, a)| ((a.source, a.id.as_str()), k))
                .collect(),
            by_email,
            added: report.changes.added.iter().map(String::as_str).collect(),
        }
    }
}

/// Rows of the table matched to developers: the truth's rows, then every developer neither a
/// truth row nor an addition explains (a row an earlier stored run added). With each developer's
/// true person.
fn match_rows(
    truth: &Truth,
    report: &Report,
    l: &Lookups<'_>,
) -> (Vec<RowTruth>, Vec<Option<usize>>, Vec<Option<String>>) {
    let devs = &report.developers;
    let mut rows = truth.rows.clone();
    let mut dev_of_row: Vec<Option<usize>> = rows
        .iter()
        .map(|r| l.by_email.get(&r.email.to_lowercase()).copied())
        .collect();
    let mut dev_person: Vec<Option<String>> = devs
        .iter()
        .map(|d| majority_person(truth, d, &l.account_of))
        .collect();
    let mut covered = vec![false; devs.len()];
    for (r, d) in dev_of_row.iter().enumerate() {
        if let Some(d) = d {
            dev_person[*d] = Some(rows[r].person.clone());
            covered[*d] = true;
        }
    }
    for (i, d) in devs.iter().enumerate() {
        if !covered[i] && !l.added.contains(d.id.as_str()) {
            rows.push(carried_row(truth, d, dev_person[i].as_deref()));
            dev_of_row.push(Some(i));
        }
    }
    (rows, dev_of_row, dev_person)
}

/// Each row's outcome, and how many recommendations name a developer that is no row.
fn outcomes(
    report: &Report,
    l: &Lookups<'_>,
    dev_of_row: &[Option<usize>],
) -> (Vec<RowOutcome>, usize) {
    let rec_of_dev: HashMap<usize, &Recommendation> = report
        .recommendations
        .iter()
        .filter_map(|r| l.dev_by_id.get(r.developer.as_str()).map(|&d| (d, r)))
        .collect();
    let row_devs: HashSet<usize> = dev_of_row.iter().flatten().copied().collect();
    let stray = rec_of_dev.keys().filter(|d| !row_devs.contains(d)).count();
    let outcomes = dev_of_row
        .iter()
        .map(|d| outcome(d.and_then(|d| rec_of_dev.get(&d).copied()), &l.dev_by_id))
        .collect();
    (outcomes, stray)
}

/// Accounts of the people the table holds (rows) or should hold (`in_table`).
fn table_scope(truth: &Truth) -> Vec<bool> {
    let people: HashSet<&str> = truth
        .rows
        .iter()
        .map(|r| r.person.as_str())
        .chain(
            truth
                .people
                .iter()
                .filter(|p| p.in_table)
                .map(|p| p.id.as_str()),
        )
        .collect();
    truth
        .accounts
        .iter()
        .map(|a| people.contains(a.person.as_str()))
        .collect()
}

pub fn score<'a>(truth: &'a Truth, report: &'a Report) -> Scored<'a> {
    let l = Lookups::new(truth, report);
    let (rows, dev_of_row, dev_person) = match_rows(truth, report, &l);
    let (outcomes, stray_recommendations) = outcomes(report, &l, &dev_of_row);
    let predicted = identity::predicted(truth, report, &l.account_of, &l.dev_by_id);
    let in_scope = table_scope(truth);
    let scope = |k: usize| in_scope[k];
    let carried_people = rows[truth.rows.len()..]
        .iter()
        .map(|r| r.person.clone())
        .collect();
    let mut scored = Scored {
        truth,
        report,
        judgements: Vec::new(),
        rows,
        dev_of_row,
        outcomes,
        dev_person,
        added: Vec::new(),
        identity: identity::count(truth, &predicted.clusters, &scope),
        identity_all: identity::count(truth, &predicted.clusters, &|_| true),
        ceiling: identity::ceiling(truth, &scope),
        clusters: predicted.clusters,
        holders: predicted.holders,
        in_scope,
        stray_recommendations,
        carried_people,
    };
    scored.judgements = (0..scored.rows.len()).map(|r| scored.judge(r)).collect();
    scored.added = scored.additions(&l.added, &l.account_of);
    scored
}

fn outcome(rec: Option<&Recommendation>, dev_by_id: &HashMap<&str, usize>) -> RowOutcome {
    match rec {
        None => RowOutcome {
            action: Action::Keep,
            reason: None,
            into: None,
            evidence: Vec::new(),
        },
        Some(r) => RowOutcome {
            action: parse_action(&r.action),
            reason: parse_reason(&r.reason),
            into: r.into.as_deref().and_then(|i| dev_by_id.get(i).copied()),
            evidence: r.evidence.clone(),
        },
    }
}

/// The true person most of a developer's accounts belong to.
fn majority_person(
    truth: &Truth,
    d: &Developer,
    account_of: &HashMap<(&str, &str), usize>,
) -> Option<String> {
    let mut votes: HashMap<&str, usize> = HashMap::new();
    for i in &d.identities {
        if let Some(&k) = account_of.get(&(i.source.as_str(), i.id.as_str())) {
            *votes.entry(truth.accounts[k].person.as_str()).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .max_by_key(|(p, n)| (*n, std::cmp::Reverse(*p)))
        .map(|(p, _)| p.to_string())
}

/// The truth of a row an earlier stored run added: right to keep when its person should have
/// been added, a duplicate of their row when they already had one, else a row that should go.
fn carried_row(truth: &Truth, d: &Developer, person: Option<&str>) -> RowTruth {
    let who = truth.people.iter().find(|p| Some(p.id.as_str()) == person);
    let (expected, alternatives) = match who {
        Some(p) if p.addition != Addition::No => {
            (Verdict::KEEP, vec![Verdict::review(Reason::Duplicate)])
        }
        Some(p) if !p.rows.is_empty() => (
            Verdict::merge(p.rows.clone()),
            vec![
                Verdict::remove(Reason::Departed),
                Verdict::review(Reason::Duplicate),
            ],
        ),
        _ => (
            Verdict::remove(Reason::Departed),
            [Reason::Bot, Reason::ExcludedRole, Reason::Inactive]
                .into_iter()
                .map(Verdict::remove)
                .chain([Verdict::review(Reason::Departed)])
                .collect(),
        ),
    };
    RowTruth {
        email: d.email.clone(),
        name: d.name.clone(),
        person: person.unwrap_or("?").to_string(),
        phenomena: vec!["row: added by the stored run".into()],
        expected,
        alternatives,
        evidence: "a row the previous run added".into(),
    }
}

impl Scored<'_> {
    fn dev_emails(&self, d: usize) -> Vec<String> {
        lower_emails(&self.report.developers[d])
    }

    /// A merge into `into` fits `verdict`: the target is one of its rows, or the same person.
    fn merge_fits(&self, r: usize, verdict: &Verdict, into: Option<usize>) -> bool {
        let Some(t) = into else { return false };
        let emails = self.dev_emails(t);
        verdict.into.iter().any(|e| emails.contains(e)) || self.same_person(r, t)
    }

    fn same_person(&self, r: usize, t: usize) -> bool {
        self.dev_person[t].as_deref() == Some(self.rows[r].person.as_str())
            && self.rows[r].person != "?"
    }

    fn fits(&self, r: usize, verdict: &Verdict) -> bool {
        let o = &self.outcomes[r];
        o.action == verdict.action
            && match verdict.action {
                Action::Keep | Action::Review => true,
                Action::Remove => o.reason == verdict.reason,
                Action::Merge => self.merge_fits(r, verdict, o.into),
            }
    }

    fn judge(&self, r: usize) -> Judgement {
        let t = &self.rows[r];
        let o = &self.outcomes[r];
        let takes = matches!(o.action, Action::Remove | Action::Merge);
        let expected = self.fits(r, &t.expected);
        let acceptable = expected || t.alternatives.iter().any(|v| self.fits(r, v));
        let merge_listed = t
            .acceptable()
            .any(|v| v.action == Action::Merge && self.merge_fits(r, v, o.into));
        let should_go = t.expected.takes_license();
        let proposed = should_go && takes;
        let reason = if o.action == Action::Merge {
            Some(Reason::Duplicate)
        } else {
            o.reason
        };
        Judgement {
            expected,
            acceptable,
            wrong_removal: takes && !t.may_go(),
            wrong_merge: o.action == Action::Merge
                && t.may_go()
                && !merge_listed
                && !o.into.is_some_and(|d| self.same_person(r, d)),
            should_go,
            proposed,
            reason_right: proposed
                && t.acceptable()
                    .any(|v| v.takes_license() && v.reason == reason),
            unexpected_review: o.action == Action::Review && !acceptable,
        }
    }

    /// Every added developer judged: right once per should-add person, neutral for an
    /// either-way person whose rows all go, false otherwise.
    fn additions(
        &self,
        added: &HashSet<&str>,
        account_of: &HashMap<(&str, &str), usize>,
    ) -> Vec<AddedRow> {
        let people: HashMap<&str, &crate::sim::truth::PersonTruth> = self
            .truth
            .people
            .iter()
            .map(|p| (p.id.as_str(), p))
            .collect();
        let goes: HashMap<String, bool> = self
            .rows
            .iter()
            .zip(&self.outcomes)
            .map(|(t, o)| {
                (
                    t.email.to_lowercase(),
                    matches!(o.action, Action::Remove | Action::Merge),
                )
            })
            .collect();
        let mut seen: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        for (i, d) in self.report.developers.iter().enumerate() {
            if !added.contains(d.id.as_str()) {
                continue;
            }
            let person = majority_person(self.truth, d, account_of);
            let first = person
                .as_ref()
                .is_some_and(|p| !self.carried_people.contains(p) && seen.insert(p.clone()));
            let verdict = match person.as_deref().and_then(|p| people.get(p)) {
                Some(p) if first && p.addition == Addition::Yes => AddedVerdict::Right,
                Some(p) if first && p.addition == Addition::Either => {
                    let rows_go = p.rows.iter().all(|e| goes.get(e).copied().unwrap_or(true));
                    if rows_go {
                        AddedVerdict::Neutral
                    } else {
                        AddedVerdict::False
                    }
                }
                _ => AddedVerdict::False,
            };
            out.push(AddedRow {
                developer: i,
                person,
                verdict,
            });
        }
        out
    }
}
