//! Phase 1, prepare: parse and normalise every identity (its strong keys, display name and weak
//! values), intern them in input order, and register what must refuse a union before any
//! evidence is weighed — guard keys (directory accounts, employee ids, work emails) and split
//! overrides — then apply the merge overrides.
//!
//! Invariant: parsing runs on threads, interning on the calling thread in input order, so every id
//! (and so the output) is the same whatever the threads do. No evidence is weighed here.

use std::collections::HashMap;

use super::cluster::GuardKind;
use super::evidence::{self, Prepared};
use super::interner::{FastMap, Interner};
use super::names::NameInfo;
use super::normalize::{self, EmailKey, nfkc_lower};
use super::strong::{self, Holder, Origin, StrongReason, employee_id};
use super::{IdentityIx, ResolveOptions, Resolver, workers};
use crate::model::Identity;

/// A domain no directory lists hands out addresses (a numbered one is a second person's) when at
/// least this many identities, or one in a thousand, hold addresses there.
const NUMBERED_DOMAIN_MIN: usize = 10;

/// Below this many identities, threads cost more than they save.
const PARALLEL_PARSE_MIN: usize = 20_000;

/// Identities parsed at a time before their values are interned: bounds the memory held by parsed
/// values awaiting interning.
const PARSE_BLOCK: usize = 1 << 13;

