//! Identity drift: which integration accounts SEI attributes to the wrong developer or to nobody,
//! against the accounts reconcile attached to the table's active rows — what `developers
//! identities --push` would send, and what the report lists next to the table's drift.
//!
//! An account is one `(integrationId, identity)` pair, the identity being the value SEI takes for
//! the integration's type ([`IdentityKey`]). SEI attributes it to nobody when it holds no such
//! pair, to the wrong developer when it holds it under an email the row does not have.
//!
//! Architecture invariant: a comparison only, pure; it changes neither side and knows nothing of
//! the wire format or the report's JSON. Accounts SEI holds that no row carries are left alone:
//! seatwarden has no evidence about them.

use std::collections::{HashMap, HashSet};

use crate::model::{Developer, IdentityKey, RowStatus, SeiIdentities, SeiIdentity, SeiIntegration};

/// An account SEI attributes to another developer than the row that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misattributed {
    /// The identity as it should be: the row's email.
    pub expected: SeiIdentity,
    /// The email SEI holds it under.
    pub sei_email: String,
}

/// How SEI's identities differ from the table's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentityDrift {
    /// The harness source SEI's identities came from.
    pub source: String,
    /// Accounts of active rows that SEI holds for nobody.
    pub unattributed: Vec<SeiIdentity>,
    /// Accounts of active rows that SEI holds under another developer's email.
    pub misattributed: Vec<Misattributed>,
    /// Accounts SEI already holds as the table does.
    pub agreed: usize,
    /// How many identities SEI holds in all (the base of the apply cap).
    pub held: usize,
}

impl IdentityDrift {
    /// What a push sends: every unattributed and misattributed account, as the table has it.
    pub fn to_send(&self) -> Vec<SeiIdentity> {
        let mut out = self.unattributed.clone();
        out.extend(self.misattributed.iter().map(|m| m.expected.clone()));
        out
    }

    pub fn is_empty(&self) -> bool {
        self.unattributed.is_empty() && self.misattributed.is_empty()
    }
}

/// Every active row's accounts in SEI's terms: for each account the row carries from a source SEI
/// integrates, the row's email, the integration id and the account's value for SEI. An account two
/// rows carry is given to the first.
pub fn expected_identities(
    table: &[Developer],
    integrations: &[SeiIntegration],
) -> Vec<SeiIdentity> {
    expected_accounts(table, integrations)
        .into_iter()
        .map(|(identity, _)| identity)
        .collect()
}

/// [`expected_identities`], each with how its integration compares values.
fn expected_accounts(
    table: &[Developer],
    integrations: &[SeiIntegration],
) -> Vec<(SeiIdentity, IdentityKey)> {
    let mut seen: HashSet<(u64, String)> = HashSet::new();
    let mut out = Vec::new();
    for row in table.iter().filter(|d| d.status == RowStatus::Active) {
        for account in &row.identities {
            let Some(integration) = integrations.iter().find(|i| i.source == account.source) else {
                continue;
            };
            let Some(value) = integration.key.value_of(account) else {
                continue;
            };
            if !seen.insert(account_key(
                integration.integration_id,
                integration.key,
                value,
            )) {
                continue;
            }
            let identity = SeiIdentity {
                email: row.email.clone(),
                integration_id: integration.integration_id,
                identity: value.to_string(),
            };
            out.push((identity, integration.key));
        }
    }
    out
}

/// An account's key: the integration and the value, folded as the integration's key compares.
fn account_key(integration_id: u64, key: IdentityKey, value: &str) -> (u64, String) {
    let value = value.trim();
    let folded = match key {
        IdentityKey::AccountId => value.to_string(),
        _ => value.to_lowercase(),
    };
    (integration_id, folded)
}

