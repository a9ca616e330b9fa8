//! Phase 2, strong evidence: which strong keys an identity holds, and the merges they make — the
//! same normalised email (except through a shared mailbox), a GitHub login with the account that
//! owns it, a GitHub account id, a link from a profile or a table row, the same employee id — with
//! the words each merge is explained by. A new kind of strong key is added here.
//!
//! Invariant: a login read from noreply addresses alone is not unique enough to merge on (two
//! `jsmith`s): it joins only the account that owns it, or, in its old id-less form, holders whose
//! names agree. Only a split override refuses a strong merge; guards do not.

use super::evidence::{Prepared, names_conflict};
use super::interner::Interner;
use super::names::{self, NameInfo};
use super::normalize::{self, EmailKey, email_key, is_generic_local, nfkc_lower};
use super::{IdentityIx, Resolver, Why};
use crate::model::Identity;

/// An email key held by more distinct names than this is a shared mailbox: it links only holders
/// whose names agree. Two names are common for one person (a maiden name, a transliteration).
const SHARED_MAILBOX_NAMES: usize = 3;

const GITHUB_LOGIN_PREFIX: &str = "github:";
const GITHUB_ACCOUNT_PREFIX: &str = "github-id:";

/// Which raw value of an identity gave a strong key. The order matters: when one identity holds a
/// key twice (a noreply address and its own login), [`keys_of`] keeps the first, so an address
/// wins over the name, and both over the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Origin {
    /// `identity.emails[k]`; a `u16`, so that a holder stays 12 bytes (a million identities hold
    /// more than a million keys). An index past `u16::MAX` reads as the last.
    Email(u16),
    /// An address typed as the display name or spelled out in it.
    Name,
    /// The account's own `login` field.
    Login,
}

impl Origin {
    fn email(k: usize) -> Origin {
        Origin::Email(u16::try_from(k).unwrap_or(u16::MAX))
    }
}

/// One holder of a strong key (an interned email key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Holder {
    pub key: u32,
    pub i: IdentityIx,
    pub from: Origin,
}

impl Holder {
    /// The raw value that gave the key, as written.
    fn raw<'a>(&self, identities: &'a [Identity]) -> &'a str {
        let identity = &identities[self.i.get()];
        match self.from {
            Origin::Login => identity.login.as_deref().unwrap_or(""),
            Origin::Name => identity.name.as_deref().unwrap_or(""),
            Origin::Email(k) => identity.emails.get(usize::from(k)).map_or("", |e| e.trim()),
        }
    }
}

/// The strong keys of one identity, and what its parsing needs besides.
pub(super) struct StrongKeys<'a> {
    /// Sorted, one per key (the first origin kept).
    pub keys: Vec<(EmailKey, Origin)>,
    /// The login, normalised, unless empty or generic.
    pub login: Option<String>,
    /// The addresses that give no key (generic, placeholder or no address at all).
    pub unusable: Vec<&'a str>,
}

/// The strong keys of one identity: its addresses (a GitHub noreply address gives its login and,
/// in the `NNN+login` form, its account id), an address in its display name when it has no usable
/// one, and its login.
pub(super) fn keys_of(identity: &Identity) -> StrongKeys<'_> {
    let mut keys: Vec<(EmailKey, Origin)> = Vec::with_capacity(identity.emails.len() + 1);
    let mut unusable: Vec<&str> = Vec::new();
    for (k, e) in identity.emails.iter().enumerate() {
        let from = Origin::email(k);
        match email_key(e) {
            Some(key @ EmailKey::GithubLogin(_)) => {
                if let Some(account) = normalize::github_account(e) {
                    keys.push((account, from));
                }
                keys.push((key, from));
            }
            Some(key) => keys.push((key, from)),
            None => unusable.push(e),
        }
    }
    if keys.is_empty()
        && let Some(raw) = identity.name.as_deref()
        && let Some(address) = normalize::address_in_name(raw)
        && let Some(key @ EmailKey::Address { .. }) = email_key(&address)
    {
        // An address typed as the name or spelled out in it, on a record whose own email is
        // unusable.
        keys.push((key, Origin::Name));
    }
    let login = identity
        .login
        .as_deref()
        .map(nfkc_lower)
        .filter(|l| !l.is_empty() && !is_generic_local(l));
    if let Some(l) = &login {
        // A login matches the GitHub noreply address that carries it.
        keys.push((EmailKey::GithubLogin(l.clone()), Origin::Login));
    }
    keys.sort();
    keys.dedup_by(|x, y| x.0 == y.0);
    StrongKeys {
        keys,
        login,
        unusable,
    }
}

