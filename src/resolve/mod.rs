//! Resolve: turn identities into people. Normalise, block, score evidence, cluster (union-find), and
//! keep the evidence of every merge. Also what `seatwarden resolve` runs on a flat CSV.
//!
//! Architecture invariant: pure and synchronous. Reads no clock, no file, no socket; imports no I/O
//! crate and no configuration. A caller that wants to time the phases passes a [`PhaseObserver`]
//! and reads the clock itself. Large inputs are parsed and scored on scoped threads that finish
//! before `resolve` returns; the output never depends on them. A name alone never merges two
//! people, and a GitHub login read from noreply addresses is never a strong key on its own
//! (homonyms share logins).
//!
//! One resolution is a `Resolver` whose `run` reads as its phases, in order, each a method in a
//! file of its own:
//! - `prepare.rs` — parse and normalise each identity, intern its values; guard keys and overrides;
//! - `strong.rs` — strong keys (email, GitHub login and account, links, employee id) and their merges;
//! - `blocks.rs` — personal domains, name statistics, handle ambiguity, the blocks of candidates;
//! - `scoring.rs` — weak evidence on the candidate pairs, and the weak merges;
//! - `unambiguous.rs` — accounts attached to the only directory person with their name;
//! - `output.rs` — clusters, reviews, evidence words and explanations.
//!
//! The rules they apply live in helper files: `normalize.rs` (emails, folding), `names.rs` (display
//! names), `evidence.rs` (how weak evidence scores and describes one pair), `frequency.rs` (how
//! common a name is in general, from the shipped table in `data/`), `cluster.rs` (union-find
//! with refusals), `interner.rs` (strings as dense ids), `mailmap.rs` (the `.mailmap` writer).

mod blocks;
mod cluster;
mod evidence;
mod frequency;
mod interner;
mod mailmap;
mod names;
mod normalize;
mod output;
mod prepare;
mod scoring;
mod strong;
#[cfg(test)]
mod test_support;
mod unambiguous;

use std::sync::Arc;

use crate::model::Identity;
use cluster::Clusters;
use evidence::{DomainLabels, NameStats, PairScore, Prepared};
use interner::Interner;
pub use mailmap::mailmap;
pub use names::{name_key, same_written_name};
pub use normalize::{is_personal_mailbox, numbered_siblings};
use strong::StrongReason;

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
    /// Told as each phase starts and finishes (nobody by default).
    pub on_phase: PhaseObserver,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions {
            merge_threshold: 0.9,
            review_threshold: 0.6,
            org_domains: Vec::new(),
            overrides: Overrides::default(),
            explain: Vec::new(),
            on_phase: PhaseObserver::default(),
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
    /// How the two identities' names agree, as the score read them.
    pub names: NameAgreement,
    /// Joined by strong evidence (an email, an account id, a link, an employee id, an override),
    /// not by a score or a name.
    pub strong: bool,
}

/// How the names of a link's two identities agree: what a caller deciding between a duplicate
/// and a departure needs to know of the link (SPEC §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameAgreement {
    /// The same full name (first and last word, order, case and accents aside), carried by few
    /// others, or a login or address made of that full name.
    FullName,
    /// The same full name, but common: other people carry it too.
    CommonName,
    /// Anything less: a nickname, an initial, one word of the name, or names unknown. Also every
    /// strong link, whose names were not what joined it.
    Other,
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

/// The phases of a resolution, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Parse and normalise every identity, intern its values; guard keys and overrides.
    Parsing,
    /// Merge on strong keys: emails, GitHub logins and accounts, links, employee ids.
    StrongEvidence,
    /// Give a personal domain's name to its owner as a handle.
    PersonalDomains,
    /// Name statistics, handle ambiguity and the blocks that make candidate pairs.
    StatisticsAndBlocks,
    /// Score the candidate pairs by weak evidence.
    Scoring,
    /// Merge the pairs that weak evidence joins, keep the rest as pending reviews.
    WeakMerges,
    /// Attach accounts to the only directory person carrying their name.
    UnambiguousNames,
    /// Clusters, reviews, evidence words and explanations.
    Output,
}

impl Phase {
    /// Every phase, in the order they run.
    pub const ALL: [Phase; 8] = [
        Phase::Parsing,
        Phase::StrongEvidence,
        Phase::PersonalDomains,
        Phase::StatisticsAndBlocks,
        Phase::Scoring,
        Phase::WeakMerges,
        Phase::UnambiguousNames,
        Phase::Output,
    ];

