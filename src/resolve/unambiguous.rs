//! Phase 7, unambiguous names (with a directory only): a name carried by exactly one directory
//! person — active or departed, nicknames counted, "Last, First" and case aside, as the name key
//! reads it — is that person's in the population that could hold it. An account (or a table row)
//! that no directory knows, whose display name or two-word login is that name (or, with no person
//! name, whose login is a two-part handle made of one directory person's name or of a nickname
//! of it and the last name: `lyamamoto`, `robarver` for Robert Arver), is
//! attached to the person, with no conflicting strong evidence (guards refuse as for weak evidence) and no
//! conflicting name in its own cluster.
//!
//! Invariant: two directory people with the name, or none, attach nothing — unless the account
//! writes a longer name ("Marc-André Hoffmann") exactly as only one of them does and none of them
//! writes it with an initial; a name never joins two clusters that both hold directory identities
//! (one of them is then attached already).

use super::cluster::GuardKind;
use super::evidence::names_conflict;
use super::interner::FastMap;
use super::names::NameInfo;
use super::{IdentityIx, Resolver, Why};

/// What attached an account to the only directory person with its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OnlyNamed {
    /// The directory identity that carries the name.
    pub directory: IdentityIx,
    /// The attached identity's name was read from its login (`jamestitus`), not its display name.
    pub from_login: bool,
    /// The attached cluster knows the person by a former family name (the login is the new
    /// name's).
    pub renamed: bool,
}

impl OnlyNamed {
    /// The words of the link.
    pub(super) fn words(self, identities: &[crate::model::Identity]) -> String {
        let person = &identities[self.directory.get()];
        let name = person.name.as_deref().unwrap_or("");
        let how = match (self.from_login, self.renamed) {
            (true, true) => " (its login; its name, with the same first name, a former one)",
            (true, false) => " (its login)",
            _ => "",
        };
        format!(
            "only directory person named \"{name}\"{how}: {}:{}",
            person.source, person.id
        )
    }
}

/// The merge confidence of an attachment by an unambiguous name.
pub(super) const ONLY_NAMED_CONFIDENCE: f64 = 0.95;

/// The one directory person (cluster root, a carrier) a name or handle belongs to, or `None` when
/// two or more carry it.
type Carriers<K> = FastMap<K, Option<(u32, IdentityIx)>>;

/// Note that directory identity `carrier` of cluster `root` carries `key`.
fn carry<K: std::hash::Hash + Eq>(map: &mut Carriers<K>, key: K, root: u32, carrier: IdentityIx) {
    map.entry(key)
        .and_modify(|c| {
            if c.is_some_and(|(r, _)| r != root) {
                *c = None;
            }
        })
        .or_insert(Some((root, carrier)));
}

/// What the directory's people carry: the clusters holding a directory identity, each name key,
/// and each handle of two parts made of a person name (`lyamamoto`).
struct Directory {
    known: Vec<bool>,
    names: Carriers<u32>,
    /// Keyed by [`handle_key`] of [`written_in_full`]: the names of more than two words as
    /// written ("Marc-André Hoffmann"), which tell apart two people one name key holds ("Marc
    /// Hoffmann").
    written: Carriers<u64>,
    /// The name keys some directory person carries with an initial among the words ("John P.
    /// Smith"): who writes the longer name in full may be them too.
    initialled: std::collections::HashSet<u32>,
    /// Keyed by [`handle_key`]: a hundred thousand directory people carry a million handles.
    handles: Carriers<u64>,
}

