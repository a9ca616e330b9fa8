//! Phases 3 and 4, personal domains and blocks: give a personal domain's name to its owner as a
//! handle; count how common each name and domain is (the data's own statistics); find the handles
//! that people with conflicting names share; and put identities into blocks — a shared name key,
//! handle or lone name word — whose members become the candidate pairs weak evidence scores.
//!
//! Invariant: blocks larger than [`MAX_BLOCK`] are skipped (a very common name or handle is too
//! ambiguous to compare pairwise), which keeps the number of candidate pairs linear in the input.

use super::cluster::Clusters;
use super::evidence::{HandleKind, NameStats, Prepared, names_conflict};
use super::interner::Interner;
use super::names::{self, NameInfo};
use super::{IdentityIx, Resolver, Tables};

/// Blocks larger than this are too ambiguous to compare pairwise (a very common name or handle);
/// they are skipped, which keeps the cost linear.
const MAX_BLOCK: usize = 64;

/// Who holds a domain, as far as strong evidence tells: the root of the one cluster holding it,
/// or many clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Nobody,
    One(IdentityIx),
    Many,
}

impl Owner {
    /// The owner once the cluster rooted at `root` is seen holding the domain too.
    fn with(self, root: IdentityIx) -> Owner {
        match self {
            Owner::Nobody => Owner::One(root),
            Owner::One(r) if r == root => self,
            Owner::One(_) | Owner::Many => Owner::Many,
        }
    }
}

/// A block's key: a name key, a handle or a lone name word. The three id spaces are numbered one
/// after the other (see [`KeySpace`]) so that an entry is two `u32`s, sorted and grouped as plain
/// integers: a million identities make several million entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct BlockKey(u32);

/// Where each kind of block key starts in the one numbering of [`BlockKey`].
struct KeySpace {
    handles_from: u32,
    words_from: u32,
}

impl KeySpace {
    fn new(name_keys: usize, handles: usize) -> KeySpace {
        let handles_from = name_keys as u32;
        KeySpace {
            handles_from,
            words_from: handles_from + handles as u32,
        }
    }

    fn name(&self, key: u32) -> BlockKey {
        BlockKey(key)
    }

    fn handle(&self, handle: u32) -> BlockKey {
        BlockKey(self.handles_from + handle)
    }

    fn word(&self, word: u32) -> BlockKey {
        BlockKey(self.words_from + word)
    }
}

/// An identity in a block, active or passive. A passive member meets only the active members of
/// its block: the holder of a domain's name (`artagnon` of artagnon.com; two holders are
/// colleagues), or a word of a full name met by one-word display names ("Advait"; two holders are
/// any two people sharing a word). Packed as the identity with the top bit for passive, so that an
/// entry stays 8 bytes; read only through these methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Member(u32);

impl Member {
    const PASSIVE: u32 = 1 << 31;

    fn active(i: usize) -> Member {
        Member(IdentityIx::new(i).0)
    }

    fn passive(i: usize) -> Member {
        Member(IdentityIx::new(i).0 | Member::PASSIVE)
    }

    fn identity(self) -> IdentityIx {
        IdentityIx(self.0 & !Member::PASSIVE)
    }

    fn is_passive(self) -> bool {
        self.0 & Member::PASSIVE != 0
    }

    /// Whether two members of one block are compared: not two passive ones.
    fn meets(self, other: Member) -> bool {
        !(self.is_passive() && other.is_passive())
    }
}

/// One identity's place in one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    key: BlockKey,
    member: Member,
}

/// Every block's members: entries sorted by key, one per (key, member).
pub(super) struct Blocks(Vec<Entry>);

/// A pair asked for in [`super::ResolveOptions::explain`], and whether a block made its two
/// identities candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Asked {
    pub a: usize,
    pub b: usize,
    pub candidates: bool,
}

impl Blocks {
    /// The valid pairs of `explain` (both in range, different), each with whether it is a
    /// candidate pair.
    pub(super) fn asked_pairs(&self, explain: &[(usize, usize)], n: usize) -> Vec<Asked> {
        explain
            .iter()
            .filter(|&&(a, b)| a < n && b < n && a != b)
            .map(|&(a, b)| Asked {
                a,
                b,
                candidates: self.share_a_block(IdentityIx::new(a), IdentityIx::new(b)),
            })
            .collect()
    }

    /// The entries of the block of `key`.
    fn block(&self, key: BlockKey) -> &[Entry] {
        let entries = &self.0;
        &entries
            [entries.partition_point(|x| x.key < key)..entries.partition_point(|x| x.key <= key)]
    }

    /// Whether `a` and `b` share a block small enough to compare, and meet in it.
    fn share_a_block(&self, a: IdentityIx, b: IdentityIx) -> bool {
        self.0
            .iter()
            .filter(|x| x.member.identity() == a)
            .any(|ea| {
                let block = self.block(ea.key);
                (2..=MAX_BLOCK).contains(&block.len())
                    && block
                        .iter()
                        .any(|eb| eb.member.identity() == b && ea.member.meets(eb.member))
            })
    }

