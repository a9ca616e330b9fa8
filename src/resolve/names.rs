//! Personal names: fold a display name into comparable tokens ("Last, First", accents, middle
//! names, initials), know the usual nicknames, and tell whether a login or an email local part is
//! shaped like a name.
//!
//! Invariant: a name that is generic ("root", "GitHub", "(none)") yields no tokens at all, so it can
//! never become evidence.

use super::normalize::fold;

/// Words held as one boxed string, separated by single spaces (a word never holds one): one
/// allocation per name instead of one per word, since a million names are held at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Words(Box<str>);

impl Words {
    fn from_iter<'a>(words: impl Iterator<Item = &'a str>) -> Words {
        let mut joined = String::new();
        for w in words {
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(w);
        }
        Words(joined.into_boxed_str())
    }

    /// The words in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &str> + Clone {
        self.0.split(' ').filter(|w| !w.is_empty())
    }

    pub fn len(&self) -> usize {
        if self.0.is_empty() {
            0
        } else {
            self.0.bytes().filter(|&b| b == b' ').count() + 1
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn first(&self) -> Option<&str> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<&str> {
        self.iter().next_back()
    }

    /// The words run together.
    pub fn concat(&self) -> String {
        self.iter().collect()
    }
}

impl std::ops::Index<usize> for Words {
    type Output = str;

    /// The `i`-th word; empty past the end.
    fn index(&self, i: usize) -> &str {
        self.iter().nth(i).unwrap_or("")
    }
}

/// A display name reduced to what comparison needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameInfo {
    /// Folded tokens in reading order ("Last, First" already turned around); initials included.
    pub tokens: Words,
    /// The tokens longer than one letter, nicknames mapped to their formal name.
    pub full: Words,
    /// Person-shaped (see [`NameInfo::is_person`]), decided once: asked for every candidate pair.
    person: bool,
    /// Some word of `full` has nicknames (Robert: Bob, Rob): only then are they looked for.
    nicknamed: bool,
}

impl NameInfo {
    /// Parse a display name. Generic names and empty strings give an empty `NameInfo`.
    pub fn parse(raw: &str) -> NameInfo {
        let folded = fold(raw.trim());
        if folded.is_empty() || is_generic_name(&folded) {
            return NameInfo::default();
        }
        // "(dvdr18 [at] gmail [dot] com)" and similar asides are not part of the name.
        let mut text = String::with_capacity(folded.len());
        let mut depth = 0u32;
        for c in folded.chars() {
            match c {
                '(' | '[' | '<' => depth += 1,
                ')' | ']' | '>' => depth = depth.saturating_sub(1),
                _ if depth == 0 => text.push(c),
                _ => {}
            }
        }
        // "Jane Doe via GitGitGadget": the relay is not part of the person's name.
        let text = match text.find(" via ") {
            Some(pos) if pos > 0 => text[..pos].to_string(),
            _ => text,
        };
        // "Last, First" → "First Last". A name with an '@' is an address typed as a name; a comma
        // inside a word ("Kleine-K,Av(Bnig", an encoding gone wrong) is not that form.
        let text = match text.split_once(',') {
            Some((last, first))
                if first.starts_with(char::is_whitespace)
                    && !first.trim().is_empty()
                    && !text.contains('@') =>
            {
                format!("{first} {last}")
            }
            _ => text,
        };
        let tokens = Words::from_iter(
            text.split(|c: char| !c.is_alphanumeric())
                .filter(|t| !t.is_empty()),
        );
        let full = tokens
            .iter()
            .filter(|t| t.chars().count() > 1)
            .map(canonical_first_name);
        let full = Words::from_iter(full);
        // The raw name had a space or comma: "aasim-maverick" and "BuckShlegeris" are logins.
        let spaced = folded
            .trim()
            .contains(|c: char| c.is_whitespace() || c == ',');
        let person = spaced && tokens.len() >= 2 && full.len() >= 2;
        let nicknamed = full.iter().any(|w| !nicknames_of(w).is_empty());
        NameInfo {
            tokens,
            full,
            person,
            nicknamed,
        }
    }

    /// Whether there is anything to compare.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// A person-shaped name: at least two tokens, one of them a full word.
    pub fn is_person(&self) -> bool {
        self.person
    }