impl Resolver<'_> {
    /// Prepare every identity, register guards and overrides; the holders of strong keys are for
    /// the next phase.
    pub(super) fn prepare(&mut self) -> Vec<Holder> {
        let holders = self.parse_and_intern();
        let org = org_domains(
            self.identities,
            self.opts,
            &holders,
            &self.tables.email_keys,
        );
        self.guard_org_emails(&holders, &org);
        self.guard_numbered_addresses(&holders, &org);
        self.apply_overrides();
        holders
    }

    /// Parse each identity — pure and independent, so spread over the cores in blocks, the next
    /// block parsed while this one is interned — and intern in input order.
    fn parse_and_intern(&mut self) -> Vec<Holder> {
        let identities = self.identities;
        let n = identities.len();
        let mut holders: Vec<Holder> = Vec::with_capacity(n + n / 4);
        std::thread::scope(|scope| {
            let mut blocks = identities.chunks(PARSE_BLOCK);
            let mut parse_next = || {
                blocks
                    .next()
                    .map(|block| ParseAhead::start(scope, block, n))
            };
            let mut ahead = parse_next();
            let mut i = 0;
            while let Some(block) = ahead.take() {
                let parsed = block.finish();
                ahead = parse_next();
                for p in parsed {
                    self.intern(i, p, &mut holders);
                    i += 1;
                }
            }
        });
        holders
    }

    /// Intern identity `i`'s parsed values, note the holders of its strong keys and give its
    /// cluster its guard keys.
    fn intern(&mut self, i: usize, parsed: Parsed, holders: &mut Vec<Holder>) {
        let Parsed {
            keys,
            name,
            name_key,
            mut weak,
        } = parsed;
        let tables = &mut self.tables;
        let mut p = Prepared {
            name,
            ..Prepared::default()
        };
        for (key, from) in &keys {
            holders.push(Holder {
                key: tables.email_keys.intern(key),
                i: IdentityIx::new(i),
                from: *from,
            });
        }
        p.name_key = name_key.as_deref().map(|k| tables.name_keys.intern(k));
        evidence::intern_weak(&mut p, &mut weak, &mut tables.handles, &mut tables.domains);
        let identity = &self.identities[i];
        let clusters = &mut self.forest.clusters;
        if identity.directory {
            let source = tables.sources.intern(&identity.source);
            let account = format!("{}\u{0}{}", identity.source, identity.id);
            let value = tables.guard_values.intern(&account);
            clusters.add_guard(i, GuardKind::Directory(source), value);
        }
        if let Some(e) = employee_id(identity) {
            let value = tables.guard_values.intern(&format!("emp\u{0}{e}"));
            clusters.add_guard(i, GuardKind::EmployeeId, value);
        }
        self.prepared.push(p);
    }

    /// Two different addresses at one of the organisation's domains are two accounts: weak
    /// evidence never joins them (registered, like splits, before any union). Addresses at two
    /// different organisation domains (the parent's and an acquired company's) may be one person's.
    fn guard_org_emails(&mut self, holders: &[Holder], org: &[String]) {
        let tables = &mut self.tables;
        if org.is_empty() {
            return;
        }
        for h in holders {
            let key = tables.email_keys.get(h.key);
            if let Some((_, domain)) = key.rsplit_once('@')
                && let Some(d) = org.iter().position(|d| d == domain)
            {
                let value = tables.guard_values.intern(key);
                let kind = GuardKind::OrgEmail(u32::try_from(d).unwrap_or(u32::MAX));
                self.forest.clusters.add_guard(h.i.get(), kind, value);
            }
        }
    }

    /// In an organisation's data (a directory present), addresses at a domain that hands out
    /// addresses — an organisation's (`org`), or any domain that is no public provider held by
    /// many identities (an acquired company's, which the directory may not list) — that differ
    /// only in a number ending the local part (`jsmith@`, `jsmith2@`) are two people's: the
    /// number is what the second gets when the first holds the address. Weak evidence never joins
    /// them (a guard per base address). At a domain few people use (a small provider, a
    /// personal domain) and in a git history the number is the person's own choice
    /// (`th.acker66@` beside `th.acker@`), so there is no guard.
    fn guard_numbered_addresses(&mut self, holders: &[Holder], org: &[String]) {
        if !self.identities.iter().any(|i| i.directory) {
            return;
        }
        let tables = &mut self.tables;
        // Identities at each domain that is no public provider.
        let mut held: FastMap<&str, u32> = FastMap::default();
        for h in holders {
            if let Some((_, domain)) = tables.email_keys.get(h.key).rsplit_once('@')
                && !normalize::is_public_mail_domain(domain)
            {
                *held.entry(domain).or_default() += 1;
            }
        }
        let many = (self.identities.len() / 1000).max(NUMBERED_DOMAIN_MIN);
        let hands_out: Vec<String> = held
            .into_iter()
            .filter(|&(d, n)| n as usize >= many || org.iter().any(|o| o == d))
            .map(|(d, _)| d.to_string())
            .collect();
        if hands_out.is_empty() {
            return;
        }
        let base_of = |key: &str| -> Option<String> {
            let (local, domain) = key.rsplit_once('@')?;
            if !hands_out.iter().any(|d| d == domain) {
                return None;
            }
            normalize::numbered_base(local).map(|base| format!("{base}@{domain}"))
        };
        // The numbered keys by base address, then the bases themselves where they are held.
        let mut family: FastMap<String, Vec<u32>> = FastMap::default();
        for h in holders {
            if let Some(base) = base_of(tables.email_keys.get(h.key)) {
                family.entry(base).or_default().push(h.key);
            }
        }
        if family.is_empty() {
            return;
        }
        for h in holders {
            if let Some(members) = family.get_mut(tables.email_keys.get(h.key)) {
                members.push(h.key);
            }
        }
        for members in family.values_mut() {
            members.sort_unstable();
            members.dedup();
        }
        for h in holders {
            let key = tables.email_keys.get(h.key);
            let base = base_of(key).unwrap_or_else(|| key.to_string());
            if family.get(&base).is_none_or(|m| m.len() < 2) {
                continue;
            }
            let kind = GuardKind::Numbered(tables.guard_values.intern(&base));
            let value = tables.guard_values.intern(key);
            self.forest.clusters.add_guard(h.i.get(), kind, value);
        }
    }

    /// Split overrides are registered before any union so that no evidence can cross them; merge
    /// overrides join first of all.
    fn apply_overrides(&mut self) {
        let overrides = &self.opts.overrides;
        if overrides.split.is_empty() && overrides.merge.is_empty() {
            // A million-entry map is not free.
            return;
        }
        let by_key = key_index(self.identities);
        let pair = |(a, b): &(super::IdentityKey, super::IdentityKey)| {
            let find =
                |k: &super::IdentityKey| by_key.get(&(k.source.as_str(), k.id.as_str())).copied();
            find(a).zip(find(b))
        };
        for (a, b) in overrides.split.iter().filter_map(pair) {
            self.forest.clusters.add_split(a, b);
        }
        for (a, b) in overrides.merge.iter().filter_map(pair) {
            self.forest.join_strong(a, b, StrongReason::Override);
        }
    }
}

