//! Resolve: turn identities into people. Normalise, block, score evidence, cluster (union-find), and
//! keep the evidence of every merge. Also what `seatwarden resolve` runs on a flat CSV.
//!
//! Architecture invariant: pure and synchronous. Reads no clock, no file, no socket; imports no I/O
//! crate. Large inputs are parsed and scored on scoped threads that finish before `resolve`
//! returns; the output never depends on them. A name alone never merges two people, and a GitHub
//! login read from noreply addresses is never a strong key on its own (homonyms share logins).

mod cluster;
mod evidence;
mod interner;
mod mailmap;
mod names;
mod normalize;

use std::collections::HashMap;

use crate::model::Identity;
use cluster::{Clusters, GUARD_DIRECTORY, GUARD_EMPLOYEE_ID, GUARD_ORG_EMAIL, Refusal};
use evidence::{NameStats, Prepared};
use interner::Interner;
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
    /// Pairs (indices into the input) to explain: how weak evidence scores them, whatever the
    /// outcome. For "why were these two (not) merged?"; empty in normal runs.
    pub explain: Vec<(usize, usize)>,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions {
            merge_threshold: 0.9,
            review_threshold: 0.6,
            org_domains: Vec::new(),
            overrides: Overrides::default(),
            explain: Vec::new(),
        }
    }
}

/// How weak evidence scores one pair asked for in [`ResolveOptions::explain`].
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub a: usize,
    pub b: usize,
    /// Whether a block (a shared name key or handle held by few enough identities) made them
    /// candidates.
    pub candidates: bool,
    /// The weak score, when anything relates them.
    pub confidence: Option<f64>,
    pub evidence: Vec<String>,
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
    /// One per valid [`ResolveOptions::explain`] pair (both indices in range and different), in
    /// the same order; invalid pairs are left out.
    pub explanations: Vec<Explanation>,
}

/// An email key held by more distinct names than this is a shared mailbox: it links only holders
/// whose names agree. Two names are common for one person (a maiden name, a transliteration).
const SHARED_MAILBOX_NAMES: usize = 3;

/// Blocks larger than this are too ambiguous to compare pairwise (a very common name or handle);
/// they are skipped, which keeps the cost linear.
const MAX_BLOCK: usize = 64;

/// A domain no identity holds yet, and one held by more than one person.
const NO_OWNER: u32 = u32::MAX;
const MANY_OWNERS: u32 = u32::MAX - 1;

/// Marks a block entry that meets only the untagged entries of its block: the holder's domain
/// name (`artagnon` of artagnon.com; two holders are colleagues), or a word of a full name met
/// by one-word display names ("Advait"; two holders are any two people sharing a word).
const PASSIVE_TAG: u32 = 1 << 31;

/// Parsing and scoring use at most this many threads (the machines this runs on are small).
const MAX_THREADS: usize = 4;

/// Below this many candidate pairs, threads cost more than they save.
const PARALLEL_SCORING_MIN: usize = 50_000;

/// Weak evidence never grows a cluster past this many identities: chains of weak links between
/// homonyms are how one cluster swallows many people. Strong evidence is not capped.
const MAX_WEAK_CLUSTER: usize = 12;

/// Why two identities were linked. Kept compact while clustering; turned into words only for the
/// links the caller reads (`merges` and `reviews`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Why {
    Override,
    /// The same normalised email (key id).
    SameEmail(u32),
    /// The same email, held by several families of names: linked within one family only.
    SharedMailbox(u32),
    /// The same email, typed as the other identity's name (key id).
    NameIsEmail(u32),
    /// Two accounts with the same GitHub `login` field (key id).
    SameLogin(u32),
    /// A GitHub account's `login` field and a noreply address carrying it (key id).
    NoreplyLogin(u32),
    /// An id-less noreply address and another address carrying its login, names agreeing.
    OldNoreply(u32),
    /// `identities[from].links[link]` names the other identity.
    Linked {
        from: u32,
        link: u32,
    },
    /// The same employee id (read from identity `of`).
    EmployeeId {
        of: u32,
    },
    /// Weak evidence that reached the merge threshold.
    Weak(evidence::PairScore),
}

/// One holder of a strong email key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Holder {
    key: u32,
    i: u32,
    /// Which raw value gave the key: an index into `emails`, or [`FROM_LOGIN`] / [`FROM_NAME`].
    from: u16,
}

const FROM_LOGIN: u16 = u16::MAX;
const FROM_NAME: u16 = u16::MAX - 1;

