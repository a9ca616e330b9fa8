//! The scorer's words: the figures (each with its numerator and denominator), one line per
//! phenomenon so a reader sees which one fails, and with `SEATWARDEN_ORG_DEBUG=N` up to N
//! examples of each kind of error with the row, its truth and the recommendation's evidence.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use super::{AddedVerdict, Judgement, Pairwise, RowOutcome, Scored};
use crate::sim::truth::{Action, Addition};

/// The six figures of one scored report.
#[derive(Clone, Debug)]
pub struct Figures {
    pub rows: usize,
    pub keep_rows: usize,
    pub wrong_removals: usize,
    pub wrong_merges: usize,
    pub should_go: usize,
    pub proposed: usize,
    pub reason_right: usize,
    pub reviews: usize,
    pub identity: Pairwise,
    pub identity_all: Pairwise,
    pub ceiling: Pairwise,
    pub added: usize,
    pub added_right: usize,
    pub added_neutral: usize,
    pub should_add: usize,
    pub found: usize,
}

impl Figures {
    pub fn of(s: &Scored) -> Figures {
        let count = |f: &dyn Fn(&Judgement) -> bool| s.judgements.iter().filter(|j| f(j)).count();
        let right_people: std::collections::HashSet<&str> = s
            .added
            .iter()
            .filter(|a| a.verdict == AddedVerdict::Right)
            .filter_map(|a| a.person.as_deref())
            .collect();
        Figures {
            rows: s.rows.len(),
            keep_rows: s.rows.iter().filter(|r| !r.may_go()).count(),
            wrong_removals: count(&|j| j.wrong_removal),
            wrong_merges: count(&|j| j.wrong_merge && !j.wrong_removal),
            should_go: count(&|j| j.should_go),
            proposed: count(&|j| j.proposed),
            reason_right: count(&|j| j.reason_right),
            reviews: s
                .report
                .recommendations
                .iter()
                .filter(|r| r.action == "review")
                .count(),
            identity: s.identity,
            identity_all: s.identity_all,
            ceiling: s.ceiling,
            added: s.added.len(),
            added_right: s
                .added
                .iter()
                .filter(|a| a.verdict == AddedVerdict::Right)
                .count(),
            added_neutral: s
                .added
                .iter()
                .filter(|a| a.verdict == AddedVerdict::Neutral)
                .count(),
            should_add: s
                .truth
                .people
                .iter()
                .filter(|p| p.addition == Addition::Yes && !s.carried_people.contains(&p.id))
                .count(),
            found: right_people.len(),
        }
    }

    pub fn addition_precision(&self) -> f64 {
        ratio(self.added_right, self.added - self.added_neutral)
    }

