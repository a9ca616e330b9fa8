//! Resolve: turn identities into people. Normalise, block, score evidence, cluster (union-find), and
//! keep the evidence of every merge. Also what `seatwarden resolve` runs on a flat CSV.
//!
//! Architecture invariant: pure and synchronous. Reads no clock, no file, no socket; imports no I/O
//! crate. A name alone never merges two people.

mod cluster;
mod evidence;
mod mailmap;
mod names;
mod normalize;

use std::collections::HashMap;

use crate::model::Identity;
use cluster::{Clusters, GUARD_DIRECTORY, GUARD_EMPLOYEE_ID, GUARD_ORG_EMAIL, Refusal};
use evidence::{Interner, NameStats, Prepared};
pub use mailmap::mailmap;
use names::NameInfo;
use normalize::{EmailKey, email_key, is_generic_local, nfkc_lower};

/// A stable reference to one identity: `(source, id)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityKey {
    pub source: String,
    pub id: String,
}

/// Manual decisions that every run respects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Pairs that are the same person, whatever the evidence says.
    pub merge: Vec<(IdentityKey, IdentityKey)>,
    /// Pairs that are different people: never merged, never proposed for review again.
    pub split: Vec<(IdentityKey, IdentityKey)>,
}

/// How resolution decides.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolveOptions {
    pub merge_threshold: f64,
    pub review_threshold: f64,
    /// The organisation's email domains, lowercased (may be empty).
    pub org_domains: Vec<String>,
    pub overrides: Overrides,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions {
            merge_threshold: 0.9,
            review_threshold: 0.6,
            org_domains: Vec::new(),
            overrides: Overrides::default(),
        }
    }
}

/// A scored link between two identities (indices into the input slice).
#[derive(Debug, Clone, PartialEq)]
pub struct MatchLink {
    pub a: usize,
    pub b: usize,
    pub confidence: f64,
    /// Human-readable reasons, e.g. `same email jane@acme.example`.
    pub evidence: Vec<String>,
}

/// The outcome of resolution.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    /// Each cluster's identity indices, ascending; clusters ordered by their first index.
    pub clusters: Vec<Vec<usize>>,
    /// Identity index → cluster index.
    pub cluster_of: Vec<usize>,
    /// The links that merged (confidence ≥ merge threshold, or an override).
    pub merges: Vec<MatchLink>,
    /// Links between different clusters in [review_threshold, merge_threshold): `review`.
    pub reviews: Vec<MatchLink>,
}


/// An email key held by more distinct names than this is a shared mailbox: it links only holders
/// whose names agree. Two names are common for one person (a maiden name, a transliteration).
const SHARED_MAILBOX_NAMES: usize = 3;

/// Blocks larger than this are too ambiguous to compare pairwise (a very common name or handle);
/// they are skipped, which keeps the cost linear.
const MAX_BLOCK: usize = 200;

