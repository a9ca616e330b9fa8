//! The organisation's proportions, each drawn from a range with the seed, so that rules tuned on one
//! seed meet other proportions on the next. Ranges follow what real companies of this size show;
//! the figures land in the truth file (`params`) so a reader knows what a run faced.

use rand::Rng;
use rand::rngs::StdRng;
use serde::Serialize;

use crate::sim::world::Scenario;

/// Shares are of all people unless a field says otherwise.
#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub people: usize,
    pub engineering: f64,
    pub contractors: f64,
    /// Contractors who also hold a directory account at the same address.
    pub contractors_in_directory: f64,
    pub acquired: f64,
    pub leavers: f64,
    /// Leavers the directory no longer lists at all (the rest are deprovisioned / disabled).
    pub leavers_deleted: f64,
    pub suspended: f64,
    pub new_hires: f64,
    pub starting: f64,
    pub converted: f64,
    pub renamed: f64,
    /// Homonym pairs per person (two people, one name).
    pub homonym_pairs: f64,
    /// Pairs in which one of the two has left.
    pub homonym_leaver: f64,
    /// Engineers employed before the upload whom nobody added.
    pub never_added: f64,
    /// Leavers (engineering) whose row is still in the table.
    pub leaver_rows: f64,
    /// Non-engineering people who got a row anyway.
    pub excluded_rows: f64,
    pub alias_rows: f64,
    pub personal_rows: f64,
    pub noreply_rows: f64,
    /// Of acquired people: a row under the acquired company's address.
    pub acquired_rows: f64,
    /// Of acquired people with such a row: a corporate row as well.
    pub acquired_home_row: f64,
    /// Of converted contractors: a corporate row beside the agency row.
    pub converted_home_row: f64,
    /// Of renamed people: a row under the new address beside the old one.
    pub renamed_home_row: f64,
    /// Of second addresses: the directory lists them (Okta `secondEmail`, Entra `otherMails`).
    pub secondary_listed: f64,
    /// Of renamed people with a GitHub account, in SAML organisations: the NameID is the old address.
    pub saml_old_address: f64,
    pub bot_rows: f64,
    pub nickname_users: f64,
    /// SEI rows whose Full Name is written plainly (the rest: "Last, First", caps, nicknames…).
    pub sei_plain_names: f64,
    pub github_engineers: f64,
    /// Of GitHub accounts: the directory profile names the login.
    pub github_link: f64,
    /// Of GitHub members (SAML organisations): a linked SAML identity.
    pub github_saml: f64,
    pub github_no_name: f64,
    pub github_public_email: f64,
    /// Of engineers with a GitHub account: a Copilot seat.
    pub copilot: f64,
    /// Of people: no engineering activity for months.
    pub idle: f64,
    /// Of seats: never used.
    pub never_used: f64,
    /// Of non-acquired engineers: a GitLab account too.
    pub gitlab_engineers: f64,
    pub jira: f64,
    pub jira_hidden_email: f64,
    /// Licenses purchased, as a share of the table's rows.
    pub licenses: f64,
    /// Transient faults per request on the first attempt (GraphQL organisation only).
    pub faults: f64,
}

fn between(rng: &mut StdRng, lo: f64, hi: f64) -> f64 {
    let x = lo + (hi - lo) * rng.random::<f64>();
    (x * 10_000.0).round() / 10_000.0
}

impl Params {
    pub fn draw(people: usize, scenario: Scenario, rng: &mut StdRng) -> Params {
        let mut r = |lo, hi| between(rng, lo, hi);
        Params {
            people,
            engineering: r(0.65, 0.85),
            contractors: r(0.07, 0.15),
            contractors_in_directory: r(0.35, 0.75),
            acquired: r(0.06, 0.14),
            leavers: r(0.05, 0.10),
            leavers_deleted: r(0.25, 0.45),
            suspended: r(0.004, 0.012),
            new_hires: r(0.03, 0.07),
            starting: r(0.003, 0.010),
            converted: r(0.008, 0.020),
            renamed: r(0.008, 0.016),
            homonym_pairs: r(0.004, 0.007),
            homonym_leaver: r(0.15, 0.35),
            never_added: r(0.01, 0.04),
            leaver_rows: r(0.75, 0.95),
            excluded_rows: r(0.02, 0.06),
            alias_rows: r(0.01, 0.03),
            personal_rows: r(0.008, 0.02),
            noreply_rows: r(0.004, 0.012),
            acquired_rows: r(0.30, 0.60),
            acquired_home_row: r(0.30, 0.70),
            converted_home_row: r(0.25, 0.60),
            renamed_home_row: r(0.20, 0.50),
            secondary_listed: r(0.35, 0.70),
            saml_old_address: r(0.30, 0.70),
            bot_rows: r(0.005, 0.015),
            nickname_users: r(0.15, 0.35),
            sei_plain_names: r(0.70, 0.88),
            github_engineers: r(0.80, 0.95),
            github_link: if scenario == Scenario::Rest {
                r(0.40, 0.70)
            } else {
                r(0.25, 0.55)
            },
            github_saml: r(0.75, 0.92),
            github_no_name: r(0.15, 0.30),
            github_public_email: r(0.20, 0.40),
            copilot: r(0.70, 0.92),
            idle: r(0.04, 0.09),
            never_used: r(0.03, 0.07),
            gitlab_engineers: r(0.08, 0.20),
            jira: r(0.82, 0.95),
            jira_hidden_email: r(0.40, 0.70),
            licenses: r(0.85, 1.00),
            faults: if scenario == Scenario::Graphql {
                r(0.02, 0.05)
            } else {
                0.0
            },
        }
    }
}
