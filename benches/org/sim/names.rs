//! Names: the pools people are drawn from, the ways one name gets written, and the keys a careful
//! admin compares.
//!
//! Pools come from the real name distributions in `../shared/data/identities/*.csv` (the first and
//! last word of every canonical name, as often as they occur there), so each seed draws another
//! population and a common name stays common. The keys fold case, accents, "Last, First", middle
//! names and nicknames ("Smith, Bob" and "ROBERT SMITH" are one name, SPEC §3.3). This module never
//! decides who is who: `truth` does, with these keys.

use std::collections::HashMap;
use std::path::Path;

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Nicknames, as a careful admin knows them: `Bob Brown` is `Robert Brown`.
const NICKNAMES: &[(&str, &[&str])] = &[
    ("Robert", &["Bob", "Rob", "Bobby"]),
    ("William", &["Bill", "Will"]),
    ("Richard", &["Rick", "Rich"]),
    ("James", &["Jim", "Jamie"]),
    ("John", &["Jack", "Johnny"]),
    ("Michael", &["Mike"]),
    ("Thomas", &["Tom"]),
    ("Christopher", &["Chris"]),
    ("Daniel", &["Dan", "Danny"]),
    ("Matthew", &["Matt"]),
    ("Anthony", &["Tony"]),
    ("Joseph", &["Joe"]),
    ("Charles", &["Charlie"]),
    ("Edward", &["Ed", "Ted"]),
    ("Benjamin", &["Ben"]),
    ("Nicholas", &["Nick"]),
    ("Alexander", &["Alex"]),
    ("Andrew", &["Andy", "Drew"]),
    ("Steven", &["Steve"]),
    ("Jonathan", &["Jon"]),
    ("Samuel", &["Sam"]),
    ("Timothy", &["Tim"]),
    ("Kenneth", &["Ken"]),
    ("Gregory", &["Greg"]),
    ("Patrick", &["Pat"]),
    ("Peter", &["Pete"]),
    ("Elizabeth", &["Liz", "Beth"]),
    ("Katherine", &["Kate", "Katie"]),
    ("Margaret", &["Maggie", "Peggy"]),
    ("Jennifer", &["Jen", "Jenny"]),
    ("Rebecca", &["Becky"]),
    ("Jessica", &["Jess"]),
    ("Susan", &["Sue"]),
    ("Deborah", &["Debbie"]),
    ("Patricia", &["Patty", "Trish"]),
    ("Victoria", &["Vicky"]),
    ("Abigail", &["Abby"]),
    ("Kimberly", &["Kim"]),
    ("Dmitry", &["Dima"]),
    ("Johannes", &["Hannes"]),
];

/// How often a nickname table name joins the pool, per 1,000 draws of the real pool: enough for
/// nicknames to occur, few enough that the real distribution dominates.
const NICKNAME_NAMES_PER_MILLE: usize = 150;

/// The first and last name words of a population, each as often as it occurs.
pub struct Pools {
    firsts: Vec<String>,
    lasts: Vec<String>,
}

impl Pools {
    /// Reads the identity sets under `dir` (`git.csv`, `sympy.csv`, any `*.csv`).
    pub fn load(dir: &Path) -> Pools {
        let mut firsts = Vec::new();
        let mut lasts = Vec::new();
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the name pools come from ../shared/data/identities)",
                dir.display()
            )
        });
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        files.sort();
        for file in files {
            read_names(&file, &mut firsts, &mut lasts);
        }
        assert!(
            firsts.len() > 500 && lasts.len() > 500,
            "{}: too few names ({} first, {} last) for a varied organisation",
            dir.display(),
            firsts.len(),
            lasts.len()
        );
        let extra = firsts.len() * NICKNAME_NAMES_PER_MILLE / 1000 / NICKNAMES.len();
        for (canonical, _) in NICKNAMES {
            firsts.extend(std::iter::repeat_n(canonical.to_string(), extra.max(1)));
        }
        Pools { firsts, lasts }
    }

    pub fn first(&self, rng: &mut StdRng) -> String {
        self.firsts.choose(rng).expect("non-empty pool").clone()
    }

    pub fn last(&self, rng: &mut StdRng) -> String {
        self.lasts.choose(rng).expect("non-empty pool").clone()
    }

    /// How many distinct first and last words the pools hold.
    pub fn distinct(&self) -> (usize, usize) {
        let count = |v: &[String]| v.iter().collect::<std::collections::HashSet<_>>().len();
        (count(&self.firsts), count(&self.lasts))
    }
}

