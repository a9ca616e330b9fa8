//! Weak evidence between two identities: prepare each identity once (interned keys, parsed
//! name), score a candidate pair as log-odds from independent clues, and only for links that are
//! kept, write the human-readable evidence.
//!
//! Invariant: a name relation alone never reaches the merge threshold, but for one exception: with
//! no directory, the same full name rare in the data *and* in general (the shipped frequency
//! list, `frequency.rs`) merges. A name-shaped address agrees only for a rare name (rarity
//! counted from the data's own words and clusters); a common name needs a handle, a similar
//! handle or an organisation domain beyond it. Handles made of the name, or held by people with
//! conflicting names, weigh little.

use super::frequency;
use super::interner::{FastMap, Interner};
use super::names::{NameInfo, Shape, letters_of, shape_of_letters};
use super::normalize::{EmailKey, is_public_mail_domain, is_weak_local, registrable_domain};

/// Where a handle (a compact login-like word) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HandleKind {
    Login,
    Local,
    Name,
    /// `local@registrable-domain` of an organisation's address: the same mailbox reached through
    /// another of the organisation's hosts (`hpa@bonde.sc.orionmulti.com`,
    /// `hpa@tazenda.sc.orionmulti.com`). Only ever equal to another mailbox.
    Mailbox,
    /// The name of an organisation's domain (`artagnon` of `r@artagnon.com`): a personal
    /// domain is its owner's handle. Never compared with another domain's name (that is the
    /// shared domain, weighed on its own).
    DomainLabel,
}

impl HandleKind {
    fn word(self) -> &'static str {
        match self {
            HandleKind::Login => "login",
            HandleKind::Local => "email local part",
            HandleKind::Name => "name",
            HandleKind::Mailbox => "mailbox",
            HandleKind::DomainLabel => "domain",
        }
    }
}

/// One identity, prepared for comparison.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Registrable domains of the addresses at non-public providers, interned.
    pub domains: Box<[u32]>,
    /// The letters of local parts and logins (folded, alphabetic only), for shape checks against
    /// the other name.
    pub locals: Box<[Box<str>]>,
    /// Compact handles with their origin, interned.
    pub handles: Box<[(u32, HandleKind)]>,
    pub name: NameInfo,
    pub name_key: Option<u32>,
}