    /// Whether two names could be one person's: they share a word of three letters or more, or
    /// one is a login made of the other (a family of spellings, not a conflict).
    pub fn compatible(&self, other: &NameInfo) -> bool {
        let shares_word = self
            .full
            .iter()
            .any(|w| w.chars().count() >= 3 && other.full.iter().any(|o| o == w));
        if shares_word {
            return true;
        }
        let (a, b) = (self.compact(), other.compact());
        (a.len() >= 3 && b.contains(&a))
            || (b.len() >= 3 && a.contains(&b))
            || shape_of(&a, other) == Shape::Strong
            || shape_of(&b, self) == Shape::Strong
    }

    /// Whether the names share a word of three letters or more beyond their first words: one
    /// family name however else they are spelled ("Uwe Kleine-König", "Uwe Kleine-K,Av(Bnig").
    pub fn shares_surname(&self, other: &NameInfo) -> bool {
        fn rest(n: &NameInfo) -> impl Iterator<Item = &str> {
            n.full.iter().skip(1).filter(|w| w.chars().count() >= 3)
        }
        rest(self).any(|w| rest(other).any(|o| o == w))
    }

    /// The blocking key of a person-shaped name: first and last full token, sorted so that
    /// "Zhou Fangyi" and "Fangyi Zhou" meet. Middle names and initials do not count.
    pub fn key(&self) -> Option<String> {
        if !self.is_person() {
            return None;
        }
        let (a, b) = (&self.full[0], &self.full[self.full.len() - 1]);
        Some(if a <= b {
            format!("{a} {b}")
        } else {
            format!("{b} {a}")
        })
    }

    /// The whole name as one lowercase alphanumeric word: how a login made of the name looks
    /// ("Alex Garcia Prada" → "alexgarciaprada").
    pub fn compact(&self) -> String {
        self.tokens.concat()
    }

    /// First token (initial or word) in reading order.
    pub fn first(&self) -> Option<&str> {
        self.tokens.first()
    }

    /// Last token in reading order.
    pub fn last(&self) -> Option<&str> {
        self.tokens.last()
    }
}