/// An identity's employee id, normalised.
pub(super) fn employee_id(identity: &Identity) -> Option<String> {
    let e = identity.employee_id.as_deref()?.trim();
    if e.is_empty() {
        None
    } else {
        Some(nfkc_lower(e))
    }
}

/// The login of an interned `github:login` key ([`EmailKey::as_key`]); an address always holds
/// an `@`, so the forms cannot be confused.
fn key_login(key: &str) -> Option<&str> {
    key.strip_prefix(GITHUB_LOGIN_PREFIX)
        .filter(|_| !key.contains('@'))
}

/// Why strong evidence linked two identities; key ids are of [`super::Tables::email_keys`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum StrongReason {
    /// A merge override.
    Override,
    /// The same normalised email.
    SameEmail(u32),
    /// The same email, held by several families of names: linked within one family only.
    SharedMailbox(u32),
    /// The same email, typed as the other identity's name.
    NameIsEmail(u32),
    /// Two accounts with the same GitHub `login` field.
    SameLogin(u32),
    /// A GitHub account's `login` field and a noreply address carrying it.
    NoreplyLogin(u32),
    /// An id-less noreply address and another address carrying its login, names agreeing.
    OldNoreply(u32),
    /// `identities[from].links[link]` names the other identity.
    Linked { from: IdentityIx, link: u32 },
    /// The same employee id (read from identity `of`).
    EmployeeId { of: IdentityIx },
}

impl StrongReason {
    /// The words of a strong link.
    pub(super) fn words(self, identities: &[Identity], email_keys: &Interner) -> String {
        use StrongReason::*;
        match self {
            Override => "merged by override".to_string(),
            SameEmail(k) | SharedMailbox(k) | NameIsEmail(k) | SameLogin(k) | NoreplyLogin(k)
            | OldNoreply(k) => self.key_words(email_keys.get(k)),
            Linked { from, link } => {
                let identity = &identities[from.get()];
                match identity.links.get(link as usize) {
                    Some(l) => format!(
                        "linked {}:{} from {}:{}",
                        l.source, l.value, identity.source, identity.id
                    ),
                    None => format!("linked from {}:{}", identity.source, identity.id),
                }
            }
            EmployeeId { of } => {
                let e = employee_id(&identities[of.get()]).unwrap_or_default();
                format!("same employee id {e}")
            }
        }
    }

    /// The words of a link through the strong key `e`.
    fn key_words(self, e: &str) -> String {
        if e.is_empty() {
            return "same email".to_string();
        }
        match (self, key_login(e), e.strip_prefix(GITHUB_ACCOUNT_PREFIX)) {
            (StrongReason::OldNoreply(_), Some(l), _) => {
                format!("same GitHub login {l} (an id-less noreply address), same name")
            }
            (StrongReason::NoreplyLogin(_), Some(l), _) => {
                format!("same GitHub login {l} (from a noreply address)")
            }
            (_, Some(l), _) => format!("same GitHub login {l}"),
            (_, None, Some(id)) => format!("same GitHub account {id} (from noreply addresses)"),
            (StrongReason::SharedMailbox(_), ..) => {
                format!("same email {e} (shared mailbox, same name)")
            }
            (StrongReason::NameIsEmail(_), ..) => format!("same email {e} (typed as the name)"),
            _ => format!("same email {e}"),
        }
    }
}