/// Resolve identities into people.
pub fn resolve(identities: &[Identity], opts: &ResolveOptions) -> Resolution {
    let n = identities.len();
    let mut email_ids = Interner::default();
    let mut handles = Interner::default();
    let mut domains = Interner::default();
    let mut name_keys = Interner::default();
    let mut guard_values = Interner::default();
    let mut sources = Interner::default();
    let mut clusters = Clusters::new(n);

    let org_domains = org_domains(identities, opts);
    let mut prepared: Vec<Prepared> = Vec::with_capacity(n);
    for (i, identity) in identities.iter().enumerate() {
        let mut keys: Vec<EmailKey> = identity.emails.iter().filter_map(|e| email_key(e)).collect();
        keys.sort();
        keys.dedup();
        let login = identity
            .login
            .as_deref()
            .map(nfkc_lower)
            .filter(|l| !l.is_empty() && !is_generic_local(l));
        let mut p = Prepared {
            name: if identity.is_bot {
                NameInfo::default()
            } else {
                NameInfo::parse(identity.name.as_deref().unwrap_or(""))
            },
            ..Prepared::default()
        };
        for key in &keys {
            let id = email_ids.intern(&key.as_key());
            p.emails.push(id);
            if let EmailKey::Address { domain, .. } = key
                && org_domains.iter().any(|d| d == domain)
            {
                clusters.add_guard(i, GUARD_ORG_EMAIL, guard_values.intern(&key.as_key()));
            }
        }
        if let Some(l) = &login {
            // A login matches the GitHub noreply address that carries it.
            let id = email_ids.intern(&EmailKey::GithubLogin(l.clone()).as_key());
            if !p.emails.contains(&id) {
                p.emails.push(id);
            }
        }
        p.name_key = p.name.key().map(|k| name_keys.intern(&k));
        evidence::prepare_weak(&mut p, &keys, login.as_deref(), &mut handles, &mut domains);
        if identity.directory {
            let source = sources.intern(&identity.source);
            let kind = GUARD_DIRECTORY.saturating_add((source % 250) as u8);
            clusters.add_guard(i, kind, guard_values.intern(&format!("{}\u{0}{}", identity.source, identity.id)));
        }
        if let Some(e) = employee_id(identity) {
            clusters.add_guard(i, GUARD_EMPLOYEE_ID, guard_values.intern(&format!("emp\u{0}{e}")));
        }
        prepared.push(p);
    }

    // Split overrides are registered before any union so that no evidence can cross them.
    let by_key = key_index(identities);
    for (a, b) in &opts.overrides.split {
        if let (Some(&a), Some(&b)) = (by_key.get(&(a.source.as_str(), a.id.as_str())), by_key.get(&(b.source.as_str(), b.id.as_str()))) {
            clusters.add_split(a, b);
        }
    }

    let mut merges: Vec<MatchLink> = Vec::new();
    let strong = |clusters: &mut Clusters, a: usize, b: usize, evidence: String, merges: &mut Vec<MatchLink>| {
        if let Ok(true) = clusters.union(a, b, false) {
            merges.push(MatchLink { a: a.min(b), b: a.max(b), confidence: 1.0, evidence: vec![evidence] });
        }
    };

    for (a, b) in &opts.overrides.merge {
        if let (Some(&a), Some(&b)) = (by_key.get(&(a.source.as_str(), a.id.as_str())), by_key.get(&(b.source.as_str(), b.id.as_str()))) {
            strong(&mut clusters, a, b, "merged by override".to_string(), &mut merges);
        }
    }

    // Same normalised email (or GitHub login), except through a shared mailbox.
    let mut holders: Vec<(u32, u32)> = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        for &e in &p.emails {
            holders.push((e, i as u32));
        }
    }
    holders.sort_unstable();
    for group in holders.chunk_by(|x, y| x.0 == y.0) {
        if group.len() < 2 {
            continue;
        }
        let key = &email_ids.values[group[0].0 as usize];
        let mut names: Vec<String> = group
            .iter()
            .filter_map(|&(_, i)| name_identity(&prepared[i as usize].name))
            .collect();
        names.sort_unstable();
        names.dedup();
        if names.len() >= SHARED_MAILBOX_NAMES {
            // A shared mailbox: only holders with the same name are linked through it.
            let mut by_name: Vec<(String, u32)> = group
                .iter()
                .filter_map(|&(_, i)| name_identity(&prepared[i as usize].name).map(|k| (k, i)))
                .collect();
            by_name.sort_unstable();
            for sub in by_name.chunk_by(|x, y| x.0 == y.0) {
                for &(_, i) in &sub[1..] {
                    strong(&mut clusters, sub[0].1 as usize, i as usize, format!("same email {key} (shared mailbox, same name)"), &mut merges);
                }
            }
            continue;
        }
        for &(_, i) in &group[1..] {
            strong(&mut clusters, group[0].1 as usize, i as usize, format!("same email {key}"), &mut merges);
        }
    }

    // Links from profiles and stored table rows: (source, value) names an account elsewhere.
    let mut accounts: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    let has_links = identities.iter().any(|i| !i.links.is_empty());
    if has_links {
        for (i, identity) in identities.iter().enumerate() {
            let mut values: Vec<String> = vec![nfkc_lower(&identity.id)];
            if let Some(l) = &identity.login {
                values.push(nfkc_lower(l));
            }
            values.extend(identity.emails.iter().map(|e| nfkc_lower(e)));
            values.sort();
            values.dedup();
            for v in values {
                accounts.entry((identity.source.as_str(), v)).or_default().push(i);
            }
        }
        for (i, identity) in identities.iter().enumerate() {
            for link in &identity.links {
                let value = nfkc_lower(&link.value);
                if let Some(targets) = accounts.get(&(link.source.as_str(), value)) {
                    for &t in targets {
                        if t != i {
                            strong(&mut clusters, i, t, format!("linked {}:{} from {}:{}", link.source, link.value, identity.source, identity.id), &mut merges);
                        }
                    }
                }
            }
        }
    }

    // Same employee id.
    let mut employees: Vec<(String, usize)> = identities
        .iter()
        .enumerate()
        .filter_map(|(i, identity)| employee_id(identity).map(|e| (e, i)))
        .collect();
    employees.sort();
    for group in employees.chunk_by(|x, y| x.0 == y.0) {
        for &(ref e, i) in &group[1..] {
            strong(&mut clusters, group[0].1, i, format!("same employee id {e}"), &mut merges);
        }
    }

    // Weak evidence: block on name keys and handles, score the pairs in each block.
    let stats = NameStats::build(name_keys.values.iter().map(String::as_str));
    let handle_offset = name_keys.values.len() as u32;
    let mut blocks: Vec<(u32, u32)> = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        if let Some(k) = p.name_key {
            blocks.push((k, i as u32));
        }
        for &(h, _) in &p.handles {
            blocks.push((handle_offset + h, i as u32));
        }
    }
    blocks.sort_unstable();
    blocks.dedup();
    let mut candidates: Vec<(u32, u32)> = Vec::new();
    for group in blocks.chunk_by(|x, y| x.0 == y.0) {
        if group.len() < 2 || group.len() > MAX_BLOCK {
            continue;
        }
        for x in 0..group.len() {
            for y in x + 1..group.len() {
                let (a, b) = (group[x].1, group[y].1);
                if clusters.find(a as usize) != clusters.find(b as usize) {
                    candidates.push((a.min(b), a.max(b)));
                }
            }
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    let mut scored: Vec<(u32, u32, evidence::PairScore)> = Vec::new();
    for &(a, b) in &candidates {
        if let Some(s) = evidence::score(&prepared[a as usize], &prepared[b as usize], &stats, &handles)
            && s.confidence >= opts.review_threshold
        {
            scored.push((a, b, s));
        }
    }
    scored.sort_by(|x, y| y.2.confidence.total_cmp(&x.2.confidence).then((x.0, x.1).cmp(&(y.0, y.1))));

    let describe = |a: u32, b: u32, s: &evidence::PairScore| {
        evidence::describe(
            s,
            &prepared[a as usize],
            &prepared[b as usize],
            identities[a as usize].name.as_deref(),
            identities[b as usize].name.as_deref(),
            &handles,
            &domains,
        )
    };
    let mut pending: Vec<MatchLink> = Vec::new();
    for (a, b, s) in &scored {
        let (a, b) = (*a as usize, *b as usize);
        if s.confidence >= opts.merge_threshold {
            match clusters.union(a, b, true) {
                Ok(true) => merges.push(MatchLink { a, b, confidence: s.confidence, evidence: describe(a as u32, b as u32, s) }),
                Ok(false) | Err(Refusal::Split) => {}
                Err(Refusal::Guard(kind)) => {
                    let mut evidence = describe(a as u32, b as u32, s);
                    evidence.push(guard_words(kind).to_string());
                    // A guarded pair is worth a look, never an automatic merge.
                    let confidence = s.confidence.min(opts.merge_threshold - 0.01).max(opts.review_threshold);
                    pending.push(MatchLink { a, b, confidence, evidence });
                }
            }
        } else if clusters.find(a) != clusters.find(b) {
            pending.push(MatchLink { a, b, confidence: s.confidence, evidence: describe(a as u32, b as u32, s) });
        }
    }

    // Clusters, ordered by their first index.
    let mut cluster_of = vec![usize::MAX; n];
    let mut root_cluster: HashMap<usize, usize> = HashMap::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for (i, slot) in cluster_of.iter_mut().enumerate() {
        let root = clusters.find(i);
        let c = *root_cluster.entry(root).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[c].push(i);
        *slot = c;
    }

    // Reviews: one per cluster pair, the best link; never across a split.
    let mut best: HashMap<(usize, usize), MatchLink> = HashMap::new();
    for link in pending {
        let (ca, cb) = (cluster_of[link.a], cluster_of[link.b]);
        if ca == cb || clusters.split_between(link.a, link.b) {
            continue;
        }
        let key = (ca.min(cb), ca.max(cb));
        match best.get(&key) {
            Some(old) if old.confidence >= link.confidence => {}
            _ => {
                best.insert(key, link);
            }
        }
    }
    let mut reviews: Vec<MatchLink> = best.into_values().collect();
    reviews.sort_by(|x, y| y.confidence.total_cmp(&x.confidence).then((x.a, x.b).cmp(&(y.a, y.b))));
    merges.sort_by(|x, y| (x.a, x.b).cmp(&(y.a, y.b)));

    Resolution { clusters: out, cluster_of, merges, reviews }
}

/// The name a shared-mailbox check compares: the person key, else the compact single word.
fn name_identity(name: &NameInfo) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    name.key().or_else(|| Some(name.compact()))
}

