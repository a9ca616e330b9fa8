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

/// Resolve identities into people. (Interim: exact lowercased email and links only.)
pub fn resolve(identities: &[Identity], opts: &ResolveOptions) -> Resolution {
    let _ = opts;
    let n = identities.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut merges = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, ident) in identities.iter().enumerate() {
        let mut keys: Vec<String> = ident
            .emails
            .iter()
            .map(|e| format!("e:{}", e.trim().to_lowercase()))
            .collect();
        keys.push(format!("k:{}:{}", ident.source, ident.id.to_lowercase()));
        if let Some(l) = &ident.login {
            keys.push(format!("k:{}:{}", ident.source, l.to_lowercase()));
        }
        for l in &ident.links {
            keys.push(format!("k:{}:{}", l.source, l.value.to_lowercase()));
        }
        for k in keys {
            match seen.get(&k) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a] = b;
                        merges.push(MatchLink {
                            a: j,
                            b: i,
                            confidence: 0.99,
                            evidence: vec![format!("same {}", &k[2..])],
                        });
                    }
                }
                None => {
                    seen.insert(k, i);
                }
            }
        }
    }
    let mut cluster_index = std::collections::HashMap::new();
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    let mut cluster_of = vec![0; n];
    for i in 0..n {
        let root = find(&mut parent, i);
        let c = *cluster_index.entry(root).or_insert_with(|| {
            clusters.push(Vec::new());
            clusters.len() - 1
        });
        clusters[c].push(i);
        cluster_of[i] = c;
    }
    Resolution {
        clusters,
        cluster_of,
        merges,
        reviews: Vec::new(),
    }
}

/// A git `.mailmap` for the clusters. (Interim: one line per non-first identity.)
pub fn mailmap(identities: &[Identity], res: &Resolution) -> String {
    let mut out = String::new();
    for cluster in &res.clusters {
        let first = &identities[cluster[0]];
        for &i in &cluster[1..] {
            let other = &identities[i];
            out.push_str(&format!(
                "{} <{}> {} <{}>\n",
                first.name.as_deref().unwrap_or(""),
                first.email().unwrap_or(""),
                other.name.as_deref().unwrap_or(""),
                other.email().unwrap_or("")
            ));
        }
    }
    out
}