/// Whether two display names are one name as written: the same first and last word once folded
/// ("Last, First", case, accents and middle names aside), nicknames *not* mapped. "Alex Kagan" and
/// "Sasha Kagan" may be one person; only the same written name says a row is someone's duplicate
/// rather than a namesake's.
pub fn same_written_name(a: &str, b: &str) -> bool {
    let ends = |raw: &str| {
        let n = NameInfo::parse(raw);
        if !n.is_person() {
            return None;
        }
        let mut long = n.tokens.iter().filter(|t| t.chars().count() > 1);
        let first = long.next()?.to_string();
        let last = long.next_back()?.to_string();
        Some((first, last))
    };
    match (ends(a), ends(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The key a display name is one name by (SPEC §3.3: first and last word, nicknames counted,
/// "Last, First", case and accents aside; middle names dropped): `None` for no person name.
pub fn name_key(raw: &str) -> Option<String> {
    NameInfo::parse(raw).key()
}

/// Names that belong to no person: machines, placeholders, platforms.
pub fn is_generic_name(folded: &str) -> bool {
    const GENERIC: &[&str] = &[
        "root",
        "admin",
        "administrator",
        "unknown",
        "(none)",
        "none",
        "null",
        "nobody",
        "anonymous",
        "github",
        "gitlab",
        "system",
        "user",
        "test",
        "bot",
        "ci",
        "build",
        "jenkins",
        "git",
        "github actions",
        "github-actions",
        "dependabot",
        "the git team",
        "team",
        "support",
        "ubuntu",
        "localhost",
        "no author",
        "unknown author",
    ];
    let t = folded.trim();
    GENERIC.contains(&t) || t.ends_with("[bot]") || t.ends_with(" bot")
}

/// Nicknames and short forms, each with the formal name it stands for.
const NICKNAMES: &[(&str, &str)] = &[
    ("abby", "abigail"),
    ("al", "albert"),
    ("alex", "alexander"),
    ("alec", "alexander"),
    ("sasha", "alexander"),
    ("andy", "andrew"),
    ("drew", "andrew"),
    ("tony", "anthony"),
    ("ben", "benjamin"),
    ("benny", "benjamin"),
    ("bob", "robert"),
    ("bobby", "robert"),
    ("rob", "robert"),
    ("robbie", "robert"),
    ("bert", "robert"),
    ("bill", "william"),
    ("billy", "william"),
    ("will", "william"),
    ("willy", "william"),
    ("liam", "william"),
    ("brad", "bradley"),
    ("cathy", "catherine"),
    ("kate", "catherine"),
    ("katie", "catherine"),
    ("kathy", "katherine"),
    ("chris", "christopher"),
    ("kit", "christopher"),
    ("chuck", "charles"),
    ("charlie", "charles"),
    ("dan", "daniel"),
    ("danny", "daniel"),
    ("dave", "david"),
    ("davy", "david"),
    ("deb", "deborah"),
    ("debbie", "deborah"),
    ("dick", "richard"),
    ("rick", "richard"),
    ("rich", "richard"),
    ("ricky", "richard"),
    ("don", "donald"),
    ("ed", "edward"),
    ("eddie", "edward"),
    ("ted", "edward"),
    ("ned", "edward"),
    ("fred", "frederick"),
    ("freddie", "frederick"),
    ("frank", "francis"),
    ("gabe", "gabriel"),
    ("greg", "gregory"),
    ("hank", "henry"),
    ("harry", "henry"),
    ("jack", "john"),
    ("johnny", "john"),
    ("jake", "jacob"),
    ("jim", "james"),
    ("jimmy", "james"),
    ("jamie", "james"),
    ("jeff", "jeffrey"),
    ("jen", "jennifer"),
    ("jenny", "jennifer"),
    ("jess", "jessica"),
    ("joe", "joseph"),
    ("joey", "joseph"),
    ("jon", "jonathan"),
    ("josh", "joshua"),
    ("ken", "kenneth"),
    ("kenny", "kenneth"),
    ("larry", "lawrence"),
    ("len", "leonard"),
    ("leo", "leonard"),
    ("liz", "elizabeth"),
    ("beth", "elizabeth"),
    ("betty", "elizabeth"),
    ("eliza", "elizabeth"),
    ("lizzie", "elizabeth"),
    ("maggie", "margaret"),
    ("meg", "margaret"),
    ("peggy", "margaret"),
    ("matt", "matthew"),
    ("max", "maximilian"),
    ("mike", "michael"),
    ("mick", "michael"),
    ("mickey", "michael"),
    ("misha", "mikhail"),
    ("nate", "nathan"),
    ("nick", "nicholas"),
    ("nicky", "nicholas"),
    ("pat", "patrick"),
    ("paddy", "patrick"),
    ("pete", "peter"),
    ("phil", "philip"),
    ("ray", "raymond"),
    ("ron", "ronald"),
    ("ronnie", "ronald"),
    ("sam", "samuel"),
    ("sammy", "samuel"),
    ("steve", "stephen"),
    ("stevie", "stephen"),
    ("steven", "stephen"),
    ("stu", "stuart"),
    ("sue", "susan"),
    ("susie", "susan"),
    ("tim", "timothy"),
    ("timmy", "timothy"),
    ("tom", "thomas"),
    ("tommy", "thomas"),
    ("vince", "vincent"),
    ("walt", "walter"),
    ("zach", "zachary"),
    ("zack", "zachary"),
    ("vlad", "vladimir"),
    ("dima", "dmitry"),
    ("dmitri", "dmitry"),
    ("dmitriy", "dmitry"),
    ("kostya", "konstantin"),
    ("seb", "sebastian"),
    ("basti", "sebastian"),
    ("hans", "johannes"),
    ("jo", "johannes"),
    ("nico", "nicolas"),
    ("ivo", "ivan"),
];

/// The formal name a nickname stands for, or the token itself.
pub fn canonical_first_name(token: &str) -> &str {
    // Every nickname is 2 to 7 letters: most tokens are settled without searching the table.
    if token.len() < 2 || token.len() > 7 {
        return token;
    }
    let by_nick = &nickname_index().by_nick;
    match by_nick.binary_search_by(|(nick, _)| (*nick).cmp(token)) {
        Ok(k) => by_nick[k].1,
        Err(_) => token,
    }
}

/// The nicknames that stand for `formal` (so a local part may hold one instead).
fn nicknames_of(formal: &str) -> &'static [(&'static str, &'static str)] {
    let index = nickname_index();
    match index.formal_span.get(formal) {
        Some(&(start, end)) => &index.by_formal[start..end],
        None => &[],
    }
}

type NicknamePairs = Vec<(&'static str, &'static str)>;

struct NicknameIndex {
    by_nick: NicknamePairs,
    /// (formal, nickname), sorted by formal name.
    by_formal: NicknamePairs,
    /// Each formal name's span in `by_formal`: one hash lookup for the many words that have none.
    formal_span: super::interner::FastMap<&'static str, (usize, usize)>,
}

/// [`NICKNAMES`] sorted by nickname and, as (formal, nickname), by formal name: searched for
/// every name token of every candidate pair, where a scan of the table cost a sixth of the time.
fn nickname_index() -> &'static NicknameIndex {
    static INDEX: std::sync::OnceLock<NicknameIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut by_nick = NICKNAMES.to_vec();
        // The first entry of a nickname wins, as in a scan of the table.
        by_nick.sort_by_key(|&(nick, _)| nick);
        by_nick.dedup_by_key(|&mut (nick, _)| nick);
        let mut by_formal: NicknamePairs = NICKNAMES.iter().map(|&(n, f)| (f, n)).collect();
        by_formal.sort_unstable();
        let mut formal_span = super::interner::FastMap::default();
        let mut start = 0;
        for run in by_formal.chunk_by(|x, y| x.0 == y.0) {
            formal_span.insert(run[0].0, (start, start + run.len()));
            start += run.len();
        }
        NicknameIndex {
            by_nick,
            by_formal,
            formal_span,
        }
    })
}

