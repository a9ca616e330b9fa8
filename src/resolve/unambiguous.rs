//! Phase 7, unambiguous names (with a directory only): a name carried by exactly one directory
//! person — active or departed, nicknames counted, "Last, First" and case aside, as the name key
//! reads it — is that person's in the population that could hold it. An account (or a table row)
//! that no directory knows, whose display name or two-word login is that name (or, with no person
//! name, whose login is a two-part handle made of one directory person's name: `lyamamoto`), is
//! attached to the person, with no conflicting strong evidence (guards refuse as for weak evidence) and no
//! conflicting name in its own cluster.
//!
//! Invariant: two directory people with the name, or none, attach nothing; a name never joins two
//! clusters that both hold directory identities (one of them is then attached already).

use super::evidence::names_conflict;
use super::interner::FastMap;
use super::{IdentityIx, Resolver, Why};

/// What attached an account to the only directory person with its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OnlyNamed {
    /// The directory identity that carries the name.
    pub directory: IdentityIx,
    /// The attached identity's name was read from its login (`jamestitus`), not its display name.
    pub from_login: bool,
}

impl OnlyNamed {
    /// The words of the link.
    pub(super) fn words(self, identities: &[crate::model::Identity]) -> String {
        let person = &identities[self.directory.get()];
        let name = person.name.as_deref().unwrap_or("");
        let how = if self.from_login { " (its login)" } else { "" };
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
    handles: Carriers<String>,
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
            let carrier = match self.name_key_of(i) {
                Some((key, from_login)) => directory.names.get(&key).map(|c| (*c, from_login)),
                None => self
                    .name_made_login_of(i)
                    .and_then(|h| directory.handles.get(&h))
                    .map(|c| (*c, true)),
            };
            if let Some((Some((_, carrier)), from_login)) = carrier {
                let only = OnlyNamed {
                    directory: carrier,
                    from_login,
                };
                attach.push((i, only));
            }
        }
        self.attach_each(attach, &roots);
    }

    /// The directory's people, by the names and name-made handles they carry.
    fn directory_people(&self, roots: &[u32]) -> Directory {
        let mut directory = Directory {
            known: vec![false; roots.len()],
            names: FastMap::default(),
            handles: FastMap::default(),
        };
        for (i, identity) in self.identities.iter().enumerate() {
            if !identity.directory {
                continue;
            }
            let (root, carrier) = (roots[i], IdentityIx::new(i));
            directory.known[root as usize] = true;
            let p = &self.prepared[i];
            if let Some(k) = p.name_key {
                carry(&mut directory.names, k, root, carrier);
            }
            if p.name.is_person() {
                for h in super::names::name_made_handles(&p.name) {
                    carry(&mut directory.handles, h, root, carrier);
                }
            }
        }
        directory
    }

    /// The letters of the login of an account with no person name, when they could be a handle
    /// of two parts made of a name (five letters or more: `lyamamoto`, never `jd`).
    fn name_made_login_of(&self, i: usize) -> Option<String> {
        if self.prepared[i].name.is_person() {
            return None;
        }
        let login = self.identities[i].login.as_deref()?;
        let letters = super::names::letters_of(login);
        (letters.len() >= 5).then_some(letters)
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
        for (i, only) in attach {
            let person = &self.prepared[only.directory.get()].name;
            let cluster = by_root.get(&roots[i]).map_or(&[][..], Vec::as_slice);
            let conflict = cluster.iter().any(|&m| {
                let name = &self.prepared[m].name;
                name.is_person() && names_conflict(name, person)
            });
            if !conflict {
                self.forest
                    .join_guarded(only.directory.get(), i, Why::OnlyNamed(only));
            }
        }
    }
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
