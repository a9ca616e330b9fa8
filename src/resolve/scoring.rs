//! Phases 5 and 6, weak evidence: score every candidate pair (on threads for large inputs), then
//! merge the pairs that reach the merge threshold, best first, unless a guard, a split or the
//! names of the two groups refuse; what does not merge is kept as a pending review.
//!
//! Invariant: weak evidence never grows a cluster past [`MAX_WEAK_CLUSTER`] identities and never
//! crosses a guard: chains of weak links between homonyms are how one cluster swallows many
//! people. The order of the merges is fixed by confidence and pair, never by the threads.

use super::blocks::Blocks;
use super::cluster::{Clusters, GuardKind, Refusal};
use super::evidence::{self, PairScore, Prepared, names_conflict};
use super::{IdentityIx, Merge, Resolver, Why, workers};

/// Below this many candidate pairs, threads cost more than they save.
const PARALLEL_SCORING_MIN: usize = 50_000;

/// Weak evidence never grows a cluster past this many identities: chains of weak links between
/// homonyms are how one cluster swallows many people. Strong evidence is not capped.
const MAX_WEAK_CLUSTER: usize = 12;

/// A candidate pair that weak evidence scored at or above the review threshold. `a < b`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scored {
    a: IdentityIx,
    b: IdentityIx,
    score: PairScore,
}

/// A scored pair that did not merge: a review, unless the two end up in one cluster anyway.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pending {
    pub a: IdentityIx,
    pub b: IdentityIx,
    /// The score's confidence, capped below the merge threshold when a merge was refused.
    pub confidence: f64,
    pub score: PairScore,
    pub refused: Option<NotMerged>,
}

/// Why a pair that weak evidence would merge was not merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NotMerged {
    /// The two clusters hold different strong keys of one guard kind.
    Guard(GuardKind),
    /// The other records of the two groups mostly carry different names.
    NamesDisagree,
}

impl NotMerged {
    /// The words a review carries for the refusal.
    pub(super) fn words(self) -> &'static str {
        match self {
            NotMerged::NamesDisagree => {
                "not merged: other records of the two groups carry different names"
            }
            NotMerged::Guard(GuardKind::EmployeeId) => "not merged: different employee ids",
            NotMerged::Guard(GuardKind::OrgEmail(_)) => "not merged: different work emails",
            NotMerged::Guard(GuardKind::Directory(_)) => "not merged: different directory accounts",
            NotMerged::Guard(GuardKind::Numbered(_)) => {
                "not merged: addresses that differ only in a number are two people's"
            }
        }
    }
}