/// A block of parsed identities: parsed in place (small inputs) or on a thread.
enum ParseAhead<'scope> {
    Done(Vec<Parsed>),
    Running(std::thread::ScopedJoinHandle<'scope, Vec<Parsed>>),
}

impl<'scope> ParseAhead<'scope> {
    /// Start parsing `block`, one of the `total` identities: on a thread when the input is large
    /// enough for each block to be worth splitting over the cores.
    fn start<'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        block: &'env [Identity],
        total: usize,
    ) -> ParseAhead<'scope> {
        if total < PARALLEL_PARSE_MIN {
            ParseAhead::Done(parallel_map(block, PARALLEL_PARSE_MIN, parse_identity))
        } else {
            ParseAhead::Running(
                scope.spawn(move || parallel_map(block, PARSE_BLOCK / 4, parse_identity)),
            )
        }
    }

    /// The parsed block, once parsing is done.
    fn finish(self) -> Vec<Parsed> {
        match self {
            ParseAhead::Done(parsed) => parsed,
            ParseAhead::Running(handle) => super::joined(handle),
        }
    }
}

/// One identity parsed: everything that needs no shared table.
struct Parsed {
    /// Each strong key as its one-string form ([`EmailKey::as_key`]), made on the parsing thread.
    keys: Vec<(String, Origin)>,
    name: NameInfo,
    name_key: Option<String>,
    weak: evidence::WeakParts,
}

fn parse_identity(identity: &Identity) -> Parsed {
    let strong = strong::keys_of(identity);
    // An address that gives no key still says something: the local part at no real domain
    // (`smurf@kiste.(none)`), or a real domain behind a generic local part (`git@nilsschulte.de`).
    let mut placeholder_locals: Vec<String> = Vec::new();
    let mut owned_domains: Vec<String> = Vec::new();
    for e in &strong.unusable {
        placeholder_locals.extend(normalize::placeholder_local(e));
        owned_domains.extend(normalize::generic_local_domain(e));
    }
    let name = if identity.is_bot {
        NameInfo::default()
    } else {
        NameInfo::parse(identity.name.as_deref().unwrap_or(""))
    };
    let weak_keys: Vec<&EmailKey> = strong
        .keys
        .iter()
        .filter(|(_, from)| *from != Origin::Login)
        .map(|(k, _)| k)
        .collect();
    let weak = evidence::weak_parts(
        &name,
        &weak_keys,
        strong.login.as_deref(),
        &placeholder_locals,
        &owned_domains,
    );
    Parsed {
        name_key: name.key(),
        keys: strong
            .keys
            .into_iter()
            .map(|(k, f)| (k.as_key(), f))
            .collect(),
        name,
        weak,
    }
}

/// `items.map(f)` in order, spread over the available cores for large inputs.
fn parallel_map<T: Sync, U: Send>(items: &[T], min: usize, f: fn(&T) -> U) -> Vec<U> {
    let workers = workers();
    if workers < 2 || items.len() < min {
        return items.iter().map(f).collect();
    }
    let size = items.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let running: Vec<_> = items
            .chunks(size)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for r in running {
            out.extend(super::joined(r));
        }
        out
    })
}

/// `opts.org_domains`; if empty, the domains of directory identities' addresses; with no directory
/// either, a domain that a quarter or more of the identities hold (one company's developer table).
fn org_domains(
    identities: &[Identity],
    opts: &ResolveOptions,
    holders: &[Holder],
    email_keys: &Interner,
) -> Vec<String> {
    if !opts.org_domains.is_empty() {
        let mut out: Vec<String> = opts.org_domains.iter().map(|d| nfkc_lower(d)).collect();
        out.sort();
        out.dedup();
        return out;
    }
    // (domain, identity) of every address at a non-public domain.
    let mut held: Vec<(&str, IdentityIx)> = holders
        .iter()
        .filter_map(|h| {
            let (_, domain) = email_keys.get(h.key).rsplit_once('@')?;
            (!normalize::is_public_mail_domain(domain)).then_some((domain, h.i))
        })
        .collect();
    held.sort_unstable();
    held.dedup();
    let directory = identities.iter().any(|i| i.directory);
    let mut out: Vec<String> = Vec::new();
    for group in held.chunk_by(|x, y| x.0 == y.0) {
        let org = if directory {
            group.iter().any(|&(_, i)| identities[i.get()].directory)
        } else {
            group.len() >= 2 && group.len() * 4 >= identities.len()
        };
        if org {
            out.push(group[0].0.to_string());
        }
    }
    out
}