    pub fn addition_recall(&self) -> f64 {
        ratio(self.found, self.should_add)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// 12,345
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(a: usize, b: usize) -> String {
    format!(
        "{:.0}% ({} of {})",
        100.0 * ratio(a, b),
        thousands(a),
        thousands(b)
    )
}

/// How one figure is written for one organisation.
type Cell = fn(&Figures) -> String;
/// Which rows an error kind picks.
type Pick = fn(&Judgement) -> bool;

/// The figure rows of the table, one cell per scored organisation.
pub fn table(columns: &[(String, Figures)]) -> String {
    let mut out = String::new();
    let header: Vec<&str> = columns.iter().map(|(l, _)| l.as_str()).collect();
    let _ = writeln!(out, "| figure | {} | goal |", header.join(" | "));
    let _ = writeln!(out, "| --- |{} --- |", " --- |".repeat(columns.len()));
    let rows: [(&str, Cell, &str); 6] = [
        (
            "rows wrongly recommended for removal",
            |f| {
                format!(
                    "{} ({} of {} keep/review rows removed or merged, {} merged into another person's row)",
                    thousands(f.wrong_removals + f.wrong_merges),
                    thousands(f.wrong_removals),
                    thousands(f.keep_rows),
                    thousands(f.wrong_merges)
                )
            },
            "0",
        ),
        (
            "rows that should go, proposed (`remove`/`merge`)",
            |f| percent(f.proposed, f.should_go),
            "≥ 97%",
        ),
        (
            "reason right (a duplicate is not a leaver)",
            |f| percent(f.reason_right, f.proposed),
            "≥ 95%",
        ),
        (
            "`review` recommendations",
            |f| {
                format!(
                    "{} of {} rows ({:.1}%)",
                    thousands(f.reviews),
                    thousands(f.rows),
                    100.0 * ratio(f.reviews, f.rows)
                )
            },
            "≤ 5% of rows",
        ),
        (
            "identity F1 (accounts attached to the right person)",
            |f| {
                format!(
                    "{:.2} (P {:.2}, R {:.2}; {} of {} true pairs; evidence ceiling {:.2}; over all accounts {:.2})",
                    f.identity.f1(),
                    f.identity.precision(),
                    f.identity.recall(),
                    thousands(f.identity.correct as usize),
                    thousands(f.identity.truth as usize),
                    f.ceiling.f1(),
                    f.identity_all.f1()
                )
            },
            "≥ 0.97",
        ),
        (
            "additions precision / recall",
            |f| {
                format!(
                    "{:.2} / {:.2} ({} right of {} added, {} either-way; {} of {} should-add found)",
                    f.addition_precision(),
                    f.addition_recall(),
                    thousands(f.added_right),
                    thousands(f.added),
                    thousands(f.added_neutral),
                    thousands(f.found),
                    thousands(f.should_add)
                )
            },
            "≥ 0.97 / ≥ 0.95",
        ),
    ];
    for (name, cell, goal) in rows {
        let cells: Vec<String> = columns.iter().map(|(_, f)| cell(f)).collect();
        let _ = writeln!(out, "| {name} | {} | {goal} |", cells.join(" | "));
    }
    out
}

fn describe(o: &RowOutcome, s: &Scored) -> String {
    let mut d = format!("{:?}", o.action).to_lowercase();
    if let Some(r) = o.reason {
        d.push('/');
        d.push_str(r.as_str());
    }
    if let Some(t) = o.into {
        d.push_str(&format!(" into {}", s.report.developers[t].email));
    }
    d
}

#[derive(Default)]
struct Tally {
    n: usize,
    expected: usize,
    acceptable: usize,
    wrong: usize,
    missed: usize,
    other: usize,
    got: BTreeMap<String, usize>,
}

/// One line per row phenomenon: how its rows fared.
pub fn phenomena(s: &Scored) -> String {
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for (r, t) in s.rows.iter().enumerate() {
        let (j, o) = (&s.judgements[r], &s.outcomes[r]);
        for tag in &t.phenomena {
            let tally = tallies.entry(tag.as_str()).or_default();
            tally.n += 1;
            if j.wrong_removal || j.wrong_merge {
                tally.wrong += 1;
            } else if j.expected {
                tally.expected += 1;
            } else if j.acceptable {
                tally.acceptable += 1;
            } else if j.should_go && !matches!(o.action, Action::Remove | Action::Merge) {
                tally.missed += 1;
            } else {
                tally.other += 1;
            }
            let mut got = describe(o, s);
            if let Some(i) = got.find(" into ") {
                got.truncate(i);
            }
            *tally.got.entry(got).or_default() += 1;
        }
    }
    let mut out = String::from(
        "rows by phenomenon (wrong = removed or merged against the truth; missed = should go, kept or reviewed; other = a wrong reason or an unneeded review):\n",
    );
    for (tag, t) in &tallies {
        let mut got: Vec<(&String, &usize)> = t.got.iter().collect();
        got.sort_by(|a, b| b.1.cmp(a.1));
        let got: Vec<String> = got
            .iter()
            .take(4)
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(
            out,
            "  {tag:<52} {:>6} rows: {:>5} expected, {:>5} acceptable, {:>4} wrong, {:>5} missed, {:>5} other; got {}",
            thousands(t.n),
            t.expected,
            t.acceptable,
            t.wrong,
            t.missed,
            t.other,
            got.join(", ")
        );
    }
    out.push_str(&homonyms(s));
    out.push_str(&accounts(s));
    out.push_str(&additions(s));
    out
}

/// Homonym pairs: merged (a merge between their rows, or one row holding both directory
/// records), crossed (an account of one on the other's row), and the leaver rows among them.
fn homonyms(s: &Scored) -> String {
    let mut rows_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (r, t) in s.rows.iter().enumerate() {
        if let Some(d) = s.dev_of_row[r] {
            rows_of.entry(t.person.as_str()).or_default().push(d);
        }
    }
    let mut records_of: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut crossed = 0;
    let mut merged = 0;
    for (k, a) in s.truth.accounts.iter().enumerate() {
        if a.evidence == crate::sim::truth::index::Evidence::Directory
            && let Some(d) = s.holders[k]
        {
            records_of.entry(a.person.as_str()).or_default().push(d);
        }
    }
    for (a, b) in &s.truth.homonym_pairs {
        let (ra, rb) = (rows_of.get(a.as_str()), rows_of.get(b.as_str()));
        let (ra, rb) = (
            ra.map_or(&[][..], Vec::as_slice),
            rb.map_or(&[][..], Vec::as_slice),
        );
        let merge_between = s.rows.iter().enumerate().any(|(r, _)| {
            let (Some(d), Some(t)) = (s.dev_of_row[r], s.outcomes[r].into) else {
                return false;
            };
            s.outcomes[r].action == Action::Merge
                && ((ra.contains(&d) && rb.contains(&t)) || (rb.contains(&d) && ra.contains(&t)))
        });
        let (da, db) = (records_of.get(a.as_str()), records_of.get(b.as_str()));
        let one_row = da
            .zip(db)
            .is_some_and(|(da, db)| da.iter().any(|d| db.contains(d)));
        if merge_between || one_row {
            merged += 1;
        }
        let holds_other = |p: &str, other: &str| {
            s.truth.accounts.iter().enumerate().any(|(k, acc)| {
                acc.person == p
                    && s.holders[k].is_some_and(|d| s.dev_person[d].as_deref() == Some(other))
            })
        };
        if holds_other(a, b) || holds_other(b, a) {
            crossed += 1;
        }
    }
    let leaver_rows: Vec<usize> = (0..s.rows.len())
        .filter(|&r| {
            s.rows[r]
                .phenomena
                .iter()
                .any(|p| p == "story: homonym leaver")
        })
        .collect();
    let departed = Some(crate::sim::truth::Reason::Departed);
    let removed = leaver_rows
        .iter()
        .filter(|&&r| s.outcomes[r].action == Action::Remove && s.outcomes[r].reason == departed)
        .count();
    format!(
        "homonyms: {} pairs, {merged} merged into one row, {crossed} with an account of one on the other's row; {removed} of {} leaver rows removed as departed\n",
        s.truth.homonym_pairs.len(),
        leaver_rows.len()
    )
}

fn accounts(s: &Scored) -> String {
    let mut tallies: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    for (k, a) in s.truth.accounts.iter().enumerate() {
        if !s.in_scope[k] {
            continue;
        }
        let slot = match s.holders[k] {
            None => 2,
            Some(d) if s.dev_person[d].as_deref() == Some(a.person.as_str()) => 0,
            Some(_) => 1,
        };
        tallies
            .entry(format!("{} by {}", a.source, a.evidence.as_str()))
            .or_default()[slot] += 1;
    }
    let mut out = String::from(
        "accounts of people the table holds or should hold, by source and evidence (attached to the right person / to someone else / on no row):\n",
    );
    for (key, [right, wrong, none]) in &tallies {
        let _ = writeln!(
            out,
            "  {key:<60} {:>6} / {:>5} / {:>6}",
            thousands(*right),
            thousands(*wrong),
            thousands(*none)
        );
    }
    out
}

fn additions(s: &Scored) -> String {
    let people: HashMap<&str, &crate::sim::truth::PersonTruth> =
        s.truth.people.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut false_kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for a in s.added.iter().filter(|a| a.verdict == AddedVerdict::False) {
        let kind = match a.person.as_deref().and_then(|p| people.get(p)) {
            None if a.person.as_deref().is_some_and(|p| p.starts_with('B')) => "a bot",
            None => "no known person",
            Some(p) if !p.employed => "a leaver",
            Some(p) if !p.eligible => "not eligible",
            Some(p) if p.addition == Addition::No => "already has a row",
            Some(_) => "a second addition, or rows kept",
        };
        *false_kinds.entry(kind).or_default() += 1;
    }
    let found: std::collections::HashSet<&str> = s
        .added
        .iter()
        .filter(|a| a.verdict == AddedVerdict::Right)
        .filter_map(|a| a.person.as_deref())
        .collect();
    let mut missed: BTreeMap<&str, usize> = BTreeMap::new();
    for p in s
        .truth
        .people
        .iter()
        .filter(|p| p.addition == Addition::Yes && !found.contains(p.id.as_str()))
    {
        if !s.carried_people.contains(&p.id) {
            *missed.entry(p.story).or_default() += 1;
        }
    }
    let list = |m: &BTreeMap<&str, usize>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "additions: false ones: {}; missed should-add people by story: {}\n",
        list(&false_kinds),
        list(&missed)
    )
}

/// Up to `n` examples of each kind of error.
pub fn debug(s: &Scored, n: usize) -> String {
    let mut out = String::new();
    let kinds: [(&str, Pick); 5] = [
        ("wrongly removed or merged", |j| j.wrong_removal),
        ("merged into another person's row", |j| {
            j.wrong_merge && !j.wrong_removal
        }),
        ("should go, not proposed", |j| j.should_go && !j.proposed),
        ("proposed with a wrong reason", |j| {
            j.proposed && !j.reason_right
        }),
        ("review where none is acceptable", |j| j.unexpected_review),
    ];
    for (title, pick) in kinds {
        let rows: Vec<usize> = (0..s.rows.len())
            .filter(|&r| pick(&s.judgements[r]))
            .collect();
        let _ = writeln!(out, "--- {title}: {} rows", thousands(rows.len()));
        for &r in rows.iter().take(n) {
            out.push_str(&row_example(s, r));
        }
    }
    out.push_str(&addition_examples(s, n));
    out.push_str(&identity_examples(s, n));
    out
}

fn row_example(s: &Scored, r: usize) -> String {
    let t = &s.rows[r];
    let o = &s.outcomes[r];
    let alternatives: Vec<String> = t.alternatives.iter().map(|v| v.describe()).collect();
    let mut out = format!(
        "  {} \"{}\" — {}\n    truth: {}; also acceptable: {}\n    evidence: {}\n    got: {}\n",
        t.email,
        t.name,
        t.person,
        t.expected.describe(),
        if alternatives.is_empty() {
            "nothing else".into()
        } else {
            alternatives.join(", ")
        },
        t.evidence,
        describe(o, s),
    );
    for e in o.evidence.iter().take(4) {
        let _ = writeln!(out, "      · {e}");
    }
    out
}

fn addition_examples(s: &Scored, n: usize) -> String {
    let people: HashMap<&str, &crate::sim::truth::PersonTruth> =
        s.truth.people.iter().map(|p| (p.id.as_str(), p)).collect();
    let false_ones: Vec<_> = s
        .added
        .iter()
        .filter(|a| a.verdict == AddedVerdict::False)
        .collect();
    let mut out = format!("--- false additions: {}\n", false_ones.len());
    for a in false_ones.iter().take(n) {
        let d = &s.report.developers[a.developer];
        let who = a.person.as_deref().and_then(|p| people.get(p));
        let _ = writeln!(
            out,
            "  {} \"{}\" — {} ({})",
            d.email,
            d.name,
            a.person.as_deref().unwrap_or("?"),
            who.map(|p| format!("{}, addition {:?}, rows {:?}", p.story, p.addition, p.rows))
                .unwrap_or_default()
        );
    }
    let found: std::collections::HashSet<&str> =
        s.added.iter().filter_map(|a| a.person.as_deref()).collect();
    let missed: Vec<_> = s
        .truth
        .people
        .iter()
        .filter(|p| {
            p.addition == Addition::Yes
                && !found.contains(p.id.as_str())
                && !s.carried_people.contains(&p.id)
        })
        .collect();
    let _ = writeln!(out, "--- missed additions: {}", missed.len());
    for p in missed.iter().take(n) {
        let accounts: Vec<String> = s
            .truth
            .accounts
            .iter()
            .filter(|a| a.person == p.id)
            .map(|a| format!("{}:{} ({})", a.source, a.id, a.evidence.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "  {} \"{}\" ({}, {}) accounts: {}",
            p.id,
            p.name,
            p.story,
            p.department,
            accounts.join("; ")
        );
    }
    out
}

fn identity_examples(s: &Scored, n: usize) -> String {
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, &c) in s.clusters.iter().enumerate() {
        members.entry(c).or_default().push(k);
    }
    let mut mixed: Vec<&Vec<usize>> = members
        .values()
        .filter(|ks| {
            ks.iter()
                .any(|&k| s.truth.accounts[k].person != s.truth.accounts[ks[0]].person)
        })
        .collect();
    mixed.sort();
    let mut out = format!(
        "--- clusters holding accounts of two or more people: {}\n",
        mixed.len()
    );
    for ks in mixed.iter().take(n) {
        let list: Vec<String> = ks
            .iter()
            .map(|&k| {
                let a = &s.truth.accounts[k];
                format!(
                    "{}:{} is {} ({})",
                    a.source,
                    a.id,
                    a.person,
                    a.evidence.as_str()
                )
            })
            .collect();
        let _ = writeln!(out, "  {}", list.join("; "));
    }
    out
}