impl Resolver<'_> {
    /// A name unambiguous in its population attaches accounts (SPEC §3.3): see the module.
    pub(super) fn a_name_unambiguous_in_its_population_attaches_accounts(&mut self) {
        let identities = self.identities;
        if !identities.iter().any(|i| i.directory) {
            return;
        }
        let n = identities.len();
        let clusters = &mut self.forest.clusters;
        let roots: Vec<u32> = (0..n).map(|i| clusters.find(i) as u32).collect();
        let directory = self.directory_people(&roots);
        let mut attach: Vec<(usize, OnlyNamed)> = Vec::new();
        for i in (0..n).filter(|&i| !directory.known[roots[i] as usize]) {
            let by_name = self.name_key_of(i).and_then(|(key, from_login)| {
                let carrier = (*directory.names.get(&key)?)
                    .or_else(|| self.only_one_writes_it(i, (key, from_login), &directory));
                Some((carrier, from_login))
            });
            let carrier = by_name.or_else(|| {
                let name = &self.prepared[i].name;
                self.name_made_logins_of(i)
                    .into_iter()
                    .find_map(|(letters, whole)| {
                        let c = (*directory.handles.get(&handle_key(&letters))?)?;
                        let person = &self.prepared[c.1.get()].name;
                        // Part of a login (`eakinyemi` of `eakinyemi-arbor`), or the login of an
                        // account whose person name no directory carries (renamed: logins outlive
                        // family names), names the person only when it spells their family name,
                        // and for a person name only when the first names agree.
                        let spelled = spells_last(&letters, person);
                        let fits = if name.is_person() {
                            spelled && same_first(name, person)
                        } else {
                            whole || spelled
                        };
                        fits.then_some(Some(c))
                    })
                    .map(|c| (c, true))
            });
            if let Some((Some((_, carrier)), from_login)) = carrier {
                let only = OnlyNamed {
                    directory: carrier,
                    from_login,
                    renamed: false,
                };
                attach.push((i, only));
            }
        }
        self.attach_each(attach, &roots);
    }

    /// The directory's people, by the names and name-made handles they carry. Only the handles
    /// some login outside the directory's groups could be are kept: the others are never asked
    /// for, and a hundred thousand directory people carry a million.
    fn directory_people(&self, roots: &[u32]) -> Directory {
        let mut directory = Directory {
            known: vec![false; roots.len()],
            names: FastMap::default(),
            written: FastMap::default(),
            initialled: std::collections::HashSet::new(),
            handles: FastMap::default(),
        };
        for (i, identity) in self.identities.iter().enumerate() {
            if identity.directory {
                directory.known[roots[i] as usize] = true;
            }
        }
        let wanted: std::collections::HashSet<
            u64,
            std::hash::BuildHasherDefault<super::interner::FxHasher>,
        > = (0..roots.len())
            .filter(|&i| !directory.known[roots[i] as usize])
            .flat_map(|i| self.name_made_logins_of(i))
            .map(|(letters, _)| handle_key(&letters))
            .collect();
        for (i, identity) in self.identities.iter().enumerate() {
            if !identity.directory {
                continue;
            }
            let (root, carrier) = (roots[i], IdentityIx::new(i));
            let p = &self.prepared[i];
            if let Some(k) = p.name_key {
                carry(&mut directory.names, k, root, carrier);
                if p.name.tokens.iter().any(|t| t.chars().count() == 1) {
                    directory.initialled.insert(k);
                }
            }
            if let Some(w) = written_in_full(&p.name) {
                carry(&mut directory.written, handle_key(&w), root, carrier);
            }
            if p.name.is_person() {
                let nicknamed = super::names::nickname_made_handles(&p.name);
                // Every word of a longer name, run together (`chakpongshubin` for Chak-Pong Shubin).
                let whole = (p.name.tokens.len() > 2).then(|| p.name.compact());
                for h in super::names::name_made_handles(&p.name)
                    .into_iter()
                    .chain(nicknamed)
                    .chain(whole)
                {
                    let key = handle_key(&h);
                    if wanted.contains(&key) {
                        carry(&mut directory.handles, key, root, carrier);
                    }
                }
            }
        }
        directory
    }

    /// When two directory people hold an account's name key, the one of them who writes its display
    /// name of more than two words exactly so: "Marc-André Hoffmann" is not Marc Hoffmann's name,
    /// though "Marc Hoffmann" could be Marc-André's. Not when one of them writes the name with an
    /// initial ("John P. Smith" may be "John Peter Smith").
    fn only_one_writes_it(
        &self,
        i: usize,
        (key, from_login): (u32, bool),
        directory: &Directory,
    ) -> Option<(u32, IdentityIx)> {
        if from_login || directory.initialled.contains(&key) {
            return None;
        }
        let written = written_in_full(&self.prepared[i].name)?;
        *directory.written.get(&handle_key(&written))?
    }

    /// The letters of an account's login, when they could be a handle of two parts made of a
    /// name (five letters or more: `lyamamoto`, never `jd`); also without a part set off by a
    /// dash or an underscore at either end (`eakinyemi-arbor`: the organisation's suffix).
    /// Each with whether it is the whole login.
    fn name_made_logins_of(&self, i: usize) -> Vec<(String, bool)> {
        let Some(login) = self.identities[i].login.as_deref() else {
            return Vec::new();
        };
        let mut forms = vec![(login, true)];
        let parts: Vec<&str> = login.split(['-', '_']).collect();
        if parts.len() >= 2 {
            forms.push((
                &login[..login.len() - parts[parts.len() - 1].len() - 1],
                false,
            ));
            forms.push((&login[parts[0].len() + 1..], false));
        }
        forms
            .into_iter()
            .map(|(form, whole)| (super::names::letters_of(form), whole))
            .filter(|(letters, _)| letters.len() >= 5)
            .collect()
    }

    /// The name key an identity is known by: its display name's, else its login's when the login
    /// is two name words of the data (`jamestitus`).
    fn name_key_of(&self, i: usize) -> Option<(u32, bool)> {
        let p = &self.prepared[i];
        if let Some(k) = p.name_key {
            return Some((k, false));
        }
        if !p.name.is_empty() {
            return None;
        }
        let login = self.identities[i].login.as_deref()?;
        let letters = super::names::letters_of(login);
        let key = self.stats.split_into_name_key(&letters)?;
        self.tables.name_keys.find(&key).map(|k| (k, true))
    }

    /// Attach each identity to its directory person, unless a guard refuses or a person name in
    /// its cluster conflicts with the directory person's.
    fn attach_each(&mut self, attach: Vec<(usize, OnlyNamed)>, roots: &[u32]) {
        let mut by_root: FastMap<u32, Vec<usize>> = attach
            .iter()
            .map(|&(a, _)| (roots[a], Vec::new()))
            .collect();
        for (i, r) in roots.iter().enumerate() {
            if let Some(members) = by_root.get_mut(r) {
                members.push(i);
            }
        }
        for (i, mut only) in attach {
            let person = &self.prepared[only.directory.get()].name;
            let cluster = by_root.get(&roots[i]).map_or(&[][..], Vec::as_slice);
            let conflicting = |m: &usize| {
                let name = &self.prepared[*m].name;
                name.is_person() && names_conflict(name, person)
            };
            // A login made of the person's name also attaches a cluster that knows them by
            // another family name with the same first name: renamed, the login stayed. Their
            // former address may be at the organisation's domain, which the directory no longer
            // lists: that guard does not refuse them.
            let mut conflicts = cluster.iter().filter(|m| conflicting(m)).peekable();
            if conflicts.peek().is_none() {
                let d = only.directory.get();
                self.forest.join_guarded(d, i, Why::OnlyNamed(only));
                continue;
            }
            let login = self.identities[i]
                .login
                .as_deref()
                .map(super::names::letters_of)
                .unwrap_or_default();
            // The login spells the person's family name, and not the group's own one too
            // (`asilva-costa` is Ana Costa's as much as Ana Silva's).
            if only.from_login
                && spells_last(&login, person)
                && conflicts.all(|&m| {
                    let name = &self.prepared[m].name;
                    same_first(name, person) && !spells_last(&login, name)
                })
            {
                only.renamed = true;
                let org_email = |k: GuardKind| matches!(k, GuardKind::OrgEmail(_));
                let d = only.directory.get();
                self.forest
                    .join_guarded_except(d, i, Why::OnlyNamed(only), org_email);
            }
        }
    }
}

