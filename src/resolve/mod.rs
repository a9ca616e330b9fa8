//! Resolve: turn identities into people. Normalise, block, score evidence, cluster (union-find), and
//! keep the evidence of every merge. Also what `seatwarden resolve` runs on a flat CSV.
//!
//! Architecture invariant: pure and synchronous. Reads no clock, no file, no socket; imports no I/O
//! crate. Large inputs are parsed and scored on scoped threads that finish
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
//! - `output.rs` — clusters, reviews, evidence words and explanations.
//!
//! The rules they apply live in helper files: `normalize.rs` (emails, folding), `names.rs` (display
//! names), `evidence.rs` (how weak evidence scores and describes one pair), `cluster.rs` (union-find
//! with refusals), `interner.rs` (strings as dense ids), `mailmap.rs` (the `.mailmap` writer).

mod blocks;
mod cluster;
mod evidence;
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

use crate::model::Identity;
use cluster::Clusters;
use evidence::{DomainLabels, NameStats, PairScore, Prepared};
use interner::Interner;
pub use mailmap::mailmap;
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
        if let Ok(true) = self.clusters.union(a, b, false) {
            self.merges.push(Merge {
                a: IdentityIx::new(a.min(b)),
                b: IdentityIx::new(a.max(b)),
                why: Why::Strong(reason),
            });
        }
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
        let mut phase = PhaseTimer::new(self.identities.len());
        let holders = self.prepare();
        phase.done("parsing");
        self.merge_strong(holders);
        phase.done("strong evidence");
        let domain_holders = self.label_personal_domains();
        phase.done("personal domains");
        let blocks = self.build_blocks(domain_holders);
        let asked = blocks.asked_pairs(&self.opts.explain, self.identities.len());
        phase.done("statistics and blocks");
        let scored = self.score_candidates(blocks);
        phase.done("scoring");
        let pending = self.merge_weak(scored);
        phase.done("weak merges");
        let resolution = self.into_resolution(pending, asked);
        phase.done("clusters, reviews and evidence words");
        resolution
    }
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