/// How strongly a login or email local part looks made from a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// Nothing of the name in it.
    Unrelated,
    /// Initials or a short prefix of a name token (`mst`, `kirr`).
    Hint,
    /// A whole name token or a usual pattern (`jsmith`, `john.smith`, `smithj`, `johns`).
    Strong,
}

/// The letters of a login or local part, folded: what shape checks compare ("J.Smith42" →
/// "jsmith").
pub fn letters_of(local: &str) -> String {
    if local.is_ascii() {
        let mut out = String::with_capacity(local.len());
        out.extend(
            local
                .bytes()
                .filter(u8::is_ascii_alphabetic)
                .map(|b| char::from(b.to_ascii_lowercase())),
        );
        return out;
    }
    fold(local).chars().filter(|c| c.is_alphabetic()).collect()
}

/// How `local` (a login or an email local part) relates to the name.
pub fn shape_of(local: &str, name: &NameInfo) -> Shape {
    shape_of_letters(&letters_of(local), name)
}

/// Whether the letters of a login are a handle made of the name alone, the way any holder of the
/// name would spell it: one of its words, or its first and last words whole or as an initial, in
/// either order (`lyamamoto`, `lisayamamoto`, `yamamotol`, `lisay`, `yamamoto` for Lisa Yamamoto;
/// nicknames as written or formal). Digits and punctuation are not letters: `l.yamamoto2` is
/// made of the name too.
pub fn is_name_made(letters: &str, name: &NameInfo) -> bool {
    if letters.len() < 2 || name.is_empty() {
        return false;
    }
    let word = |words: &Words| words.iter().any(|w| w.chars().count() > 1 && w == letters);
    word(&name.tokens) || word(&name.full) || name_made_handles(name).iter().any(|h| h == letters)
}

