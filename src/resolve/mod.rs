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

/// Weak evidence never grows a cluster past this many identities: chains of weak links between
/// homonyms are how one cluster swallows many people. Strong evidence is not capped.
const MAX_WEAK_CLUSTER: usize = 12;

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
        let mut keys: Vec<EmailKey> = identity
            .emails
            .iter()
            .filter_map(|e| email_key(e))
            .collect();
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
            clusters.add_guard(
                i,
                kind,
                guard_values.intern(&format!("{}\u{0}{}", identity.source, identity.id)),
            );
        }
        if let Some(e) = employee_id(identity) {
            clusters.add_guard(
                i,
                GUARD_EMPLOYEE_ID,
                guard_values.intern(&format!("emp\u{0}{e}")),
            );
        }
        prepared.push(p);
    }

    // Split overrides are registered before any union so that no evidence can cross them.
    let by_key = key_index(identities);
    for (a, b) in &opts.overrides.split {
        if let (Some(&a), Some(&b)) = (
            by_key.get(&(a.source.as_str(), a.id.as_str())),
            by_key.get(&(b.source.as_str(), b.id.as_str())),
        ) {
            clusters.add_split(a, b);
        }
    }

    let mut merges: Vec<MatchLink> = Vec::new();
    let strong = |clusters: &mut Clusters,
                  a: usize,
                  b: usize,
                  evidence: String,
                  merges: &mut Vec<MatchLink>| {
        if let Ok(true) = clusters.union(a, b, false) {
            merges.push(MatchLink {
                a: a.min(b),
                b: a.max(b),
                confidence: 1.0,
                evidence: vec![evidence],
            });
        }
    };

    for (a, b) in &opts.overrides.merge {
        if let (Some(&a), Some(&b)) = (
            by_key.get(&(a.source.as_str(), a.id.as_str())),
            by_key.get(&(b.source.as_str(), b.id.as_str())),
        ) {
            strong(
                &mut clusters,
                a,
                b,
                "merged by override".to_string(),
                &mut merges,
            );
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
        // Holders fall into families of compatible names; many families means a shared mailbox.
        let mut family_of: Vec<Option<usize>> = Vec::with_capacity(group.len());
        let mut representatives: Vec<u32> = Vec::new();
        for &(_, i) in group {
            let name = &prepared[i as usize].name;
            if name.is_empty() {
                family_of.push(None);
                continue;
            }
            let found = representatives
                .iter()
                .position(|&r| prepared[r as usize].name.compatible(name));
            family_of.push(Some(found.unwrap_or_else(|| {
                representatives.push(i);
                representatives.len() - 1
            })));
        }
        if representatives.len() >= SHARED_MAILBOX_NAMES {
            // A shared mailbox: only holders in the same family of names are linked through it.
            for (f, &rep) in representatives.iter().enumerate() {
                for (x, &(_, i)) in group.iter().enumerate() {
                    if family_of[x] == Some(f) && i != rep {
                        strong(
                            &mut clusters,
                            rep as usize,
                            i as usize,
                            format!("same email {key} (shared mailbox, same name)"),
                            &mut merges,
                        );
                    }
                }
            }
            continue;
        }
        for &(_, i) in &group[1..] {
            strong(
                &mut clusters,
                group[0].1 as usize,
                i as usize,
                format!("same email {key}"),
                &mut merges,
            );
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
                accounts
                    .entry((identity.source.as_str(), v))
                    .or_default()
                    .push(i);
            }
        }
        for (i, identity) in identities.iter().enumerate() {
            for link in &identity.links {
                let value = nfkc_lower(&link.value);
                if let Some(targets) = accounts.get(&(link.source.as_str(), value)) {
                    for &t in targets {
                        if t != i {
                            strong(
                                &mut clusters,
                                i,
                                t,
                                format!(
                                    "linked {}:{} from {}:{}",
                                    link.source, link.value, identity.source, identity.id
                                ),
                                &mut merges,
                            );
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
            strong(
                &mut clusters,
                group[0].1,
                i,
                format!("same employee id {e}"),
                &mut merges,
            );
        }
    }

    // Weak evidence: block on name keys and handles, score the pairs in each block.
    let mut stats = NameStats::build(name_keys.values.iter().map(String::as_str));
    for p in &prepared {
        if p.name.is_person() {
            stats.add_record(&p.name.full[0], &p.name.full[p.name.full.len() - 1]);
        }
    }
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
        if let Some(s) = evidence::score(
            &prepared[a as usize],
            &prepared[b as usize],
            &stats,
            &handles,
        ) && s.confidence >= opts.review_threshold
        {
            scored.push((a, b, s));
        }
    }
    scored.sort_by(|x, y| {
        y.2.confidence
            .total_cmp(&x.2.confidence)
            .then((x.0, x.1).cmp(&(y.0, y.1)))
    });

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
        let too_big = clusters.find(a) != clusters.find(b)
            && clusters.size_of(a) + clusters.size_of(b) > MAX_WEAK_CLUSTER;
        if s.confidence >= opts.merge_threshold && !too_big {
            match clusters.union(a, b, true) {
                Ok(true) => merges.push(MatchLink {
                    a,
                    b,
                    confidence: s.confidence,
                    evidence: describe(a as u32, b as u32, s),
                }),
                Ok(false) | Err(Refusal::Split) => {}
                Err(Refusal::Guard(kind)) => {
                    let mut evidence = describe(a as u32, b as u32, s);
                    evidence.push(guard_words(kind).to_string());
                    // A guarded pair is worth a look, never an automatic merge.
                    let confidence = s
                        .confidence
                        .min(opts.merge_threshold - 0.01)
                        .max(opts.review_threshold);
                    pending.push(MatchLink {
                        a,
                        b,
                        confidence,
                        evidence,
                    });
                }
            }
        } else if clusters.find(a) != clusters.find(b) {
            pending.push(MatchLink {
                a,
                b,
                confidence: s.confidence,
                evidence: describe(a as u32, b as u32, s),
            });
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
    reviews.sort_by(|x, y| {
        y.confidence
            .total_cmp(&x.confidence)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    merges.sort_by_key(|m| (m.a, m.b));

    Resolution {
        clusters: out,
        cluster_of,
        merges,
        reviews,
    }
}

fn employee_id(identity: &Identity) -> Option<String> {
    let e = identity.employee_id.as_deref()?.trim();
    if e.is_empty() {
        None
    } else {
        Some(nfkc_lower(e))
    }
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
    identities
        .iter()
        .enumerate()
        .map(|(i, x)| ((x.source.as_str(), x.id.as_str()), i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Link;

    fn id(n: &str, name: &str, emails: &[&str]) -> Identity {
        Identity {
            source: "input".into(),
            id: n.into(),
            name: Some(name.into()),
            emails: emails.iter().map(|e| e.to_string()).collect(),
            ..Identity::default()
        }
    }

    fn key(n: &str) -> IdentityKey {
        IdentityKey {
            source: "input".into(),
            id: n.into(),
        }
    }

    fn together(res: &Resolution, a: usize, b: usize) -> bool {
        res.cluster_of[a] == res.cluster_of[b]
    }

    #[test]
    fn same_email_merges_across_case_and_plus_tag() {
        let ids = [
            id("1", "Jane Doe", &["Jane@Acme.example"]),
            id("2", "J D", &["jane+git@acme.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(res.merges[0].evidence[0].contains("same email jane@acme.example"));
    }

    #[test]
    fn secondary_email_merges() {
        let ids = [
            id("1", "A", &["a@acme.example", "old@home.example"]),
            id("2", "B", &["old@home.example"]),
        ];
        assert!(together(&resolve(&ids, &ResolveOptions::default()), 0, 1));
    }

    #[test]
    fn noreply_login_matches_login_field() {
        let mut gh = id("9", "octo", &[]);
        gh.login = Some("OctoCat".into());
        let ids = [
            id("1", "Mona", &["583231+octocat@users.noreply.github.com"]),
            gh,
        ];
        assert!(together(&resolve(&ids, &ResolveOptions::default()), 0, 1));
    }

    #[test]
    fn employee_id_merges() {
        let mut a = id("1", "Ann Lee", &["ann@acme.example"]);
        let mut b = id("2", "Ann Lee-Park", &["alp@other.example"]);
        a.employee_id = Some("E42".into());
        b.employee_id = Some("e42 ".into());
        assert!(together(
            &resolve(&[a, b], &ResolveOptions::default()),
            0,
            1
        ));
    }

    #[test]
    fn directory_link_merges() {
        let mut okta = id("00u1", "Ann Lee", &["ann@acme.example"]);
        okta.source = "okta".into();
        okta.directory = true;
        okta.links = vec![Link {
            source: "github".into(),
            value: "annlee".into(),
        }];
        let mut gh = id("583231", "zz", &[]);
        gh.source = "github".into();
        gh.login = Some("AnnLee".into());
        let res = resolve(&[okta, gh], &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(res.merges[0].evidence[0].starts_with("linked github:annlee"));
    }

    #[test]
    fn homonyms_with_unrelated_emails_stay_apart() {
        let ids = [
            id("1", "John Smith", &["zx81@one.example"]),
            id("2", "John Smith", &["qq7@two.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1));
    }

    #[test]
    fn shared_mailbox_does_not_glue_different_names() {
        let ids = [
            id("1", "Alice Archer", &["team-x@acme.example"]),
            id("2", "Bob Brown", &["team-x@acme.example"]),
            id("3", "Carol Chen", &["team-x@acme.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1) && !together(&res, 1, 2) && !together(&res, 0, 2));
    }

    #[test]
    fn one_person_with_spelling_variants_on_one_email_still_merges() {
        let ids = [
            id("1", "Bjorn", &["bjodah@gmail.com"]),
            id("2", "Björn Dahlgren", &["bjodah@gmail.com"]),
            id("3", "Björn Ingvar Dahlgren", &["bjodah@gmail.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1) && together(&res, 1, 2));
    }

    #[test]
    fn nickname_merges_only_with_agreeing_evidence() {
        let agreeing = [
            id("1", "Bob Quixley", &["bquixley@gmail.com"]),
            id("2", "Robert Quixley", &["bquixley@work.example"]),
        ];
        assert!(together(
            &resolve(&agreeing, &ResolveOptions::default()),
            0,
            1
        ));
        let alone = [
            id("1", "Bob Quixley", &["zz1@a.example"]),
            id("2", "Robert Quixley", &["yy2@b.example"]),
        ];
        assert!(!together(
            &resolve(&alone, &ResolveOptions::default()),
            0,
            1
        ));
    }

    #[test]
    fn last_comma_first_with_same_local_merges() {
        let ids = [
            id("1", "Mazo, Andrey", &["amazo@checkvideo.example"]),
            id("2", "Andrey Mazo", &["amazo@yandex.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1), "{:?}", res.reviews);
    }

    #[test]
    fn accents_fold_and_same_handle_merges() {
        let ids = [
            id("1", "Alex Bennée", &["kernel-hacker@bennee.example"]),
            id("2", "Alex Bennee", &["kernel-hacker@linaro.example"]),
        ];
        assert!(together(&resolve(&ids, &ResolveOptions::default()), 0, 1));
    }

    #[test]
    fn name_alone_becomes_a_review_not_a_merge() {
        let ids = [
            id("1", "Quentin Zyxwab", &["xk1@a.example"]),
            id("2", "Quentin Zyxwab", &["mw7@b.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1));
        assert_eq!(res.reviews.len(), 1);
        assert!(
            res.reviews[0]
                .evidence
                .iter()
                .any(|e| e.contains("same name"))
        );
    }

    #[test]
    fn different_employee_ids_block_a_name_merge() {
        let mut a = id("1", "Quentin Zyxwab", &["qzyxwab@a.example"]);
        let mut b = id("2", "Quentin Zyxwab", &["qzyxwab@b.example"]);
        a.employee_id = Some("1".into());
        b.employee_id = Some("2".into());
        let res = resolve(&[a.clone(), b.clone()], &ResolveOptions::default());
        assert!(!together(&res, 0, 1));
        a.employee_id = None;
        assert!(together(
            &resolve(&[a, b], &ResolveOptions::default()),
            0,
            1
        ));
    }

    #[test]
    fn two_directory_accounts_of_one_source_stay_apart() {
        let mut a = id("1", "Quentin Zyxwab", &["qzyxwab@a.example"]);
        let mut b = id("2", "Quentin Zyxwab", &["qzyxwab@b.example"]);
        a.directory = true;
        b.directory = true;
        assert!(!together(
            &resolve(&[a, b], &ResolveOptions::default()),
            0,
            1
        ));
    }

    #[test]
    fn split_override_prevents_merge_and_review() {
        let ids = [
            id("1", "Jane Doe", &["jane@acme.example"]),
            id("2", "Jane Doe", &["jane@acme.example"]),
        ];
        let opts = ResolveOptions {
            overrides: Overrides {
                merge: vec![],
                split: vec![(key("1"), key("2"))],
            },
            ..ResolveOptions::default()
        };
        let res = resolve(&ids, &opts);
        assert!(!together(&res, 0, 1));
        assert!(res.reviews.is_empty());
    }

    #[test]
    fn merge_override_unions_unrelated_identities() {
        let ids = [
            id("1", "Jane Doe", &["jane@acme.example"]),
            id("2", "JD", &["x@y.example"]),
        ];
        let opts = ResolveOptions {
            overrides: Overrides {
                merge: vec![(key("1"), key("2"))],
                split: vec![],
            },
            ..ResolveOptions::default()
        };
        let res = resolve(&ids, &opts);
        assert!(together(&res, 0, 1));
        assert_eq!(
            res.merges[0].evidence,
            vec!["merged by override".to_string()]
        );
    }

    #[test]
    fn generic_emails_and_names_link_nobody() {
        let ids = [
            id("1", "root", &["root@host1.example"]),
            id("2", "Administrator", &["root@host1.example"]),
            id("3", "Jane", &["noreply@acme.example"]),
            id("4", "Bob", &["noreply@acme.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert_eq!(res.clusters.len(), 4);
    }

    #[test]
    fn common_name_needs_more_than_a_shaped_email() {
        // Many John Smiths: a shared name with name-shaped addresses is not enough.
        let mut ids: Vec<Identity> = (0..30)
            .map(|i| {
                id(
                    &i.to_string(),
                    "John Smith",
                    &[&format!("zz{i}x@d{i}.example")],
                )
            })
            .collect();
        ids.push(id("a", "John Smith", &["john.smith@one.example"]));
        ids.push(id("b", "John Smith", &["jsmith@two.example"]));
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 30, 31));
        // The same shape of evidence merges a rare name.
        let rare = [
            id("a", "Quentin Zyxwab", &["quentin.zyxwab@one.example"]),
            id("b", "Quentin Zyxwab", &["qzyxwab@two.example"]),
        ];
        assert!(together(&resolve(&rare, &ResolveOptions::default()), 0, 1));
    }

    #[test]
    fn output_does_not_depend_on_input_order() {
        let mut ids = vec![
            id("1", "Quentin Zyxwab", &["quentin.zyxwab@one.example"]),
            id("2", "Quentin Zyxwab", &["qzyxwab@two.example"]),
            id("3", "Other Person", &["op@x.example"]),
        ];
        let a = resolve(&ids, &ResolveOptions::default());
        ids.reverse();
        let b = resolve(&ids, &ResolveOptions::default());
        assert_eq!(a.clusters.len(), b.clusters.len());
        assert!(together(&b, 1, 2));
    }

    #[test]
    fn mailmap_maps_other_pairs_to_the_most_used() {
        let ids = [
            id("1", "Jane Doe", &["jane@acme.example"]),
            id("2", "Jane Doe", &["jane+x@acme.example"]),
            id("3", "J. Doe", &["jane@acme.example"]),
            id("4", "Solo", &["solo@x.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        let map = mailmap(&ids, &res);
        assert_eq!(
            map,
            "Jane Doe <jane@acme.example> J. Doe <jane@acme.example>\nJane Doe <jane@acme.example> Jane Doe <jane+x@acme.example>\n"
        );
    }
}