/// The `canonical_name` column of one identity set: first and last words of names that look like
/// a person's (two words or more, letters only, capitalised).
fn read_names(file: &Path, firsts: &mut Vec<String>, lasts: &mut Vec<String>) {
    let mut reader = csv::Reader::from_path(file)
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", file.display()));
    let headers = reader.headers().expect("header").clone();
    let Some(col) = headers.iter().position(|h| h == "canonical_name") else {
        return;
    };
    for record in reader.records().flatten() {
        let words: Vec<&str> = record.get(col).unwrap_or("").split_whitespace().collect();
        if words.len() < 2 {
            continue;
        }
        let (first, last) = (words[0], words[words.len() - 1]);
        if is_name_word(first) && is_name_word(last) {
            firsts.push(first.to_string());
            lasts.push(last.to_string());
        }
    }
}

fn is_name_word(w: &str) -> bool {
    let mut chars = w.chars();
    let starts_upper = chars.next().is_some_and(char::is_uppercase);
    let rest_ok = w
        .chars()
        .all(|c| c.is_alphabetic() || c == '-' || c == '\'');
    starts_upper && rest_ok && w.chars().count() >= 2 && !w.ends_with('-')
}

/// A person's name as the directory holds it, plus the nickname they go by in some tools.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub first: String,
    pub middle: Option<String>,
    pub last: String,
    pub nick: Option<String>,
}

impl Name {
    pub fn full(&self) -> String {
        format!("{} {}", self.first, self.last)
    }

    /// The first name the person uses day to day.
    pub fn used_first(&self) -> &str {
        self.nick.as_deref().unwrap_or(&self.first)
    }
}

/// A nickname for `first`, when the table knows one.
pub fn nickname_for(first: &str, rng: &mut StdRng) -> Option<String> {
    NICKNAMES
        .iter()
        .find(|(canonical, _)| *canonical == first)
        .and_then(|(_, nicks)| nicks.choose(rng))
        .map(|n| n.to_string())
}

/// One way a name gets written somewhere.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Written {
    Plain,
    /// "Doe, Jane"
    LastFirst,
    /// "JANE DOE"
    Caps,
    /// "Bob Smith" for Robert Smith (plain when there is no nickname)
    Nick,
    /// "Jane M. Doe"
    Middle,
    /// "Jose Garcia" for José García
    NoAccents,
    /// "J. Doe"
    Initial,
    /// "Jane"
    FirstOnly,
}

impl Written {
    /// Draws a way of writing a name: plain with probability `plain`, else one of the variants.
    pub fn draw(rng: &mut StdRng, plain: f64) -> Written {
        if rng.random_bool(plain) {
            return Written::Plain;
        }
        *[
            Written::LastFirst,
            Written::Caps,
            Written::Nick,
            Written::Middle,
            Written::NoAccents,
            Written::Nick,
            Written::LastFirst,
        ]
        .choose(rng)
        .expect("non-empty")
    }
}

pub fn write(name: &Name, how: Written) -> String {
    match how {
        Written::Plain => name.full(),
        Written::LastFirst => format!("{}, {}", name.last, name.first),
        Written::Caps => name.full().to_uppercase(),
        Written::Nick => format!("{} {}", name.used_first(), name.last),
        Written::Middle => match &name.middle {
            Some(m) => format!("{} {}. {}", name.first, initial(m), name.last),
            None => name.full(),
        },
        Written::NoAccents => strip_accents(&name.full()),
        Written::Initial => format!("{}. {}", initial(&name.first), name.last),
        Written::FirstOnly => name.used_first().to_string(),
    }
}

fn initial(word: &str) -> String {
    word.chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

/// Accents dropped, case kept ("José" → "Jose"); letters that do not decompose mapped by hand.
pub fn strip_accents(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'ł' => out.push('l'),
            'Ł' => out.push('L'),
            'ø' => out.push('o'),
            'Ø' => out.push('O'),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'Æ' => out.push_str("AE"),
            'đ' => out.push('d'),
            'Đ' => out.push('D'),
            'ı' => out.push('i'),
            _ => out.push(c),
        }
    }
    out
}

