//! How common a name is in general, from a shipped table of first names and surnames (US Census
//! Bureau, public domain, re-weighted to a world-like mix: `data/README.md`). The data of one run
//! says how common a name is there; this says how common it is among people at large, which a
//! small data set cannot ("Wei Zhang" may appear once in a repository and still be a common name).
//!
//! Invariant: pure; the table is parsed once, on first use, from the text compiled into the binary.

use std::sync::OnceLock;

use super::interner::FastMap;

/// The table: `kind<TAB>word<TAB>per_million` lines, `#` comments.
const TABLE: &str = include_str!("data/name_frequency.tsv");

/// Every word in the table is this common or more (per million); a word not listed counts as
/// half of it.
const UNLISTED_PER_MILLION: f64 = 5.0;

/// The people a name is weighed against: about the world's software developers. A full name is
/// rare in general when fewer than [`RARE_IN_GENERAL`] of them are expected to carry it.
const REFERENCE_POPULATION: f64 = 30e6;

/// Expected holders of a full name among the reference population below which it is rare.
pub const RARE_IN_GENERAL: f64 = 0.5;

/// First names and surnames, per million.
#[derive(Debug, Default)]
struct Frequencies {
    first: FastMap<&'static str, u32>,
    last: FastMap<&'static str, u32>,
}

fn table() -> &'static Frequencies {
    static TABLE_PARSED: OnceLock<Frequencies> = OnceLock::new();
    TABLE_PARSED.get_or_init(|| {
        let mut f = Frequencies::default();
        for line in TABLE.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.split('\t');
            let (Some(kind), Some(word), Some(pm)) = (cols.next(), cols.next(), cols.next()) else {
                continue;
            };
            let Ok(pm) = pm.trim().parse::<u32>() else {
                continue;
            };
            match kind {
                "f" => f.first.insert(word, pm),
                "l" => f.last.insert(word, pm),
                _ => None,
            };
        }
        f
    })
}

/// How often `word` is a first name (or a surname), as a share of people.
fn share(map: &FastMap<&'static str, u32>, word: &str) -> f64 {
    map.get(word)
        .map_or(UNLISTED_PER_MILLION, |&pm| f64::from(pm))
        / 1e6
}

/// Expected carriers of a full name — its words as written (folded, lowercase, initials left
/// out), first to last — among the reference population: its first and last word as first name
/// and surname in whichever order makes it commoner ("Zhang Wei" and "Wei Zhang" are one name),
/// and each word between them as common as it is as either. A name of one word is never rare.
pub fn expected_carriers(words: &[&str]) -> f64 {
    let (Some(&a), Some(&b)) = (words.first(), words.last()) else {
        return f64::INFINITY;
    };
    if words.len() < 2 {
        return f64::INFINITY;
    }
    let t = table();
    let in_order = share(&t.first, a) * share(&t.last, b);
    let reversed = share(&t.first, b) * share(&t.last, a);
    let middle: f64 = words[1..words.len() - 1]
        .iter()
        .map(|w| share(&t.first, w).max(share(&t.last, w)))
        .product();
    REFERENCE_POPULATION * in_order.max(reversed) * middle
}

/// Whether a full name of these words (as in [`expected_carriers`]) is rare among people at
/// large.
pub fn is_rare_in_general(words: &[&str]) -> bool {
    expected_carriers(words) < RARE_IN_GENERAL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_are_never_rare_in_general() {
        for name in [
            &["john", "smith"][..],
            &["wei", "zhang"],
            &["zhang", "wei"],
            &["abhishek", "kumar"],
            &["maria", "garcia"],
            &["eric"],
        ] {
            assert!(!is_rare_in_general(name), "{name:?}");
        }
    }

    #[test]
    fn unusual_names_are_rare_in_general() {
        for name in [
            &["junio", "hamano"][..],
            &["dilyan", "palauzov"],
            &["linus", "torvalds"],
            // A common pair of words with a middle name between them.
            &["chai", "wah", "wu"],
        ] {
            assert!(is_rare_in_general(name), "{name:?}");
        }
    }
}