/// Build the compact handle of a login, local part or name: lowercase alphanumerics only.
pub fn compact(s: &str) -> String {
    if s.is_ascii() {
        // The common case, byte by byte: this runs for every handle of every identity.
        let mut out = String::with_capacity(s.len());
        out.extend(
            s.bytes()
                .filter(u8::is_ascii_alphanumeric)
                .map(|b| char::from(b.to_ascii_lowercase())),
        );
        return out;
    }
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How two names relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRel {
    /// Same first and last word (order, case, accents, middle names aside).
    Exact,
    /// Same once nicknames are mapped (Bob ~ Robert).
    Nickname,
    /// Every word of one is a word of the other, in another order or with one more name
    /// ("Praneeth Ratna" ~ "Mamidi Ratna Praneeth"); weaker than the same name, since "Wei Zhang"
    /// and "Zhang Wei Ming" may be two people.
    Subset,
    /// One letter apart in one word.
    Typo,
    /// An initial against a first name ("J. Smith" ~ "John Smith").
    Initial,
    /// One side has no person name, but its name is a login made of the other's full name
    /// ("akshanshbhatt", "luz.paz" ~ "Akshansh Bhatt", "luz paz").
    LoginShaped,
    /// Neither is a person name, and both are the same chosen handle ("zylipku" ~ "ZyLiPku"), one
    /// spelled from no name of the data.
    SameHandle,
    /// One side is a single word of the other's name and its own addresses spell the rest
    /// ("Advait" <apote2050@…> ~ "Advait Pote"): the full name, read from name and address.
    Completed,
    /// Both are person names and they differ.
    Conflict,
    /// At least one side has no person-shaped name.
    Unknown,
}

/// Below this many expected homonyms a full name is rare: with a name-shaped address agreeing, it
/// merges on its own.
pub const RARE_NAME_HOMONYMS: f64 = 0.05;

/// With no directory, below this many expected homonyms a full name beside a GitHub account is
/// rare enough: one side is an account (a login or a noreply address), the other not (an address),
/// both under the same name. That is the `.mailmap` case, and the name's own weight decides. Two
/// mailboxes under one uncommon name keep the stricter [`RARE_NAME_HOMONYMS`]: a person's own
/// addresses mostly share a local part, so two different ones are more often two people's.
pub const RARE_BESIDE_AN_ACCOUNT: f64 = 0.2;

/// Name statistics over the whole input: how many distinct names contain each word.
#[derive(Debug, Default)]
pub struct NameStats {
    word_keys: FastMap<String, u32>,
    distinct_keys: u32,
    word_records: FastMap<String, u32>,
    records: u32,
    /// For each name key: how many clusters (after strong evidence) carry it.
    clusters_per_name: Vec<u32>,
    /// For each name key: how many records carry it.
    key_records: Vec<u32>,
    /// For each organisation domain: how many identities hold it, out of `identities`.
    domain_holders: Vec<u32>,
    identities: u32,
    /// For each handle: whether people with conflicting names hold it (`jsmith` for John and
    /// Jane Smith), which makes it say nothing about which of them a nameless record is.
    ambiguous_handles: Vec<bool>,
    /// No identity comes from a directory: a rare full name is all there is to go by.
    no_directory: bool,
    /// The name keys two or more directory people carry, sorted: homonyms the directory knows.
    directory_homonyms: Vec<u32>,
}

impl NameStats {
    /// Count words over the distinct name keys (a person with many records counts once).
    pub fn build<'a>(keys: impl Iterator<Item = &'a str>) -> NameStats {
        let mut stats = NameStats::default();
        for key in keys {
            stats.distinct_keys += 1;
            for w in key.split(' ') {
                bump(&mut stats.word_keys, w);
            }
        }
        stats
    }

    /// Also count words over records: with many records, a common word pair has many holders even
    /// though each distinct name is counted once above.
    pub fn add_record(&mut self, first: &str, last: &str, key: Option<u32>) {
        if let Some(k) = key {
            let k = k as usize;
            if self.key_records.len() <= k {
                self.key_records.resize(k + 1, 0);
            }
            self.key_records[k] += 1;
        }
        self.records += 1;
        bump(&mut self.word_records, first);
        if last != first {
            bump(&mut self.word_records, last);
        }
    }

    /// Record which handles are held by conflicting names (indexed by handle id).
    pub fn set_ambiguous_handles(&mut self, ambiguous: Vec<bool>) {
        self.ambiguous_handles = ambiguous;
    }

    fn is_ambiguous(&self, handle: u32) -> bool {
        self.ambiguous_handles
            .get(handle as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Record how many strong clusters carry each name key (indexed by name key id).
    pub fn set_clusters_per_name(&mut self, counts: Vec<u32>) {
        self.clusters_per_name = counts;
    }

    /// Record the name keys two or more directory people carry (sorted).
    pub fn set_directory_homonyms(&mut self, keys: Vec<u32>) {
        self.directory_homonyms = keys;
    }

    /// Whether two or more directory people carry the name key.
    fn is_directory_homonym(&self, key: Option<u32>) -> bool {
        key.is_some_and(|k| self.directory_homonyms.binary_search(&k).is_ok())
    }

    /// Record whether no identity comes from a directory.
    pub fn set_no_directory(&mut self, no_directory: bool) {
        self.no_directory = no_directory;
    }

    /// How many clusters (after strong evidence) carry the name key.
    fn clusters_carrying(&self, key: Option<u32>) -> u32 {
        key.and_then(|k| self.clusters_per_name.get(k as usize).copied())
            .unwrap_or(0)
    }

    /// Record how many identities hold each organisation domain (indexed by domain id).
    pub fn set_domain_holders(&mut self, holders: Vec<u32>, identities: usize) {
        self.domain_holders = holders;
        self.identities = u32::try_from(identities).unwrap_or(u32::MAX);
    }

    /// The log-odds a shared organisation domain adds: up to 1.5 for a domain few records hold,
    /// nothing for one that a large share of them hold (the organisation's own domain in its
    /// developer table).
    fn domain_weight(&self, domain: u32) -> f64 {
        // The pair's own two records do not count.
        let holders = self
            .domain_holders
            .get(domain as usize)
            .copied()
            .unwrap_or(0);
        let others = f64::from(holders.saturating_sub(2));
        if others == 0.0 {
            return 1.5;
        }
        let share = others / f64::from(self.identities.max(1));
        (0.3 / share).ln().clamp(0.0, 1.5)
    }

    /// Whether `word` is a word of some person name in the data.
    fn is_name_word(&self, word: &str) -> bool {
        word.len() >= 3 && self.word_keys.contains_key(word)
    }

    /// The name key ("first last", sorted) of a login made of two name words of the data
    /// (`jamestitus` → "james titus").
    pub fn split_into_name_key(&self, letters: &str) -> Option<String> {
        if !letters.is_ascii() || letters.len() < 6 {
            return None;
        }
        (3..letters.len() - 2).find_map(|k| {
            let (a, b) = letters.split_at(k);
            (self.is_name_word(a) && self.is_name_word(b)).then(|| {
                if a <= b {
                    format!("{a} {b}")
                } else {
                    format!("{b} {a}")
                }
            })
        })
    }

    /// Whether the letters of a handle are spelled from name words of the data: a word alone,
    /// two words (`philipsmith`), or a word with up to three letters before or after it
    /// (`kchakrabarty`, `abhishekr`, `philipsmi`).
    pub fn is_name_shaped(&self, letters: &str) -> bool {
        if !letters.is_ascii() {
            return self.is_name_word(letters);
        }
        let n = letters.len();
        (0..n.min(4)).any(|k| self.is_name_word(&letters[k..]))
            || (n.saturating_sub(3)..n).any(|k| self.is_name_word(&letters[..k]))
            || self.is_two_name_words(letters)
    }

    /// Whether ASCII letters are two name words of the data run together (`philipsmith`), each of
    /// three letters or more.
    fn is_two_name_words(&self, letters: &str) -> bool {
        (3..letters.len().saturating_sub(2))
            .any(|k| self.is_name_word(&letters[..k]) && self.is_name_word(&letters[k..]))
    }

    /// Whether letters are nothing but a name of the data: one word (`david`), one with an
    /// initial before or after it (`jsmith`, `smithj`), or two run together (`davidsmith`).
    fn is_plain_name(&self, letters: &str) -> bool {
        if self.is_name_word(letters) {
            return true;
        }
        if !letters.is_ascii() {
            return false;
        }
        let n = letters.len();
        (n > 4 && (self.is_name_word(&letters[1..]) || self.is_name_word(&letters[..n - 1])))
            || self.is_two_name_words(letters)
    }

    fn count(&self, word: &str) -> f64 {
        f64::from(self.word_keys.get(word).copied().unwrap_or(1).max(1))
    }

    /// Expected number of other people holding a name with these two words, if words combine
    /// independently: the homonym rate that makes a common name weak evidence. The words count
    /// only in names other than `key`: one prolific person's many records must not make their
    /// own name look common.
    pub fn homonyms_besides(&self, a: &str, b: &str, key: Option<u32>) -> f64 {
        // The same pseudo-count as for records: a handful of names says nothing about rarity.
        let k = f64::from(self.distinct_keys) + 100.0;
        let own_key = if key.is_some() { 1.0 } else { 0.0 };
        let by_keys = (self.count(a) - own_key).max(1.0) * (self.count(b) - own_key).max(1.0) / k;
        // The name's own records, less one for each cluster beyond the pair's two: those other
        // clusters may be homonyms and still count as other uses of the words.
        let own = key.map_or(0, |k| {
            let records = self.key_records.get(k as usize).copied().unwrap_or(0);
            let clusters = self.clusters_per_name.get(k as usize).copied().unwrap_or(0);
            records.saturating_sub(clusters.saturating_sub(2))
        });
        let share = |w: &str| {
            let n = self.word_records.get(w).copied().unwrap_or(1);
            f64::from(n.saturating_sub(own).max(1)) / (f64::from(self.records) + 100.0)
        };
        let by_records = f64::from(self.records) * share(a) * share(b);
        by_keys.max(by_records)
    }
}

/// Count one more `word`, allocating only for a word not seen before.
fn bump(counts: &mut FastMap<String, u32>, word: &str) {
    match counts.get_mut(word) {
        Some(c) => *c += 1,
        None => {
            counts.insert(word.to_string(), 1);
        }
    }
}

/// A scored pair, cheap to keep; `describe` turns it into words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairScore {
    pub confidence: f64,
    pub name: NameRel,
    pub homonyms: f64,
    pub handle: Option<(u32, HandleKind, HandleKind)>,
    /// Two different handles that are spellings of one another.
    pub similar: Option<(u32, u32)>,
    pub domain: Option<u32>,
    /// Both have organisation addresses, at different organisations.
    pub apart: bool,
    pub shape: Shape,
    /// The same full name, rare in the data and in general, with no directory to ask.
    pub rare_everywhere: bool,
}

impl PairScore {
    /// How the pair's names agree, for the link's reader (see [`super::NameAgreement`]).
    pub fn name_agreement(&self) -> super::NameAgreement {
        use super::NameAgreement;
        let named = matches!(
            self.name,
            NameRel::Exact | NameRel::Nickname | NameRel::LoginShaped | NameRel::Completed
        );
        if named && self.homonyms >= 1.0 {
            NameAgreement::CommonName
        } else if self.name == NameRel::Exact {
            NameAgreement::FullName
        } else {
            NameAgreement::Other
        }
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn one_edit_apart(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return one_edit_apart_in(a.as_bytes(), b.as_bytes());
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    one_edit_apart_in(&a, &b)
}

fn one_edit_apart_in<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    if a.len().abs_diff(b.len()) > 1 || a.len() < 4 || b.len() < 4 {
        return false;
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() && a[i] == b[j] {
        i += 1;
        j += 1;
    }
    let (mut x, mut y) = (a.len(), b.len());
    while x > i && y > j && a[x - 1] == b[y - 1] {
        x -= 1;
        y -= 1;
    }
    let (ra, rb) = (x - i, y - j);
    // One deletion, insertion or substitution, or one swap of neighbours.
    (ra <= 1 && rb <= 1) || (ra == 2 && rb == 2 && a[i] == b[j + 1] && a[i + 1] == b[j])
}

/// How two names relate, without counting homonyms.
pub fn relation(a: &NameInfo, b: &NameInfo) -> NameRel {
    if a.is_empty() || b.is_empty() {
        return NameRel::Unknown;
    }
    let persons = a.is_person() && b.is_person();
    let (af, al) = a
        .full
        .first()
        .zip(a.full.last())
        .unwrap_or((&a.tokens[0], &a.tokens[0]));
    let (bf, bl) = b
        .full
        .first()
        .zip(b.full.last())
        .unwrap_or((&b.tokens[0], &b.tokens[0]));
    let same_order = af == bf && al == bl;
    let swapped = af == bl && al == bf;
    if persons && (same_order || swapped) {
        fn first_long(n: &NameInfo) -> Option<&str> {
            n.tokens.iter().find(|t| t.chars().count() > 1)
        }
        fn last_long(n: &NameInfo) -> Option<&str> {
            n.tokens.iter().rev().find(|t| t.chars().count() > 1)
        }
        let literal = first_long(a) == first_long(b) || first_long(a) == last_long(b);
        return if literal {
            NameRel::Exact
        } else {
            NameRel::Nickname
        };
    }
    // The words of one are all words of the other, in another order ("Praneeth Ratna" ~ "Mamidi
    // Ratna Praneeth"): the same name, written with a family name first or one more name.
    if persons && (a.full.len() >= 2 && b.full.len() >= 2) {
        // As multisets: "Yang Yang" is not within "Yang Ming".
        let within = |x: &NameInfo, y: &NameInfo| {
            let mut used = UsedWords::default();
            x.full.iter().all(|w| {
                let free = y
                    .full
                    .iter()
                    .take(UsedWords::MAX)
                    .enumerate()
                    .find(|&(k, v)| !used.contains(k) && v == w);
                match free {
                    Some((k, _)) => {
                        used.insert(k);
                        true
                    }
                    None => false,
                }
            })
        };
        if within(a, b) || within(b, a) {
            return NameRel::Subset;
        }
    }
    if persons && ((af == bf && one_edit_apart(al, bl)) || (al == bl && one_edit_apart(af, bf))) {
        return NameRel::Typo;
    }
    // "J. Smith" ~ "John Smith": an initial in first place, the same last word.
    if let (Some(fa), Some(fb), Some(la), Some(lb)) = (a.first(), b.first(), a.last(), b.last())
        && la == lb
        && la.chars().count() >= 2
        && a.tokens.len() >= 2
        && b.tokens.len() >= 2
    {
        let a_initial = fa.chars().count() == 1 && fb.starts_with(fa);
        let b_initial = fb.chars().count() == 1 && fa.starts_with(fb);
        if a_initial || b_initial {
            return NameRel::Initial;
        }
    }
    if persons {
        NameRel::Conflict
    } else {
        NameRel::Unknown
    }
}

/// Which words of a name (by position) are already matched: a bit per word, since it runs for
/// every candidate pair and must not allocate. Words past the [`UsedWords::MAX`]th are ignored.
#[derive(Debug, Default, Clone, Copy)]
struct UsedWords(u64);

impl UsedWords {
    const MAX: usize = 64;

    fn contains(self, k: usize) -> bool {
        self.0 & (1 << k) != 0
    }

    fn insert(&mut self, k: usize) {
        self.0 |= 1 << k;
    }
}

/// Whether two person names plainly belong to different people ("John Smith", "Jane Smith").
pub fn names_conflict(a: &NameInfo, b: &NameInfo) -> bool {
    relation(a, b) == NameRel::Conflict
}

/// Relate two identities' names and estimate how many other people share the relation: the
/// larger of what the words predict and what the data shows (other clusters with the name).
pub fn relate_names(a: &Prepared, b: &Prepared, stats: &NameStats) -> (NameRel, f64) {
    let rel = relation(&a.name, &b.name);
    fn words(n: &NameInfo) -> (&str, &str) {
        (n.full.first().unwrap_or(""), n.full.last().unwrap_or(""))
    }
    let homonyms = match rel {
        NameRel::Exact | NameRel::Nickname | NameRel::Subset | NameRel::Typo => {
            // A typo makes a name look rare: count the commoner of the two spellings.
            let ((fa, la), (fb, lb)) = (words(&a.name), words(&b.name));
            stats
                .homonyms_besides(fa, la, a.name_key)
                .max(stats.homonyms_besides(fb, lb, b.name_key))
        }
        NameRel::Initial => {
            // About one first name in fifteen shares an initial.
            let last = a.name.last().unwrap_or("");
            let k = f64::from(stats.distinct_keys.max(1));
            stats.count(last) * (k / 15.0) / k
        }
        NameRel::LoginShaped
        | NameRel::Completed
        | NameRel::SameHandle
        | NameRel::Conflict
        | NameRel::Unknown => 0.0,
    };
    let handle_like = |n: &NameInfo| !n.is_empty() && !n.is_person();
    if rel == NameRel::Unknown && handle_like(&a.name) && handle_like(&b.name) {
        let (ca, cb) = (a.name.compact(), b.name.compact());
        if ca == cb && ca.chars().count() >= 5 && !stats.is_name_shaped(&letters_of(&ca)) {
            return (NameRel::SameHandle, 0.0);
        }
    }
    if rel == NameRel::Unknown {
        let (person, other) = if a.name.is_person() { (a, b) } else { (b, a) };
        if person.name.is_person() && !other.name.is_empty() {
            let (f, l) = words(&person.name);
            let letters = letters_of(&other.name.compact());
            // The words as written too: "ted-dokos" spells Ted, not the Edward it stands for.
            let mut long = person.name.tokens.iter().filter(|t| t.chars().count() > 1);
            let (raw_f, raw_l) = (long.next().unwrap_or(""), long.next_back().unwrap_or(""));
            let cover = match covers_name(&letters, f, l) {
                Cover::No => covers_name(&letters, raw_f, raw_l),
                cover => cover,
            };
            let homonyms = match cover {
                Cover::Full => Some(stats.homonyms_besides(f, l, person.name_key)),
                // Only an initial of one word: as common as the other word with any initial.
                Cover::LastAndInitial => Some(stats.count(l) / 15.0),
                Cover::FirstAndInitial => Some(stats.count(f) / 15.0),
                Cover::No => None,
            };
            if let Some(h) = homonyms {
                return (NameRel::LoginShaped, h);
            }
            // "Advait" <apote2050@…>: one word of the name, and an address holding the other.
            if other.name.tokens.len() == 1 {
                let word: &str = &other.name.tokens[0];
                let rest = if word == raw_f || word == f {
                    Some(raw_l)
                } else if word == raw_l || word == l {
                    Some(raw_f)
                } else {
                    None
                };
                if let Some(rest) = rest
                    && rest.chars().count() >= 3
                    && rest != word
                    && other
                        .locals
                        .iter()
                        .any(|loc| spells_exactly(loc, raw_f, raw_l))
                    // The full name's own addresses must agree too: the completed name is read
                    // from the one address, which cannot also be its confirmation.
                    && person
                        .locals
                        .iter()
                        .any(|loc| shape_of_letters(loc, &person.name) == Shape::Strong)
                {
                    return (
                        NameRel::Completed,
                        stats.homonyms_besides(f, l, person.name_key),
                    );
                }
            }
        }
    }
    (rel, homonyms)
}

/// Whether letters are exactly a name's two words, in either order, or one of them with the
/// other's initial (`apote` for Advait Pote; never `advaitpotekar`, which holds a longer word).
fn spells_exactly(letters: &str, first: &str, last: &str) -> bool {
    fn initial(w: &str) -> &str {
        w.char_indices().nth(1).map_or(w, |(k, _)| &w[..k])
    }
    let concat = |a: &str, b: &str| {
        letters.len() == a.len() + b.len() && letters.starts_with(a) && letters.ends_with(b)
    };
    !first.is_empty()
        && !last.is_empty()
        && (concat(first, last)
            || concat(last, first)
            || concat(initial(first), last)
            || concat(last, initial(first))
            || concat(first, initial(last)))
}

/// How much of a person name a login spells.
enum Cover {
    /// Both words ("johnsmith", "smith.john").
    Full,
    /// The last word and the first initial ("jsmith", "smithj").
    LastAndInitial,
    /// The first word and the last initial ("johns").
    FirstAndInitial,
    No,
}

fn covers_name(letters: &str, first: &str, last: &str) -> Cover {
    if first.is_empty() || last.is_empty() {
        return Cover::No;
    }
    let initial = |t: &str| t.chars().next().unwrap_or(' ');
    let edge = |c: char| letters.starts_with(c) || letters.ends_with(c);
    let (has_first, has_last) = (letters.contains(first), letters.contains(last));
    if has_first && has_last {
        Cover::Full
    } else if has_last && edge(initial(first)) {
        Cover::LastAndInitial
    } else if has_first && edge(initial(last)) {
        Cover::FirstAndInitial
    } else {
        Cover::No
    }
}

/// Whether a handle is made of digits besides letters ("smith42", "jdoe1987"): such a handle is
/// chosen, not derived from the name, so homonyms rarely share it.
fn has_chosen_digits(h: &str) -> bool {
    let digits = h.chars().filter(char::is_ascii_digit).count();
    let letters = h.chars().filter(|c| c.is_alphabetic()).count();
    digits >= 2 && letters >= 3
}

/// Whether a handle holds a year (`david1990`, `jsmith2003`): shared by everyone of that name born
/// or starting then, so not as chosen as other digits.
fn has_year(h: &str) -> bool {
    h.as_bytes()
        .windows(4)
        .any(|w| w.iter().all(u8::is_ascii_digit) && (w.starts_with(b"19") || w.starts_with(b"20")))
}

/// The weight of a handle made of the name: homonyms at different providers pick the same
/// `stepan.osorio@` / `stepanosorio@`, so it adds only a little to the name.
const NAME_MADE_HANDLE: f64 = 0.5;

/// The weight of one local part at two hosts of one organisation.
const MAILBOX: f64 = 3.0;

/// The weight of a short or name-made local part at two hosts of one organisation.
const SHORT_MAILBOX: f64 = 1.5;

fn handle_weight(
    h: &str,
    x: HandleKind,
    y: HandleKind,
    a: &Prepared,
    b: &Prepared,
    stats: &NameStats,
) -> f64 {
    // A handle made of a person's name says little beyond the name itself: homonyms pick the
    // same `john.smith` at different providers. Handles unrelated to the name are what identify.
    // A display name that is one word ("mostlyaman") is itself a chosen handle, unless it is
    // spelled from the words of the data's person names (`mohit`, `philipsmi`, `kchakrabarty`):
    // then any of that name's holders may have picked it.
    if x == HandleKind::Mailbox || y == HandleKind::Mailbox {
        // One organisation's mail hosts usually share one namespace of users: nearly the same
        // address. A name for a local part (`john@cs.uni`, `john@math.uni`) may be two people
        // where departments run their own hosts.
        // Initials and short words (`hpa`, `jkl`) are what departments hand out independently.
        let local = h.split('@').next().unwrap_or("");
        let distinctive = local.chars().count() >= 6 && !stats.is_name_shaped(&letters_of(local));
        return if distinctive { MAILBOX } else { SHORT_MAILBOX };
    }
    let letters = letters_of(h);
    // Local parts at two domains are often assigned from the first name (`michael@`): there a
    // one-word display name spelled in the handle is a name too, not a chosen handle.
    let assigned = x != HandleKind::Login && y != HandleKind::Login;
    // A domain's name stands for a local part: the handle of the domain's owner.
    let local_like = |k: HandleKind| match k {
        HandleKind::DomainLabel => HandleKind::Local,
        k => k,
    };
    let (x, y) = (local_like(x), local_like(y));
    let made_of = |p: &Prepared| {
        (p.name.is_person() || assigned) && shape_of_letters(&letters, &p.name) == Shape::Strong
    };
    let name_made = made_of(a) || made_of(b) || stats.is_name_shaped(&letters);
    let involves_name = x == HandleKind::Name || y == HandleKind::Name;
    if involves_name && a.name.is_person() && b.name.is_person() {
        return 0.0;
    }
    if name_made {
        return name_made_handle_weight(h, &letters, (x, y), (a, b), stats);
    }
    let len = h.chars().count();
    let digits = h.chars().any(|c| c.is_ascii_digit());
    let distinct = if len >= 8 || (digits && len >= 5) {
        1.0
    } else {
        0.0
    };
    match (x.min(y), x.max(y)) {
        (HandleKind::Login, HandleKind::Login) => 3.5 + distinct,
        (HandleKind::Login, HandleKind::Local) => 2.5 + distinct,
        (HandleKind::Local, HandleKind::Local) => 2.5 + distinct,
        // A display name that is exactly a GitHub login (unique there) and spelled from no name.
        (HandleKind::Login, HandleKind::Name) if len >= 5 => 3.0 + distinct,
        // A display name typed as a login ("akshanshbhatt") or a login-shaped local.
        (_, HandleKind::Name) if len >= 5 => 2.5 + distinct,
        _ => 0.5,
    }
}

/// The weight of a handle spelled from a name. Whoever holds it, `jsmith` is every John Smith's
/// handle; `smith42` is one person's, and `kunalgk4821` even more so (two digits repeat among many
/// holders of a name, four rarely).
fn name_made_handle_weight(
    h: &str,
    letters: &str,
    (x, y): (HandleKind, HandleKind),
    (a, b): (&Prepared, &Prepared),
    stats: &NameStats,
) -> f64 {
    let digits = h.chars().filter(char::is_ascii_digit).count();
    // A year is shared by everyone of a name born then (`david1990`), not after more than the
    // name (`kunalgk1999`).
    let common_year = has_year(h) && stats.is_plain_name(letters);
    let written = login_and_its_written_name(x, y, a, b);
    // Written as a one-word name beside an account shown under another word ("Evandro" for
    // `evbernardes`), not a full name or initials the login is made of (`ssinha` shown as
    // "S. Sinha", every S. Sinha's pick), nor a bare name (`philip`, anyone called Philip):
    // nothing makes it a homonym's handle.
    if let Some((account, named)) = written
        && named.name.tokens.len() == 1
        && !stats.is_plain_name(letters)
        && shown_under_another_word(&account.name, letters)
    {
        return 3.0;
    }
    match (
        has_chosen_digits(h),
        !common_year && (digits >= 4 || written.is_some()),
    ) {
        (true, true) => 3.0,
        (true, false) => 2.5,
        (false, _) => NAME_MADE_HANDLE,
    }
}

/// The account and the record whose display name is its login written as a handle rather than a
/// person's name (`ZiYao54` beside the GitHub login `ziyao54`): a login is unique in its tool, and
/// who writes one as their name most often writes their own.
fn login_and_its_written_name<'p>(
    x: HandleKind,
    y: HandleKind,
    a: &'p Prepared,
    b: &'p Prepared,
) -> Option<(&'p Prepared, &'p Prepared)> {
    match (x, y) {
        (HandleKind::Login, HandleKind::Name) => Some((a, b)),
        (HandleKind::Name, HandleKind::Login) => Some((b, a)),
        _ => None,
    }
    .filter(|(_, named)| !named.name.is_person())
}

/// Whether an account's display name is a word or handle other than its login (`letters`), and
/// neither a person's full name nor one with initials.
fn shown_under_another_word(name: &NameInfo, letters: &str) -> bool {
    !name.is_empty()
        && !name.is_person()
        && name.tokens.iter().all(|t| t.chars().count() > 1)
        && letters_of(&name.compact()) != letters
}

/// Whether a record is a GitHub account (a noreply address or a tool's login).
fn is_an_account(p: &Prepared) -> bool {
    p.handles.iter().any(|&(_, k)| k == HandleKind::Login)
}

/// The expected homonyms below which a name is rare for this pair: [`RARE_BESIDE_AN_ACCOUNT`]
/// with no directory when one of the two is an account and the other not, else
/// [`RARE_NAME_HOMONYMS`].
fn rare_below(a: &Prepared, b: &Prepared, stats: &NameStats) -> f64 {
    if stats.no_directory && is_an_account(a) != is_an_account(b) {
        RARE_BESIDE_AN_ACCOUNT
    } else {
        RARE_NAME_HOMONYMS
    }
}

/// Two different handles that are plainly one person's spellings: one contains the other
/// ("tsuna", "tsunanet"; "pasky", "xpasky") or they are one letter apart ("ischis2",
/// "ishchis2"). Handles that differ only in digits ("jsmith", "jsmith2") are how a second person
/// gets an address that is taken, so they do not count.
fn similar_handles(a: &Prepared, b: &Prepared, handles: &Interner) -> Option<(u32, u32)> {
    for &(ha, ka) in &a.handles {
        if matches!(
            ka,
            HandleKind::Name | HandleKind::Mailbox | HandleKind::DomainLabel
        ) {
            continue;
        }
        for &(hb, kb) in &b.handles {
            if matches!(
                kb,
                HandleKind::Name | HandleKind::Mailbox | HandleKind::DomainLabel
            ) || ha == hb
            {
                continue;
            }
            let (ta, tb) = (handles.get(ha), handles.get(hb));
            let (short, long) = if ta.len() <= tb.len() {
                (ta, tb)
            } else {
                (tb, ta)
            };
            let contained = short.chars().count() >= 4 && long.contains(short);
            let near = short.chars().count() >= 5 && one_edit_apart(short, long);
            // Two spellings of the name itself ("hannahsan", "hannahsandhu") say nothing more
            // than the name.
            let name_made = |t: &str| {
                let l = letters_of(t);
                shape_of_letters(&l, &a.name) == Shape::Strong
                    || shape_of_letters(&l, &b.name) == Shape::Strong
            };
            if (contained || near)
                && letters_of(short) != letters_of(long)
                && !(name_made(short) && name_made(long))
            {
                return Some((ha, hb));
            }
        }
    }
    None
}

/// The log-odds a full name rare in the data and in general adds when there is no directory.
const RARE_EVERYWHERE: f64 = 1.5;

/// A name rare in the data is carried by at most this many clusters once strong evidence has
/// joined what it can (one person's personal, noreply and work addresses): more, and the data
/// shows homonyms, whatever the words predict.
const RARE_EVERYWHERE_CLUSTERS: u32 = 3;

/// Rare full names merge with no directory (the `.mailmap` case: one person at a personal address
/// and a GitHub noreply address): the same full name, rare in the data and in general (the
/// shipped frequency list: "Wei Zhang" and "John Smith" never are), both person-shaped, and no
/// directory that could know two people by it. Guards (two work emails, two employee ids) still
/// refuse the merge: that is conflicting strong evidence.
fn rare_full_names_merge_with_no_directory(
    name: NameRel,
    homonyms: f64,
    a: &Prepared,
    b: &Prepared,
    stats: &NameStats,
) -> bool {
    if !stats.no_directory
        || name != NameRel::Exact
        || homonyms >= RARE_NAME_HOMONYMS
        || !a.name.is_person()
        || !b.name.is_person()
        || stats.clusters_carrying(a.name_key) > RARE_EVERYWHERE_CLUSTERS
        || stats.clusters_carrying(b.name_key) > RARE_EVERYWHERE_CLUSTERS
    {
        return false;
    }
    // The words as written: "Tom" is rarer than the "Thomas" it stands for.
    let rare = |n: &NameInfo| {
        let words: Vec<&str> = n.tokens.iter().filter(|t| t.chars().count() > 1).collect();
        frequency::is_rare_in_general(&words)
    };
    rare(&a.name) && rare(&b.name)
}

/// Score a candidate pair. `None` when nothing relates them.
pub fn score(
    a: &Prepared,
    b: &Prepared,
    stats: &NameStats,
    handles: &Interner,
) -> Option<PairScore> {
    let (name, mut homonyms) = relate_names(a, b, stats);
    let known_homonyms =
        stats.is_directory_homonym(a.name_key) || stats.is_directory_homonym(b.name_key);
    if known_homonyms {
        // The directory knows two people by this name: it is not rare, whatever its words say.
        homonyms = homonyms.max(1.0);
    }
    let mut lo = match name {
        NameRel::Exact => (1.0 / homonyms.max(1e-3)).ln().clamp(-3.0, 5.5),
        NameRel::Subset => (1.0 / homonyms.max(1e-3)).ln().clamp(-3.0, 5.5) - 1.5,
        NameRel::Nickname => (1.0 / homonyms.max(1e-3)).ln().clamp(-3.0, 5.5) - 1.0,
        NameRel::Typo => (1.0 / homonyms.max(1e-3)).ln().clamp(-3.0, 5.0) - 1.5,
        NameRel::Initial => (1.0 / homonyms.max(1e-3)).ln().clamp(-3.0, 4.0) - 1.5,
        NameRel::LoginShaped => (1.0 / homonyms.max(1e-3)).ln().clamp(-3.0, 4.0) - 1.0,
        NameRel::Completed => (1.0 / homonyms.max(1e-3)).ln().clamp(-3.0, 5.0) - 1.0,
        NameRel::SameHandle => 1.5,
        NameRel::Conflict => -4.0,
        NameRel::Unknown => -1.0,
    };
    let mut handle: Option<(u32, HandleKind, HandleKind)> = None;
    let mut handle_w = 0.0;
    for &(ha, ka) in &a.handles {
        for &(hb, kb) in &b.handles {
            if ha == hb
                && !(ka == HandleKind::Name && kb == HandleKind::Name)
                && !(ka == HandleKind::DomainLabel && kb == HandleKind::DomainLabel)
            {
                let mut w = handle_weight(handles.get(ha), ka, kb, a, b, stats);
                if stats.is_ambiguous(ha) && !(a.name.is_person() && b.name.is_person()) {
                    // Held by people with different names: a nameless side could be any of them.
                    w = w.min(0.5);
                }
                if known_homonyms && ka == HandleKind::Login && kb == HandleKind::Login {
                    // Homonyms pick the same logins in different tools: it says nothing about
                    // which of the directory's two people an account is.
                    w = w.min(NAME_MADE_HANDLE);
                }
                if w > handle_w || (handle.is_none() && w > 0.0) {
                    handle_w = w;
                    handle = Some((ha, ka, kb));
                }
            }
        }
    }
    // Two different person names with no handle in common: nothing can outweigh the names.
    if name == NameRel::Conflict && handle.is_none() {
        return None;
    }
    lo += handle_w;
    let similar = if handle.is_none() {
        similar_handles(a, b, handles)
    } else {
        None
    };
    if similar.is_some() {
        lo += 1.0;
    }
    // The same organisation domain, weighed by how many of the records hold it: in one company's
    // table everyone shares it, and then it says nothing.
    let mut domain = None;
    let mut domain_w = 0.0;
    // A mailbox at the organisation already says it is the same organisation.
    let mailbox = matches!(handle, Some((_, HandleKind::Mailbox, _)));
    if !mailbox {
        for d in a.domains.iter().filter(|d| b.domains.contains(d)) {
            let w = stats.domain_weight(*d);
            if w > domain_w {
                domain = Some(*d);
                domain_w = w;
            }
        }
    }
    lo += domain_w;
    // Both at organisations, different ones, and nothing else shared: most often two people
    // (one person's other address is usually personal). A rare name still outweighs it.
    let shared_domain = a.domains.iter().any(|d| b.domains.contains(d));
    let apart = !shared_domain
        && handle.is_none()
        && similar.is_none()
        && !a.domains.is_empty()
        && !b.domains.is_empty();
    if apart {
        lo -= 1.5;
    }
    let mut shape = Shape::Unrelated;
    for (locals, name) in [(&a.locals, &b.name), (&b.locals, &a.name)] {
        for l in locals.iter() {
            if shape == Shape::Strong {
                break;
            }
            shape = shape.max(shape_of_letters(l, name));
        }
    }
    let rare_everywhere = rare_full_names_merge_with_no_directory(name, homonyms, a, b, stats);
    if rare_everywhere {
        lo += RARE_EVERYWHERE;
    }
    let clue = handle.is_some() || domain.is_some() || similar.is_some();
    match shape {
        Shape::Strong => lo += 0.5,
        Shape::Hint => lo += 0.3,
        Shape::Unrelated => {
            if !a.locals.is_empty() && !b.locals.is_empty() && !clue {
                lo -= 1.0;
            }
        }
    }
    let mut confidence = logistic(lo);
    // The name alone never merges: at most a review. A local part shaped like the name agrees
    // only for a rare name; a common name's homonyms have name-shaped addresses too.
    let rare = homonyms < rare_below(a, b, stats)
        && matches!(
            name,
            NameRel::Exact
                | NameRel::Nickname
                | NameRel::Typo
                | NameRel::LoginShaped
                | NameRel::Completed
        );
    if !clue && !rare_everywhere && (shape == Shape::Unrelated || !rare) {
        confidence = confidence.min(0.89);
    }
    // The same display name counts only beside the same handle: an organisation domain is
    // shared by everyone there, and first names ("Sergey") are picked by many.
    if name == NameRel::SameHandle && handle_w <= NAME_MADE_HANDLE && similar.is_none() {
        confidence = confidence.min(0.89);
    }
    // Words in another order or one more name: merged only with a clue beyond the name itself (a
    // handle made of the name is what every holder of those words picks).
    if name == NameRel::Subset
        && handle_w <= NAME_MADE_HANDLE
        && similar.is_none()
        && domain.is_none()
    {
        confidence = confidence.min(0.89);
    }
    Some(PairScore {
        confidence,
        name,
        homonyms,
        handle,
        similar,
        domain,
        apart,
        shape,
        rare_everywhere,
    })
}

/// The words of a kept link. For a merge, only the clues that joined it; for a review, also what
/// speaks against it.
#[allow(clippy::too_many_arguments)]
pub fn describe(
    s: &PairScore,
    a: &Prepared,
    b: &Prepared,
    raw_a: Option<&str>,
    raw_b: Option<&str>,
    handles: &Interner,
    domains: &Interner,
    merged: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let (na, nb) = (raw_a.unwrap_or(""), raw_b.unwrap_or(""));
    if let Some((h, x, y)) = s.handle {
        let text = handles.get(h);
        if x == HandleKind::Mailbox {
            let (local, domain) = text.split_once('@').unwrap_or((text, ""));
            out.push(format!("same mailbox {local} at two hosts of {domain}"));
        } else if x == y {
            out.push(format!("same {} {text}", x.word()));
        } else {
            out.push(format!("{} {text} equals {} {text}", x.word(), y.word()));
        }
    }
    if let Some((x, y)) = s.similar {
        out.push(format!(
            "similar logins or email local parts {} and {}",
            handles.get(x),
            handles.get(y)
        ));
    }
    if let Some(d) = s.domain {
        out.push(format!("same organisation domain {}", domains.get(d)));
    }
    let rarity = if s.rare_everywhere {
        "rare name, here and in general"
    } else if s.homonyms < RARE_NAME_HOMONYMS {
        "rare name"
    } else if s.homonyms < 1.0 {
        "uncommon name"
    } else {
        "common name"
    };
    match s.name {
        NameRel::Exact => out.push(format!("same name \"{na}\" ~ \"{nb}\" ({rarity})")),
        NameRel::Subset => out.push(format!(
            "name \"{na}\" ~ \"{nb}\" (the same words, one more or in another order)"
        )),
        NameRel::Nickname => out.push(format!("name \"{na}\" ~ \"{nb}\" (nickname, {rarity})")),
        NameRel::Typo => out.push(format!("name \"{na}\" ~ \"{nb}\" (one letter apart)")),
        NameRel::Initial => out.push(format!("name \"{na}\" ~ \"{nb}\" (initial)")),
        NameRel::LoginShaped => out.push(format!(
            "name \"{na}\" ~ \"{nb}\" (a login made of the name, {rarity})"
        )),
        NameRel::Completed => out.push(format!(
            "name \"{na}\" ~ \"{nb}\" (one word of the name, the rest in the address, {rarity})"
        )),
        NameRel::SameHandle => out.push(format!(
            "same display name \"{na}\" ~ \"{nb}\" (one word: a handle, not a first and last name)"
        )),
        NameRel::Conflict if !merged => out.push(format!("different names \"{na}\" and \"{nb}\"")),
        NameRel::Conflict | NameRel::Unknown => {}
    }
    if s.apart && !merged {
        out.push("emails at different organisations".to_string());
    }
    match s.shape {
        Shape::Strong => out.push("login or email shaped like the name".to_string()),
        Shape::Hint => {
            out.push("login or email hints at the name (initials or prefix)".to_string())
        }
        Shape::Unrelated => {
            if !merged && !a.locals.is_empty() && !b.locals.is_empty() {
                out.push("emails unrelated to the name".to_string());
            }
        }
    }
    out
}

/// The handle of a personal domain's name (`artagnon` of artagnon.com), worked out once per
/// distinct domain rather than once per address.
#[derive(Debug, Default)]
pub struct DomainLabels {
    /// Per domain id.
    by_domain: Vec<Label>,
}

/// What a domain's name is as a handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    NotYetSeen,
    /// Too short or generic to be anyone's handle.
    NoHandle,
    /// The interned handle.
    Handle(u32),
}

impl DomainLabels {
    /// The handle of `domain`'s name, interned into `handles` the first time it is asked for.
    pub fn handle_of(
        &mut self,
        domain: u32,
        domains: &Interner,
        handles: &mut Interner,
    ) -> Option<u32> {
        let k = domain as usize;
        if self.by_domain.len() <= k {
            self.by_domain.resize(k + 1, Label::NotYetSeen);
        }
        if self.by_domain[k] == Label::NotYetSeen {
            let label = domain_name(domains.get(domain)).map(compact);
            self.by_domain[k] = match label {
                Some(label) if !is_weak_local(&label) => Label::Handle(handles.intern(&label)),
                _ => Label::NoHandle,
            };
        }
        match self.by_domain[k] {
            Label::Handle(h) => Some(h),
            Label::NoHandle | Label::NotYetSeen => None,
        }
    }
}

/// A domain's name shorter than this (`ibm`, `sap`) is too likely someone's initials.
const DOMAIN_LABEL_MIN: usize = 5;

/// The name of a registrable domain (`artagnon` of artagnon.com), when it is long enough to be
/// someone's handle.
fn domain_name(registrable: &str) -> Option<&str> {
    let label = registrable.split('.').next().unwrap_or("");
    (label.chars().count() >= DOMAIN_LABEL_MIN).then_some(label)
}

/// One identity's weak-evidence values before interning: computed in parallel.
#[derive(Debug, Default)]
pub struct WeakParts {
    handles: Vec<(String, HandleKind)>,
    locals: Vec<String>,
    domains: Vec<String>,
}

/// The weak-evidence values of one identity (strong email keys are the caller's).
/// `placeholder_locals` are local parts of addresses at no real domain (`smurf@kiste.(none)`):
/// not keys, but still the person's handle. `owned_domains` are real domains reached only
/// through a generic local part (`git@nilsschulte.de`): their name is a handle all the same.
pub fn weak_parts(
    name: &NameInfo,
    keys: &[&EmailKey],
    login: Option<&str>,
    placeholder_locals: &[String],
    owned_domains: &[String],
) -> WeakParts {
    let mut parts = WeakParts::default();
    let push_handle = |parts: &mut WeakParts, text: &str, kind: HandleKind| {
        let c = compact(text);
        if c.chars().count() >= 3
            && !is_weak_local(&c)
            && !parts.handles.iter().any(|(h, k)| *h == c && *k == kind)
        {
            parts.handles.push((c, kind));
        }
    };
    for key in keys {
        match key {
            EmailKey::Address { local, domain } => {
                if !is_weak_local(local) {
                    push_handle(&mut parts, local, HandleKind::Local);
                }
                parts.locals.push(letters_of(local));
                if !is_public_mail_domain(domain) {
                    let d = registrable_domain(domain);
                    // A mailbox at a host of the organisation (`hpa@bonde.sc.orionmulti.com`);
                    // at the bare domain the address itself is the key.
                    let local = compact(local);
                    if d.len() < domain.len() && !is_weak_local(&local) {
                        let mailbox = format!("{local}@{d}");
                        if !parts.handles.iter().any(|(h, _)| *h == mailbox) {
                            parts.handles.push((mailbox, HandleKind::Mailbox));
                        }
                    }
                    if !parts.domains.iter().any(|x| x == d) {
                        parts.domains.push(d.to_string());
                    }
                }
            }
            EmailKey::GithubLogin(l) => {
                push_handle(&mut parts, l, HandleKind::Login);
                parts.locals.push(letters_of(l));
            }
            EmailKey::GithubAccount(_) => {}
        }
    }
    // A domain reached through a generic local part (`git@nilsschulte.de`) is still held; its
    // name may spell its owner's, so it is read like a local part too.
    for domain in owned_domains {
        let d = registrable_domain(domain);
        if !parts.domains.iter().any(|x| x == d) {
            parts.domains.push(d.to_string());
        }
        if let Some(label) = domain_name(d) {
            parts.locals.push(letters_of(label));
        }
    }
    for local in placeholder_locals {
        if !is_weak_local(local) {
            push_handle(&mut parts, local, HandleKind::Local);
            parts.locals.push(letters_of(local));
        }
    }
    if let Some(l) = login {
        push_handle(&mut parts, l, HandleKind::Login);
        parts.locals.push(letters_of(l));
    }
    if !name.is_empty() {
        let c = name.compact();
        if c.chars().count() >= 5 {
            push_handle(&mut parts, &c, HandleKind::Name);
        }
    }
    parts
}

/// Intern one identity's weak-evidence values into `prepared`.
pub fn intern_weak(
    prepared: &mut Prepared,
    parts: &mut WeakParts,
    handles: &mut Interner,
    domains: &mut Interner,
) {
    // Boxed slices: exactly as long as needed, since a million identities are held at once.
    let mut own_handles: Vec<(u32, HandleKind)> = Vec::with_capacity(parts.handles.len());
    for &(ref h, kind) in &parts.handles {
        let id = handles.intern(h);
        if !own_handles.contains(&(id, kind)) {
            own_handles.push((id, kind));
        }
    }
    let mut own_domains: Vec<u32> = Vec::with_capacity(parts.domains.len());
    for d in &parts.domains {
        let id = domains.intern(d);
        if !own_domains.contains(&id) {
            own_domains.push(id);
        }
    }
    prepared.handles = own_handles.into_boxed_slice();
    prepared.domains = own_domains.into_boxed_slice();
    let mut locals = std::mem::take(&mut parts.locals);
    locals.sort_unstable();
    locals.dedup();
    prepared.locals = locals.into_iter().map(String::into_boxed_str).collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Prepared {
        Prepared {
            name: NameInfo::parse(name),
            ..Prepared::default()
        }
    }

    #[test]
    fn name_made_handle_at_two_providers_weighs_little() {
        // (handle, name, kinds, weight): a handle spelled from the name adds only a little.
        let cases: &[(&str, &str, HandleKind, f64)] = &[
            (
                "stepanosorio",
                "Stepan Osorio",
                HandleKind::Local,
                NAME_MADE_HANDLE,
            ),
            (
                "sosorio",
                "Stepan Osorio",
                HandleKind::Local,
                NAME_MADE_HANDLE,
            ),
            ("osorio42", "Stepan Osorio", HandleKind::Local, 2.5),
            ("tsunanet", "Stepan Osorio", HandleKind::Local, 3.5),
        ];
        for &(h, name, kind, want) in cases {
            let (a, b) = (named(name), named(name));
            let stats = NameStats::default();
            assert_eq!(handle_weight(h, kind, kind, &a, &b, &stats), want, "{h}");
        }
    }
}
