//! Phases that give people their accounts: the directory (Okta or Entra) and the contractor
//! agency export, GitHub (members, Copilot seats, SAML identities, profile links), GitLab and Jira.

use rand::Rng;
use rand::seq::IndexedRandom;

use super::Gen;
use super::people::local_part;
use crate::sim::names::{Name, Written, handle, write};
use crate::sim::world::{
    Activity, Convention, DirRecord, DirState, GithubAccount, GitlabAccount, JiraAccount, Kind,
    Owner, Person, Scenario, Seat, Status, Story, VmsRecord, VmsStatus,
};

const HANDLE_WORDS: &[&str] = &[
    "quiet", "rusty", "cosmic", "pixel", "binary", "neon", "silent", "swift", "lucky", "frozen",
    "brave", "tiny", "wild", "happy", "red", "blue", "green", "iron", "paper", "lunar",
];
const HANDLE_NOUNS: &[&str] = &[
    "fox", "coder", "hacker", "panda", "otter", "wolf", "byte", "owl", "dev", "ninja", "monk",
    "cat", "tiger", "raven", "llama", "koala", "bear", "kernel", "lambda", "stack",
];
const EDITORS: &[&str] = &[
    "vscode/1.95.3/copilot/1.245.0",
    "JetBrains-IU/243.22562/copilot-intellij/1.5.29",
    "vscode/1.96.0/copilot-chat/0.23.1",
    "Neovim/0.10.2/copilot.lua/1.36.0",
];

pub fn hex_digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).expect("hex digit"))
        .collect()
}

/// A 24-hex-digit or `712020:` UUID-style Atlassian account id.
fn atlassian_id(rng: &mut impl Rng) -> String {
    if rng.random_bool(0.5) {
        hex_digits(rng, 24)
    } else {
        format!("712020:{}", uuid(rng))
    }
}

pub fn uuid(rng: &mut impl Rng) -> String {
    format!(
        "{}-{}-4{}-{}-{}",
        hex_digits(rng, 8),
        hex_digits(rng, 4),
        hex_digits(rng, 3),
        hex_digits(rng, 4),
        hex_digits(rng, 12)
    )
}

fn okta_id(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let tail: String = (0..17)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("00u{tail}")
}