impl Resolver<'_> {
    /// Merge on every strong key, then on links and employee ids.
    pub(super) fn merge_strong(&mut self, holders: Vec<Holder>) {
        let across_tools = self.merge_key_holders(holders);
        self.merge_links();
        self.merge_employee_ids();
        self.homonyms_are_not_joined_through_a_login(across_tools);
    }

    /// The holders of each email or login key, merged by the rules of its kind; the same login in
    /// two tools is returned, to be weighed once every other strong key has joined what it joins.
    fn merge_key_holders(&mut self, mut holders: Vec<Holder>) -> Vec<SameLoginAcrossTools> {
        holders.sort_unstable();
        let mut across_tools = Vec::new();
        for group in holders.chunk_by(|x, y| x.key == y.key) {
            if group.len() < 2 {
                continue;
            }
            let key = group[0].key;
            let Some(login) = key_login(self.tables.email_keys.get(key)) else {
                self.merge_email_holders(group, key);
                continue;
            };
            match group.iter().find(|h| h.from == Origin::Login) {
                // The account that owns the login absorbs every noreply address carrying it.
                Some(owner) => {
                    across_tools.extend(self.merge_login_holders(group, *owner, key));
                }
                None => {
                    let login_letters = names::letters_of(login);
                    self.merge_old_noreply_holders(group, key, &login_letters);
                }
            }
        }
        across_tools
    }

    /// Holders of a login that an account owns (its `login` field) join the owner. Logins live in
    /// each tool's own namespace: `jsmith` on GitHub and `jsmith` on GitLab may be two people, so
    /// an account of another tool with the same login is returned, not joined (see
    /// [`Resolver::homonyms_are_not_joined_through_a_login`]).
    fn merge_login_holders(
        &mut self,
        group: &[Holder],
        owner: Holder,
        key: u32,
    ) -> Vec<SameLoginAcrossTools> {
        let identities = self.identities;
        let mut across_tools = Vec::new();
        for h in group.iter().filter(|h| h.i != owner.i) {
            let login_field = h.from == Origin::Login;
            if login_field && identities[h.i.get()].source != identities[owner.i.get()].source {
                across_tools.push(SameLoginAcrossTools {
                    a: owner.i,
                    b: h.i,
                    key,
                });
                continue;
            }
            let reason = if login_field {
                StrongReason::SameLogin(key)
            } else {
                StrongReason::NoreplyLogin(key)
            };
            self.forest.join_strong(owner.i.get(), h.i.get(), reason);
        }
        across_tools
    }

    /// The same login in two tools (GitHub and GitLab, separate namespaces) is a name-shaped
    /// coincidence until other evidence agrees: it joins the two accounts only when their names
    /// agree, no two directory people carry that name (homonyms pick the same logins), the login
    /// is not a handle made of the name (`lyamamoto` is what any Lisa Yamamoto picks: left to
    /// weak evidence), and the join would not put two people a directory knows apart (two
    /// accounts of one directory source, two employee ids, two work emails) into one cluster. Run
    /// after every other strong key, so that both sides' directory people are known.
    fn homonyms_are_not_joined_through_a_login(&mut self, across_tools: Vec<SameLoginAcrossTools>) {
        if across_tools.is_empty() {
            return;
        }
        let identities = self.identities;
        let homonyms = self.directory_homonym_names();
        for SameLoginAcrossTools { a, b, key } in across_tools {
            let homonym = |i: IdentityIx| {
                self.prepared[i.get()]
                    .name_key
                    .is_some_and(|k| homonyms.binary_search(&k).is_ok())
            };
            if !self.names_agree(a, b) || homonym(a) || homonym(b) {
                continue;
            }
            let login = identities[a.get()].login.as_deref().unwrap_or("");
            let letters = names::letters_of(login);
            let name_made = [a, b]
                .iter()
                .any(|i| names::is_name_made(&letters, &self.prepared[i.get()].name));
            if name_made {
                continue;
            }
            self.forest
                .join_guarded(a.get(), b.get(), Why::Strong(StrongReason::SameLogin(key)));
        }
    }

    /// The name keys that two or more directory people (clusters) carry, sorted.
    pub(super) fn directory_homonym_names(&mut self) -> Vec<u32> {
        let mut carriers: Vec<(u32, usize)> = Vec::new();
        for (i, identity) in self.identities.iter().enumerate() {
            if let (true, Some(k)) = (identity.directory, self.prepared[i].name_key) {
                carriers.push((k, self.forest.clusters.find(i)));
            }
        }
        carriers.sort_unstable();
        carriers.dedup();
        let mut homonyms: Vec<u32> = carriers
            .chunk_by(|x, y| x.0 == y.0)
            .filter(|people| people.len() > 1)
            .map(|people| people[0].0)
            .collect();
        homonyms.dedup();
        homonyms
    }

    /// Whether both identities have names, compatible and not in conflict.
    fn names_agree(&self, a: IdentityIx, b: IdentityIx) -> bool {
        let (a, b) = (&self.prepared[a.get()].name, &self.prepared[b.get()].name);
        !a.is_empty() && !b.is_empty() && a.compatible(b) && !names_conflict(a, b)
    }

    /// The old id-less form `login@users.noreply.github.com` is the account that held the login
    /// then: it joins holders whose names agree with its own, never a holder of a conflicting or
    /// unrelated name. A display name that is the login itself ("Normal Human" for `normalhuman`)
    /// is the account's own and agrees with the holder of the same id-less address (the id form may
    /// be a later owner), as long as the other holders are one family of names: it never bridges
    /// two people.
    fn merge_old_noreply_holders(&mut self, group: &[Holder], key: u32, login_letters: &str) {
        let identities = self.identities;
        let prepared = &self.prepared;
        let is_login_name = |n: &NameInfo| {
            let letters = names::letters_of(&n.compact());
            !letters.is_empty() && letters == login_letters
        };
        // The `NNN+login` form: an account that holds the login now, maybe a later owner.
        let id_form: Vec<bool> = group
            .iter()
            .map(|h| normalize::github_account(h.raw(identities)).is_some())
            .collect();
        let others: Vec<&NameInfo> = group
            .iter()
            .zip(&id_form)
            .filter(|&(_, &id_form)| !id_form)
            .map(|(h, _)| &prepared[h.i.get()].name)
            .filter(|n| !n.is_empty() && !is_login_name(n))
            .collect();
        let one_family = others.iter().enumerate().all(|(k, a)| {
            others[k + 1..]
                .iter()
                .all(|b| a.compatible(b) && !names_conflict(a, b))
        });
        for (h, _) in group.iter().zip(&id_form).filter(|&(_, &id_form)| !id_form) {
            let name = &prepared[h.i.get()].name;
            for (g, &g_id_form) in group.iter().zip(&id_form).filter(|(g, _)| g.i != h.i) {
                let other = &prepared[g.i.get()].name;
                let joins = !name.is_empty()
                    && !other.is_empty()
                    && (((is_login_name(name) || is_login_name(other))
                        && one_family
                        && !g_id_form)
                        || (name.compatible(other) && !names_conflict(name, other)));
                if joins {
                    self.forest
                        .join_strong(h.i.get(), g.i.get(), StrongReason::OldNoreply(key));
                }
            }
        }
    }

    /// Holders of one email address. They fall into families of compatible names; several
    /// families means a shared mailbox (a team address, or people the history itself tells
    /// apart). Each holder joins an earlier one: through a shared mailbox only within one family of
    /// names; across spellings of the address (`+tag`) only when the names do not conflict, and
    /// never from a numbered tag: `jsmith+git2@` is what a second J. Smith gets when `jsmith+git@`
    /// is taken, so it joins only its own exact spelling.
    fn merge_email_holders(&mut self, group: &[Holder], key: u32) {
        let identities = self.identities;
        let prepared = &self.prepared;
        let family_of = name_families(group, prepared);
        let shared = family_of.count >= SHARED_MAILBOX_NAMES;
        for (x, h) in group.iter().enumerate() {
            let target = group[..x].iter().enumerate().find(|&(y, g)| {
                let family = family_of.of[x];
                if shared && (family.is_none() || family_of.of[y] != family) {
                    return false;
                }
                let (rg, rh) = (g.raw(identities), h.raw(identities));
                rg.eq_ignore_ascii_case(rh)
                    || (!normalize::has_numbered_tag(rg)
                        && !normalize::has_numbered_tag(rh)
                        && !names_conflict(&prepared[g.i.get()].name, &prepared[h.i.get()].name))
            });
            if let Some((_, g)) = target {
                let reason = if g.from == Origin::Name || h.from == Origin::Name {
                    StrongReason::NameIsEmail(key)
                } else if shared {
                    StrongReason::SharedMailbox(key)
                } else {
                    StrongReason::SameEmail(key)
                };
                self.forest.join_strong(g.i.get(), h.i.get(), reason);
            }
        }
    }

    /// Links from profiles and stored table rows: (source, value) names an account elsewhere.
    /// Accounts are indexed by a hash of (source, normalised value), sorted: 16 bytes per value
    /// where a map of owned strings cost over a hundred. A hash match is confirmed on the text.
    fn merge_links(&mut self) {
        let identities = self.identities;
        if identities.iter().all(|i| i.links.is_empty()) {
            return;
        }
        let mut accounts: Vec<(u64, IdentityIx)> = Vec::with_capacity(identities.len() * 2);
        for (i, identity) in identities.iter().enumerate() {
            for v in account_values(identity) {
                accounts.push((account_hash(&identity.source, &v), IdentityIx::new(i)));
            }
        }
        accounts.sort_unstable();
        accounts.dedup();
        accounts.shrink_to_fit();
        for (i, identity) in identities.iter().enumerate() {
            for (k, link) in identity.links.iter().enumerate() {
                let value = nfkc_lower(&link.value);
                let hash = account_hash(&link.source, &value);
                let start = accounts.partition_point(|&(h, _)| h < hash);
                // Ascending identity index within one hash, as the targets were always visited.
                for &(_, t) in accounts[start..].iter().take_while(|&&(h, _)| h == hash) {
                    let target = &identities[t.get()];
                    if t.get() != i
                        && target.source == link.source
                        && account_values(target).contains(&value)
                    {
                        let reason = StrongReason::Linked {
                            from: IdentityIx::new(i),
                            link: k as u32,
                        };
                        self.forest.join_strong(i, t.get(), reason);
                    }
                }
            }
        }
    }

    /// The same employee id: one person.
    fn merge_employee_ids(&mut self) {
        let mut employees: Vec<(String, usize)> = self
            .identities
            .iter()
            .enumerate()
            .filter_map(|(i, identity)| employee_id(identity).map(|e| (e, i)))
            .collect();
        employees.sort();
        for group in employees.chunk_by(|x, y| x.0 == y.0) {
            for &(_, i) in &group[1..] {
                let reason = StrongReason::EmployeeId {
                    of: IdentityIx::new(i),
                };
                self.forest.join_strong(group[0].1, i, reason);
            }
        }
    }
}