    /// The pairs that meet in a block small enough to compare and are not already one cluster,
    /// `(lower, higher)`, sorted and deduplicated. The blocks are freed first.
    pub(super) fn into_candidate_pairs(
        self,
        clusters: &mut Clusters,
    ) -> Vec<(IdentityIx, IdentityIx)> {
        let mut candidates: Vec<(IdentityIx, IdentityIx)> = Vec::new();
        for block in self.0.chunk_by(|x, y| x.key == y.key) {
            if block.len() < 2 || block.len() > MAX_BLOCK {
                continue;
            }
            for (x, ea) in block.iter().enumerate() {
                let a = ea.member.identity();
                let ra = clusters.find(a.get());
                for eb in &block[x + 1..] {
                    let b = eb.member.identity();
                    // Two holders of one domain's name are colleagues, not one person's handles.
                    if !ea.member.meets(eb.member) {
                        continue;
                    }
                    if a != b && ra != clusters.find(b.get()) {
                        candidates.push((a.min(b), a.max(b)));
                    }
                }
            }
        }
        drop(self);
        candidates.sort_unstable();
        candidates.dedup();
        candidates
    }
}

impl Resolver<'_> {
    /// Give the holders of each personal domain its name as a handle, and count each domain's
    /// holders (returned, by domain id). A domain all of whose holders are one person by strong
    /// evidence is personal: its name is its owner's handle (`artagnon@gmail.com` ~
    /// `r@artagnon.com`). An organisation's domain is held by colleagues, and its name is
    /// nobody's handle.
    pub(super) fn label_personal_domains(&mut self) -> Vec<u32> {
        let tables = &mut self.tables;
        let domains = tables.domains.len();
        let mut holders = vec![0u32; domains];
        let mut owner_of_domain = vec![Owner::Nobody; domains];
        for (i, p) in self.prepared.iter().enumerate() {
            let root = IdentityIx::new(self.forest.clusters.find(i));
            for &d in &p.domains {
                holders[d as usize] += 1;
                let owner = &mut owner_of_domain[d as usize];
                *owner = owner.with(root);
            }
        }
        for p in self.prepared.iter_mut() {
            let mut labelled: Option<Vec<(u32, HandleKind)>> = None;
            for &d in p.domains.iter() {
                if !matches!(owner_of_domain[d as usize], Owner::One(_)) {
                    continue;
                }
                if let Some(h) = tables
                    .labels
                    .handle_of(d, &tables.domains, &mut tables.handles)
                {
                    let list = labelled.get_or_insert_with(|| p.handles.to_vec());
                    if !list.contains(&(h, HandleKind::DomainLabel)) {
                        list.push((h, HandleKind::DomainLabel));
                    }
                }
            }
            if let Some(list) = labelled {
                p.handles = list.into_boxed_slice();
            }
        }
        holders
    }

    /// The name statistics (kept for scoring) and the blocks. Which handles conflicting names
    /// share is worked out on a second thread while the blocks are built and sorted: both only
    /// read.
    pub(super) fn build_blocks(&mut self, domain_holders: Vec<u32>) -> Blocks {
        let mut stats = self.name_statistics();
        stats.set_domain_holders(domain_holders, self.identities.len());
        let (prepared, tables) = (&self.prepared, &self.tables);
        let blocks = std::thread::scope(|scope| {
            let ambiguous = scope.spawn(|| ambiguous_handles(prepared, tables.handles.len()));
            let blocks = block_entries(prepared, tables, &stats);
            stats.set_ambiguous_handles(super::joined(ambiguous));
            blocks
        });
        self.stats = stats;
        blocks
    }

    /// How common each name is: its words over the distinct name keys and over the records, and
    /// how many strong clusters carry it (the data's own measure).
    fn name_statistics(&mut self) -> NameStats {
        let name_keys = &self.tables.name_keys;
        let mut name_holders: Vec<(u32, u32)> = Vec::new();
        for (i, p) in self.prepared.iter().enumerate() {
            if let Some(k) = p.name_key {
                name_holders.push((k, self.forest.clusters.find(i) as u32));
            }
        }
        name_holders.sort_unstable();
        name_holders.dedup();
        let mut clusters_per_name = vec![0u32; name_keys.len()];
        for &(k, _) in &name_holders {
            clusters_per_name[k as usize] += 1;
        }
        drop(name_holders);
        let mut stats = NameStats::build(name_keys.iter());
        for p in &self.prepared {
            if p.name.is_person() {
                stats.add_record(
                    &p.name.full[0],
                    &p.name.full[p.name.full.len() - 1],
                    p.name_key,
                );
            }
        }
        stats.set_clusters_per_name(clusters_per_name);
        stats.set_no_directory(!self.identities.iter().any(|i| i.directory));
        stats.set_directory_homonyms(self.directory_homonym_names());
        stats
    }
}