/// Resolve identities into people.
pub fn resolve(identities: &[Identity], opts: &ResolveOptions) -> Resolution {
    let mut phase = PhaseTimer::new(identities.len());
    let n = identities.len();
    // Email keys interned as their one-string form (`local@domain`, `github:login`,
    // `github-id:NNN`): stored once, and the kind is read back from the form.
    let mut email_keys = Interner::default();
    let mut handles = Interner::default();
    let mut domains = Interner::default();
    let mut labels = evidence::DomainLabels::default();
    let mut name_keys = Interner::default();
    let mut guard_values = Interner::default();
    let mut sources = Interner::default();
    let mut clusters = Clusters::new(n);
    let mut holders: Vec<Holder> = Vec::with_capacity(n + n / 4);

    // Parsing each identity is pure and independent: spread it over the cores, then intern in
    // input order so that ids (and so the output) never depend on the threads.
    // Blocks bound the memory held by parsed values awaiting interning.
    let mut prepared: Vec<Prepared> = Vec::with_capacity(n);
    // The next block is parsed while this one is interned.
    std::thread::scope(|scope| {
        let mut blocks = identities.chunks(PARSE_BLOCK);
        let mut parse_next = || {
            blocks.next().map(|block| {
                if identities.len() < PARALLEL_PARSE_MIN {
                    ParseAhead::Done(parallel_map(block, PARALLEL_PARSE_MIN, parse_identity))
                } else {
                    ParseAhead::Running(
                        // A large input: each block is worth splitting over the cores.
                        scope.spawn(move || parallel_map(block, PARSE_BLOCK / 4, parse_identity)),
                    )
                }
            })
        };
        let mut ahead = parse_next();
        let mut current: std::vec::IntoIter<Parsed> = Vec::new().into_iter();
        for (i, identity) in identities.iter().enumerate() {
            let parsed = match current.next() {
                Some(p) => p,
                None => {
                    let Some(block) = ahead.take() else {
                        break;
                    };
                    current = match block {
                        ParseAhead::Done(v) => v.into_iter(),
                        // A parsing thread panics only on a bug: pass it on rather than lose items.
                        ParseAhead::Running(h) => match h.join() {
                            Ok(v) => v.into_iter(),
                            Err(panic) => std::panic::resume_unwind(panic),
                        },
                    };
                    ahead = parse_next();
                    let Some(p) = current.next() else {
                        break;
                    };
                    p
                }
            };
            let Parsed {
                keys,
                name,
                name_key,
                mut weak,
            } = parsed;
            let mut p = Prepared {
                name,
                ..Prepared::default()
            };
            for (key, from) in &keys {
                let id = email_keys.intern(key);
                holders.push(Holder {
                    key: id,
                    i: i as u32,
                    from: *from,
                });
            }
            p.name_key = name_key.as_deref().map(|k| name_keys.intern(k));
            evidence::intern_weak(&mut p, &mut weak, &mut handles, &mut domains);
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
    });

    // Two different addresses at the organisation's domain are two accounts: weak evidence never
    // joins them (registered, like splits, before any union).
    let org = org_domains(identities, opts, &holders, &email_keys);
    if !org.is_empty() {
        for h in &holders {
            let key = email_keys.get(h.key);
            if let Some((_, domain)) = key.rsplit_once('@')
                && org.iter().any(|d| d == domain)
            {
                let value = guard_values.intern(key);
                clusters.add_guard(h.i as usize, GUARD_ORG_EMAIL, value);
            }
        }
    }

    // Split overrides are registered before any union so that no evidence can cross them.
    // Only built when there are overrides: a million-entry map is not free.
    let has_overrides = !opts.overrides.split.is_empty() || !opts.overrides.merge.is_empty();
    let by_key = if has_overrides {
        key_index(identities)
    } else {
        HashMap::new()
    };
    for (a, b) in &opts.overrides.split {
        if let (Some(&a), Some(&b)) = (
            by_key.get(&(a.source.as_str(), a.id.as_str())),
            by_key.get(&(b.source.as_str(), b.id.as_str())),
        ) {
            clusters.add_split(a, b);
        }
    }

    // Merges are the spanning-forest edges: a link that joined two clusters.
    let mut merges: Vec<(u32, u32, Why)> = Vec::new();
    let strong = |clusters: &mut Clusters, a: usize, b: usize, why: Why, merges: &mut Vec<_>| {
        if let Ok(true) = clusters.union(a, b, false) {
            merges.push((a.min(b) as u32, a.max(b) as u32, why));
        }
    };

    for (a, b) in &opts.overrides.merge {
        if let (Some(&a), Some(&b)) = (
            by_key.get(&(a.source.as_str(), a.id.as_str())),
            by_key.get(&(b.source.as_str(), b.id.as_str())),
        ) {
            strong(&mut clusters, a, b, Why::Override, &mut merges);
        }
    }
    drop(by_key);

    phase.done("parsing");
    // The same normalised email, except through a shared mailbox; a GitHub login only with the
    // account that owns it (a `login` field). A login read from noreply addresses alone is not
    // unique enough to merge on (two `jsmith`s): weak scoring weighs it as a handle.
    holders.sort_unstable();
    let raw_of = |h: &Holder| -> &str {
        let identity = &identities[h.i as usize];
        match h.from {
            FROM_LOGIN => identity.login.as_deref().unwrap_or(""),
            FROM_NAME => identity.name.as_deref().unwrap_or(""),
            k => identity.emails.get(usize::from(k)).map_or("", |e| e.trim()),
        }
    };
    for group in holders.chunk_by(|x, y| x.key == y.key) {
        if group.len() < 2 {
            continue;
        }
        let key = group[0].key;
        let is_login = key_login(email_keys.get(key)).is_some();
        if is_login {
            // The account that owns the login absorbs every noreply address carrying it.
            let Some(owner) = group.iter().find(|h| h.from == FROM_LOGIN) else {
                // The old id-less form `login@users.noreply.github.com` is the account that held
                // the login then: it joins holders whose names agree with its own, never a
                // holder of a conflicting or unrelated name. A display name that is the login
                // itself ("Normal Human" for `normalhuman`) is the account's own and agrees with
                // the holder of the same id-less address (the id form may be a later owner), as
                // long as the other holders are one family of names: it never bridges two people.
                let login = key_login(email_keys.get(key)).unwrap_or("");
                let is_login_name = |n: &NameInfo| {
                    let letters = names::letters_of(&n.compact());
                    !letters.is_empty() && letters == names::letters_of(login)
                };
                let others: Vec<&NameInfo> = group
                    .iter()
                    .filter(|h| normalize::github_account(raw_of(h)).is_none())
                    .map(|h| &prepared[h.i as usize].name)
                    .filter(|n| !n.is_empty() && !is_login_name(n))
                    .collect();
                let one_family = others.iter().enumerate().all(|(k, a)| {
                    others[k + 1..]
                        .iter()
                        .all(|b| a.compatible(b) && !evidence::names_conflict(a, b))
                });
                for h in group {
                    if normalize::github_account(raw_of(h)).is_some() {
                        continue;
                    }
                    let name = &prepared[h.i as usize].name;
                    for g in group.iter().filter(|g| g.i != h.i) {
                        let other = &prepared[g.i as usize].name;
                        if !name.is_empty()
                            && !other.is_empty()
                            && (((is_login_name(name) || is_login_name(other))
                                && one_family
                                && normalize::github_account(raw_of(g)).is_none())
                                || (name.compatible(other)
                                    && !evidence::names_conflict(name, other)))
                        {
                            strong(
                                &mut clusters,
                                h.i as usize,
                                g.i as usize,
                                Why::OldNoreply(key),
                                &mut merges,
                            );
                        }
                    }
                }
                continue;
            };
            for h in group {
                if h.i != owner.i {
                    // Logins live in each tool's own namespace: `jsmith` on GitHub and `jsmith` on
                    // GitLab may be two people. Across sources they join only when the names agree.
                    if h.from == FROM_LOGIN
                        && identities[h.i as usize].source != identities[owner.i as usize].source
                    {
                        let (a, b) = (
                            &prepared[h.i as usize].name,
                            &prepared[owner.i as usize].name,
                        );
                        if a.is_empty()
                            || b.is_empty()
                            || !a.compatible(b)
                            || evidence::names_conflict(a, b)
                        {
                            continue;
                        }
                    }
                    let why = if h.from == FROM_LOGIN {
                        Why::SameLogin(key)
                    } else {
                        Why::NoreplyLogin(key)
                    };
                    strong(
                        &mut clusters,
                        owner.i as usize,
                        h.i as usize,
                        why,
                        &mut merges,
                    );
                }
            }
            continue;
        }
        // Holders fall into families of compatible names; several families means a shared
        // mailbox (a team address, or people the history itself tells apart).
        let mut family_of: Vec<Option<usize>> = Vec::with_capacity(group.len());
        let mut representatives: Vec<u32> = Vec::new();
        for h in group {
            let name = &prepared[h.i as usize].name;
            if name.is_empty() {
                family_of.push(None);
                continue;
            }
            let found = representatives
                .iter()
                .position(|&r| prepared[r as usize].name.compatible(name));
            family_of.push(Some(found.unwrap_or_else(|| {
                representatives.push(h.i);
                representatives.len() - 1
            })));
        }
        let shared = representatives.len() >= SHARED_MAILBOX_NAMES;
        for (x, h) in group.iter().enumerate() {
            // Join an earlier holder: through a shared mailbox only within one family of names;
            // across spellings of the address (`+tag`) only when the names do not conflict, and
            // never from a numbered tag: `jsmith+git2@` is what a second J. Smith gets when
            // `jsmith+git@` is taken, so it joins only its own exact spelling.
            let target = group[..x].iter().enumerate().find(|&(y, g)| {
                if shared && (family_of[x].is_none() || family_of[y] != family_of[x]) {
                    return false;
                }
                let (rg, rh) = (raw_of(g), raw_of(h));
                rg.eq_ignore_ascii_case(rh)
                    || (!normalize::has_numbered_tag(rg)
                        && !normalize::has_numbered_tag(rh)
                        && !evidence::names_conflict(
                            &prepared[g.i as usize].name,
                            &prepared[h.i as usize].name,
                        ))
            });
            if let Some((_, g)) = target {
                let why = if g.from == FROM_NAME || h.from == FROM_NAME {
                    Why::NameIsEmail(key)
                } else if shared {
                    Why::SharedMailbox(key)
                } else {
                    Why::SameEmail(key)
                };
                strong(&mut clusters, g.i as usize, h.i as usize, why, &mut merges);
            }
        }
    }
    drop(holders);

    // Links from profiles and stored table rows: (source, value) names an account elsewhere.
    // Accounts are indexed by a hash of (source, normalised value), sorted: 16 bytes per value
    // where a map of owned strings cost over a hundred. A hash match is confirmed on the text.
    let has_links = identities.iter().any(|i| !i.links.is_empty());
    if has_links {
        let mut accounts: Vec<(u64, u32)> = Vec::with_capacity(identities.len() * 2);
        for (i, identity) in identities.iter().enumerate() {
            for v in account_values(identity) {
                accounts.push((account_hash(&identity.source, &v), i as u32));
            }
        }
        accounts.sort_unstable();
        accounts.dedup();
        accounts.shrink_to_fit();
        for (i, identity) in identities.iter().enumerate() {
            for (k, link) in identity.links.iter().enumerate() {
                let value = nfkc_lower(&link.value);
                let hash = account_hash(&link.source, &value);
                let start = accounts.partition_point(|&(h, _)| h < hash);
                // Ascending identity index within one hash, as the targets were always visited.
                for &(_, t) in accounts[start..].iter().take_while(|&&(h, _)| h == hash) {
                    let t = t as usize;
                    let target = &identities[t];
                    if t != i
                        && target.source == link.source
                        && account_values(target).contains(&value)
                    {
                        let why = Why::Linked {
                            from: i as u32,
                            link: k as u32,
                        };
                        strong(&mut clusters, i, t, why, &mut merges);
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
        for &(_, i) in &group[1..] {
            let why = Why::EmployeeId { of: i as u32 };
            strong(&mut clusters, group[0].1, i, why, &mut merges);
        }
    }

    // How many strong clusters carry each name: the data's own measure of how common it is.
    let mut name_holders: Vec<(u32, u32)> = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        if let Some(k) = p.name_key {
            name_holders.push((k, clusters.find(i) as u32));
        }
    }
    name_holders.sort_unstable();
    name_holders.dedup();
    let mut clusters_per_name = vec![0u32; name_keys.len()];
    for &(k, _) in &name_holders {
        clusters_per_name[k as usize] += 1;
    }
    drop(name_holders);

    phase.done("strong evidence");

    let domain_holders = label_personal_domains(
        &mut prepared,
        &mut clusters,
        &domains,
        &mut handles,
        &mut labels,
    );
    phase.done("personal domains");
    // Weak evidence: block on name keys and handles, score the pairs in each block.
    let mut stats = NameStats::build(name_keys.iter());
    for p in &prepared {
        if p.name.is_person() {
            stats.add_record(
                &p.name.full[0],
                &p.name.full[p.name.full.len() - 1],
                p.name_key,
            );
        }
    }
    stats.set_clusters_per_name(clusters_per_name);
    // Which handles conflicting names share is worked out beside the blocks: both only read.
    let blocks = std::thread::scope(|scope| {
        let ambiguous = scope.spawn(|| ambiguous_handles(&prepared, handles.len()));
        stats.set_domain_holders(domain_holders, n);
        let handle_offset = name_keys.len() as u32;
        // One-word display names ("Advait") meet the full names that hold the word, so that an
        // address spelling the rest (`apote2050@`) can be weighed. A common word's block is too
        // large and skipped, as every block.
        let mut lone_words = Interner::default();
        for p in &prepared {
            if let Some(w) = lone_word(&p.name) {
                lone_words.intern(w);
            }
        }
        let word_offset = handle_offset + handles.len() as u32;
        let mut blocks: Vec<(u32, u32)> = Vec::new();
        for (i, p) in prepared.iter().enumerate() {
            if let Some(k) = p.name_key {
                blocks.push((k, i as u32));
            }
            for &(h, kind) in &p.handles {
                let tag = if kind == evidence::HandleKind::DomainLabel {
                    PASSIVE_TAG
                } else {
                    0
                };
                blocks.push((handle_offset + h, i as u32 | tag));
            }
            if let Some(w) = lone_word(&p.name).and_then(|w| lone_words.find(w)) {
                blocks.push((word_offset + w, i as u32));
            } else if !lone_words.is_empty() && p.name.is_person() {
                let mut long = p.name.tokens.iter().filter(|t| t.chars().count() > 2);
                let (first, last) = (long.next(), long.next_back());
                for w in [first, last].into_iter().flatten() {
                    if let Some(k) = lone_words.find(w) {
                        blocks.push((word_offset + k, i as u32 | PASSIVE_TAG));
                    }
                }
            }
            // A display name that is a login spelled from two name words ("jamestitus299") meets
            // the people of that name.
            if !p.name.is_empty()
                && !p.name.is_person()
                && let Some(key) = stats.split_into_name_key(&names::letters_of(&p.name.compact()))
                && let Some(k) = name_keys.find(&key)
            {
                blocks.push((k, i as u32));
            }
        }
        blocks.sort_unstable();
        blocks.dedup();
        match ambiguous.join() {
            Ok(ambiguous) => stats.set_ambiguous_handles(ambiguous),
            // Only a bug panics there: pass it on.
            Err(panic) => std::panic::resume_unwind(panic),
        }
        blocks
    });
    let explanations: Vec<Explanation> = opts
        .explain
        .iter()
        .filter(|&&(a, b)| a < n && b < n && a != b)
        .map(|&(a, b)| {
            let s = evidence::score(&prepared[a], &prepared[b], &stats, &handles);
            let describe = |s: &evidence::PairScore| {
                let (na, nb) = (identities[a].name.as_deref(), identities[b].name.as_deref());
                let (pa, pb) = (&prepared[a], &prepared[b]);
                evidence::describe(s, pa, pb, na, nb, &handles, &domains, false)
            };
            Explanation {
                a,
                b,
                candidates: share_a_block(&blocks, a as u32, b as u32),
                confidence: s.map(|s| s.confidence),
                evidence: s.as_ref().map_or_else(Vec::new, describe),
            }
        })
        .collect();
    phase.done("statistics and blocks");
    let mut candidates: Vec<(u32, u32)> = Vec::new();
    for group in blocks.chunk_by(|x, y| x.0 == y.0) {
        if group.len() < 2 || group.len() > MAX_BLOCK {
            continue;
        }
        for x in 0..group.len() {
            let a = group[x].1 & !PASSIVE_TAG;
            let a_label = group[x].1 & PASSIVE_TAG != 0;
            let ra = clusters.find(a as usize);
            for g in &group[x + 1..] {
                let b = g.1 & !PASSIVE_TAG;
                // Two holders of one domain's name are colleagues, not one person's handles.
                if a_label && g.1 & PASSIVE_TAG != 0 {
                    continue;
                }
                if a != b && ra != clusters.find(b as usize) {
                    candidates.push((a.min(b), a.max(b)));
                }
            }
        }
    }
    drop(blocks);
    candidates.sort_unstable();
    candidates.dedup();
    // Scoring is pure and each pair independent: split it over the cores, keeping the order.
    let score_chunk = |chunk: &[(u32, u32)]| -> Vec<(u32, u32, evidence::PairScore)> {
        let mut out = Vec::new();
        for &(a, b) in chunk {
            if let Some(s) = evidence::score(
                &prepared[a as usize],
                &prepared[b as usize],
                &stats,
                &handles,
            ) && s.confidence >= opts.review_threshold
            {
                out.push((a, b, s));
            }
        }
        out
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |w| w.get())
        .clamp(1, MAX_THREADS);
    let mut scored: Vec<(u32, u32, evidence::PairScore)> =
        if workers > 1 && candidates.len() >= PARALLEL_SCORING_MIN {
            let size = candidates.len().div_ceil(workers);
            std::thread::scope(|scope| {
                let handles: Vec<_> = candidates
                    .chunks(size)
                    .map(|chunk| scope.spawn(|| score_chunk(chunk)))
                    .collect();
                let mut all = Vec::new();
                for h in handles {
                    // A scoring thread panics only on a bug; surface it rather than lose pairs.
                    match h.join() {
                        Ok(part) => all.extend(part),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                all
            })
        } else {
            score_chunk(&candidates)
        };
    phase.done("scoring");
    drop(candidates);
    scored.sort_by(|x, y| {
        y.2.confidence
            .total_cmp(&x.2.confidence)
            .then((x.0, x.1).cmp(&(y.0, y.1)))
    });

    // Each cluster's members as a cycle (`next`), so that a weak link can be checked against
    // everyone it would join, not only its two ends. Built once every strong union is done; from
    // here on every union must also splice the two cycles (`next.swap`), or they go stale.
    let mut next: Vec<u32> = (0..n as u32).collect();
    for i in 0..n {
        let root = clusters.find(i);
        if root != i {
            next.swap(i, root);
        }
    }
    // Pending reviews: (a, b, confidence, score, guard that refused the merge).
    let mut pending: Vec<(u32, u32, f64, evidence::PairScore, Option<u8>)> = Vec::new();
    for &(a, b, s) in &scored {
        let (ai, bi) = (a as usize, b as usize);
        if clusters.find(ai) == clusters.find(bi) {
            continue;
        }
        let too_big = clusters.size_of(ai) + clusters.size_of(bi) > MAX_WEAK_CLUSTER;
        if s.confidence < opts.merge_threshold || too_big {
            pending.push((a, b, s.confidence, s, None));
            continue;
        }
        // Weak evidence between two records does not join groups whose members mostly name
        // different people: refused like a guard.
        let joined = if groups_disagree(&next, &prepared, ai, bi) {
            Err(Refusal::Guard(REFUSED_NAMES))
        } else {
            clusters.union(ai, bi, true)
        };
        match joined {
            Ok(true) => {
                next.swap(ai, bi);
                merges.push((a, b, Why::Weak(s)));
            }
            Ok(false) | Err(Refusal::Split) => {}
            Err(Refusal::Guard(kind)) => {
                // A guarded pair is worth a look, never an automatic merge.
                let confidence = s
                    .confidence
                    .min(opts.merge_threshold - 0.01)
                    .max(opts.review_threshold);
                pending.push((a, b, confidence, s, Some(kind)));
            }
        }
    }
    drop(scored);

    phase.done("weak merges");
    // Clusters, ordered by their first index.
    let mut cluster_of = vec![usize::MAX; n];
    let mut root_cluster = vec![u32::MAX; n];
    let mut out: Vec<Vec<usize>> = Vec::new();
    for (i, slot) in cluster_of.iter_mut().enumerate() {
        let root = clusters.find(i);
        if root_cluster[root] == u32::MAX {
            root_cluster[root] = out.len() as u32;
            out.push(Vec::new());
        }
        let c = root_cluster[root] as usize;
        out[c].push(i);
        *slot = c;
    }
    drop(root_cluster);

    let describe = |a: u32, b: u32, s: &evidence::PairScore, merged: bool| {
        evidence::describe(
            s,
            &prepared[a as usize],
            &prepared[b as usize],
            identities[a as usize].name.as_deref(),
            identities[b as usize].name.as_deref(),
            &handles,
            &domains,
            merged,
        )
    };

    // Reviews: one per cluster pair, the best link; never across a split.
    let mut best: Vec<(usize, usize, usize)> = Vec::new();
    for (k, &(a, b, _, _, _)) in pending.iter().enumerate() {
        let (ca, cb) = (cluster_of[a as usize], cluster_of[b as usize]);
        if ca == cb || clusters.split_between(a as usize, b as usize) {
            continue;
        }
        best.push((ca.min(cb), ca.max(cb), k));
    }
    // Pending is in descending confidence (guarded ones capped), so sort by pair, then confidence.
    best.sort_by(|x, y| {
        (x.0, x.1)
            .cmp(&(y.0, y.1))
            .then(pending[y.2].2.total_cmp(&pending[x.2].2))
            .then(x.2.cmp(&y.2))
    });
    best.dedup_by(|x, y| (x.0, x.1) == (y.0, y.1));
    let mut reviews: Vec<MatchLink> = best
        .iter()
        .map(|&(_, _, k)| {
            let (a, b, confidence, s, guard) = pending[k];
            let mut evidence = describe(a, b, &s, false);
            if let Some(kind) = guard {
                evidence.push(guard_words(kind).to_string());
            }
            MatchLink {
                a: a as usize,
                b: b as usize,
                confidence,
                evidence,
            }
        })
        .collect();
    reviews.sort_by(|x, y| {
        y.confidence
            .total_cmp(&x.confidence)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });

    // Weak merges are described while the prepared values are at hand; then the working set goes
    // before the words of the (many more) strong merges are written, which need only the keys.
    let weak_words: Vec<Vec<String>> = merges
        .iter()
        .filter_map(|&(a, b, why)| match why {
            Why::Weak(s) => Some(describe(a, b, &s, true)),
            _ => None,
        })
        .collect();
    drop(pending);
    drop(best);
    drop(prepared);
    drop(clusters);
    drop(stats);
    drop(handles);
    drop(domains);
    drop(name_keys);
    drop(guard_values);
    drop(sources);
    let mut weak_words = weak_words.into_iter();
    let mut merges: Vec<MatchLink> = merges
        .into_iter()
        .map(|(a, b, why)| {
            let (confidence, evidence) = match why {
                Why::Weak(s) => (s.confidence, weak_words.next().unwrap_or_default()),
                strong => (1.0, vec![strong_words(strong, identities, &email_keys)]),
            };
            MatchLink {
                a: a as usize,
                b: b as usize,
                confidence,
                evidence,
            }
        })
        .collect();
    merges.sort_by_key(|m| (m.a, m.b));

    phase.done("clusters, reviews and evidence words");
    Resolution {
        clusters: out,
        cluster_of,
        merges,
        reviews,
        explanations,
    }
}

const GITHUB_ACCOUNT_PREFIX: &str = "github-id:";

/// The login of an interned `github:login` key ([`EmailKey::as_key`]); an address always holds
/// an `@`, so the forms cannot be confused.
fn key_login(key: &str) -> Option<&str> {
    key.strip_prefix("github:").filter(|_| !key.contains('@'))
}

/// The words of a strong link.
fn strong_words(why: Why, identities: &[Identity], email_keys: &Interner) -> String {
    let key = |k: u32| Some(email_keys.get(k)).filter(|e| !e.is_empty());
    match why {
        Why::Override => "merged by override".to_string(),
        Why::SameEmail(k)
        | Why::SharedMailbox(k)
        | Why::NameIsEmail(k)
        | Why::SameLogin(k)
        | Why::NoreplyLogin(k)
        | Why::OldNoreply(k) => {
            let Some(e) = key(k) else {
                return "same email".to_string();
            };
            match (why, key_login(e), e.strip_prefix(GITHUB_ACCOUNT_PREFIX)) {
                (Why::OldNoreply(_), Some(l), _) => {
                    format!("same GitHub login {l} (an id-less noreply address), same name")
                }
                (Why::NoreplyLogin(_), Some(l), _) => {
                    format!("same GitHub login {l} (from a noreply address)")
                }
                (_, Some(l), _) => format!("same GitHub login {l}"),
                (_, None, Some(id)) => format!("same GitHub account {id} (from noreply addresses)"),
                (Why::SharedMailbox(_), ..) => {
                    format!("same email {e} (shared mailbox, same name)")
                }
                (Why::NameIsEmail(_), ..) => format!("same email {e} (typed as the name)"),
                _ => format!("same email {e}"),
            }
        }
        Why::Linked { from, link } => {
            let identity = &identities[from as usize];
            match identity.links.get(link as usize) {
                Some(l) => format!(
                    "linked {}:{} from {}:{}",
                    l.source, l.value, identity.source, identity.id
                ),
                None => format!("linked from {}:{}", identity.source, identity.id),
            }
        }
        Why::EmployeeId { of } => {
            let e = employee_id(&identities[of as usize]).unwrap_or_default();
            format!("same employee id {e}")
        }
        Why::Weak(_) => "weak evidence".to_string(),
    }
}

/// Give the holders of each personal domain its name as a handle, and count each domain's
/// holders (returned, by domain id). A domain all of whose holders are one person by strong
/// evidence is personal: its name is its owner's handle (`artagnon@gmail.com` ~ `r@artagnon.com`).
/// An organisation's domain is held by colleagues, and its name is nobody's handle.
fn label_personal_domains(
    prepared: &mut [Prepared],
    clusters: &mut Clusters,
    domains: &Interner,
    handles: &mut Interner,
    labels: &mut evidence::DomainLabels,
) -> Vec<u32> {
    let mut holders = vec![0u32; domains.len()];
    let mut owner_of_domain: Vec<u32> = vec![NO_OWNER; domains.len()];
    for (i, p) in prepared.iter().enumerate() {
        let root = clusters.find(i) as u32;
        for &d in &p.domains {
            holders[d as usize] += 1;
            let owner = &mut owner_of_domain[d as usize];
            if *owner == NO_OWNER {
                *owner = root;
            } else if *owner != root {
                *owner = MANY_OWNERS;
            }
        }
    }
    for p in prepared.iter_mut() {
        let mut labelled: Option<Vec<(u32, evidence::HandleKind)>> = None;
        for &d in p.domains.iter() {
            if owner_of_domain[d as usize] >= MANY_OWNERS {
                continue;
            }
            if let Some(h) = labels.handle_of(d, domains, handles) {
                let list = labelled.get_or_insert_with(|| p.handles.to_vec());
                if !list.contains(&(h, evidence::HandleKind::DomainLabel)) {
                    list.push((h, evidence::HandleKind::DomainLabel));
                }
            }
        }
        if let Some(list) = labelled {
            p.handles = list.into_boxed_slice();
        }
    }
    holders
}

/// For each handle, whether holders with conflicting person names share it.
fn ambiguous_handles(prepared: &[Prepared], count: usize) -> Vec<bool> {
    let mut held: Vec<(u32, u32, u32)> = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        if let Some(k) = p.name_key {
            // A domain's name is held by everyone there: colleagues, not claimants of a handle.
            for &(h, _) in p
                .handles
                .iter()
                .filter(|(_, kind)| *kind != evidence::HandleKind::DomainLabel)
            {
                held.push((h, k, i as u32));
            }
        }
    }
    held.sort_unstable();
    held.dedup_by(|x, y| (x.0, x.1) == (y.0, y.1));
    let mut out = vec![false; count];
    for group in held.chunk_by(|x, y| x.0 == y.0) {
        // A few representatives are enough to see a conflict.
        let reps = &group[..group.len().min(8)];
        'pairs: for (x, a) in reps.iter().enumerate() {
            for b in &reps[x + 1..] {
                let (na, nb) = (&prepared[a.2 as usize].name, &prepared[b.2 as usize].name);
                if evidence::names_conflict(na, nb) {
                    out[a.0 as usize] = true;
                    break 'pairs;
                }
            }
        }
    }
    out
}

/// A block of parsed identities: parsed in place (small inputs) or on a thread.
enum ParseAhead<'scope> {
    Done(Vec<Parsed>),
    Running(std::thread::ScopedJoinHandle<'scope, Vec<Parsed>>),
}

/// One identity parsed: everything that needs no shared table.
struct Parsed {
    /// Each strong key as its one-string form ([`EmailKey::as_key`]), made on the parsing thread.
    keys: Vec<(String, u16)>,
    name: NameInfo,
    name_key: Option<String>,
    weak: evidence::WeakParts,
}

fn parse_identity(identity: &Identity) -> Parsed {
    let mut keys: Vec<(EmailKey, u16)> = Vec::with_capacity(identity.emails.len() + 1);
    let mut placeholder_locals: Vec<String> = Vec::new();
    let mut owned_domains: Vec<String> = Vec::new();
    for (k, e) in identity.emails.iter().enumerate() {
        let from = k.min(usize::from(FROM_NAME) - 1) as u16;
        match email_key(e) {
            Some(key @ EmailKey::GithubLogin(_)) => {
                if let Some(account) = normalize::github_account(e) {
                    keys.push((account, from));
                }
                keys.push((key, from));
            }
            Some(key) => keys.push((key, from)),
            None => {
                placeholder_locals.extend(normalize::placeholder_local(e));
                owned_domains.extend(normalize::generic_local_domain(e));
            }
        }
    }
    let name = if identity.is_bot {
        NameInfo::default()
    } else {
        NameInfo::parse(identity.name.as_deref().unwrap_or(""))
    };
    if keys.is_empty()
        && let Some(raw) = identity.name.as_deref()
        && let Some(address) = normalize::address_in_name(raw)
        && let Some(key @ EmailKey::Address { .. }) = email_key(&address)
    {
        // An address typed as the name or spelled out in it, on a record whose own email is
        // unusable.
        keys.push((key, FROM_NAME));
    }
    let login = identity
        .login
        .as_deref()
        .map(nfkc_lower)
        .filter(|l| !l.is_empty() && !is_generic_local(l));
    if let Some(l) = &login {
        // A login matches the GitHub noreply address that carries it.
        keys.push((EmailKey::GithubLogin(l.clone()), FROM_LOGIN));
    }
    keys.sort();
    keys.dedup_by(|x, y| x.0 == y.0);
    let weak_keys: Vec<&EmailKey> = keys
        .iter()
        .filter(|(_, from)| *from != FROM_LOGIN)
        .map(|(k, _)| k)
        .collect();
    let weak = evidence::weak_parts(
        &name,
        &weak_keys,
        login.as_deref(),
        &placeholder_locals,
        &owned_domains,
    );
    Parsed {
        name_key: name.key(),
        keys: keys.into_iter().map(|(k, f)| (k.as_key(), f)).collect(),
        name,
        weak,
    }
}

/// Below this many identities, threads cost more than they save.
const PARALLEL_PARSE_MIN: usize = 20_000;

/// Identities parsed at a time before their values are interned.
const PARSE_BLOCK: usize = 1 << 13;

/// `items.map(f)` in order, spread over the available cores for large inputs.
fn parallel_map<T: Sync, U: Send>(items: &[T], min: usize, f: fn(&T) -> U) -> Vec<U> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |w| w.get())
        .clamp(1, MAX_THREADS);
    if workers < 2 || items.len() < min {
        return items.iter().map(f).collect();
    }
    let size = items.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let running: Vec<_> = items
            .chunks(size)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for r in running {
            // A worker panics only on a bug: pass it on rather than lose items.
            match r.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

fn employee_id(identity: &Identity) -> Option<String> {
    let e = identity.employee_id.as_deref()?.trim();
    if e.is_empty() {
        None
    } else {
        Some(nfkc_lower(e))
    }
}

/// Whether `a` and `b` share a block (sorted `(key, identity)` pairs) small enough to compare.
fn share_a_block(blocks: &[(u32, u32)], a: u32, b: u32) -> bool {
    let label = |x: u32| x & PASSIVE_TAG != 0;
    let who = |x: u32| x & !PASSIVE_TAG;
    blocks.iter().filter(|x| who(x.1) == a).any(|&(key, ta)| {
        let group =
            &blocks[blocks.partition_point(|x| x.0 < key)..blocks.partition_point(|x| x.0 <= key)];
        (2..=MAX_BLOCK).contains(&group.len())
            && group
                .iter()
                .any(|&(_, tb)| who(tb) == b && !(label(ta) && label(tb)))
    })
}

/// Logs how long each phase of a resolution took (`debug`): where a slow run spends its time.
struct PhaseTimer {
    identities: usize,
    since: std::time::Instant,
}

impl PhaseTimer {
    fn new(identities: usize) -> PhaseTimer {
        PhaseTimer {
            identities,
            since: std::time::Instant::now(),
        }
    }

    fn done(&mut self, phase: &str) {
        let ms = self.since.elapsed().as_secs_f64() * 1000.0;
        tracing::debug!(
            phase,
            ms = format!("{ms:.0}"),
            identities = self.identities,
            "resolution phase done"
        );
        self.since = std::time::Instant::now();
    }
}

/// The one word of a display name that is a single name-like word ("Advait"), if it is one.
fn lone_word(name: &NameInfo) -> Option<&str> {
    (name.tokens.len() == 1 && !name.is_person())
        .then(|| name.tokens.iter().next())
        .flatten()
        .filter(|w| w.chars().count() > 2 && w.chars().all(char::is_alphabetic))
}

/// The members of a cluster kept as a cycle of `next` links, starting at `start`.
fn members(next: &[u32], start: usize) -> impl Iterator<Item = usize> + '_ {
    let mut at = Some(start);
    std::iter::from_fn(move || {
        let here = at?;
        let following = next[here] as usize;
        at = (following != start).then_some(following);
        Some(here)
    })
}

/// Whether the groups of `a` and `b` (cycles of `next`) mostly carry names of different people
/// ("Uwe Zeisberger" against a group of "Uwe Kleine-König"s). The same first word and a shared
/// family word is one name however garbled ("Uwe Kleine-K,Av(Bnig"); "John Smith" and "Jane Smith"
/// stay different people.
fn groups_disagree(next: &[u32], prepared: &[Prepared], a: usize, b: usize) -> bool {
    let (mut against, mut agreeing) = (0u32, 0u32);
    for x in members(next, a) {
        for y in members(next, b) {
            let (nx, ny) = (&prepared[x].name, &prepared[y].name);
            if !nx.is_person() || !ny.is_person() {
                continue;
            }
            let one_name = nx.first() == ny.first() && nx.shares_surname(ny);
            if evidence::names_conflict(nx, ny) && !one_name {
                against += 1;
            } else {
                agreeing += 1;
            }
        }
    }
    against > agreeing
}

/// The pseudo guard kind of a weak link refused because the names of the two groups conflict.
const REFUSED_NAMES: u8 = u8::MAX;

fn guard_words(kind: u8) -> &'static str {
    match kind {
        REFUSED_NAMES => "not merged: other records of the two groups carry different names",
        GUARD_EMPLOYEE_ID => "not merged: different employee ids",
        GUARD_ORG_EMAIL => "not merged: different work emails",
        _ => "not merged: different directory accounts",
    }
}

/// `opts.org_domains`; if empty, the domains of directory identities' addresses; with no directory
/// either, a domain that a quarter or more of the identities hold (one company's developer table).
fn org_domains(
    identities: &[Identity],
    opts: &ResolveOptions,
    holders: &[Holder],
    email_keys: &Interner,
) -> Vec<String> {
    if !opts.org_domains.is_empty() {
        let mut out: Vec<String> = opts.org_domains.iter().map(|d| nfkc_lower(d)).collect();
        out.sort();
        out.dedup();
        return out;
    }
    // (domain, identity) of every address at a non-public domain.
    let mut held: Vec<(&str, u32)> = holders
        .iter()
        .filter_map(|h| {
            let (_, domain) = email_keys.get(h.key).rsplit_once('@')?;
            (!normalize::is_public_mail_domain(domain)).then_some((domain, h.i))
        })
        .collect();
    held.sort_unstable();
    held.dedup();
    let directory = identities.iter().any(|i| i.directory);
    let mut out: Vec<String> = Vec::new();
    for group in held.chunk_by(|x, y| x.0 == y.0) {
        let org = if directory {
            group.iter().any(|&(_, i)| identities[i as usize].directory)
        } else {
            group.len() >= 2 && group.len() * 4 >= identities.len()
        };
        if org {
            out.push(group[0].0.to_string());
        }
    }
    out
}

/// The values that name an identity's account to a link: its id, login and emails, normalised.
fn account_values(identity: &Identity) -> Vec<String> {
    let mut values: Vec<String> = vec![nfkc_lower(&identity.id)];
    if let Some(l) = &identity.login {
        values.push(nfkc_lower(l));
    }
    values.extend(identity.emails.iter().map(|e| nfkc_lower(e)));
    values.sort();
    values.dedup();
    values
}

/// A fixed (unseeded) hash of an account's source and value, for the link index.
fn account_hash(source: &str, value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut h);
    value.hash(&mut h);
    h.finish()
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

    /// The cases whose outcome differs from the expected one (all listed, not only the first); an
    /// empty name for `a` means a record without one.
    fn pair_case_mismatches(cases: &[PairCase]) -> Vec<String> {
        let mut out = Vec::new();
        for &(case, (na, ea), (nb, eb), merged) in cases {
            let mut a = id("a", na, &[ea]);
            if na.is_empty() {
                a.name = None;
            }
            let (res, n) = among_crowd([a, id("b", nb, &[eb])]);
            if together(&res, n, n + 1) != merged {
                let links: Vec<_> = res
                    .merges
                    .iter()
                    .chain(&res.reviews)
                    .filter(|l| l.a >= n && l.b >= n)
                    .map(|l| (l.confidence, l.evidence.clone()))
                    .collect();
                out.push(format!("{case}: merged={} {links:?}", !merged));
            }
        }
        out
    }

    #[test]
    fn login_named_noreply_holder_does_not_bridge_conflicting_names() {
        // "Normal Human" spells the id-less login `normalhuman`, but two conflicting names also
        // hold the address (an id-less login can pass to another account after a rename): the
        // login's own display name must not bridge them.
        let ids = [
            id(
                "1",
                "Leonid Kovalev",
                &["normalhuman@users.noreply.github.com"],
            ),
            id(
                "2",
                "Normal Human",
                &["normalhuman@users.noreply.github.com"],
            ),
            id("3", "Anna Berg", &["normalhuman@users.noreply.github.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 2), "{:?}", res.merges);
    }

    #[test]
    fn completed_name_needs_the_family_name_not_a_longer_word() {
        // The address must spell the name exactly: a longer family name (Dasgupta, Shahid,
        // Johnson, Leeds, Potekar) does not complete a shorter one (Das, Shah, John, Lee, Pote).
        let cases: &[PairCase] = &[
            (
                "Das is not Dasgupta",
                ("Ankit", "ankit.dasgupta@gmail.com"),
                ("Ankit Das", "ankit.das@corp.example"),
                false,
            ),
            (
                "Shah is not Shahid",
                ("Ali", "ali.shahid@gmail.com"),
                ("Ali Shah", "ali.shah@corp.example"),
                false,
            ),
            (
                "a lone family name, the address another family name",
                ("Shah", "ali.shahid@gmail.com"),
                ("Ali Shah", "ali.shah@corp.example"),
                false,
            ),
            (
                "John is not Johnson",
                ("Mark", "markjohnson@gmail.com"),
                ("Mark John", "mark.john@corp.example"),
                false,
            ),
            (
                "Lee is not Leeds",
                ("Anna", "annaleeds@gmail.com"),
                ("Anna Lee", "anna.lee@corp.example"),
                false,
            ),
            (
                "Pote is not Potekar",
                ("Advait", "advait.potekar@gmail.com"),
                ("Advait Pote", "apote@mail.example"),
                false,
            ),
        ];
        pair_cases_among_crowd(cases);
    }

    #[test]
    fn company_domain_name_is_not_every_colleagues_handle() {
        // A domain held by several people is an organisation's: its name is nobody's handle, so a
        // record whose local part is that name (the founder's orionmulti@gmail.com, the company's
        // account) never joins the colleagues, nor joins them to one another.
        let mut nameless = id("c3", "", &["kbo@orionmulti.example"]);
        nameless.name = None;
        let (res, n) = among_crowd([
            id("founder", "Peter Anvin", &["orionmulti@gmail.com"]),
            id("c1", "jdoe", &["jdoe@orionmulti.example"]),
            id("c2", "asmith", &["asmith@orionmulti.example"]),
            nameless,
        ]);
        let pairs = [
            (n, n + 1),
            (n, n + 2),
            (n, n + 3),
            (n + 1, n + 2),
            (n + 1, n + 3),
        ];
        let joined: Vec<_> = pairs
            .iter()
            .filter(|&&(a, b)| together(&res, a, b))
            .collect();
        assert!(joined.is_empty(), "{joined:?} {:?}", res.merges);
    }

    #[test]
    fn company_named_bot_is_not_reviewed_against_each_employee() {
        // A shared account named after the company ("Microsoft" <opensource@microsoft.com>) is
        // not proposed as a duplicate of each employee.
        let (res, n) = among_crowd([
            id("bot", "Microsoft", &["opensource@microsoft.com"]),
            id("e1", "jdoe", &["jdoe@microsoft.com"]),
            id("e2", "asmith", &["asmith@microsoft.com"]),
        ]);
        let noisy: Vec<_> = res
            .reviews
            .iter()
            .chain(&res.merges)
            .filter(|l| l.a >= n && l.b >= n)
            .map(|l| (l.a - n, l.b - n, l.confidence, l.evidence.clone()))
            .collect();
        assert!(noisy.is_empty(), "{noisy:?}");
    }

    #[test]
    fn first_name_mailbox_at_two_departments_is_no_merge() {
        // Departments hand out first names and initials independently: `john@cs.uni` and
        // `john@math.uni`, `jkl@` at two of them, may be two people (a review at most).
        let cases: &[PairCase] = &[
            (
                "two Johns at two departments",
                ("John", "john@cs.uni.example"),
                ("John", "john@math.uni.example"),
                false,
            ),
            (
                "initials at two departments",
                ("jkl", "jkl@cs.uni.example"),
                ("Julia Klein", "jkl@math.uni.example"),
                false,
            ),
        ];
        pair_cases_among_crowd(cases);
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

    #[test]
    fn noreply_login_shared_by_different_names_does_not_merge() {
        // Two people called Smith picked the same login; only the login joins them.
        let ids = [
            id("1", "John Smith", &["1111+jsmith@users.noreply.github.com"]),
            id("2", "Jane Smith", &["2222+jsmith@users.noreply.github.com"]),
            id("3", "jsmith", &["jsmith@gmail.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1));
        assert!(!together(&res, 0, 2) && !together(&res, 1, 2));
    }

    #[test]
    fn same_login_in_two_tools_with_conflicting_names_does_not_merge() {
        // GitHub and GitLab logins are separate namespaces: two people can both be `jsmith`.
        let mut github = id("1", "John Smith", &[]);
        github.source = "github".into();
        github.login = Some("jsmith".into());
        let mut gitlab = id("2", "Jane Smith", &[]);
        gitlab.source = "gitlab".into();
        gitlab.login = Some("jsmith".into());
        let mut gitlab_same = id("3", "John Smith", &[]);
        gitlab_same.source = "gitlab2".into();
        gitlab_same.login = Some("jsmith".into());
        let res = resolve(&[github, gitlab, gitlab_same], &ResolveOptions::default());
        assert!(!together(&res, 0, 1), "conflicting names stay apart");
        assert!(together(&res, 0, 2), "agreeing names across tools merge");
    }

    #[test]
    fn noreply_login_with_login_field_merges_and_says_so() {
        let mut gh = id("9", "Carlos M", &[]);
        gh.login = Some("carlosm".into());
        let ids = [
            id(
                "1",
                "Carlos Mendez",
                &["42+carlosm@users.noreply.github.com"],
            ),
            gh,
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert_eq!(
            res.merges[0].evidence,
            vec!["same GitHub login carlosm (from a noreply address)".to_string()]
        );
    }

    #[test]
    fn same_github_account_id_merges_across_renamed_logins() {
        let ids = [
            id(
                "1",
                "Timo S",
                &["97806294+TJStienstra@users.noreply.github.com"],
            ),
            id(
                "2",
                "Timo S",
                &["97806294+tjs-renamed@users.noreply.github.com"],
            ),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(res.merges[0].evidence[0].starts_with("same GitHub account 97806294"));
    }

    #[test]
    fn rare_full_name_with_agreeing_local_part_merges() {
        let cases: &[(&str, [(&str, &str); 2])] = &[
            (
                "initial and prefix of the last name",
                [
                    ("Andreas Gruenbacher", "agruen@suse.example"),
                    ("Andreas Gruenbacher", "agruenba@redhat.example"),
                ],
            ),
            (
                "one handle inside the other",
                [
                    ("Benoit Sigoure", "tsuna@lrde.example"),
                    ("Benoit Sigoure", "tsunanet@gmail.com"),
                ],
            ),
            (
                "a handle at a placeholder host",
                [
                    ("Matthias Urlichs", "smurf@kiste.(none)"),
                    ("Matthias Urlichs", "smurf@smurf.noris.example"),
                ],
            ),
        ];
        for (case, [(na, ea), (nb, eb)]) in cases {
            let ids = [id("1", na, &[ea]), id("2", nb, &[eb])];
            let res = resolve(&ids, &ResolveOptions::default());
            assert!(together(&res, 0, 1), "{case}: {:?}", res.reviews);
            // The evidence of a merge names what joined it, never what speaks against it.
            assert!(
                res.merges[0]
                    .evidence
                    .iter()
                    .all(|e| !e.contains("unrelated") && !e.starts_with("different")),
                "{case}: {:?}",
                res.merges[0].evidence
            );
        }
    }

    #[test]
    fn organisation_hosts_and_personal_domains_link_one_person() {
        // (case, a, b, merged): among a crowd, so that name words have counts.
        let cases: &[PairCase] = &[
            (
                "one local part at two hosts of one organisation",
                ("smurfix", "smurfix@bonde.sc.orionmulti.example"),
                ("Matthias Urlichs", "smurfix@tazenda.sc.orionmulti.example"),
                true,
            ),
            (
                "initials at two hosts: departments hand them out independently (a review)",
                ("hpa", "hpa@bonde.sc.orionmulti.example"),
                ("Peter Anvin", "hpa@tazenda.sc.orionmulti.example"),
                false,
            ),
            (
                "a first name as local part at two hosts may be two people",
                ("karl", "karl@cs.uni.example"),
                ("Karl Novak", "karl@math.uni.example"),
                false,
            ),
            (
                "a local part at two organisations is not one mailbox",
                ("hpa", "hpa@bonde.orionmulti.example"),
                ("Peter Anvin", "hpa@trantor.anvin.example"),
                false,
            ),
            (
                "two names at two hosts of one organisation stay two people",
                ("Karl Novak", "kn@a.uni.example"),
                ("Kira Nolan", "kn@b.uni.example"),
                false,
            ),
            (
                "a login that is the name of the other's personal domain",
                ("Ramkumar Ramachandra", "artagnon@gmail.com"),
                ("Ramkumar Ramachandra", "r@artagnon.example"),
                true,
            ),
            (
                "a personal domain spelled from the name, behind a generic local part",
                ("Nils Schulte", "git@nilsschulte.example"),
                ("Nils Schulte", "47043622+Schnilz@users.noreply.github.com"),
                true,
            ),
            (
                "an address spelled out in the display name",
                (
                    "David Roberts (dvdr18 [at] gmail [dot] com)",
                    "devnull@localhost",
                ),
                ("David Roberts", "dvdr18@gmail.com"),
                true,
            ),
            (
                "a domain's name is not the handle of everyone who works there",
                ("Maria Wei", "mw@orionmulti.example"),
                ("orionmulti", "orionmulti@gmail.com"),
                false,
            ),
        ];
        pair_cases_among_crowd(cases);
        // Colleagues at one small organisation are never candidates through its domain's name.
        let (res, _) = among_crowd([
            id("x", "annlee", &["u1@smallshop.example"]),
            id("y", "bochen", &["u2@smallshop.example"]),
            id("z", "cydahl", &["u3@smallshop.example"]),
        ]);
        assert!(
            res.merges.is_empty() && res.reviews.is_empty(),
            "{:?}",
            res.reviews
        );
    }

    #[test]
    fn one_word_of_the_name_completed_by_the_address() {
        // (case, a, b, merged)
        let cases: &[PairCase] = &[
            (
                "first name, the family name in the address",
                ("Advait", "apote2050@gmail.com"),
                (
                    "Advait Pote",
                    "92469698+AdvaitPote@users.noreply.github.com",
                ),
                true,
            ),
            (
                "first name, the whole name in the address",
                ("Samesh", "samesh.lakhotia@gmail.com"),
                (
                    "Samesh Lakhotia",
                    "43701530+sameshl@users.noreply.github.com",
                ),
                true,
            ),
            (
                "first name and an address that says nothing more",
                ("Advait", "advait@gmail.com"),
                ("Advait Pote", "apote@mail.example"),
                false,
            ),
            (
                "the full name's own address does not agree",
                ("Advait", "advait.035.pote@gmail.com"),
                ("Advait Pote", "gnulinooks@gmail.com"),
                false,
            ),
            (
                "first name and another family name in the address",
                ("Advait", "akumar@gmail.com"),
                ("Advait Pote", "apote@mail.example"),
                false,
            ),
        ];
        pair_cases_among_crowd(cases);
        // A common name: "Philip" <psmith@…> is any of the crowd's Philip Smiths.
        let (res, n) = among_crowd([
            id("a", "Philip", &["philip.smith77@gmail.com"]),
            id("b", "Philip Smith", &["p.smith@other.example"]),
            id("c", "Philip Smith", &["phs@third.example"]),
        ]);
        assert!(!together(&res, n, n + 1) && !together(&res, n, n + 2));
    }

    #[test]
    fn chosen_handles_weigh_more_than_name_made_ones() {
        let cases: &[PairCase] = &[
            (
                "a year after a plain first name: any of its holders born then",
                ("Philip", "philip1990@gmail.com"),
                ("Philip", "philip1990@yahoo.com"),
                false,
            ),
            (
                "a display name that is exactly a GitHub login spelled from no name",
                (
                    "Zoufiné Lauer-Baré",
                    "82505312+zolabar@users.noreply.github.com",
                ),
                ("zolabar", "raszoufine@gmail.com"),
                true,
            ),
            (
                "a common name's words with one more, the handle made of the name",
                ("Philip Smith", "1234+philipsmith@users.noreply.github.com"),
                ("Karl Philip Smith", "philipsmith@gmail.com"),
                false,
            ),
        ];
        pair_cases_among_crowd(cases);
    }

    #[test]
    fn common_full_name_alone_stays_apart() {
        // Many John Smiths at many places: two of them with name-shaped addresses stay apart,
        // and nobody merges on the name alone.
        let mut ids: Vec<Identity> = (0..40)
            .map(|i| {
                id(
                    &i.to_string(),
                    "John Smith",
                    &[&format!("john.smith@d{i}.example")],
                )
            })
            .collect();
        ids.push(id("a", "John Smith", &["johnsmith@gmail.com"]));
        let res = resolve(&ids, &ResolveOptions::default());
        assert_eq!(res.clusters.len(), ids.len());
    }

    #[test]
    fn login_shaped_name_merges_only_for_a_rare_name() {
        let rare = [
            id("1", "Akshansh Bhatt", &["ab@tuta.example"]),
            id("2", "akshanshbhatt", &["akshanshbhatt@gmail.com"]),
        ];
        assert!(together(&resolve(&rare, &ResolveOptions::default()), 0, 1));
        // `jsmith` spells any J. Smith: with several of them it names none.
        let mut common: Vec<Identity> = ["John", "Joel", "Jill", "Jorge", "Julia", "Jasper"]
            .iter()
            .enumerate()
            .map(|(i, f)| {
                id(
                    &i.to_string(),
                    &format!("{f} Smith"),
                    &[&format!("jsmith@d{i}.example")],
                )
            })
            .collect();
        common.push(id("x", "jsmith", &["jsmith@gmail.com"]));
        let res = resolve(&common, &ResolveOptions::default());
        assert_eq!(res.clusters.len(), common.len(), "{:?}", res.merges);
    }

    #[test]
    fn numbered_tag_spelling_is_not_the_same_email() {
        // (a, b, joined by the same email?)
        let cases: &[(&str, &str, bool)] = &[
            ("david_singh@gmail.com", "david_singh+git2@gmail.com", false),
            (
                "david_singh+git@gmail.com",
                "david_singh+git3@gmail.com",
                false,
            ),
            (
                "david_singh+git2@gmail.com",
                "David_Singh+git2@gmail.com",
                true,
            ),
            ("david_singh@gmail.com", "david_singh+git@gmail.com", true),
        ];
        for &(ea, eb, same) in cases {
            let ids = [id("1", "David Singh", &[ea]), id("2", "David Singh", &[eb])];
            let res = resolve(&ids, &ResolveOptions::default());
            let by_email = res.merges.iter().any(|m| {
                m.evidence
                    .iter()
                    .any(|e| e.starts_with("same email") && e.contains('@'))
            });
            assert_eq!(by_email, same, "{ea} / {eb}: {:?}", res.merges);
        }
    }

    #[test]
    fn plus_tag_spelling_does_not_join_conflicting_names() {
        // `jsmith+git2@` is what a second J. Smith gets when `jsmith+git@` is taken.
        let ids = [
            id("1", "John Smith", &["jsmith@acme.example"]),
            id("2", "Jane Smith", &["jsmith+git2@acme.example"]),
            id("3", "John Smith", &["JSmith@acme.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1));
        assert!(together(&res, 0, 2));
    }

    #[test]
    fn gmail_dots_alone_do_not_merge() {
        // (a, b, same person?): dots are not folded, so only an agreeing name can join spellings.
        let cases: &[(&str, &str, &str, &str, bool)] = &[
            (
                "John Smith",
                "john.smith@gmail.com",
                "Jon Smyth",
                "johnsmith@gmail.com",
                false,
            ),
            (
                "Mary Jones",
                "mary.jones@gmail.com",
                "",
                "maryjones@gmail.com",
                false,
            ),
            (
                "Kelda Varkonyi",
                "kelda.varkonyi@gmail.com",
                "Kelda Varkonyi",
                "keldavarkonyi@gmail.com",
                true,
            ),
        ];
        for &(na, ea, nb, eb, same) in cases {
            let ids = [id("1", na, &[ea]), id("2", nb, &[eb])];
            let res = resolve(&ids, &ResolveOptions::default());
            assert_eq!(
                together(&res, 0, 1),
                same,
                "{na} {ea} / {nb} {eb}: {:?}",
                res.merges
            );
            assert!(
                res.merges.iter().all(|m| !m
                    .evidence
                    .iter()
                    .any(|e| e.starts_with("same email") && e.contains('@'))),
                "{:?}",
                res.merges
            );
        }
    }

    #[test]
    fn address_typed_as_name_merges_with_that_address() {
        let ids = [
            id("1", "Ethan Ward", &["etkewa@gmail.com"]),
            id("2", "etkewa@gmail.com", &["qsRf9sGKy9rV"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(res.merges[0].evidence[0].contains("typed as the name"));
    }

    #[test]
    fn shared_email_merge_cites_the_email() {
        let mut dir = id("00u1", "Jane Roe", &["jane.roe@acme.example"]);
        dir.source = "okta".into();
        dir.directory = true;
        let ids = [dir, id("row", "J. Roe", &["Jane.Roe@acme.example"])];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert_eq!(
            res.merges[0].evidence,
            vec!["same email jane.roe@acme.example".to_string()]
        );
    }

    #[test]
    fn old_noreply_address_joins_only_agreeing_names() {
        let ids = [
            id("1", "luz paz", &["luzpaz@users.noreply.github.com"]),
            id("2", "luz.paz", &["1234+luzpaz@users.noreply.github.com"]),
            id(
                "3",
                "Richard Otis",
                &["5678+luzpaz@users.noreply.github.com"],
            ),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(!together(&res, 0, 2));
    }

    #[test]
    fn old_noreply_address_joins_the_display_name_that_is_its_login() {
        // "Normal Human" is the login `normalhuman` written as a name: the account's own display
        // name, not a second person's.
        let ids = [
            id(
                "1",
                "Leonid Kovalev",
                &["normalhuman@users.noreply.github.com"],
            ),
            id(
                "2",
                "Normal Human",
                &["normalhuman@users.noreply.github.com"],
            ),
            id("3", "Leonid Kovalev", &["leonid.traveling@gmail.com"]),
            id("4", "Anna Berg", &["annaberg@users.noreply.github.com"]),
            id("5", "Carl Holm", &["991+annaberg@users.noreply.github.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(together(&res, 0, 2));
        // The id form is the account that holds the login now, maybe a later owner.
        assert!(!together(&res, 3, 4));
    }

    /// Whether any of the links gives evidence containing `needle`.
    fn cites(links: &[MatchLink], needle: &str) -> bool {
        links
            .iter()
            .any(|l| l.evidence.iter().any(|e| e.contains(needle)))
    }

    /// (case, (name a, email a), (name b, email b), merged?)
    type PairCase = (
        &'static str,
        (&'static str, &'static str),
        (&'static str, &'static str),
        bool,
    );

    /// Each case's two records among the crowd: merged or not, as the case says.
    fn pair_cases_among_crowd(cases: &[PairCase]) {
        let wrong = pair_case_mismatches(cases);
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    /// Resolve `extra` after the crowd: the result and the index of `extra`'s first identity.
    fn among_crowd<const N: usize>(extra: [Identity; N]) -> (Resolution, usize) {
        let mut ids = crowd();
        let n = ids.len();
        ids.extend(extra);
        (resolve(&ids, &ResolveOptions::default()), n)
    }

    /// A crowd of ordinary people, so that name words have counts as in real data.
    fn crowd() -> Vec<Identity> {
        let first = ["Philip", "Karl", "Abhishek", "Maria", "Chen", "Olga"];
        let last = ["Smith", "Chakrabarty", "Rao", "Novak", "Wei", "Petrova"];
        let mut out = Vec::new();
        for (i, f) in first.iter().enumerate() {
            for (j, l) in last.iter().enumerate() {
                let email = format!("u{i}x{j}@mail{i}{j}.example");
                out.push(id(&format!("c{i}{j}"), &format!("{f} {l}"), &[&email]));
            }
        }
        out
    }

    #[test]
    fn one_word_display_name_equal_to_a_login_is_a_chosen_handle() {
        // "mostlyaman" spells no name of the data: the same handle as name and login is one person.
        let (res, n) = among_crowd([
            id(
                "a",
                "mostlyaman",
                &["85072876+mostlyaman@users.noreply.github.com"],
            ),
            id("b", "mostlyaman", &["amansharma110603@gmail.com"]),
        ]);
        assert!(together(&res, n, n + 1), "{:?}", res.reviews);
    }

    #[test]
    fn same_chosen_display_name_merges_only_with_a_handle_agreeing() {
        // (name a, email a, name b, email b, merged)
        let cases = [
            // The same handle as display name and as the other's login.
            (
                "zylipku",
                "123136644+zylipku@users.noreply.github.com",
                "zylipku",
                "zy.li@stu.pku.example",
                true,
            ),
            // The same display name, nothing else: a review at most.
            ("zylipku", "z1@gmail.com", "zylipku", "q2@yahoo.com", false),
        ];
        for (na, ea, nb, eb, merged) in cases {
            let mut ids = crowd();
            let n = ids.len();
            ids.push(id("a", na, &[ea]));
            ids.push(id("b", nb, &[eb]));
            let opts = ResolveOptions {
                explain: vec![(n, n + 1)],
                ..ResolveOptions::default()
            };
            let res = resolve(&ids, &opts);
            assert_eq!(
                together(&res, n, n + 1),
                merged,
                "{na} {ea} / {nb} {eb}: {:?}",
                res.explanations
            );
            if !merged {
                assert!(
                    cites(&res.reviews, "same display name \"zylipku\""),
                    "{:?}",
                    res.explanations
                );
            }
        }
    }

    #[test]
    fn weak_link_does_not_join_a_group_that_mostly_carries_another_family_name() {
        // One address holds the old and the new name; a third record matches only the old one.
        let ids = [
            id("1", "Uwe Kleine-König", &["ukleinek@uni.example"]),
            id("2", "Uwe Kleine-König", &["ukleinek@uni.example"]),
            id("3", "Uwe Kleine-K,Av(Bnig", &["ukleinek@uni.example"]),
            id("4", "Uwe Zeisberger", &["ukleinek@uni.example"]),
            id("5", "Uwe Zeisberger", &["uwe_zeisberger@digi.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 3), "strong evidence still joins");
        assert!(!together(&res, 3, 4), "{:?}", res.merges);
        assert!(
            cites(&res.reviews, "carry different names"),
            "{:?}",
            res.reviews
        );
        // The same record joins a group that carries its name.
        let alone = [
            id("4", "Uwe Zeisberger", &["zeisberg@uni.example"]),
            id("5", "Uwe Zeisberger", &["uwe_zeisberger@digi.example"]),
        ];
        assert!(together(&resolve(&alone, &ResolveOptions::default()), 0, 1));
    }

    #[test]
    fn name_words_in_another_order_with_one_more_name_are_related() {
        // Related enough to review side by side; a handle spelled from the name is not enough to
        // merge ("Wei Zhang" and "Zhang Wei Ming" may both pick `wzhang`).
        let mut gh = id("1", "Praneeth Ratna", &[]);
        gh.login = Some("praneethratna".into());
        let ids = [
            gh,
            id("2", "Mamidi Ratna Praneeth", &["praneethratna@gmail.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1), "{:?}", res.merges);
        assert!(
            cites(&res.reviews, "one more or in another order"),
            "{:?}",
            res.reviews
        );
        // With a chosen handle beside it, they merge.
        let mut gh = id("1", "Praneeth Ratna", &[]);
        gh.login = Some("zq4471".into());
        let ids = [gh, id("2", "Mamidi Ratna Praneeth", &["zq4471@gmail.com"])];
        assert!(together(&resolve(&ids, &ResolveOptions::default()), 0, 1));
    }

    #[test]
    fn four_digit_handle_at_two_providers_outweighs_a_first_name_only() {
        // (local a, local b, merged): `kunalgk1999` is one person's; `kunal42` may be anyone's.
        let cases = [
            ("kunalgk4821", "kunalgk4821", true),
            // A year is everyone's of that name born then.
            ("kunalgk1999", "kunalgk1999", false),
            ("kunal42", "kunal42", false),
        ];
        for (la, lb, merged) in cases {
            let mut ids = crowd();
            ids.push(id("k0", "Kunal Rao", &["k0@mail.example"]));
            let n = ids.len();
            ids.push(id("a", "kunal", &[&format!("{la}@gmail.com")]));
            ids.push(id("b", "kunal", &[&format!("{lb}@protonmail.com")]));
            let res = resolve(&ids, &ResolveOptions::default());
            assert_eq!(together(&res, n, n + 1), merged, "{la} {lb}");
        }
    }

    #[test]
    fn company_table_without_a_directory_keeps_two_work_addresses_apart() {
        // Most rows share acme.example: it is the organisation's domain, so two different addresses
        // there are two accounts, and the shared domain itself is no evidence.
        let mut ids: Vec<Identity> = crowd()
            .into_iter()
            .enumerate()
            .map(|(k, mut i)| {
                i.emails = vec![format!("p{k}@acme.example")];
                i
            })
            .collect();
        let n = ids.len();
        ids.push(id(
            "a",
            "Mateusz Paprocki",
            &["mateusz.paprocki@acme.example"],
        ));
        ids.push(id("b", "Mateusz Paprocki", &["mpaprocki@acme.example"]));
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, n, n + 1), "{:?}", res.merges);
        assert!(
            cites(&res.reviews, "different work emails"),
            "{:?}",
            res.reviews
        );
        assert!(
            !cites(&res.reviews, "same organisation domain"),
            "{:?}",
            res.reviews
        );
        // The same two records among people at many domains merge (a rare name, shaped addresses).
        let (res, n) = among_crowd([
            id("a", "Mateusz Paprocki", &["mateusz.paprocki@acme.example"]),
            id("b", "Mateusz Paprocki", &["mpaprocki@acme.example"]),
        ]);
        assert!(together(&res, n, n + 1), "{:?}", res.reviews);
    }

    #[test]
    fn first_names_and_assigned_locals_are_not_chosen_handles() {
        // (name a, email a, name b, email b): different people the one-word rule must not join.
        let cases = [
            (
                "Michael",
                "michael@startup-a.example",
                "Michael",
                "michael@startup-b.example",
            ),
            (
                "Sergey",
                "sergey.ivanov@corp.example",
                "Sergey",
                "sergey.petrov@corp.example",
            ),
            (
                "vagrant",
                "alice@corp.example",
                "vagrant",
                "bob@corp.example",
            ),
        ];
        for (na, ea, nb, eb) in cases {
            let (res, n) = among_crowd([id("a", na, &[ea]), id("b", nb, &[eb])]);
            assert!(
                !together(&res, n, n + 1),
                "{na} {ea} / {nb} {eb}: {:?}",
                res.merges
            );
        }
    }

    #[test]
    fn repeated_or_missing_name_words_are_not_the_same_name() {
        // "Yang Yang" is not within "Yang Ming": a +tag spelling does not join them.
        let ids = [
            id("1", "Yang Yang", &["yang+work@corp.example"]),
            id("2", "Yang Ming", &["yang@corp.example"]),
        ];
        assert!(!together(&resolve(&ids, &ResolveOptions::default()), 0, 1));
        // "Wei Zhang" within "Zhang Wei Ming" is related, not the same name: with only a handle
        // made of the name, at most a review.
        let (res, n) = among_crowd([
            id("a", "Wei Zhang", &["wzhang@corp.example"]),
            id("b", "Zhang Wei Ming", &["wzhang@other.example"]),
        ]);
        assert!(!together(&res, n, n + 1), "{:?}", res.merges);
        assert!(
            cites(&res.reviews, "one more or in another order"),
            "{:?}",
            res.reviews
        );
    }

    #[test]
    fn relatives_sharing_a_family_name_do_not_outvote_a_different_name() {
        // Jane's group holds John's address too (a family mailbox); the record that matches only
        // Jane by weak evidence must not be joined on the strength of the shared surname.
        let ids = [
            id("1", "Jane Smith", &["smiths@home.example"]),
            id("2", "John Smith", &["smiths@home.example"]),
            id("3", "John Smith", &["smiths@home.example"]),
            id("4", "Jane Smith", &["jane.smith@work.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 3), "{:?}", res.merges);
    }

    #[test]
    fn a_weak_merge_splices_the_groups_it_joins() {
        // After Jane Doe's two records join, John Roe is compared with both of them.
        let (res, n) = among_crowd([
            id("0", "Jane Doe", &["jdoe1987@gmail.com"]),
            id(
                "1",
                "jdoe1987",
                &["jdoe1987@yahoo.com", "xq7zz@corp.example"],
            ),
            id(
                "2",
                "John Roe",
                &["xq7zz@other.example", "jroe@corp.example"],
            ),
        ]);
        assert!(together(&res, n, n + 1), "{:?}", res.reviews);
        assert!(!together(&res, n + 1, n + 2), "{:?}", res.merges);
    }

    #[test]
    fn rare_login_shaped_name_with_a_shaped_address_merges() {
        // No handle in common: the display name is the login of a rare name, and the address is
        // shaped like it.
        let (res, n) = among_crowd([
            id("a", "Akshansh Bhatt", &["zz81@tuta.example"]),
            id("b", "akshanshbhatt", &["abhatt@gmail.com"]),
        ]);
        assert!(together(&res, n, n + 1), "{:?}", res.reviews);
    }

    #[test]
    fn login_made_of_two_name_words_meets_that_name() {
        let mut ids = crowd();
        let n = ids.len();
        ids.push(id("a", "olgapetrova77", &["olgapetrova77@gmail.com"]));
        let res = resolve(
            &ids,
            &ResolveOptions {
                explain: vec![(n, 35)],
                ..ResolveOptions::default()
            },
        );
        assert_eq!(ids[35].name.as_deref(), Some("Olga Petrova"));
        assert!(res.explanations[0].candidates, "{:?}", res.explanations);
    }

    #[test]
    fn handle_spelled_from_the_data_names_is_not_a_chosen_handle() {
        // `philipsmith` and `kchakrabarty` are what any Philip Smith or K. Chakrabarty picks.
        let (res, n) = among_crowd([
            id("a", "philipsmi", &["philip.smith@gmail.com"]),
            id("b", "psmith", &["philipsmith@gmail.com"]),
            id("c", "kchakrabarty", &["kunal.c+git@pobox.example"]),
            id("d", "Karl Chakrabarty", &["kchakrabarty@ensea.example"]),
        ]);
        assert!(!together(&res, n, n + 1), "{:?}", res.merges);
        assert!(!together(&res, n + 2, n + 3), "{:?}", res.merges);
    }

    #[test]
    fn login_shaped_name_reads_the_name_as_written_not_its_nickname() {
        // "Ted" maps to Edward for nicknames, but the login spells "ted".
        let ids = [
            id("1", "ted-dokos", &["t.dokos@gmail.com"]),
            id("2", "Ted Dokos", &["tdokos@gmail.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1), "{:?}", res.reviews);
        assert!(
            cites(&res.merges, "a login made of the name"),
            "{:?}",
            res.merges
        );
    }

    #[test]
    fn transliterated_name_meets_its_latin_address() {
        let ids = [
            id("1", "Дилян Палаузов", &["git-dpa@aegee.example"]),
            id("2", "Dilyan Palauzov", &["dilyan.palauzov@gmail.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(
            cites(&res.merges, "same name") || cites(&res.reviews, "same name"),
            "{res:?}"
        );
    }

    #[test]
    fn explain_scores_a_pair_whatever_the_outcome() {
        let ids = [
            id("1", "Chai Wah Wu", &["cwwuieee@gmail.com"]),
            id("2", "Chai Wah Wu", &["postvakje@users.noreply.github.com"]),
            id("3", "Zed Zulu", &["zz@zulu.example"]),
        ];
        let opts = ResolveOptions {
            explain: vec![(0, 1), (0, 2)],
            ..ResolveOptions::default()
        };
        let res = resolve(&ids, &opts);
        let [same, other] = &res.explanations[..] else {
            panic!("{:?}", res.explanations)
        };
        assert!(same.candidates);
        assert!(same.confidence.is_some_and(|c| c < 0.9), "{same:?}");
        assert!(same.evidence.iter().any(|e| e.contains("same name")));
        assert!(!other.candidates);
        assert!(!together(&res, 0, 1));
    }
}