/// Two accounts of different tools with the same `login` field (interned key `key`).
#[derive(Debug, Clone, Copy)]
pub(super) struct SameLoginAcrossTools {
    a: IdentityIx,
    b: IdentityIx,
    key: u32,
}

/// The families of compatible names among the holders of one key.
struct Families {
    /// Each holder's family (by position in the group); none for a holder without a name.
    of: Vec<Option<usize>>,
    /// How many families.
    count: usize,
}

/// Each holder joins the first family whose first member's name is compatible with its own.
fn name_families(group: &[Holder], prepared: &[Prepared]) -> Families {
    let mut of: Vec<Option<usize>> = Vec::with_capacity(group.len());
    let mut representatives: Vec<IdentityIx> = Vec::new();
    for h in group {
        let name = &prepared[h.i.get()].name;
        if name.is_empty() {
            of.push(None);
            continue;
        }
        let found = representatives
            .iter()
            .position(|r| prepared[r.get()].name.compatible(name));
        of.push(Some(found.unwrap_or_else(|| {
            representatives.push(h.i);
            representatives.len() - 1
        })));
    }
    Families {
        of,
        count: representatives.len(),
    }
}

/// The values that name an identity's account to a link: its id, login and emails, normalised.
fn account_values(identity: &Identity) -> Vec<String> {
    let mut values: Vec<String> = vec![nfkc_lower(&identity.id)];
    if let Some(l) = &identity.login {
        values.push(nfkc_lower(l));
    }
    values.extend(identity.emails.iter().map(|e| nfkc_lower(e)));
    values.sort();
    values.dedup();
    values
}