/// Every identity's block entries, sorted: its name key, its handles (a domain's name passive),
/// the lone word of a one-word display name, and a display name that is a login spelled from two
/// name words.
fn block_entries(prepared: &[Prepared], tables: &Tables, stats: &NameStats) -> Blocks {
    let space = KeySpace::new(tables.name_keys.len(), tables.handles.len());
    // One-word display names ("Advait") meet the full names that hold the word, so that an
    // address spelling the rest (`apote2050@`) can be weighed. A common word's block is too large
    // and skipped, as every block.
    let mut lone_words = Interner::default();
    for p in prepared {
        if let Some(w) = lone_word(&p.name) {
            lone_words.intern(w);
        }
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut spelled = String::new();
    for (i, p) in prepared.iter().enumerate() {
        let mut push = |key: BlockKey, member: Member| entries.push(Entry { key, member });
        if let Some(k) = p.name_key {
            push(space.name(k), Member::active(i));
        }
        for &(h, kind) in &p.handles {
            let member = if kind == HandleKind::DomainLabel {
                Member::passive(i)
            } else {
                Member::active(i)
            };
            push(space.handle(h), member);
        }
        if let Some(w) = lone_word(&p.name).and_then(|w| lone_words.find(w)) {
            push(space.word(w), Member::active(i));
        } else if !lone_words.is_empty() && p.name.is_person() {
            let mut long = p.name.tokens.iter().filter(|t| t.chars().count() > 2);
            let (first, last) = (long.next(), long.next_back());
            for w in [first, last].into_iter().flatten() {
                if let Some(k) = lone_words.find(w) {
                    push(space.word(k), Member::passive(i));
                }
            }
            // A one-word display name of the first initial and the family name ("eward") meets
            // "Ethan Ward", whose GitHub login or address may spell the same.
            if let (Some(first), Some(last)) = (first, last)
                && let Some(initial) = first.chars().next()
            {
                spelled.clear();
                spelled.push(initial);
                spelled.push_str(last);
                if let Some(k) = lone_words.find(&spelled) {
                    push(space.word(k), Member::passive(i));
                }
            }
        }
        // A display name that is a login spelled from two name words ("jamestitus299") meets the
        // people of that name.
        if !p.name.is_empty()
            && !p.name.is_person()
            && let Some(key) = stats.split_into_name_key(&names::letters_of(&p.name.compact()))
            && let Some(k) = tables.name_keys.find(&key)
        {
            push(space.name(k), Member::active(i));
        }
    }
    entries.sort_unstable();
    entries.dedup();
    Blocks(entries)
}

/// The one word of a display name that is a single name-like word ("Advait"), if it is one.
fn lone_word(name: &NameInfo) -> Option<&str> {
    (name.tokens.len() == 1 && !name.is_person())
        .then(|| name.tokens.iter().next())
        .flatten()
        .filter(|w| w.chars().count() > 2 && w.chars().all(char::is_alphabetic))
}

/// For each handle, whether holders with conflicting person names share it.
fn ambiguous_handles(prepared: &[Prepared], count: usize) -> Vec<bool> {
    let mut held: Vec<(u32, u32, IdentityIx)> = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        if let Some(k) = p.name_key {
            // A domain's name is held by everyone there: colleagues, not claimants of a handle.
            for &(h, _) in p
                .handles
                .iter()
                .filter(|(_, kind)| *kind != HandleKind::DomainLabel)
            {
                held.push((h, k, IdentityIx::new(i)));
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
                let (na, nb) = (&prepared[a.2.get()].name, &prepared[b.2.get()].name);
                if names_conflict(na, nb) {
                    out[a.0 as usize] = true;
                    break 'pairs;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::test_support::*;

    #[test]
    fn a_member_keeps_its_identity_and_whether_it_is_passive() {
        let (active, passive) = (Member::active(7), Member::passive(7));
        assert_eq!(active.identity(), IdentityIx(7));
        assert_eq!(passive.identity(), IdentityIx(7));
        assert!(!active.is_passive() && passive.is_passive());
        assert!(active.meets(passive) && passive.meets(active) && active.meets(active));
        assert!(!passive.meets(Member::passive(8)));
    }

    #[test]
    fn a_domain_has_one_owner_until_a_second_cluster_holds_it() {
        let (a, b) = (IdentityIx(3), IdentityIx(9));
        assert_eq!(Owner::Nobody.with(a), Owner::One(a));
        assert_eq!(Owner::One(a).with(a), Owner::One(a));
        assert_eq!(Owner::One(a).with(b), Owner::Many);
        assert_eq!(Owner::Many.with(a), Owner::Many);
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
}