/// A person name of more than two words as written, its words of two letters or more in reading
/// order ("marc andre hoffmann"); `None` for a name of two.
fn written_in_full(name: &NameInfo) -> Option<String> {
    if !name.is_person() {
        return None;
    }
    let words: Vec<&str> = name
        .tokens
        .iter()
        .filter(|t| t.chars().count() > 1)
        .collect();
    (words.len() > 2).then(|| words.join(" "))
}

/// A handle as a 64-bit SipHash: the directory's handles are many, and two that differ collide
/// about once in 2^64.
fn handle_key(handle: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    handle.hash(&mut h);
    h.finish()
}

/// Whether a handle spells the name's family name, three letters or more (`eakinyemi` does
/// Akinyemi's; `peter`, Pete R.'s first name and initial, does not).
fn spells_last(letters: &str, name: &NameInfo) -> bool {
    name.full
        .last()
        .is_some_and(|last| last.chars().count() >= 3 && letters.contains(last))
}

/// Whether two names have the same first word (nicknames mapped): one person's, renamed.
fn same_first(a: &NameInfo, b: &NameInfo) -> bool {
    a.full.first().is_some_and(|f| b.full.first() == Some(f))
}

#[cfg(test)]
mod tests {
    use crate::model::AccountStatus;
    use crate::resolve::test_support::*;

