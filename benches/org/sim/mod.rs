//! The simulator and its scorer, apart from the bench's driver so the test suite can use them too
//! (`tests/tests.rs` includes this module by path; `tests/org_sim.rs` tests it).
//!
//! - `params`: the proportions, drawn from ranges with the seed;
//! - `names`: name pools from real distributions, the ways a name is written, name keys;
//! - `world`, `generate`: the organisation as plain data, and how a seed builds it;
//! - `truth`: what a careful admin holding SPEC.md and the served data would conclude;
//! - `server`, `vendors`: the loopback servers in the vendors' shapes, with faults;
//! - `run`: the config, the release binary, the report read back;
//! - `score`: the report judged against the truth.

pub mod generate;
pub mod names;
pub mod params;
pub mod run;
pub mod score;
pub mod server;
pub mod truth;
pub mod vendors;
pub mod world;

/// The policy the simulated admin configures (and the truth applies).
pub const INACTIVE_AFTER_DAYS: u32 = 90;
pub const GRACE_DAYS: u32 = 30;

/// The truth's policy, matching the config `run::config` writes.
pub fn policy() -> truth::Policy {
    truth::Policy {
        inactive_after_days: INACTIVE_AFTER_DAYS,
        grace_days: GRACE_DAYS,
        engineering_departments: run::engineering_departments(),
    }
}

/// The name pools in `../shared/data/identities` (from the crate's folder).
pub fn identities_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/identities")
}

/// Draws the proportions and builds the organisation and its truth for one seed, scenario and
/// size — everything before the servers start.
pub fn build(
    seed: u64,
    scenario: world::Scenario,
    people: usize,
    pools: &names::Pools,
) -> (params::Params, world::World, truth::Truth) {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed.wrapping_mul(1_000_003) ^ people as u64);
    let params = params::Params::draw(people, scenario, &mut rng);
    let world = generate::generate(seed, scenario, &params, pools);
    let truth = truth::build(&world, &policy());
    (params, world, truth)
}
