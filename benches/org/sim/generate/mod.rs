//! Builds a [`World`] from a seed: one context object, one method per phase (people, homonyms,
//! addresses, directories, tools, bots, rows), every draw from one seeded generator so a seed always
//! gives the same organisation.
//!
//! Never looks at how seatwarden decides; it only plants what real organisations carry. What a
//! careful admin can conclude from it is `truth`'s job.

mod accounts;
mod bots;
mod people;
mod rows;

pub use people::{ENGINEERING_DEPARTMENTS, IT_DEPARTMENT, OTHER_DEPARTMENTS};

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

use crate::sim::names::{Families, Pools, handle};
use crate::sim::params::Params;
use crate::sim::world::{Company, Convention, Scenario, World};

const COMPANY_WORDS: &[&str] = &[
    "Arbor",
    "Lumen",
    "Kestrel",
    "Quillon",
    "Brightforge",
    "Northwind",
    "Halcyon",
    "Vantora",
    "Meridian",
    "Tessellate",
    "Corvid",
    "Juniper",
    "Solace",
    "Ironwood",
    "Bluefin",
    "Cobalto",
    "Driftwood",
    "Emberly",
    "Foxglove",
    "Granitex",
    "Larkspur",
    "Mistral",
    "Oakhaven",
    "Pinecrest",
    "Quasarly",
    "Redwoodia",
    "Saffron",
    "Thistle",
    "Umberfield",
    "Wavecrest",
];
const ACQUIRED_SUFFIXES: &[&str] = &["Labs", "Soft", "Systems", "Works", "Analytics"];
const VENDOR_SUFFIXES: &[&str] = &["Consulting", "Staffing", "Partners", "Solutions", "Talent"];

/// The generator's state between phases.
pub struct Gen<'a> {
    pub(crate) rng: StdRng,
    pub(crate) p: &'a Params,
    pub(crate) pools: &'a Pools,
    pub(crate) families: Families,
    pub(crate) world: World,
    emails: HashSet<String>,
    logins: HashSet<String>,
    usernames: HashSet<String>,
    ids: HashSet<u64>,
}

/// The organisation for `seed`, `scenario` and `params`.
pub fn generate(seed: u64, scenario: Scenario, params: &Params, pools: &Pools) -> World {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_0000 ^ ((scenario as u64) << 40));
    let company = company(&mut rng);
    let upload_days_ago = rng.random_range(45..=120);
    let world = World {
        scenario,
        seed,
        company,
        people: Vec::new(),
        bots: Vec::new(),
        directory: Vec::new(),
        vms: Vec::new(),
        github: Vec::new(),
        unlinked_saml: Vec::new(),
        gitlab: Vec::new(),
        jira: Vec::new(),
        rows: Vec::new(),
        licenses: 0,
        upload_days_ago,
    };
    let mut g = Gen {
        rng,
        p: params,
        pools,
        families: Families::new(),
        world,
        emails: HashSet::new(),
        logins: HashSet::new(),
        usernames: HashSet::new(),
        ids: HashSet::new(),
    };
    g.people();
    g.homonyms();
    g.addresses();
    g.managers();
    g.directories();
    g.github();
    g.gitlab();
    g.jira();
    g.bots();
    g.outsiders();
    g.rows();
    g.shuffle();
    g.world
}

fn company(rng: &mut StdRng) -> Company {
    let mut words: Vec<&str> = COMPANY_WORDS.to_vec();
    words.shuffle(rng);
    let tld = |rng: &mut StdRng| *[".com", ".io", ".com", ".co"].choose(rng).expect("tld");
    let name = words[0].to_string();
    let slug = handle(&name);
    let domain = format!("{slug}{}", tld(rng));
    let acquired_name = format!(
        "{} {}",
        words[1],
        ACQUIRED_SUFFIXES.choose(rng).expect("suffix")
    );
    let acquired_domain = format!("{}{}", handle(&acquired_name), tld(rng));
    let vendor_count = rng.random_range(2..=4);
    let vendors = (0..vendor_count)
        .map(|k| {
            let vname = format!(
                "{} {}",
                words[2 + k],
                VENDOR_SUFFIXES.choose(rng).expect("suffix")
            );
            let vdomain = format!("{}{}", handle(&vname), tld(rng));
            (vname, vdomain)
        })
        .collect();
    let convention = *[
        Convention::Dotted,
        Convention::Dotted,
        Convention::InitialLast,
        Convention::FirstInitial,
        Convention::Underscored,
    ]
    .choose(rng)
    .expect("convention");
    Company {
        name,
        slug,
        domain,
        acquired_name,
        acquired_domain,
        vendors,
        convention,
    }
}

impl Gen<'_> {
    /// `email` if nobody holds it yet, else the first free `local2@`, `local3@`, … (an address
    /// belongs to one owner, as in life).
    pub(crate) fn claim_email(&mut self, local: &str, domain: &str) -> String {
        let mut candidate = format!("{local}@{domain}");
        let mut n = 2;
        while !self.emails.insert(candidate.to_lowercase()) {
            candidate = format!("{local}{n}@{domain}");
            n += 1;
        }
        candidate
    }

    /// `email` when it is free (claimed), None when someone holds it.
    pub(crate) fn try_claim_email(&mut self, email: &str) -> Option<String> {
        self.emails
            .insert(email.to_lowercase())
            .then(|| email.to_string())
    }

    /// A GitHub login nobody holds (GitHub logins are case-insensitive and global).
    pub(crate) fn claim_login(&mut self, wanted: &str) -> String {
        claim_in(&mut self.logins, &mut self.rng, wanted, "-")
    }

    pub(crate) fn claim_username(&mut self, wanted: &str) -> String {
        claim_in(&mut self.usernames, &mut self.rng, wanted, "")
    }

    /// A numeric account id nobody holds, in `range`.
    pub(crate) fn claim_id(&mut self, range: std::ops::Range<u64>) -> u64 {
        loop {
            let id = self.rng.random_range(range.clone());
            if self.ids.insert(id) {
                return id;
            }
        }
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn shuffle(&mut self) {
        let w = &mut self.world;
        w.rows.shuffle(&mut self.rng);
        w.directory.shuffle(&mut self.rng);
        w.vms.shuffle(&mut self.rng);
        w.github.shuffle(&mut self.rng);
        w.gitlab.sort_by_key(|a| a.id);
        w.jira.shuffle(&mut self.rng);
    }
}

fn claim_in(taken: &mut HashSet<String>, rng: &mut StdRng, wanted: &str, sep: &str) -> String {
    if taken.insert(wanted.to_lowercase()) {
        return wanted.to_string();
    }
    loop {
        let candidate = format!("{wanted}{sep}{}", rng.random_range(2..1000));
        if taken.insert(candidate.to_lowercase()) {
            return candidate;
        }
    }
}