/// The handles made of a nickname of the first name and the last name (`robarver`, `arverrob`
/// for Robert Arver; `jamieberg` for James Berg): what people called by a nickname pick.
pub fn nickname_made_handles(name: &NameInfo) -> Vec<String> {
    let (Some(first), Some(last)) = (name.full.first(), name.full.last()) else {
        return Vec::new();
    };
    if name.full.len() < 2 {
        return Vec::new();
    }
    let mut out: Vec<String> = nicknames_of(first)
        .iter()
        .filter(|&&(_, nick)| nick != first && nick.chars().count() >= 3)
        .flat_map(|&(_, nick)| [format!("{nick}{last}"), format!("{last}{nick}")])
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The handles of two parts made of a name: its first and last words whole or as an initial, in
/// either order (`lyamamoto`, `lisayamamoto`, `yamamotol`, `lisay`, `yamamotolisa`, `ylisa` for
/// Lisa Yamamoto), from the words as written and with nicknames mapped; none for a one-word name.
pub fn name_made_handles(name: &NameInfo) -> Vec<String> {
    let initial = |t: &str| t.char_indices().nth(1).map_or(t.len(), |(k, _)| k);
    let mut out = Vec::new();
    for words in [&name.tokens, &name.full] {
        let (Some(first), Some(last)) = (words.first(), words.last()) else {
            continue;
        };
        if words.len() < 2 {
            continue;
        }
        let (f0, l0) = (&first[..initial(first)], &last[..initial(last)]);
        for (a, b) in [
            (first, last),
            (last, first),
            (f0, last),
            (last, f0),
            (first, l0),
            (l0, first),
        ] {
            out.push(format!("{a}{b}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `a` followed by `b` is exactly `s`.
fn is_concat(s: &str, a: &str, b: &str) -> bool {
    s.len() == a.len() + b.len() && s.starts_with(a) && s.ends_with(b)
}

/// A prefix of `first` (at least one letter) then a prefix of `second` (at least two):
/// "freku" for Fredrik Kuivinen, "agruen" for Andreas Gruenbacher.
fn is_prefix_pair(s: &[u8], first: &[u8], second: &[u8]) -> bool {
    if s.len() < 5 {
        return false;
    }
    let mut i = 1;
    while i <= first.len() && i < s.len() && s[i - 1] == first[i - 1] {
        let rest = &s[i..];
        if rest.len() >= 2 && second.starts_with(rest) {
            return true;
        }
        i += 1;
    }
    false
}

/// [`shape_of`] for letters already folded (see [`letters_of`]). Allocates nothing: it runs for
/// every candidate pair.
pub fn shape_of_letters(letters: &str, name: &NameInfo) -> Shape {
    if letters.len() < 2 || name.is_empty() {
        return Shape::Unrelated;
    }
    let words = || name.tokens.iter().filter(|t| t.chars().count() > 1);
    for w in words() {
        if w.chars().count() >= 3 && letters.contains(w) {
            return Shape::Strong;
        }
    }
    // Nicknames: "bob" in the local part of "Robert", wherever the name stands (`full` holds
    // each word's formal form).
    if name.nicknamed {
        for w in name.full.iter() {
            for &(_, nick) in nicknames_of(w) {
                if nick.len() >= 3 && letters.contains(nick) {
                    return Shape::Strong;
                }
            }
        }
    }
    if let (Some(first), Some(last)) = (name.first(), name.last())
        && name.tokens.len() >= 2
    {
        let initial = |t: &str| t.char_indices().nth(1).map_or(t.len(), |(k, _)| k);
        let (f0, l0) = (&first[..initial(first)], &last[..initial(last)]);
        if is_concat(letters, f0, last)
            || is_concat(letters, last, f0)
            || is_concat(letters, first, l0)
        {
            return Shape::Strong;
        }
        let mut initials = name.tokens.iter().filter_map(|t| t.chars().next());
        let mut chars = letters.chars();
        let same_initials = name.tokens.len() >= 2
            && loop {
                match (initials.next(), chars.next()) {
                    (None, None) => break true,
                    (Some(x), Some(y)) if x == y => {}
                    _ => break false,
                }
            };
        if same_initials {
            return Shape::Hint;
        }
        for w in words() {
            let prefix_end = w.char_indices().nth(4).map_or(w.len(), |(k, _)| k);
            if w[..prefix_end].chars().count() >= 4 && letters.starts_with(&w[..prefix_end]) {
                return Shape::Hint;
            }
        }
        let (l, f, s) = (last.as_bytes(), first.as_bytes(), letters.as_bytes());
        if is_prefix_pair(s, f, l) || is_prefix_pair(s, l, f) {
            return Shape::Hint;
        }
    }
    Shape::Unrelated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nickname_made_handles_spell_a_nickname_and_the_last_name() {
        let handles = nickname_made_handles(&NameInfo::parse("Robert Arver"));
        assert!(handles.contains(&"robarver".to_string()), "{handles:?}");
        assert!(handles.contains(&"bobarver".to_string()), "{handles:?}");
        assert!(!handles.contains(&"robertarver".to_string()), "{handles:?}");
        assert!(nickname_made_handles(&NameInfo::parse("Zyx Arver")).is_empty());
    }

    #[test]
    fn the_same_written_name_maps_no_nicknames() {
        assert!(same_written_name("RODRIGUEZ, Eva", "Eva Rodriguez"));
        assert!(same_written_name("Keith K. Johnson", "Johnson, Keith"));
        assert!(same_written_name("José Núñez", "Jose Nunez"));
        assert!(!same_written_name("Stephen Santos", "Steven Santos"));
        assert!(!same_written_name("Alex Kagan", "Sasha Kagan"));
        assert!(!same_written_name("Tomo", "Tomo Thiel"));
        assert!(!same_written_name("John Saraogi", "John Koul"));
    }

    #[test]
    fn nicknames_of_any_name_word_shape_the_local() {
        // A family name first ("Kovacs William") or a middle call name: the nickname of any
        // word counts, not only of the first.
        assert_eq!(
            shape_of("billk", &NameInfo::parse("Kovacs William")),
            Shape::Strong
        );
        assert_eq!(
            shape_of("bobk", &NameInfo::parse("Kim Robert")),
            Shape::Strong
        );
    }

    #[test]
    fn words_hold_a_name_in_one_string() {
        // (raw name, tokens, full words)
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "Smith, John Q.",
                &["john", "q", "smith"],
                &["john", "smith"],
            ),
            ("Bob  Jones", &["bob", "jones"], &["robert", "jones"]),
            ("", &[], &[]),
        ];
        for &(raw, tokens, full) in cases {
            let n = NameInfo::parse(raw);
            assert_eq!(n.tokens.iter().collect::<Vec<_>>(), tokens, "{raw}");
            assert_eq!(n.full.iter().collect::<Vec<_>>(), full, "{raw}");
            assert_eq!(n.tokens.len(), tokens.len());
            assert_eq!(n.full.last(), full.last().copied());
            assert_eq!(&n.tokens[tokens.len()], "");
        }
    }

    #[test]
    fn last_comma_first_reads_as_first_last() {
        let n = NameInfo::parse("Mazo, Andrey");
        assert_eq!(n.tokens.iter().collect::<Vec<_>>(), ["andrey", "mazo"]);
        assert_eq!(n.key(), NameInfo::parse("Andrey Mazo").key());
        // A comma inside a word (mis-decoded "König") keeps the reading order.
        let garbled = NameInfo::parse("Uwe Kleine-K,Av(Bnig");
        assert_eq!(garbled.first(), Some("uwe"));
    }

    #[test]
    fn middle_names_and_initials_do_not_change_the_key() {
        assert_eq!(
            NameInfo::parse("Junio C Hamano").key(),
            NameInfo::parse("Junio Hamano").key()
        );
        assert_eq!(
            NameInfo::parse("Carlo Marcelo Arenas Belón").key(),
            NameInfo::parse("Carlo Arenas Belon").key()
        );
    }

    #[test]
    fn accents_fold_into_the_same_key() {
        assert_eq!(
            NameInfo::parse("Alex Bennée").key(),
            NameInfo::parse("alex bennee").key()
        );
        assert_eq!(
            NameInfo::parse("Kristian Høgsberg").key(),
            NameInfo::parse("Kristian Hogsberg").key()
        );
    }

    #[test]
    fn nickname_maps_to_formal_name() {
        assert_eq!(
            NameInfo::parse("Bob Smith").key(),
            NameInfo::parse("Robert Smith").key()
        );
        assert_eq!(
            NameInfo::parse("Bill Gates").key(),
            NameInfo::parse("William Gates").key()
        );
        assert_ne!(
            NameInfo::parse("Bob Smith").key(),
            NameInfo::parse("Bill Smith").key()
        );
    }

    #[test]
    fn generic_names_give_nothing() {
        for raw in [
            "root",
            "Administrator",
            "unknown",
            "(none)",
            "GitHub",
            "System",
            "dependabot[bot]",
        ] {
            assert!(NameInfo::parse(raw).is_empty(), "{raw}");
        }
    }

    #[test]
    fn login_shapes() {
        let n = NameInfo::parse("John Smith");
        for login in ["jsmith", "john-smith", "smithj", "johns", "john.smith"] {
            assert_eq!(shape_of(login, &n), Shape::Strong, "{login}");
        }
        assert_eq!(shape_of("zx81", &n), Shape::Unrelated);
        assert_eq!(
            shape_of("mst", &NameInfo::parse("Michael S. Tsirkin")),
            Shape::Hint
        );
    }
}
