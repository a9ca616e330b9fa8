//! What the resolver's tests share: identities from a name and emails, a crowd of ordinary people
//! for name words to have counts as in real data, pair cases, and checks on a [`Resolution`].

pub(crate) use super::{
    IdentityKey, MatchLink, Overrides, Resolution, ResolveOptions, mailmap, resolve,
};
pub(crate) use crate::model::{Identity, Link};

pub(crate) fn id(n: &str, name: &str, emails: &[&str]) -> Identity {
    Identity {
        source: "input".into(),
        id: n.into(),
        name: Some(name.into()),
        emails: emails.iter().map(|e| e.to_string()).collect(),
        ..Identity::default()
    }
}

pub(crate) fn key(n: &str) -> IdentityKey {
    IdentityKey {
        source: "input".into(),
        id: n.into(),
    }
}

pub(crate) fn together(res: &Resolution, a: usize, b: usize) -> bool {
    res.cluster_of[a] == res.cluster_of[b]
}

/// The cases whose outcome differs from the expected one (all listed, not only the first); an
/// empty name for `a` means a record without one.
fn pair_case_mismatches(cases: &[PairCase]) -> Vec<String> {
    let mut out = Vec::new();
    for &(case, (na, ea), (nb, eb), merged) in cases {
        let mut a = id("a", na, &[ea]);
        if na.is_empty() {
            a.name = None;
        }
        let (res, n) = among_crowd([a, id("b", nb, &[eb])]);
        if together(&res, n, n + 1) != merged {
            let links: Vec<_> = res
                .merges
                .iter()
                .chain(&res.reviews)
                .filter(|l| l.a >= n && l.b >= n)
                .map(|l| (l.confidence, l.evidence.clone()))
                .collect();
            out.push(format!("{case}: merged={} {links:?}", !merged));
        }
    }
    out
}

/// Whether any of the links gives evidence containing `needle`.
pub(crate) fn cites(links: &[MatchLink], needle: &str) -> bool {
    links
        .iter()
        .any(|l| l.evidence.iter().any(|e| e.contains(needle)))
}

/// (case, (name a, email a), (name b, email b), merged?)
pub(crate) type PairCase = (
    &'static str,
    (&'static str, &'static str),
    (&'static str, &'static str),
    bool,
);

/// Each case's two records among the crowd: merged or not, as the case says.
pub(crate) fn pair_cases_among_crowd(cases: &[PairCase]) {
    let wrong = pair_case_mismatches(cases);
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Resolve `extra` after the crowd: the result and the index of `extra`'s first identity.
pub(crate) fn among_crowd<const N: usize>(extra: [Identity; N]) -> (Resolution, usize) {
    let mut ids = crowd();
    let n = ids.len();
    ids.extend(extra);
    (resolve(&ids, &ResolveOptions::default()), n)
}

/// A crowd of ordinary people, so that name words have counts as in real data.
pub(crate) fn crowd() -> Vec<Identity> {
    let first = ["Philip", "Karl", "Abhishek", "Maria", "Chen", "Olga"];
    let last = ["Smith", "Chakrabarty", "Rao", "Novak", "Wei", "Petrova"];
    let mut out = Vec::new();
    for (i, f) in first.iter().enumerate() {
        for (j, l) in last.iter().enumerate() {
            let email = format!("u{i}x{j}@mail{i}{j}.example");
            out.push(id(&format!("c{i}{j}"), &format!("{f} {l}"), &[&email]));
        }
    }
    out
}