fn key_index(identities: &[Identity]) -> HashMap<(&str, &str), usize> {
    identities
        .iter()
        .enumerate()
        .map(|(i, x)| ((x.source.as_str(), x.id.as_str()), i))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::resolve::test_support::*;

    #[test]
    fn last_comma_first_with_same_local_merges() {
        let ids = [
            id("1", "Mazo, Andrey", &["amazo@checkvideo.example"]),
            id("2", "Andrey Mazo", &["amazo@yandex.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1), "{:?}", res.reviews);
    }

    #[test]
    fn accents_fold_and_same_handle_merges() {
        let ids = [
            id("1", "Alex Bennée", &["kernel-hacker@bennee.example"]),
            id("2", "Alex Bennee", &["kernel-hacker@linaro.example"]),
        ];
        assert!(together(&resolve(&ids, &ResolveOptions::default()), 0, 1));
    }

    #[test]
    fn different_employee_ids_block_a_name_merge() {
        let mut a = id("1", "Quentin Zyxwab", &["qzyxwab@a.example"]);
        let mut b = id("2", "Quentin Zyxwab", &["qzyxwab@b.example"]);
        a.employee_id = Some("1".into());
        b.employee_id = Some("2".into());
        let res = resolve(&[a.clone(), b.clone()], &ResolveOptions::default());
        assert!(!together(&res, 0, 1));
        a.employee_id = None;
        assert!(together(
            &resolve(&[a, b], &ResolveOptions::default()),
            0,
            1
        ));
    }

    #[test]
    fn two_directory_accounts_of_one_source_stay_apart() {
        let mut a = id("1", "Quentin Zyxwab", &["qzyxwab@a.example"]);
        let mut b = id("2", "Quentin Zyxwab", &["qzyxwab@b.example"]);
        a.directory = true;
        b.directory = true;
        assert!(!together(
            &resolve(&[a, b], &ResolveOptions::default()),
            0,
            1
        ));
    }

    #[test]
    fn split_override_prevents_merge_and_review() {
        let ids = [
            id("1", "Jane Doe", &["jane@acme.example"]),
            id("2", "Jane Doe", &["jane@acme.example"]),
        ];
        let opts = ResolveOptions {
            overrides: Overrides {
                merge: vec![],
                split: vec![(key("1"), key("2"))],
            },
            ..ResolveOptions::default()
        };
        let res = resolve(&ids, &opts);
        assert!(!together(&res, 0, 1));
        assert!(res.reviews.is_empty());
    }

    #[test]
    fn merge_override_unions_unrelated_identities() {
        let ids = [
            id("1", "Jane Doe", &["jane@acme.example"]),
            id("2", "JD", &["x@y.example"]),
        ];
        let opts = ResolveOptions {
            overrides: Overrides {
                merge: vec![(key("1"), key("2"))],
                split: vec![],
            },
            ..ResolveOptions::default()
        };
        let res = resolve(&ids, &opts);
        assert!(together(&res, 0, 1));
        assert_eq!(
            res.merges[0].evidence,
            vec!["merged by override".to_string()]
        );
    }

    #[test]
    fn generic_emails_and_names_link_nobody() {
        let ids = [
            id("1", "root", &["root@host1.example"]),
            id("2", "Administrator", &["root@host1.example"]),
            id("3", "Jane", &["noreply@acme.example"]),
            id("4", "Bob", &["noreply@acme.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert_eq!(res.clusters.len(), 4);
    }

    #[test]
    fn addresses_that_differ_only_in_a_number_are_two_people() {
        // In an organisation's data, `mpaprocki2@acquired.example` is what the second Mateusz
        // Paprocki got at the acquired company (a domain the directory does not list): weak
        // evidence (a rare name, shaped addresses, one domain) does not join it to the first's
        // `mpaprocki@`.
        let okta = |n: &str, name: &str, email: &str| Identity {
            source: "okta".into(),
            directory: true,
            ..id(n, name, &[email])
        };
        let with = |extra: Vec<Identity>| {
            let mut ids = crowd();
            ids.push(okta("o1", "Someone Else", "someone.else@corp.example"));
            // The acquired company hands out addresses: many people hold one there.
            for k in 0..12 {
                let email = format!("colleague{k}@acquired.example");
                ids.push(id(
                    &format!("c{k}"),
                    &format!("Colleague{k} Surname{k}"),
                    &[&email],
                ));
            }
            let n = ids.len();
            ids.extend(extra);
            (resolve(&ids, &ResolveOptions::default()), n)
        };
        let gitlab = |n: &str, email: &str| Identity {
            source: "gitlab".into(),
            ..id(n, "Mateusz Paprocki", &[email])
        };
        let (res, n) = with(vec![
            gitlab("a", "mpaprocki@acquired.example"),
            gitlab("b", "mpaprocki2@acquired.example"),
        ]);
        assert!(!together(&res, n, n + 1), "{:?}", res.merges);
        assert!(
            cites(&res.reviews, "differ only in a number"),
            "{:?}",
            res.reviews
        );
        // Strong evidence still joins them: one account listing both addresses.
        let (res, n) = with(vec![
            gitlab("a", "mpaprocki@acquired.example"),
            gitlab("b", "mpaprocki2@acquired.example"),
            id(
                "c",
                "Mateusz Paprocki",
                &["mpaprocki@acquired.example", "mpaprocki2@acquired.example"],
            ),
        ]);
        assert!(together(&res, n, n + 1), "{:?}", res.reviews);
        // At a domain few people use, and in a git history, the number is the person's own
        // choice (`th.acker66@`, `th.acker@`).
        let (res, n) = with(vec![
            id("a", "Thomas Ackermann", &["th.acker@arcor.example"]),
            id("b", "Thomas Ackermann", &["th.acker66@arcor.example"]),
        ]);
        assert!(together(&res, n, n + 1), "{:?}", res.reviews);
        let (res, n) = among_crowd([
            id("a", "Thomas Ackermann", &["th.acker@arcor.example"]),
            id("b", "Thomas Ackermann", &["th.acker66@arcor.example"]),
        ]);
        assert!(together(&res, n, n + 1), "{:?}", res.reviews);
    }

    #[test]
    fn company_table_without_a_directory_keeps_two_work_addresses_apart() {
        // Most rows share acme.example: it is the organisation's domain, so two different addresses
        // there are two accounts, and the shared domain itself is no evidence.
        let mut ids: Vec<Identity> = crowd()
            .into_iter()
            .enumerate()
            .map(|(k, mut i)| {
                i.emails = vec![format!("p{k}@acme.example")];
                i
            })
            .collect();
        let n = ids.len();
        ids.push(id(
            "a",
            "Mateusz Paprocki",
            &["mateusz.paprocki@acme.example"],
        ));
        ids.push(id("b", "Mateusz Paprocki", &["mpaprocki@acme.example"]));
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, n, n + 1), "{:?}", res.merges);
        assert!(
            cites(&res.reviews, "different work emails"),
            "{:?}",
            res.reviews
        );
        assert!(
            !cites(&res.reviews, "same organisation domain"),
            "{:?}",
            res.reviews
        );
        // The same two records among people at many domains merge (a rare name, shaped addresses).
        let (res, n) = among_crowd([
            id("a", "Mateusz Paprocki", &["mateusz.paprocki@acme.example"]),
            id("b", "Mateusz Paprocki", &["mpaprocki@acme.example"]),
        ]);
        assert!(together(&res, n, n + 1), "{:?}", res.reviews);
    }

    #[test]
    fn transliterated_name_meets_its_latin_address() {
        let ids = [
            id("1", "Дилян Палаузов", &["git-dpa@aegee.example"]),
            id("2", "Dilyan Palauzov", &["dilyan.palauzov@gmail.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(
            cites(&res.merges, "same name") || cites(&res.reviews, "same name"),
            "{res:?}"
        );
    }
}