/// Compare what SEI holds with the accounts the table's active rows carry.
pub fn identity_drift(source: &str, table: &[Developer], sei: &SeiIdentities) -> IdentityDrift {
    let key_of: HashMap<u64, IdentityKey> = sei
        .integrations
        .iter()
        .map(|i| (i.integration_id, i.key))
        .collect();
    // Each account SEI holds, with every email it holds it under.
    let mut held: HashMap<(u64, String), Vec<&str>> = HashMap::new();
    for h in &sei.held {
        let key = key_of
            .get(&h.integration_id)
            .copied()
            .unwrap_or(IdentityKey::AccountId);
        held.entry(account_key(h.integration_id, key, &h.identity))
            .or_default()
            .push(h.email.as_str());
    }
    let emails_of: HashMap<&str, &[String]> = table
        .iter()
        .map(|d| (d.email.as_str(), d.emails.as_slice()))
        .collect();
    let mut drift = IdentityDrift {
        source: source.to_string(),
        held: sei.held.len(),
        ..IdentityDrift::default()
    };
    for (expected, key) in expected_accounts(table, &sei.integrations) {
        let row_emails = emails_of
            .get(expected.email.as_str())
            .copied()
            .unwrap_or_default();
        let is_the_row = |e: &str| {
            e.eq_ignore_ascii_case(&expected.email)
                || row_emails.iter().any(|x| x.eq_ignore_ascii_case(e))
        };
        match held.get(&account_key(
            expected.integration_id,
            key,
            &expected.identity,
        )) {
            None => drift.unattributed.push(expected),
            Some(emails) if emails.iter().any(|e| is_the_row(e)) => drift.agreed += 1,
            Some(emails) => drift.misattributed.push(Misattributed {
                sei_email: emails[0].to_string(),
                expected,
            }),
        }
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IdentityRef;
    use crate::reconcile::table::rows_to_developers;
    use crate::reconcile::tests::sei;

    fn account(source: &str, id: &str, login: Option<&str>, name: &str) -> IdentityRef {
        IdentityRef {
            source: source.into(),
            id: id.into(),
            login: login.map(str::to_string),
            email: None,
            name: Some(name.into()),
        }
    }

    fn integrations() -> Vec<SeiIntegration> {
        vec![
            SeiIntegration {
                source: "github".into(),
                integration_id: 101,
                key: IdentityKey::Login,
            },
            SeiIntegration {
                source: "jira".into(),
                integration_id: 202,
                key: IdentityKey::AccountId,
            },
            SeiIntegration {
                source: "gitlab".into(),
                integration_id: 303,
                key: IdentityKey::Name,
            },
        ]
    }

    fn held(email: &str, id: u64, identity: &str) -> SeiIdentity {
        SeiIdentity {
            email: email.into(),
            integration_id: id,
            identity: identity.into(),
        }
    }

    fn table() -> Vec<Developer> {
        let now = chrono::Utc::now();
        let mut t = rows_to_developers(
            &[
                sei("ada@acme.example"),
                sei("bob@acme.example"),
                sei("gone@acme.example"),
            ],
            &[],
            now,
        );
        t[0].emails.push("ada.l@old.example".into());
        t[0].identities = vec![
            account("github", "583231", Some("Ada-GH"), "Ada Lovelace"),
            account("jira", "5b10ac8d82e05b22cc7d4ef5", None, "Ada Lovelace"),
            account("okta", "00u1", Some("ada@acme.example"), "Ada Lovelace"),
        ];
        t[1].identities = vec![
            account("github", "99", Some("bobby"), "Bob"),
            account("gitlab", "7", Some("bstone"), "Bob Stone"),
        ];
        t[2].status = RowStatus::Removed;
        t[2].identities = vec![account("github", "5", Some("gone-gh"), "Gone")];
        t
    }

    #[test]
    fn each_active_rows_accounts_in_seis_terms() {
        let got = expected_identities(&table(), &integrations());
        assert_eq!(
            got,
            [
                held("ada@acme.example", 101, "Ada-GH"),
                held("ada@acme.example", 202, "5b10ac8d82e05b22cc7d4ef5"),
                held("bob@acme.example", 101, "bobby"),
                held("bob@acme.example", 303, "Bob Stone"),
            ],
            "logins for GitHub, accountIds for Jira, names for GitLab; no Okta, no removed row"
        );
    }

    #[test]
    fn drift_is_accounts_attributed_to_nobody_or_to_the_wrong_developer() {
        let sei_side = SeiIdentities {
            integrations: integrations(),
            held: vec![
                // The same login in another case, under the row's old address: agreed.
                held("ada.l@old.example", 101, "ada-gh"),
                // Bob's login, attributed to Ada.
                held("ada@acme.example", 101, "bobby"),
                // A Jira id differing only in case is another account.
                held("ada@acme.example", 202, "5B10AC8D82E05B22CC7D4EF5"),
                // An account no row carries: left alone.
                held("zed@acme.example", 101, "zed"),
            ],
        };
        let drift = identity_drift("sei", &table(), &sei_side);
        assert_eq!(drift.agreed, 1);
        assert_eq!(drift.held, 4);
        assert_eq!(
            drift.unattributed,
            [
                held("ada@acme.example", 202, "5b10ac8d82e05b22cc7d4ef5"),
                held("bob@acme.example", 303, "Bob Stone"),
            ]
        );
        assert_eq!(
            drift.misattributed,
            [Misattributed {
                expected: held("bob@acme.example", 101, "bobby"),
                sei_email: "ada@acme.example".into(),
            }]
        );
        assert_eq!(drift.to_send().len(), 3);
    }

    #[test]
    fn no_drift_when_sei_holds_every_account_as_the_table_does() {
        let t = table();
        let sei_side = SeiIdentities {
            integrations: integrations(),
            held: expected_identities(&t, &integrations()),
        };
        let drift = identity_drift("sei", &t, &sei_side);
        assert!(drift.is_empty(), "{drift:?}");
        assert_eq!(drift.agreed, 4);
    }
}