impl Gen<'_> {
    pub(crate) fn directories(&mut self) {
        for i in 0..self.world.people.len() {
            let person = self.world.people[i].clone();
            if let Some(record) = self.directory_record(i, &person) {
                self.world.directory.push(record);
            }
            if let Some(record) = self.vms_record(i, &person) {
                self.world.vms.push(record);
            }
            let old_guest = person.story == Story::Converted
                && self.world.scenario == Scenario::Graphql
                && self.chance(0.5);
            if old_guest {
                let mut guest = self.directory_record(i, &person).expect("employee record");
                guest.id = self.directory_id();
                guest.email = person.vendor_email.clone().expect("converted");
                guest.login = guest_upn(&guest.email, &self.world.company.slug);
                guest.user_type = "Guest";
                guest.state = DirState::Deprovisioned;
                guest.secondary.clear();
                guest.employee_number = None;
                self.world.directory.push(guest);
            }
        }
    }

    pub(crate) fn directory_id(&mut self) -> String {
        match self.world.scenario {
            Scenario::Rest => okta_id(&mut self.rng),
            Scenario::Graphql => uuid(&mut self.rng),
        }
    }

    /// The person's Okta or Entra user, if the directory lists them.
    fn directory_record(&mut self, i: usize, person: &Person) -> Option<DirRecord> {
        let graph = self.world.scenario == Scenario::Graphql;
        let listed = match person.kind {
            Kind::Contractor => person.contractor_account,
            _ => true,
        };
        let gone = person.status == (Status::Departed { deleted: true });
        // Entra has no suspended state: a suspended contractor there is in the agency export only.
        if !listed || gone || (graph && person.status == Status::Suspended) {
            return None;
        }
        let state = match person.status {
            Status::Active => DirState::Active,
            Status::Suspended => DirState::Suspended,
            Status::Starting if graph => DirState::Active,
            Status::Starting => DirState::Provisioned,
            Status::Departed { .. } => DirState::Deprovisioned,
        };
        let guest = graph && person.kind == Kind::Contractor;
        let login = if guest {
            guest_upn(&person.email, &self.world.company.slug)
        } else {
            person.email.clone()
        };
        let user_type = match (person.kind, guest) {
            (Kind::Contractor, true) => "Guest",
            (Kind::Contractor, false) => "Contractor",
            _ => "Employee",
        };
        let display = self.directory_display(&person.name, graph);
        let created = person.hired_days_ago + self.rng.random_range(1..10);
        Some(DirRecord {
            owner: Owner::Person(i),
            id: self.directory_id(),
            first: person.name.first.clone(),
            last: person.name.last.clone(),
            display,
            email: person.email.clone(),
            login,
            secondary: self.secondary_addresses(person),
            state,
            title: person.title.clone(),
            department: person.department.clone(),
            employee_number: (person.kind != Kind::Contractor)
                .then(|| format!("E{:06}", 100_000 + i)),
            user_type,
            github_link: None,
            created_days_ago: created,
            state_changed_days_ago: person.left_days_ago.unwrap_or(created),
            manager: person.manager,
        })
    }

    /// Okta's optional `displayName` (now and then the nickname); Entra's `displayName`, which
    /// some tenants write "Last, First".
    fn directory_display(&mut self, name: &Name, graph: bool) -> Option<String> {
        if graph {
            let how = if self.chance(0.12) {
                Written::LastFirst
            } else {
                Written::Plain
            };
            return Some(write(name, how));
        }
        (name.nick.is_some() && self.chance(0.4)).then(|| write(name, Written::Nick))
    }

    /// The addresses the directory lists besides the primary one: Okta holds one `secondEmail`,
    /// Entra any number of `otherMails`.
    fn secondary_addresses(&mut self, person: &Person) -> Vec<String> {
        let listed = self.p.secondary_listed;
        let candidates = [
            (person.old_email.clone(), listed),
            (person.vendor_email.clone(), listed),
            (person.acquired_email.clone(), listed),
            (person.alias_email.clone(), listed),
            (person.personal_email.clone(), listed * 0.5),
        ];
        let mut out = Vec::new();
        for (email, share) in candidates {
            if let Some(e) = email
                && self.chance(share)
            {
                out.push(e);
            }
        }
        if self.world.scenario == Scenario::Rest {
            out.truncate(1);
        }
        out
    }

    fn vms_record(&mut self, i: usize, person: &Person) -> Option<VmsRecord> {
        let vendor = person.vendor?;
        let vendor_name = self.world.company.vendors[vendor].0.clone();
        let (email, status, start, end) = if person.story == Story::Converted {
            let end = person.hired_days_ago + self.rng.random_range(0..6);
            let start = end + self.rng.random_range(200..900);
            let email = person.vendor_email.clone().expect("converted");
            (email, VmsStatus::Ended, start, Some(end))
        } else {
            let status = match person.status {
                Status::Active | Status::Starting => VmsStatus::Active,
                Status::Suspended => VmsStatus::OnHold,
                Status::Departed { .. } => VmsStatus::Ended,
            };
            (
                person.email.clone(),
                status,
                person.hired_days_ago,
                person.left_days_ago,
            )
        };
        let how = Written::draw(&mut self.rng, 0.85);
        Some(VmsRecord {
            owner: Owner::Person(i),
            id: format!("CTR-{:05}", 10_000 + i),
            full_name: write(&person.name, how),
            email,
            role: person.title.clone(),
            department: person.department.clone(),
            vendor: vendor_name,
            status,
            start_days_ago: start,
            end_days_ago: end,
        })
    }

    pub(crate) fn github(&mut self) {
        for i in 0..self.world.people.len() {
            let person = self.world.people[i].clone();
            if !self.has_github(&person) {
                if self.world.scenario == Scenario::Graphql
                    && !person.departed()
                    && self.chance(0.03)
                {
                    self.world.unlinked_saml.push(person.email.clone());
                }
                continue;
            }
            let login = self.github_login(&person.name);
            let account = GithubAccount {
                owner: Owner::Person(i),
                id: self.claim_id(1_000_000..160_000_000),
                name: self.github_name(&person, &login),
                email: self.github_email(&person),
                created_days_ago: self.rng.random_range(30..4500),
                seat: self.seat(&person),
                saml_name_id: self.saml_name_id(&person),
                login,
            };
            if self.chance(self.p.github_link) {
                self.link_github(i, &account.login);
            }
            self.world.github.push(account);
        }
    }

    fn has_github(&mut self, person: &Person) -> bool {
        let base = if person.engineering {
            self.p.github_engineers
        } else {
            0.04
        };
        let stays = match person.status {
            Status::Departed { .. } => 0.55,
            Status::Starting => 0.3,
            _ => 1.0,
        };
        self.chance(base * stays)
    }

    fn github_login(&mut self, name: &Name) -> String {
        let (f, l) = (handle(name.used_first()), handle(&name.last));
        let fi = f.chars().next().unwrap_or('x');
        let slug = self.world.company.slug.clone();
        let n = self.rng.random_range(1..100);
        let wanted = match self.rng.random_range(0..100) {
            0..18 => format!("{f}{l}"),
            18..28 => format!("{f}-{l}"),
            28..42 => format!("{fi}{l}"),
            42..45 => format!("{l}{fi}"),
            45..53 => format!("{f}{l}{n}"),
            53..59 => format!("{f}{n}"),
            59..64 => format!("{fi}{l}-{slug}"),
            64..66 => format!("{l}-{f}"),
            _ => {
                let a = HANDLE_WORDS.choose(&mut self.rng).expect("word");
                let b = HANDLE_NOUNS.choose(&mut self.rng).expect("noun");
                if self.chance(0.5) {
                    format!("{a}{b}")
                } else {
                    format!("{a}-{b}{n}")
                }
            }
        };
        let wanted: String = wanted.chars().take(39).collect();
        self.claim_login(&wanted)
    }

    fn github_name(&mut self, person: &Person, login: &str) -> Option<String> {
        if self.chance(self.p.github_no_name) {
            return None;
        }
        if let Some(old_last) = &person.old_last
            && self.chance(0.5)
        {
            return Some(format!("{} {old_last}", person.name.first));
        }
        let how = match self.rng.random_range(0..100) {
            0..55 => Written::Plain,
            55..70 => Written::Nick,
            70..82 => Written::NoAccents,
            82..89 => Written::FirstOnly,
            89..94 => return Some(login.to_string()),
            94..96 => Written::Middle,
            96..98 => Written::Initial,
            _ => Written::LastFirst,
        };
        Some(write(&person.name, how))
    }

    fn github_email(&mut self, person: &Person) -> Option<String> {
        if !self.chance(self.p.github_public_email) {
            return None;
        }
        if let Some(personal) = &person.personal_email
            && self.chance(0.6)
        {
            return Some(personal.clone());
        }
        match &person.old_email {
            Some(old) if self.chance(0.5) => Some(old.clone()),
            _ => Some(person.email.clone()),
        }
    }

    /// A Copilot seat, and what its `last_activity_at` shows (nothing for a seat never used).
    fn seat(&mut self, person: &Person) -> Option<Seat> {
        let keeps = if person.departed() { 0.6 } else { 1.0 };
        let eligible = person.engineering && person.status != Status::Starting;
        if !eligible || !self.chance(self.p.copilot * keeps) {
            return None;
        }
        let last = person.activity.days();
        let floor = last.unwrap_or(0).max(person.left_days_ago.unwrap_or(0)) + 1;
        let ceiling = person.hired_days_ago.clamp(floor + 1, floor + 700);
        Some(Seat {
            created_days_ago: self.rng.random_range(floor..=ceiling),
            last_activity_days_ago: last,
            editor: EDITORS.choose(&mut self.rng).expect("editor"),
        })
    }

    /// The NameID of the member's SAML identity (GraphQL organisations): the corporate address,
    /// or for a renamed person now and then the address they had when they linked it.
    fn saml_name_id(&mut self, person: &Person) -> Option<String> {
        if self.world.scenario != Scenario::Graphql || !self.chance(self.p.github_saml) {
            return None;
        }
        if let Some(old) = &person.old_email
            && self.chance(self.p.saml_old_address)
        {
            return Some(old.clone());
        }
        if let Some(vendor) = &person.vendor_email
            && self.chance(0.3)
        {
            return Some(vendor.clone());
        }
        Some(person.email.clone())
    }

    /// Names `login` in the profile of the person's current directory record (Okta
    /// `githubUsername`, Entra `extensionAttribute1`), sometimes in another case.
    fn link_github(&mut self, person: usize, login: &str) {
        let email = self.world.people[person].email.clone();
        let spelled = if self.chance(0.1) {
            login.to_uppercase()
        } else {
            login.to_string()
        };
        if let Some(record) = self
            .world
            .directory
            .iter_mut()
            .find(|r| r.owner == Owner::Person(person) && r.email == email)
        {
            record.github_link = Some(spelled);
        }
    }

    pub(crate) fn gitlab(&mut self) {
        for i in 0..self.world.people.len() {
            let person = self.world.people[i].clone();
            let share = match person.kind {
                Kind::Acquired => 0.95,
                _ if person.engineering => self.p.gitlab_engineers,
                _ => 0.0,
            };
            if person.status == Status::Starting || !self.chance(share) {
                continue;
            }
            let account = self.gitlab_account(i, &person);
            self.world.gitlab.push(account);
        }
    }

    fn gitlab_account(&mut self, i: usize, person: &Person) -> GitlabAccount {
        let name = &person.name;
        let local = match self.rng.random_range(0..4) {
            0 => local_part(name.used_first(), &name.last, Convention::Dotted),
            1 => local_part(name.used_first(), &name.last, Convention::InitialLast),
            2 => local_part(name.used_first(), &name.last, Convention::Underscored),
            _ => format!("{}{}", handle(name.used_first()), handle(&name.last)),
        };
        let username = self.claim_username(&local);
        let email = match &person.acquired_email {
            Some(acquired) if self.chance(0.8) => acquired.clone(),
            _ => person.email.clone(),
        };
        let last_activity = match person.activity {
            // Engineers who mostly work on GitHub touch GitLab less often.
            Activity::Recent(d) if person.kind != Kind::Acquired && self.chance(0.2) => {
                Some(d + self.rng.random_range(100..300))
            }
            other => other.days(),
        };
        let state = if person.departed() && self.chance(0.7) {
            "blocked"
        } else if matches!(person.activity, Activity::Idle(_)) && self.chance(0.3) {
            "deactivated"
        } else {
            "active"
        };
        let how = Written::draw(&mut self.rng, 0.75);
        GitlabAccount {
            owner: Owner::Person(i),
            id: 0,
            username,
            name: write(name, how),
            email,
            state,
            bot: false,
            last_activity_days_ago: last_activity,
            created_days_ago: person.hired_days_ago.max(200) + self.rng.random_range(0..900),
        }
    }

    pub(crate) fn jira(&mut self) {
        for i in 0..self.world.people.len() {
            let person = self.world.people[i].clone();
            if !self.chance(self.p.jira) {
                continue;
            }
            let email = (!self.chance(self.p.jira_hidden_email)).then(|| person.email.clone());
            let display_name = self.jira_display(&person);
            let account_id = atlassian_id(&mut self.rng);
            let active = !person.departed() || self.chance(0.4);
            self.world.jira.push(JiraAccount {
                owner: Owner::Person(i),
                account_id,
                account_type: "atlassian",
                display_name,
                email,
                active,
            });
        }
    }

    fn jira_display(&mut self, person: &Person) -> String {
        let name = &person.name;
        if person.kind == Kind::Contractor && self.chance(0.3) {
            return format!("{} (Contractor)", name.full());
        }
        match self.rng.random_range(0..100) {
            0..3 => local_part(&name.first, &name.last, Convention::Dotted),
            3..6 => write(name, Written::FirstOnly),
            _ => {
                let how = Written::draw(&mut self.rng, 0.75);
                write(name, how)
            }
        }
    }
}

/// An Entra guest's UPN: `jane.doe_vendor.com#EXT#@acme.onmicrosoft.com`.
fn guest_upn(email: &str, slug: &str) -> String {
    format!("{}#EXT#@{slug}.onmicrosoft.com", email.replace('@', "_"))
}
