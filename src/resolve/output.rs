//! Phase 8, output: the clusters in input order, one review per pair of clusters (the best pending
//! link, never across a split), the words of every merge, and the explanations asked for.
//!
//! Invariant: the working set is freed before the words of the (many) strong merges are written,
//! which need only the interned keys; the output is sorted, never in the order of any thread.

use super::blocks::Asked;
use super::cluster::Clusters;
use super::evidence::{self, PairScore};
use super::interner::Interner;
use super::scoring::Pending;
use super::{
    Explanation, Forest, MatchLink, Merge, NameAgreement, Resolution, Resolver, Tables, Why,
};
use crate::model::Identity;

impl Resolver<'_> {
    /// Turn the clusters, merges and pending reviews into the [`Resolution`].
    pub(super) fn into_resolution(self, pending: Vec<Pending>, asked: Vec<Asked>) -> Resolution {
        let Resolver {
            identities,
            tables,
            prepared,
            forest,
            stats,
            ..
        } = self;
        let Forest {
            mut clusters,
            merges,
        } = forest;
        let (clusters_out, cluster_of) = cluster_list(&mut clusters, identities.len());
        let describe = |a: usize, b: usize, s: &PairScore, merged: bool| {
            evidence::describe(
                s,
                &prepared[a],
                &prepared[b],
                identities[a].name.as_deref(),
                identities[b].name.as_deref(),
                &tables.handles,
                &tables.domains,
                merged,
            )
        };
        let reviews = reviews(&pending, &cluster_of, &mut clusters, describe);
        let explanations: Vec<Explanation> = asked
            .into_iter()
            .map(|asked| {
                let score = |a: usize, b: usize| {
                    evidence::score(&prepared[a], &prepared[b], &stats, &tables.handles)
                };
                explain(asked, score, describe)
            })
            .collect();
        // Weak merges are described while the prepared values are at hand; then the working set
        // goes before the words of the (many more) strong merges are written.
        let weak_words: Vec<Vec<String>> = merges
            .iter()
            .filter_map(|m| match m.why {
                Why::Weak(s) => Some(describe(m.a.get(), m.b.get(), &s, true)),
                Why::Strong(_) | Why::OnlyNamed(_) => None,
            })
            .collect();
        drop(pending);
        drop(prepared);
        drop(clusters);
        drop(stats);
        let Tables {
            email_keys,
            handles,
            domains,
            labels,
            name_keys,
            guard_values,
            sources,
        } = tables;
        drop((handles, domains, labels, name_keys, guard_values, sources));
        Resolution {
            clusters: clusters_out,
            cluster_of,
            merges: merge_links(merges, weak_words, identities, &email_keys),
            reviews,
            explanations,
        }
    }
}

/// How weak evidence scores an asked-for pair, whatever the outcome.
fn explain(
    asked: Asked,
    score: impl Fn(usize, usize) -> Option<PairScore>,
    describe: impl Fn(usize, usize, &PairScore, bool) -> Vec<String>,
) -> Explanation {
    let Asked { a, b, candidates } = asked;
    let s = score(a, b);
    Explanation {
        a,
        b,
        candidates,
        confidence: s.map(|s| s.confidence),
        evidence: s
            .as_ref()
            .map_or_else(Vec::new, |s| describe(a, b, s, false)),
    }
}