/// A fixed (unseeded) hash of an account's source and value, for the link index.
fn account_hash(source: &str, value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use crate::model::AccountStatus;
    use crate::resolve::test_support::*;

    #[test]
    fn login_named_noreply_holder_does_not_bridge_conflicting_names() {
        // "Normal Human" spells the id-less login `normalhuman`, but two conflicting names also
        // hold the address (an id-less login can pass to another account after a rename): the
        // login's own display name must not bridge them.
        let ids = [
            id(
                "1",
                "Leonid Kovalev",
                &["normalhuman@users.noreply.github.com"],
            ),
            id(
                "2",
                "Normal Human",
                &["normalhuman@users.noreply.github.com"],
            ),
            id("3", "Anna Berg", &["normalhuman@users.noreply.github.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 2), "{:?}", res.merges);
    }

    #[test]
    fn same_email_merges_across_case_and_plus_tag() {
        let ids = [
            id("1", "Jane Doe", &["Jane@Acme.example"]),
            id("2", "J D", &["jane+git@acme.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(res.merges[0].evidence[0].contains("same email jane@acme.example"));
    }

    #[test]
    fn secondary_email_merges() {
        let ids = [
            id("1", "A", &["a@acme.example", "old@home.example"]),
            id("2", "B", &["old@home.example"]),
        ];
        assert!(together(&resolve(&ids, &ResolveOptions::default()), 0, 1));
    }

    #[test]
    fn noreply_login_matches_login_field() {
        let mut gh = id("9", "octo", &[]);
        gh.login = Some("OctoCat".into());
        let ids = [
            id("1", "Mona", &["583231+octocat@users.noreply.github.com"]),
            gh,
        ];
        assert!(together(&resolve(&ids, &ResolveOptions::default()), 0, 1));
    }

    #[test]
    fn employee_id_merges() {
        let mut a = id("1", "Ann Lee", &["ann@acme.example"]);
        let mut b = id("2", "Ann Lee-Park", &["alp@other.example"]);
        a.employee_id = Some("E42".into());
        b.employee_id = Some("e42 ".into());
        assert!(together(
            &resolve(&[a, b], &ResolveOptions::default()),
            0,
            1
        ));
    }

    #[test]
    fn directory_link_merges() {
        let mut okta = id("00u1", "Ann Lee", &["ann@acme.example"]);
        okta.source = "okta".into();
        okta.directory = true;
        okta.links = vec![Link {
            source: "github".into(),
            value: "annlee".into(),
        }];
        let mut gh = id("583231", "zz", &[]);
        gh.source = "github".into();
        gh.login = Some("AnnLee".into());
        let res = resolve(&[okta, gh], &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(res.merges[0].evidence[0].starts_with("linked github:annlee"));
    }

    #[test]
    fn shared_mailbox_does_not_glue_different_names() {
        let ids = [
            id("1", "Alice Archer", &["team-x@acme.example"]),
            id("2", "Bob Brown", &["team-x@acme.example"]),
            id("3", "Carol Chen", &["team-x@acme.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1) && !together(&res, 1, 2) && !together(&res, 0, 2));
    }

    #[test]
    fn one_person_with_spelling_variants_on_one_email_still_merges() {
        let ids = [
            id("1", "Bjorn", &["bjodah@gmail.com"]),
            id("2", "Björn Dahlgren", &["bjodah@gmail.com"]),
            id("3", "Björn Ingvar Dahlgren", &["bjodah@gmail.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1) && together(&res, 1, 2));
    }

    #[test]
    fn noreply_login_shared_by_different_names_does_not_merge() {
        // Two people called Smith picked the same login; only the login joins them.
        let ids = [
            id("1", "John Smith", &["1111+jsmith@users.noreply.github.com"]),
            id("2", "Jane Smith", &["2222+jsmith@users.noreply.github.com"]),
            id("3", "jsmith", &["jsmith@gmail.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1));
        assert!(!together(&res, 0, 2) && !together(&res, 1, 2));
    }

    #[test]
    fn same_login_in_two_tools_with_conflicting_names_does_not_merge() {
        // GitHub and GitLab logins are separate namespaces: two people can both be `jsmith`.
        let mut github = id("1", "John Smith", &[]);
        github.source = "github".into();
        github.login = Some("jsmith".into());
        let mut gitlab = id("2", "Jane Smith", &[]);
        gitlab.source = "gitlab".into();
        gitlab.login = Some("jsmith".into());
        let res = resolve(&[github, gitlab], &ResolveOptions::default());
        assert!(!together(&res, 0, 1), "conflicting names stay apart");
    }

    #[test]
    fn same_chosen_login_in_two_tools_with_agreeing_names_merges() {
        let tool = |n: &str, source: &str, login: &str| {
            let mut account = id(n, "John Smith", &[]);
            account.source = source.into();
            account.login = Some(login.into());
            account
        };
        let ids = [
            tool("1", "github", "zorblax"),
            tool("2", "gitlab", "zorblax"),
            tool("3", "github", "jsmith"),
            tool("4", "gitlab", "jsmith"),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(
            together(&res, 0, 1),
            "a chosen login and agreeing names merge"
        );
        assert!(cites(&res.merges, "same GitHub login zorblax"));
        assert!(
            !cites(&res.merges, "same GitHub login jsmith"),
            "a login made of the name is what any John Smith picks: weak evidence at most"
        );
    }

    /// Two Okta people named Lisa Yamamoto, each with a GitHub or GitLab account and a table row;
    /// `b_status` is the second one's directory status.
    fn yamamoto_homonyms(login_a: &str, login_b: &str, b_status: AccountStatus) -> Vec<Identity> {
        let okta = |n: &str, email: &str, status: AccountStatus| {
            let mut person = id(n, "Lisa Yamamoto", &[email]);
            person.source = "okta".into();
            person.directory = true;
            person.status = status;
            person
        };
        let account = |n: &str, source: &str, login: &str, emails: &[&str]| {
            let mut account = id(n, "Lisa Yamamoto", emails);
            account.source = source.into();
            account.login = Some(login.into());
            account
        };
        let mut a = okta("00ua", "lisa.yamamoto@corp.example", AccountStatus::Active);
        a.links = vec![Link {
            source: "github".into(),
            value: login_a.into(),
        }];
        let b = okta("00ub", "lyamamoto@corp.example", b_status);
        let mut row_b = id("row-b", "Lisa Yamamoto", &["lisa@acquired.example"]);
        row_b.source = crate::model::TABLE_SOURCE.into();
        vec![
            a,
            b,
            account("583", "github", login_a, &[]),
            account("77", "gitlab", login_b, &["lisa@acquired.example"]),
            row_b,
        ]
    }

    #[test]
    fn homonyms_are_not_joined_through_a_shared_login() {
        // Two directory people carry the name: the same login in two tools, name-made
        // (`lyamamoto`) or chosen (`lyam-dev`), is a coincidence between them, not evidence.
        for login in ["lyamamoto", "lyam-dev"] {
            let ids = yamamoto_homonyms(login, login, AccountStatus::Active);
            let res = resolve(&ids, &ResolveOptions::default());
            assert!(
                together(&res, 0, 2),
                "{login}: the link attaches GitHub to A"
            );
            assert!(!together(&res, 0, 1), "{login}: {:?}", res.merges);
            assert!(!together(&res, 2, 3), "{login}: {:?}", res.merges);
            assert!(!together(&res, 0, 4), "{login}: B's row is not A's");
        }
    }

    #[test]
    fn homonyms_are_not_joined_through_a_shared_login_when_one_has_left() {
        for login in ["lyamamoto", "lyam-dev"] {
            let ids = yamamoto_homonyms(login, login, AccountStatus::Departed);
            let res = resolve(&ids, &ResolveOptions::default());
            assert!(!together(&res, 0, 1), "{login}: {:?}", res.merges);
            assert!(
                !together(&res, 0, 4),
                "{login}: the leaver's row is not A's"
            );
            assert!(!together(&res, 2, 3), "{login}: {:?}", res.merges);
        }
    }

    #[test]
    fn noreply_login_with_login_field_merges_and_says_so() {
        let mut gh = id("9", "Carlos M", &[]);
        gh.login = Some("carlosm".into());
        let ids = [
            id(
                "1",
                "Carlos Mendez",
                &["42+carlosm@users.noreply.github.com"],
            ),
            gh,
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert_eq!(
            res.merges[0].evidence,
            vec!["same GitHub login carlosm (from a noreply address)".to_string()]
        );
    }

    #[test]
    fn same_github_account_id_merges_across_renamed_logins() {
        let ids = [
            id(
                "1",
                "Timo S",
                &["97806294+TJStienstra@users.noreply.github.com"],
            ),
            id(
                "2",
                "Timo S",
                &["97806294+tjs-renamed@users.noreply.github.com"],
            ),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(res.merges[0].evidence[0].starts_with("same GitHub account 97806294"));
    }

    #[test]
    fn numbered_tag_spelling_is_not_the_same_email() {
        // (a, b, joined by the same email?)
        let cases: &[(&str, &str, bool)] = &[
            ("david_singh@gmail.com", "david_singh+git2@gmail.com", false),
            (
                "david_singh+git@gmail.com",
                "david_singh+git3@gmail.com",
                false,
            ),
            (
                "david_singh+git2@gmail.com",
                "David_Singh+git2@gmail.com",
                true,
            ),
            ("david_singh@gmail.com", "david_singh+git@gmail.com", true),
        ];
        for &(ea, eb, same) in cases {
            let ids = [id("1", "David Singh", &[ea]), id("2", "David Singh", &[eb])];
            let res = resolve(&ids, &ResolveOptions::default());
            let by_email = res.merges.iter().any(|m| {
                m.evidence
                    .iter()
                    .any(|e| e.starts_with("same email") && e.contains('@'))
            });
            assert_eq!(by_email, same, "{ea} / {eb}: {:?}", res.merges);
        }
    }

    #[test]
    fn plus_tag_spelling_does_not_join_conflicting_names() {
        // `jsmith+git2@` is what a second J. Smith gets when `jsmith+git@` is taken.
        let ids = [
            id("1", "John Smith", &["jsmith@acme.example"]),
            id("2", "Jane Smith", &["jsmith+git2@acme.example"]),
            id("3", "John Smith", &["JSmith@acme.example"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(!together(&res, 0, 1));
        assert!(together(&res, 0, 2));
    }

    #[test]
    fn gmail_dots_alone_do_not_merge() {
        // (a, b, same person?): dots are not folded, so only an agreeing name can join spellings.
        let cases: &[(&str, &str, &str, &str, bool)] = &[
            (
                "John Smith",
                "john.smith@gmail.com",
                "Jon Smyth",
                "johnsmith@gmail.com",
                false,
            ),
            (
                "Mary Jones",
                "mary.jones@gmail.com",
                "",
                "maryjones@gmail.com",
                false,
            ),
            (
                "Kelda Varkonyi",
                "kelda.varkonyi@gmail.com",
                "Kelda Varkonyi",
                "keldavarkonyi@gmail.com",
                true,
            ),
        ];
        for &(na, ea, nb, eb, same) in cases {
            let ids = [id("1", na, &[ea]), id("2", nb, &[eb])];
            let res = resolve(&ids, &ResolveOptions::default());
            assert_eq!(
                together(&res, 0, 1),
                same,
                "{na} {ea} / {nb} {eb}: {:?}",
                res.merges
            );
            assert!(
                res.merges.iter().all(|m| !m
                    .evidence
                    .iter()
                    .any(|e| e.starts_with("same email") && e.contains('@'))),
                "{:?}",
                res.merges
            );
        }
    }

    #[test]
    fn address_typed_as_name_merges_with_that_address() {
        let ids = [
            id("1", "Ethan Ward", &["etkewa@gmail.com"]),
            id("2", "etkewa@gmail.com", &["qsRf9sGKy9rV"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(res.merges[0].evidence[0].contains("typed as the name"));
    }

    #[test]
    fn shared_email_merge_cites_the_email() {
        let mut dir = id("00u1", "Jane Roe", &["jane.roe@acme.example"]);
        dir.source = "okta".into();
        dir.directory = true;
        let ids = [dir, id("row", "J. Roe", &["Jane.Roe@acme.example"])];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert_eq!(
            res.merges[0].evidence,
            vec!["same email jane.roe@acme.example".to_string()]
        );
    }

    #[test]
    fn old_noreply_address_joins_only_agreeing_names() {
        let ids = [
            id("1", "luz paz", &["luzpaz@users.noreply.github.com"]),
            id("2", "luz.paz", &["1234+luzpaz@users.noreply.github.com"]),
            id(
                "3",
                "Richard Otis",
                &["5678+luzpaz@users.noreply.github.com"],
            ),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(!together(&res, 0, 2));
    }

    #[test]
    fn old_noreply_address_joins_the_display_name_that_is_its_login() {
        // "Normal Human" is the login `normalhuman` written as a name: the account's own display
        // name, not a second person's.
        let ids = [
            id(
                "1",
                "Leonid Kovalev",
                &["normalhuman@users.noreply.github.com"],
            ),
            id(
                "2",
                "Normal Human",
                &["normalhuman@users.noreply.github.com"],
            ),
            id("3", "Leonid Kovalev", &["leonid.traveling@gmail.com"]),
            id("4", "Anna Berg", &["annaberg@users.noreply.github.com"]),
            id("5", "Carl Holm", &["991+annaberg@users.noreply.github.com"]),
        ];
        let res = resolve(&ids, &ResolveOptions::default());
        assert!(together(&res, 0, 1));
        assert!(together(&res, 0, 2));
        // The id form is the account that holds the login now, maybe a later owner.
        assert!(!together(&res, 3, 4));
    }
}