    fn okta(n: &str, name: &str, email: &str) -> Identity {
        let mut person = id(n, name, &[email]);
        person.source = "okta".into();
        person.directory = true;
        person
    }

    /// A tool account with a display name only (Jira with a hidden email, GitHub without one).
    fn account(n: &str, source: &str, name: &str) -> Identity {
        let mut account = id(n, name, &[]);
        account.source = source.into();
        account
    }

    #[test]
    fn a_name_unambiguous_in_the_directory_attaches_accounts() {
        // Nicknames, "Last, First" and capitals are the same name.
        // Addresses unrelated to the names: weak evidence alone would not attach anything.
        let ids = [
            okta("00u1", "Robert Brown", "e1001@corp.example"),
            okta("00u2", "Priya Raman", "e1002@corp.example"),
            account("jira-1", "jira", "Brown, Bob"),
            account("gh-1", "github", "ROBERT BROWN"),
            account("jira-2", "jira", "Priya Raman"),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 2), "{:?}", res.merges);
        assert!(together(&res, 0, 3), "{:?}", res.merges);
        assert!(together(&res, 1, 4), "{:?}", res.merges);
        assert!(!together(&res, 0, 1));
        assert!(cites(
            &res.merges,
            "only directory person named \"Robert Brown\": okta:00u1"
        ));
    }

    #[test]
    fn a_departed_directory_person_carries_the_name_too() {
        let mut left = okta("00u1", "Robert Brown", "robert.brown@corp.example");
        left.status = AccountStatus::Departed;
        let ids = [left, account("jira-1", "jira", "Robert Brown")];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1), "{:?}", res.merges);
    }

    #[test]
    fn two_directory_people_with_the_name_attach_nothing() {
        let mut left = okta("00u2", "Bob Brown", "bbrown@corp.example");
        left.status = AccountStatus::Departed;
        let ids = [
            okta("00u1", "Robert Brown", "robert.brown@corp.example"),
            left,
            account("jira-1", "jira", "Robert Brown"),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(
            !together(&res, 0, 2) && !together(&res, 1, 2),
            "{:?}",
            res.merges
        );
        assert!(!together(&res, 0, 1));
    }

    #[test]
    fn a_longer_name_as_written_tells_two_directory_people_of_one_name_apart() {
        // "Marc-André Hoffmann" and "Marc Hoffmann" are one name key: the row written in full is
        // the only one's who writes it so; the short form could be either's.
        let ids = [
            okta("00u1", "Marc-André Hoffmann", "marcandreh@corp.example"),
            okta("00u2", "Marc Hoffmann", "march2@corp.example"),
            account("gl-1", "gitlab", "Marc-André Hoffmann"),
            account("jira-1", "jira", "Marc Hoffmann"),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 2), "{:?}", res.merges);
        assert!(!together(&res, 1, 2));
        assert!(
            !together(&res, 0, 3) && !together(&res, 1, 3),
            "{:?}",
            res.merges
        );
        // Neither of two directory people: one of them written with an initial ("John P. Smith"
        // may be "John Peter Smith"), or both writing the longer name.
        let neither = |ids: &[Identity]| {
            let res = resolve(ids, &ResolveOptions::default());
            assert!(
                !together(&res, 0, 2) && !together(&res, 1, 2),
                "{:?}",
                res.merges
            );
        };
        neither(&[
            okta("00u1", "John Peter Smith", "jpsmith@corp.example"),
            okta("00u2", "John P. Smith", "jsmith7@corp.example"),
            account("gl-1", "gitlab", "John Peter Smith"),
        ]);
        neither(&[
            okta("00u1", "Marc-André Hoffmann", "marcandreh@corp.example"),
            okta("00u2", "Marc André Hoffmann", "mahoffmann@corp.example"),
            account("gl-1", "gitlab", "Marc-André Hoffmann"),
        ]);
    }

    #[test]
    fn a_name_alone_never_merges_two_rows_the_directory_knows_apart() {
        // Each row is its own directory person's (by address); that the contractor record and
        // the employee share a name joins nothing.
        let mut agency = okta("c-7", "Robert Brown", "rbrown@agency.example");
        agency.source = "contractors".into();
        let row = |n: &str, email: &str| {
            let mut row = id(n, "Robert Brown", &[email]);
            row.source = crate::model::TABLE_SOURCE.into();
            row
        };
        let ids = [
            okta("00u1", "Robert Brown", "robert.brown@corp.example"),
            agency,
            row("r1", "robert.brown@corp.example"),
            row("r2", "rbrown@agency.example"),
            account("jira-1", "jira", "Robert Brown"),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 2, 3), "{:?}", res.merges);
        assert!(!together(&res, 0, 4) && !together(&res, 1, 4));
    }

    #[test]
    fn an_address_at_another_organisation_domain_is_no_conflict() {
        // The directory knows both domains (the parent's and an acquired company's): one
        // address at each is one person's, not two work emails of two people.
        let mut other = okta("00u2", "Priya Raman", "e1002@corp.example");
        other.emails.push("priya@acquired.example".into());
        let mut gitlab = id("gl-5", "Vasil Villejo", &["vasil.villejo@acquired.example"]);
        gitlab.source = "gitlab".into();
        let ids = [
            okta("00u1", "Vasil Villejo", "e1001@corp.example"),
            other,
            gitlab,
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 2), "{:?}", res.merges);
    }

    #[test]
    fn a_login_made_of_one_directory_persons_name_attaches_the_account() {
        let login = |n: &str, l: &str| {
            let mut account = id(n, "", &[]);
            account.name = None;
            account.source = "github".into();
            account.login = Some(l.into());
            account
        };
        let ids = [
            okta("00u1", "Lisa Yamamoto", "e1001@corp.example"),
            okta("00u2", "Jane Smith", "e1002@corp.example"),
            okta("00u3", "John Smith", "e1003@corp.example"),
            login("gh-1", "lyamamoto"),
            login("gh-2", "jsmith"),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 3), "{:?}", res.merges);
        assert!(cites(&res.merges, "(its login)"));
        // `jsmith` is both Smiths' handle: nobody's.
        assert!(
            !together(&res, 1, 4) && !together(&res, 2, 4),
            "{:?}",
            res.merges
        );
    }

    #[test]
    fn a_login_made_of_a_nickname_or_every_word_of_the_name_attaches_the_account() {
        // Robert Arver is Rob at GitHub (`robarver`, display name "Rob"); `bobsmith` would be
        // either Robert Smith's or Bob Smith's: nobody's.
        let login = |n: &str, l: &str, name: &str| {
            let mut account = id(n, name, &[]);
            account.source = "github".into();
            account.login = Some(l.into());
            account
        };
        let ids = [
            okta("00u1", "Robert Arver", "e1001@corp.example"),
            okta("00u2", "Robert Smith", "e1002@corp.example"),
            okta("00u3", "Bob Smith", "e1003@corp.example"),
            login("gh-1", "robarver", "Rob"),
            login("gh-2", "bobsmith", ""),
            // Every word of a hyphenated first name, run together.
            okta("00u4", "Chak-Pong Shubin", "e1004@corp.example"),
            login("gh-3", "chakpongshubin", ""),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 3), "{:?}", res.merges);
        assert!(together(&res, 5, 6), "{:?}", res.merges);
        assert!(
            !together(&res, 1, 4) && !together(&res, 2, 4),
            "{:?}",
            res.merges
        );
    }

    #[test]
    fn a_login_made_of_a_directory_persons_name_attaches_them_under_their_former_name() {
        // Chris Aalto became Chris Shrivastava; the GitHub login (`cshrivastava`) is the new
        // name's, the display name and the row (the same address) still the old one. Emir Mayer
        // became Emir Akinyemi, at GitHub `eakinyemi-arbor` (the organisation's suffix).
        let github = |n: &str, name: &str, login: &str, email: &str| Identity {
            source: "github".into(),
            login: Some(login.into()),
            ..id(n, name, &[email])
        };
        let row = |n: &str, name: &str, email: &str| Identity {
            source: "table".into(),
            ..id(n, name, &[email])
        };
        let ids = [
            okta(
                "00u1",
                "Chris Shrivastava",
                "chris_shrivastava@corp.example",
            ),
            okta("00u2", "Emir Akinyemi", "emir.akinyemi@corp.example"),
            okta("00u3", "Dana Aalto", "dana_aalto@corp.example"),
            github(
                "gh-1",
                "Chris Aalto",
                "cshrivastava",
                "chris_aalto@corp.example",
            ),
            row("r1", "Chris Aalto", "chris_aalto@corp.example"),
            github("gh-2", "Emir", "eakinyemi-arbor", "emir.mayer@corp.example"),
            row("r2", "Emir Mayer", "emir.mayer@corp.example"),
            // Another first name: a namesake's login, not a renamed person's.
            github(
                "gh-3",
                "Maria Aalto",
                "cshrivastava2",
                "maria@elsewhere.example",
            ),
            // `peter` (of `peter_yi`) is Pete Raison's first name and initial, not his name.
            okta("00u4", "Pete Raison", "praison@corp.example"),
            github("gl-1", "Peter Yi", "peter_yi", "peter.yi@acquired.example"),
            // `asilva-costa` spells Ana Costa's own family name too: no sign of a rename.
            okta("00u5", "Ana Silva", "ana.silva@corp.example"),
            github(
                "gh-4",
                "Ana Costa",
                "asilva-costa",
                "ana.costa@corp.example",
            ),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(
            together(&res, 0, 3) && together(&res, 0, 4),
            "{:?}",
            res.merges
        );
        assert!(
            together(&res, 1, 5) && together(&res, 1, 6),
            "{:?}",
            res.merges
        );
        assert!(!together(&res, 0, 7), "{:?}", res.merges);
        assert!(!together(&res, 8, 9), "{:?}", res.merges);
        assert!(!together(&res, 10, 11), "{:?}", res.merges);
    }

    #[test]
    fn conflicting_strong_evidence_keeps_an_account_unattached() {
        let mut person = okta("00u1", "Robert Brown", "robert.brown@corp.example");
        person.employee_id = Some("E100".into());
        let mut other = account("jira-1", "jira", "Robert Brown");
        other.employee_id = Some("E200".into());
        let ids = [person, other];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1), "{:?}", res.merges);
    }

    #[test]
    fn an_account_with_only_a_login_of_the_name_is_attached() {
        let mut login_only = id("gh-9", "", &[]);
        login_only.name = None;
        login_only.source = "github".into();
        login_only.login = Some("kelda-varkonyi".into());
        let ids = [
            okta("00u1", "Kelda Varkonyi", "kelda.varkonyi@corp.example"),
            login_only,
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1), "{:?}", res.merges);
        assert!(cites(&res.merges, "(its login)"));
    }
}