impl Resolver<'_> {
    /// Score the candidate pairs of the blocks, keeping those at or above the review threshold,
    /// best first (ties by pair). Scoring is pure and each pair independent: split it over the
    /// cores, keeping the order.
    pub(super) fn score_candidates(&mut self, blocks: Blocks) -> Vec<Scored> {
        let candidates = blocks.into_candidate_pairs(&mut self.forest.clusters);
        let review_threshold = self.opts.review_threshold;
        let (prepared, stats, handles) = (&self.prepared, &self.stats, &self.tables.handles);
        let score_chunk = |chunk: &[(IdentityIx, IdentityIx)]| -> Vec<Scored> {
            let mut out = Vec::new();
            for &(a, b) in chunk {
                if let Some(score) =
                    evidence::score(&prepared[a.get()], &prepared[b.get()], stats, handles)
                    && score.confidence >= review_threshold
                {
                    out.push(Scored { a, b, score });
                }
            }
            out
        };
        let workers = workers();
        let mut scored = if workers > 1 && candidates.len() >= PARALLEL_SCORING_MIN {
            let size = candidates.len().div_ceil(workers);
            std::thread::scope(|scope| {
                let running: Vec<_> = candidates
                    .chunks(size)
                    .map(|chunk| scope.spawn(|| score_chunk(chunk)))
                    .collect();
                let mut all = Vec::new();
                for r in running {
                    all.extend(super::joined(r));
                }
                all
            })
        } else {
            score_chunk(&candidates)
        };
        drop(candidates);
        scored.sort_by(|x, y| {
            y.score
                .confidence
                .total_cmp(&x.score.confidence)
                .then((x.a, x.b).cmp(&(y.a, y.b)))
        });
        scored
    }

    /// Merge the scored pairs, best first, where weak evidence reaches the merge threshold and
    /// nothing refuses; the rest are pending reviews. A guarded pair is worth a look, never an
    /// automatic merge.
    pub(super) fn merge_weak(&mut self, scored: Vec<Scored>) -> Vec<Pending> {
        let (merge_threshold, review_threshold) =
            (self.opts.merge_threshold, self.opts.review_threshold);
        let clusters = &mut self.forest.clusters;
        let mut cycles = Cycles::new(clusters, self.identities.len());
        let mut pending: Vec<Pending> = Vec::new();
        for &Scored { a, b, score } in &scored {
            let (ai, bi) = (a.get(), b.get());
            if clusters.find(ai) == clusters.find(bi) {
                continue;
            }
            let too_big = clusters.size_of(ai) + clusters.size_of(bi) > MAX_WEAK_CLUSTER;
            let mut pend = |confidence, refused| {
                pending.push(Pending {
                    a,
                    b,
                    confidence,
                    score,
                    refused,
                })
            };
            if score.confidence < merge_threshold || too_big {
                pend(score.confidence, None);
                continue;
            }
            // Weak evidence between two records does not join groups whose members mostly name
            // different people: refused like a guard.
            let refused = if groups_disagree(&cycles, &self.prepared, ai, bi) {
                Some(NotMerged::NamesDisagree)
            } else {
                match clusters.union(ai, bi, true) {
                    Ok(true) => {
                        cycles.splice(ai, bi);
                        self.forest.merges.push(Merge {
                            a,
                            b,
                            why: Why::Weak(score),
                        });
                        None
                    }
                    Ok(false) | Err(Refusal::Split) => None,
                    Err(Refusal::Guard(kind)) => Some(NotMerged::Guard(kind)),
                }
            };
            if let Some(reason) = refused {
                let capped = score
                    .confidence
                    .min(merge_threshold - 0.01)
                    .max(review_threshold);
                pend(capped, Some(reason));
            }
        }
        pending
    }
}

/// Each cluster's members as a cycle (`next`), so that a weak link can be checked against everyone
/// it would join, not only its two ends. Built once every strong union is done; from then on every
/// union must also [`Cycles::splice`] the two cycles, or they go stale.
struct Cycles {
    next: Vec<u32>,
}

impl Cycles {
    /// The cycles of the `n` identities' clusters.
    fn new(clusters: &mut Clusters, n: usize) -> Cycles {
        let mut next: Vec<u32> = (0..n as u32).collect();
        for i in 0..n {
            let root = clusters.find(i);
            if root != i {
                next.swap(i, root);
            }
        }
        Cycles { next }
    }

    /// Join the cycles of `a` and `b` (two different clusters) into one.
    fn splice(&mut self, a: usize, b: usize) {
        self.next.swap(a, b);
    }

    /// The members of the cluster of `start`, starting there.
    fn members(&self, start: usize) -> impl Iterator<Item = usize> + '_ {
        let mut at = Some(start);
        std::iter::from_fn(move || {
            let here = at?;
            let following = self.next[here] as usize;
            at = (following != start).then_some(following);
            Some(here)
        })
    }
}

/// Whether the groups of `a` and `b` mostly carry names of different people ("Uwe Zeisberger"
/// against a group of "Uwe Kleine-König"s). The same first word and a shared family word is one
/// name however garbled ("Uwe Kleine-K,Av(Bnig"); "John Smith" and "Jane Smith" stay different
/// people.
fn groups_disagree(cycles: &Cycles, prepared: &[Prepared], a: usize, b: usize) -> bool {
    let (mut against, mut agreeing) = (0u32, 0u32);
    for x in cycles.members(a) {
        for y in cycles.members(b) {
            let (nx, ny) = (&prepared[x].name, &prepared[y].name);
            if !nx.is_person() || !ny.is_person() {
                continue;
            }
            let one_name = nx.first() == ny.first() && nx.shares_surname(ny);
            if names_conflict(nx, ny) && !one_name {
                against += 1;
            } else {
                agreeing += 1;
            }
        }
    }
    against > agreeing
}