/// The merges as links, sorted by pair: a weak merge with its words (written earlier, in order),
/// a strong one with the words of its reason.
fn merge_links(
    merges: Vec<Merge>,
    weak_words: Vec<Vec<String>>,
    identities: &[Identity],
    email_keys: &Interner,
) -> Vec<MatchLink> {
    let mut weak_words = weak_words.into_iter();
    let mut links: Vec<MatchLink> = merges
        .into_iter()
        .map(|m| {
            let strong = matches!(m.why, Why::Strong(_));
            let (confidence, evidence, names) = match m.why {
                Why::Weak(s) => (
                    s.confidence,
                    weak_words.next().unwrap_or_default(),
                    s.name_agreement(),
                ),
                Why::Strong(reason) => (
                    1.0,
                    vec![reason.words(identities, email_keys)],
                    NameAgreement::Other,
                ),
                Why::OnlyNamed(only) => (
                    super::unambiguous::ONLY_NAMED_CONFIDENCE,
                    vec![only.words(identities)],
                    NameAgreement::Other,
                ),
            };
            MatchLink {
                a: m.a.get(),
                b: m.b.get(),
                confidence,
                evidence,
                names,
                strong,
            }
        })
        .collect();
    links.sort_by_key(|m| (m.a, m.b));
    links
}

/// Each cluster's members, clusters ordered by their first index, and each of the `n`
/// identities' cluster.
fn cluster_list(clusters: &mut Clusters, n: usize) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut cluster_of: Vec<usize> = Vec::with_capacity(n);
    let mut cluster_of_root: Vec<Option<u32>> = vec![None; n];
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in 0..n {
        let root = clusters.find(i);
        let c = *cluster_of_root[root].get_or_insert_with(|| {
            out.push(Vec::new());
            (out.len() - 1) as u32
        }) as usize;
        out[c].push(i);
        cluster_of.push(c);
    }
    (out, cluster_of)
}

/// A pending link between two different clusters: a review candidate.
struct Between {
    /// The two clusters, lower first.
    clusters: (usize, usize),
    /// Index into the pending links.
    pending: usize,
}

/// One review per pair of clusters, the best pending link; never across a split. Sorted by
/// confidence, best first, then by pair.
fn reviews(
    pending: &[Pending],
    cluster_of: &[usize],
    clusters: &mut Clusters,
    describe: impl Fn(usize, usize, &PairScore, bool) -> Vec<String>,
) -> Vec<MatchLink> {
    let mut best: Vec<Between> = Vec::new();
    for (k, p) in pending.iter().enumerate() {
        let (a, b) = (p.a.get(), p.b.get());
        let (ca, cb) = (cluster_of[a], cluster_of[b]);
        if ca == cb || clusters.split_between(a, b) {
            continue;
        }
        best.push(Between {
            clusters: (ca.min(cb), ca.max(cb)),
            pending: k,
        });
    }
    // Pending is in descending confidence (guarded ones capped), so sort by pair, then confidence.
    best.sort_by(|x, y| {
        x.clusters
            .cmp(&y.clusters)
            .then(
                pending[y.pending]
                    .confidence
                    .total_cmp(&pending[x.pending].confidence),
            )
            .then(x.pending.cmp(&y.pending))
    });
    best.dedup_by(|x, y| x.clusters == y.clusters);
    let mut reviews: Vec<MatchLink> = best
        .iter()
        .map(|between| {
            let p = &pending[between.pending];
            let (a, b) = (p.a.get(), p.b.get());
            let mut evidence = describe(a, b, &p.score, false);
            if let Some(reason) = p.refused {
                evidence.push(reason.words().to_string());
            }
            MatchLink {
                a,
                b,
                confidence: p.confidence,
                evidence,
                names: p.score.name_agreement(),
                strong: false,
            }
        })
        .collect();
    reviews.sort_by(|x, y| {
        y.confidence
            .total_cmp(&x.confidence)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    reviews
}

#[cfg(test)]
mod tests {
    use crate::resolve::test_support::*;

    #[test]
    fn name_alone_becomes_a_review_not_a_merge() {
        let ids = [
            // Common in general: with no directory a rare full name would merge on its own.
            id("1", "Wei Zhang", &["xk1@a.example"]),
            id("2", "Wei Zhang", &["mw7@b.example"]),
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
    fn explain_scores_a_pair_whatever_the_outcome() {
        let ids = [
            id("1", "Wei Zhang", &["cwwuieee@gmail.com"]),
            id("2", "Wei Zhang", &["postvakje@users.noreply.github.com"]),
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