fn employee_id(identity: &Identity) -> Option<String> {
    let e = identity.employee_id.as_deref()?.trim();
    if e.is_empty() { None } else { Some(nfkc_lower(e)) }
}

fn guard_words(kind: u8) -> &'static str {
    match kind {
        GUARD_EMPLOYEE_ID => "not merged: different employee ids",
        GUARD_ORG_EMAIL => "not merged: different work emails",
        _ => "not merged: different directory accounts",
    }
}

/// `opts.org_domains`, or if empty the domains of directory identities' emails.
fn org_domains(identities: &[Identity], opts: &ResolveOptions) -> Vec<String> {
    let mut out: Vec<String> = if opts.org_domains.is_empty() {
        identities
            .iter()
            .filter(|i| i.directory)
            .flat_map(|i| i.emails.iter())
            .filter_map(|e| match email_key(e) {
                Some(EmailKey::Address { domain, .. }) => Some(domain),
                _ => None,
            })
            .filter(|d| !normalize::is_public_mail_domain(d))
            .collect()
    } else {
        opts.org_domains.iter().map(|d| nfkc_lower(d)).collect()
    };
    out.sort();
    out.dedup();
    out
}

fn key_index(identities: &[Identity]) -> HashMap<(&str, &str), usize> {
    identities.iter().enumerate().map(|(i, x)| ((x.source.as_str(), x.id.as_str()), i)).collect()
}