    /// The phase's name in logs.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Parsing => "parsing",
            Phase::StrongEvidence => "strong evidence",
            Phase::PersonalDomains => "personal domains",
            Phase::StatisticsAndBlocks => "statistics and blocks",
            Phase::Scoring => "scoring",
            Phase::WeakMerges => "weak merges",
            Phase::UnambiguousNames => "unambiguous names",
            Phase::Output => "clusters, reviews and evidence words",
        }
    }
}

/// What a [`PhaseObserver`] is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseEvent {
    Started(Phase),
    Finished(Phase),
}

/// A callback told as each phase of a resolution starts and finishes: how a caller times the
/// phases (resolve reads no clock). Called on the resolving thread only, in phase order.
#[derive(Clone, Default)]
pub struct PhaseObserver(Option<Arc<dyn Fn(PhaseEvent) + Send + Sync>>);

impl PhaseObserver {
    /// An observer that calls `f` with every event.
    pub fn new(f: impl Fn(PhaseEvent) + Send + Sync + 'static) -> PhaseObserver {
        PhaseObserver(Some(Arc::new(f)))
    }

    /// Run one phase's `work`, telling the observer as it starts and finishes.
    fn observe<T>(&self, phase: Phase, work: impl FnOnce() -> T) -> T {
        let tell = |event| {
            if let Some(f) = &self.0 {
                f(event);
            }
        };
        tell(PhaseEvent::Started(phase));
        let out = work();
        tell(PhaseEvent::Finished(phase));
        out
    }
}

impl std::fmt::Debug for PhaseObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.0.is_some() { "set" } else { "none" };
        write!(f, "PhaseObserver({state})")
    }
}

/// Two observers are equal when both are none or both are the same callback.
impl PartialEq for PhaseObserver {
    fn eq(&self, other: &PhaseObserver) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// Resolve identities into people.
pub fn resolve(identities: &[Identity], opts: &ResolveOptions) -> Resolution {
    Resolver::new(identities, opts).run()
}

/// An index into the identities being resolved, kept as `u32`: the working lists (key holders,
/// blocks, candidate pairs, merges) hold millions of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct IdentityIx(u32);

impl IdentityIx {
    fn new(i: usize) -> IdentityIx {
        // Inputs are far below four billion identities: a million is the largest measured.
        IdentityIx(i as u32)
    }

    fn get(self) -> usize {
        self.0 as usize
    }
}

/// Why two identities were linked. Kept compact while clustering; turned into words only for the
/// links the caller reads (`merges` and `reviews`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Why {
    Strong(StrongReason),
    /// Weak evidence that reached the merge threshold.
    Weak(PairScore),
    /// The only directory person with the identity's name.
    OnlyNamed(unambiguous::OnlyNamed),
}

/// A link that joined two clusters: an edge of the spanning forest. `a < b`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Merge {
    a: IdentityIx,
    b: IdentityIx,
    why: Why,
}

/// The clusters and the links that made them.
#[derive(Debug)]
struct Forest {
    clusters: Clusters,
    merges: Vec<Merge>,
}

impl Forest {
    /// Join the clusters of `a` and `b` on strong evidence (only a split override refuses it);
    /// the link is kept when it joined two clusters.
    fn join_strong(&mut self, a: usize, b: usize, reason: StrongReason) {
        let joined = matches!(self.clusters.union(a, b, false), Ok(true));
        self.keep(joined, a, b, Why::Strong(reason));
    }

    /// Keep the link that joined two clusters; whether it did.
    fn keep(&mut self, joined: bool, a: usize, b: usize, why: Why) -> bool {
        if joined {
            self.merges.push(Merge {
                a: IdentityIx::new(a.min(b)),
                b: IdentityIx::new(a.max(b)),
                why,
            });
        }
        joined
    }

    /// Join as [`Self::join_guarded`] does, except that conflicts of the guard kinds `overridable`
    /// accepts do not refuse; whether they joined.
    fn join_guarded_except(
        &mut self,
        a: usize,
        b: usize,
        why: Why,
        overridable: impl Fn(cluster::GuardKind) -> bool,
    ) -> bool {
        if !self
            .clusters
            .guard_conflicts(a, b)
            .into_iter()
            .all(overridable)
        {
            return false;
        }
        let joined = matches!(self.clusters.union(a, b, false), Ok(true));
        self.keep(joined, a, b, why)
    }