#[cfg(test)]
mod tests {
    use crate::resolve::test_support::*;

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
    fn homonyms_with_unrelated_emails_stay_apart() {
        let ids = [
            id("1", "John Smith", &["zx81@one.example"]),
            id("2", "John Smith", &["qq7@two.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1));
    }

    #[test]
    fn rare_full_names_merge_with_no_directory() {
        // The `.mailmap` case: one person at a personal address and a GitHub noreply address.
        let (res, n) = among_crowd([
            id("1", "Kelda Varkonyi", &["qq81@gmail.com"]),
            id(
                "2",
                "Kelda Varkonyi",
                &["4711+zorro@users.noreply.github.com"],
            ),
        ]);
        assert!(together(&res, n, n + 1), "{:?}", res.reviews);
        assert!(cites(&res.merges, "rare name, here and in general"));
    }

    #[test]
    fn full_names_common_in_general_do_not_merge_on_the_name() {
        // Rare in this data, common among people at large.
        for name in ["Wei Zhang", "John Smith", "Abhishek Kumar", "Zhang Wei"] {
            let (res, n) = among_crowd([
                id("1", name, &["qq81@gmail.com"]),
                id("2", name, &["4711+zorro@users.noreply.github.com"]),
            ]);
            assert!(!together(&res, n, n + 1), "{name}: {:?}", res.merges);
        }
    }

    #[test]
    fn rare_full_names_do_not_merge_on_the_name_with_a_directory() {
        let mut okta = id("00u1", "Priya Raman", &["priya.raman@corp.example"]);
        okta.source = "okta".into();
        okta.directory = true;
        let ids = [
            okta,
            id("1", "Kelda Varkonyi", &["qq81@gmail.com"]),
            id(
                "2",
                "Kelda Varkonyi",
                &["4711+zorro@users.noreply.github.com"],
            ),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 1, 2), "{:?}", res.merges);
    }

    #[test]
    fn rare_full_names_at_two_work_emails_stay_apart() {
        // Two addresses at the organisation's domain are two accounts: conflicting strong
        // evidence, whatever the name.
        let opts = ResolveOptions {
            org_domains: vec!["corp.example".into()],
            ..ResolveOptions::default()
        };
        let ids = [
            id("1", "Kelda Varkonyi", &["kelda@corp.example"]),
            id("2", "Kelda Varkonyi", &["kv2@corp.example"]),
        ];
        let res = resolve(&ids, &opts);
        assert!(!together(&res, 0, 1), "{:?}", res.merges);
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
        // (local a, local b, merged): `kunalgk4821` is one person's; `kunal42` may be anyone's.
        let cases = [
            ("kunalgk4821", "kunalgk4821", true),
            // A year after the bare name is everyone's of that name born then; after more than
            // the name (`gk`), it is one person's choice.
            ("kunal1999", "kunal1999", false),
            ("kunalgk1999", "kunalgk1999", true),
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

    /// Everyone of five first and five family names but "Maria Novak": her name is uncommon
    /// there (about 0.13 expected homonyms), neither rare nor common.
    fn maria_novak_uncommon_and(extra: &[Identity]) -> (Resolution, usize) {
        let first = ["Maria", "Karl", "Philip", "Olga", "Chen"];
        let last = ["Novak", "Rao", "Smith", "Wei", "Petrova"];
        let mut ids = Vec::new();
        for (i, f) in first.iter().enumerate() {
            for (j, l) in last.iter().enumerate().filter(|&(j, _)| i + j > 0) {
                let email = format!("u{i}x{j}@mail{i}{j}.example");
                ids.push(id(&format!("c{i}{j}"), &format!("{f} {l}"), &[&email]));
            }
        }
        let n = ids.len();
        ids.extend_from_slice(extra);
        (resolve(&ids, &ResolveOptions::default()), n)
    }

    #[test]
    fn a_github_account_and_an_address_under_an_uncommon_name_merge_with_no_directory() {
        // The `.mailmap` case: a noreply account and an address under one full name.
        let account = id(
            "a",
            "Maria Novak",
            &["81234567+mnovak@users.noreply.github.com"],
        );
        let address = id("b", "Maria Novak", &["maria.novak@gmail.com"]);
        let (res, n) = maria_novak_uncommon_and(&[account.clone(), address.clone()]);
        assert!(together(&res, n, n + 1), "{:?}", res.reviews);
        // Two mailboxes under the uncommon name, their local parts different: a review at most.
        let other_mailbox = id("c", "Maria Novak", &["mnovak@yahoo.com"]);
        let (res, n) = maria_novak_uncommon_and(&[other_mailbox, address.clone()]);
        assert!(!together(&res, n, n + 1), "{:?}", res.merges);
        assert!(cites(&res.reviews, "uncommon name"), "{:?}", res.reviews);
        // With a directory, the directory knows who is who: the name alone stays a review.
        let mut listed = id("d", "Karl Wei", &["karl.wei@corp.example"]);
        listed.directory = true;
        let (res, n) = maria_novak_uncommon_and(&[account, address, listed]);
        assert!(!together(&res, n, n + 1), "{:?}", res.merges);
    }

    #[test]
    fn a_login_written_as_a_display_name_is_that_accounts() {
        // Olga and Petrova are name words of the crowd: `olga54` and `opetrova` are spelled from
        // names and would weigh little on their own (`ziyao54` is spelled from none).
        let cases: &[PairCase] = &[
            (
                "a login with digits written as the name",
                ("ZiYao", "151983618+ZiYao54@users.noreply.github.com"),
                ("ZiYao54", "ziyaoqzy2001@gmail.com"),
                true,
            ),
            (
                "a login of a name word and digits written as the name",
                ("Olga", "151983618+olga54@users.noreply.github.com"),
                ("olga54", "olgapz2001@gmail.com"),
                true,
            ),
            (
                "an account shown under a first name, its login written as the name",
                ("Olga", "15084103+olpetrova@users.noreply.github.com"),
                ("olpetrova", "s.olga@hotmail.com"),
                true,
            ),
            (
                "the login made of the full name on the account: any Olga Petrova's pick",
                ("Olga Petrova", "15084103+opetrova@users.noreply.github.com"),
                ("opetrova", "s.olga@hotmail.com"),
                false,
            ),
            (
                "a bare first name as the login: anyone called Olga",
                ("dreamcoder", "12345+olga@users.noreply.github.com"),
                ("Olga", "olga.jones@corp.example"),
                false,
            ),
            (
                "a bare name and a year: everyone called Olga born then",
                ("Olga", "151983618+olga1990@users.noreply.github.com"),
                ("olga1990", "olga1990@yahoo.com"),
                false,
            ),
            (
                "the name written with an initial: any O. Petrova's",
                ("opetrova", "15084103+opetrova@users.noreply.github.com"),
                ("O. Petrova", "petrova.o@hotmail.com"),
                false,
            ),
        ];
        pair_cases_among_crowd(cases);
    }

    #[test]
    fn a_one_word_name_of_the_initial_and_family_name_meets_the_full_name() {
        // "eward" at a company and Ethan Ward's GitHub account: weighed, not left unseen.
        let mut ids = crowd();
        let n = ids.len();
        ids.push(id("a", "eward", &["eward@sunbelt-medical.example"]));
        ids.push(id(
            "b",
            "Ethan Ward",
            &["14932247+ethankward@users.noreply.github.com"],
        ));
        let res = resolve(
            &ids,
            &ResolveOptions {
                explain: vec![(n, n + 1)],
                ..ResolveOptions::default()
            },
        );
        assert!(res.explanations[0].candidates, "{:?}", res.explanations);
    }
}