/// Lowercase ASCII-ish letters of a word: accents folded, everything but letters and digits dropped.
pub fn fold(s: &str) -> String {
    strip_accents(s)
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// A name as it goes into an address or a login: accents folded, ASCII letters and digits only
/// (vendors take nothing else); a name with no Latin letter becomes `x` and a number made from it.
pub fn handle(s: &str) -> String {
    let out: String = strip_accents(s)
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if !out.is_empty() {
        return out;
    }
    let n = s
        .chars()
        .fold(7u32, |h, c| h.wrapping_mul(31).wrapping_add(c as u32))
        % 10_000;
    format!("x{n}")
}

/// The nickname family of a folded first name: "bob", "rob" and "robert" share "robert".
pub struct Families {
    family: HashMap<String, String>,
    members: HashMap<String, Vec<String>>,
}

impl Families {
    pub fn new() -> Families {
        let mut family = HashMap::new();
        let mut members: HashMap<String, Vec<String>> = HashMap::new();
        for (canonical, nicks) in NICKNAMES {
            let head = fold(canonical);
            for n in std::iter::once(canonical).chain(nicks.iter()) {
                let n = fold(n);
                // A nickname of two names ("Chris", "Alex") joins the first family it meets:
                // conservative, two names a careful admin cannot tell apart either.
                let fam = family
                    .entry(n.clone())
                    .or_insert_with(|| head.clone())
                    .clone();
                let list = members.entry(fam).or_default();
                if !list.contains(&n) {
                    list.push(n);
                }
            }
        }
        Families { family, members }
    }

    /// The family head of a folded first name (itself when it has no nicknames).
    pub fn head(&self, folded_first: &str) -> String {
        self.family
            .get(folded_first)
            .cloned()
            .unwrap_or_else(|| folded_first.to_string())
    }

    /// Every folded first name of the family of `folded_first`, itself included.
    pub fn spellings(&self, folded_first: &str) -> Vec<String> {
        match self.members.get(&self.head(folded_first)) {
            Some(list) => list.clone(),
            None => vec![folded_first.to_string()],
        }
    }

    /// The key of a full name: nickname family of the first word, folded last word.
    pub fn full_key(&self, first: &str, last: &str) -> String {
        format!("{} {}", self.head(&fold(first)), fold(last))
    }

    /// The keys a displayed name carries: its full key, and its initial key when it is written
    /// with an initial ("J. Doe"). None when it holds no first-and-last pair.
    pub fn display_key(&self, display: &str) -> Option<DisplayKey> {
        let (first, last) = split_display(display)?;
        let folded = fold(&first);
        if first.trim_end_matches('.').chars().count() == 1 {
            return Some(DisplayKey::Initial(format!("{} {}", folded, fold(&last))));
        }
        Some(DisplayKey::Full(format!(
            "{} {}",
            self.head(&folded),
            fold(&last)
        )))
    }

    /// Login and local-part shapes made of a name, for every spelling of its first name:
    /// (`janedoe`, `jane-doe`, `doejane`, … , `jdoe`, `doej`). Full shapes first.
    pub fn shapes(&self, first: &str, last: &str) -> (Vec<String>, Vec<String>) {
        let l = fold(last);
        let mut full = Vec::new();
        let mut initials = Vec::new();
        for f in self.spellings(&fold(first)) {
            for s in [
                format!("{f}{l}"),
                format!("{f}-{l}"),
                format!("{f}.{l}"),
                format!("{f}_{l}"),
                format!("{l}{f}"),
                format!("{l}-{f}"),
            ] {
                push_unique(&mut full, s);
            }
            let i = f.chars().next().map(String::from).unwrap_or_default();
            for s in [format!("{i}{l}"), format!("{l}{i}"), format!("{i}-{l}")] {
                push_unique(&mut initials, s);
            }
        }
        (full, initials)
    }
}

fn push_unique(list: &mut Vec<String>, s: String) {
    if !list.contains(&s) {
        list.push(s);
    }
}

/// What a displayed name says about who holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DisplayKey {
    Full(String),
    Initial(String),
}

/// "Doe, Jane (Contractor)" → ("Jane", "Doe"); "JANE M. DOE" → ("JANE", "DOE"); one word → None.
fn split_display(display: &str) -> Option<(String, String)> {
    let without_note = match display.find('(') {
        Some(i) => &display[..i],
        None => display,
    };
    let (first_part, last_part) = match without_note.split_once(',') {
        Some((last, first)) => (first.trim().to_string(), last.trim().to_string()),
        None => {
            let words: Vec<&str> = without_note.split_whitespace().collect();
            if words.len() < 2 {
                return None;
            }
            (words[0].to_string(), words[words.len() - 1].to_string())
        }
    };
    let first = first_part.split_whitespace().next()?.to_string();
    let last = last_part.split_whitespace().last()?.to_string();
    if fold(&first).is_empty() || fold(&last).is_empty() {
        return None;
    }
    Some((first, last))
}

/// The words a login is made of for name purposes: lowercase, trailing digits and a trailing
/// `-{company}` / `_{company}` dropped ("jdoe-acme42" → "jdoe").
pub fn login_core(login: &str, company: &str) -> String {
    let lower = login.to_lowercase();
    let trimmed = lower.trim_end_matches(|c: char| c.is_ascii_digit());
    let company = fold(company);
    for sep in ['-', '_'] {
        if let Some(core) = trimmed.strip_suffix(&format!("{sep}{company}")) {
            return core
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .to_string();
        }
    }
    trimmed.to_string()
}