    /// Join the clusters of `a` and `b` on evidence that guards may refuse (two accounts of one
    /// directory source, two employee ids, two work emails); whether they joined.
    fn join_guarded(&mut self, a: usize, b: usize, why: Why) -> bool {
        let joined = matches!(self.clusters.union(a, b, true), Ok(true));
        self.keep(joined, a, b, why)
    }
}

/// The values identities are compared by, each interned: text stored once, compared as ids.
#[derive(Debug, Default)]
struct Tables {
    /// Strong keys as their one-string form (`local@domain`, `github:login`, `github-id:NNN`):
    /// stored once, and the kind is read back from the form.
    email_keys: Interner,
    handles: Interner,
    domains: Interner,
    /// The handle of each personal domain's name, worked out once per domain.
    labels: DomainLabels,
    name_keys: Interner,
    /// The values of guard keys (directory accounts, employee ids, work emails).
    guard_values: Interner,
    /// The directory sources, numbered for their guard kinds.
    sources: Interner,
}

/// One resolution: the input, what has been worked out about it, and the clusters so far. Each
/// phase is a method in a file of its own; [`Resolver::run`] calls them in order.
struct Resolver<'a> {
    identities: &'a [Identity],
    opts: &'a ResolveOptions,
    tables: Tables,
    /// Each identity prepared for comparison, by index.
    prepared: Vec<Prepared>,
    forest: Forest,
    /// Name statistics over the whole input, built once strong evidence has joined what it can.
    stats: NameStats,
}

impl<'a> Resolver<'a> {
    fn new(identities: &'a [Identity], opts: &'a ResolveOptions) -> Resolver<'a> {
        let n = identities.len();
        Resolver {
            identities,
            opts,
            tables: Tables::default(),
            prepared: Vec::with_capacity(n),
            forest: Forest {
                clusters: Clusters::new(n),
                merges: Vec::new(),
            },
            stats: NameStats::default(),
        }
    }

    /// The phases, in order; what one phase hands the next is passed on (and freed) explicitly.
    fn run(mut self) -> Resolution {
        let opts = self.opts;
        let on_phase = &opts.on_phase;
        let holders = on_phase.observe(Phase::Parsing, || self.prepare());
        on_phase.observe(Phase::StrongEvidence, || self.merge_strong(holders));
        let domain_holders =
            on_phase.observe(Phase::PersonalDomains, || self.label_personal_domains());
        let (blocks, asked) = on_phase.observe(Phase::StatisticsAndBlocks, || {
            let blocks = self.build_blocks(domain_holders);
            let asked = blocks.asked_pairs(&opts.explain, self.identities.len());
            (blocks, asked)
        });
        let scored = on_phase.observe(Phase::Scoring, || self.score_candidates(blocks));
        let pending = on_phase.observe(Phase::WeakMerges, || self.merge_weak(scored));
        on_phase.observe(Phase::UnambiguousNames, || {
            self.a_name_unambiguous_in_its_population_attaches_accounts()
        });
        on_phase.observe(Phase::Output, || self.into_resolution(pending, asked))
    }
}

/// Parsing and scoring use at most this many threads (the machines this runs on are small).
const MAX_THREADS: usize = 4;

/// How many threads to spread pure work over.
fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |w| w.get())
        .clamp(1, MAX_THREADS)
}

/// What a scoped thread returned. A worker panics only on a bug: pass it on rather than lose its
/// items.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    match handle.join() {
        Ok(out) => out,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::test_support::*;
    use super::{Phase, PhaseEvent, PhaseObserver};

    #[test]
    fn the_observer_is_told_each_phase_start_and_finish_in_order() {
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let opts = ResolveOptions {
            on_phase: PhaseObserver::new(move |event| log.lock().unwrap().push(event)),
            ..ResolveOptions::default()
        };
        let ids = [
            id("1", "Jane Doe", &["jane@acme.example"]),
            id("2", "Jane Doe", &["jane@acme.example"]),
        ];
        let res = resolve(&ids, &opts);
        assert!(together(&res, 0, 1));
        let expected: Vec<PhaseEvent> = Phase::ALL
            .iter()
            .flat_map(|&p| [PhaseEvent::Started(p), PhaseEvent::Finished(p)])
            .collect();
        assert_eq!(*seen.lock().unwrap(), expected);
    }
}
