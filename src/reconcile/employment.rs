//! Employment (SPEC §3.2): directory sources decide who is employed, who has departed, and when
//! the directories cannot say.
//!
//! Architecture invariant: pure; decides only from the identities and the health of the directories,
//! never from a tool account (a departed person's GitHub membership does not make them employed). It
//! says what the directories say; what to recommend from that is `recommend`'s.

use crate::model::{AccountStatus, Identity};

/// What the directories say about one person.
#[derive(Debug, Clone, PartialEq)]
pub enum Employment {
    /// One directory identity is active.
    Employed,
    /// Directory identities exist, none active, at least one in a non-final or unknown state.
    Uncertain { evidence: String },
    /// Every directory identity is in a final state.
    Departed { evidence: String },
    /// No directory knows them, and every directory source is healthy this run.
    Absent { evidence: String },
    /// The directories cannot say: none configured, or one is failed / guarded and the rest do not know them.
    Unknown { evidence: String },
}

/// The directory sources of this run and whether each is healthy.
#[derive(Debug, Clone, Default)]
pub struct Directories {
    /// `(source name, healthy)`.
    pub sources: Vec<(String, bool)>,
}

impl Directories {
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
    pub fn all_healthy(&self) -> bool {
        self.sources.iter().all(|(_, ok)| *ok)
    }
    fn is_healthy(&self, name: &str) -> bool {
        self.sources.iter().any(|(n, ok)| n == name && *ok)
    }
    fn names(&self) -> String {
        self.sources
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn unhealthy_names(&self) -> String {
        self.sources
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn status_word(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => "active",
        AccountStatus::Suspended => "suspended",
        AccountStatus::Departed => "departed",
        AccountStatus::Unknown => "status unknown",
    }
}

/// Decide employment from a person's identities.
pub fn employment_of(identities: &[&Identity], directories: &Directories) -> Employment {
    if directories.is_empty() {
        return Employment::Unknown {
            evidence: "no directory source is configured".into(),
        };
    }
    let in_directory: Vec<&&Identity> = identities.iter().filter(|i| i.directory).collect();
    if in_directory
        .iter()
        .any(|i| i.status == AccountStatus::Active)
    {
        return Employment::Employed;
    }
    if in_directory.is_empty() {
        if directories.all_healthy() {
            return Employment::Absent {
                evidence: format!("not found in any directory ({})", directories.names()),
            };
        }
        return Employment::Unknown {
            evidence: format!(
                "not found in the healthy directories, but {} failed or was guarded this run",
                directories.unhealthy_names()
            ),
        };
    }
    let describe = |i: &Identity| {
        format!(
            "{}: {} ({})",
            i.source,
            status_word(i.status),
            display_account(i)
        )
    };
    let unsure: Vec<String> = in_directory
        .iter()
        .filter(|i| i.status != AccountStatus::Departed)
        .map(|i| describe(i))
        .collect();
    if !unsure.is_empty() {
        return Employment::Uncertain {
            evidence: unsure.join("; "),
        };
    }
    let finals: Vec<String> = in_directory.iter().map(|i| describe(i)).collect();
    // A final status read from a failed-then-partial or guarded source is still a fact the source
    // returned, but removals that depend on an untrusted source are withheld.
    if in_directory
        .iter()
        .any(|i| !directories.is_healthy(&i.source))
    {
        return Employment::Uncertain {
            evidence: format!(
                "{} (from a source that was guarded this run)",
                finals.join("; ")
            ),
        };
    }
    // Every directory that answered says final, but one that did not answer may still hold an
    // active account for this person: departure depends on it, so it is withheld.
    if !directories.all_healthy() {
        return Employment::Uncertain {
            evidence: format!(
                "{}; but {} failed or was guarded this run and may still list them as active",
                finals.join("; "),
                directories.unhealthy_names()
            ),
        };
    }
    Employment::Departed {
        evidence: finals.join("; "),
    }
}

/// A short description of an account: email, else login, else id.
pub fn display_account(i: &Identity) -> String {
    if let Some(e) = i.email() {
        e.to_string()
    } else if let Some(l) = &i.login {
        format!("@{l}")
    } else {
        format!("id {}", i.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(source: &str, directory: bool, status: AccountStatus) -> Identity {
        Identity {
            source: source.into(),
            id: "1".into(),
            emails: vec!["a@acme.example".into()],
            status,
            directory,
            ..Identity::default()
        }
    }

    fn dirs(list: &[(&str, bool)]) -> Directories {
        Directories {
            sources: list.iter().map(|(n, ok)| (n.to_string(), *ok)).collect(),
        }
    }

    #[test]
    fn active_in_one_directory_is_employed_even_if_departed_in_another() {
        let a = ident("okta", true, AccountStatus::Departed);
        let b = ident("contractors", true, AccountStatus::Active);
        let e = employment_of(&[&a, &b], &dirs(&[("okta", true), ("contractors", true)]));
        assert_eq!(e, Employment::Employed);
    }

    #[test]
    fn every_directory_identity_final_is_departed() {
        let a = ident("okta", true, AccountStatus::Departed);
        assert!(matches!(
            employment_of(&[&a], &dirs(&[("okta", true)])),
            Employment::Departed { .. }
        ));
    }

    #[test]
    fn suspended_is_uncertain_not_departed() {
        let a = ident("okta", true, AccountStatus::Suspended);
        assert!(matches!(
            employment_of(&[&a], &dirs(&[("okta", true)])),
            Employment::Uncertain { .. }
        ));
    }

    #[test]
    fn absent_from_every_healthy_directory_is_absent() {
        let g = ident("github", false, AccountStatus::Active);
        assert!(matches!(
            employment_of(&[&g], &dirs(&[("okta", true)])),
            Employment::Absent { .. }
        ));
    }

    #[test]
    fn absent_while_a_directory_is_unhealthy_is_unknown() {
        let g = ident("github", false, AccountStatus::Active);
        let e = employment_of(&[&g], &dirs(&[("okta", true), ("contractors", false)]));
        assert!(matches!(e, Employment::Unknown { .. }), "{e:?}");
    }

    #[test]
    fn no_directory_configured_is_unknown() {
        let g = ident("github", false, AccountStatus::Active);
        assert!(matches!(
            employment_of(&[&g], &dirs(&[])),
            Employment::Unknown { .. }
        ));
    }

    #[test]
    fn departed_status_from_a_guarded_directory_is_uncertain() {
        let a = ident("okta", true, AccountStatus::Departed);
        assert!(matches!(
            employment_of(&[&a], &dirs(&[("okta", false)])),
            Employment::Uncertain { .. }
        ));
    }

    #[test]
    fn final_in_one_directory_while_another_is_down_is_uncertain() {
        let a = ident("entra", true, AccountStatus::Departed);
        let e = employment_of(&[&a], &dirs(&[("entra", true), ("okta", false)]));
        assert!(matches!(e, Employment::Uncertain { .. }), "{e:?}");
    }

    #[test]
    fn non_directory_status_never_decides_employment() {
        let g = ident("gitlab", false, AccountStatus::Departed);
        let o = ident("okta", true, AccountStatus::Active);
        assert_eq!(
            employment_of(&[&g, &o], &dirs(&[("okta", true)])),
            Employment::Employed
        );
    }
}
