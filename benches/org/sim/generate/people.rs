//! Phases that make the people: names, roles, kinds, stories, dates and activity; homonym pairs;
//! every address a person holds; managers.

use std::collections::{HashMap, HashSet};

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};

use super::Gen;
use crate::sim::names::{Name, handle, nickname_for};
use crate::sim::world::{Activity, Convention, Kind, Person, Scenario, Status, Story};

pub const ENGINEERING_DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Platform",
    "Data",
    "Mobile",
    "Infrastructure",
    "Security",
    "Quality",
];

const ENGINEERING_TITLES: &[&str] = &[
    "Software Engineer",
    "Senior Software Engineer",
    "Staff Software Engineer",
    "Principal Engineer",
    "Engineering Manager",
    "Site Reliability Engineer",
    "Data Engineer",
    "QA Engineer",
    "Security Engineer",
    "Mobile Engineer",
    "Frontend Engineer",
    "Backend Engineer",
    "DevOps Engineer",
    "Machine Learning Engineer",
];

/// Departments outside the SDLC, each with its titles ("Sales Engineer" and "Support Engineer"
/// say engineer; their department says otherwise).
pub const OTHER_DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Sales",
        &["Account Executive", "Sales Engineer", "Sales Manager"],
    ),
    ("Support", &["Support Engineer", "Support Manager"]),
    ("Marketing", &["Marketing Manager", "Content Strategist"]),
    ("Finance", &["Financial Analyst", "Finance Manager"]),
    ("People", &["Recruiter", "People Partner"]),
    ("Legal", &["Counsel", "Paralegal"]),
    ("Product", &["Product Manager", "Senior Product Manager"]),
    ("Design", &["Product Designer", "UX Researcher"]),
];

/// Where service accounts live in the directory.
pub const IT_DEPARTMENT: &str = "IT";

const MANAGER_TITLES: &[&str] = &[
    "Engineering Manager",
    "Sales Manager",
    "Support Manager",
    "Marketing Manager",
    "Finance Manager",
];

const PERSONAL_DOMAINS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "icloud.com",
    "proton.me",
];

/// The corporate local part of a name under a convention ("jane.doe", "jdoe", "janed", "jane_doe").
pub fn local_part(first: &str, last: &str, convention: Convention) -> String {
    let (f, l) = (handle(first), handle(last));
    let fi = f.chars().next().map(String::from).unwrap_or_default();
    let li = l.chars().next().map(String::from).unwrap_or_default();
    match convention {
        Convention::Dotted => format!("{f}.{l}"),
        Convention::InitialLast => format!("{fi}{l}"),
        Convention::FirstInitial => format!("{f}{li}"),
        Convention::Underscored => format!("{f}_{l}"),
    }
}

impl Gen<'_> {
    pub(crate) fn people(&mut self) {
        let mut keys = HashSet::new();
        for i in 0..self.p.people {
            let name = self.fresh_name(&mut keys);
            let engineering = self.chance(self.p.engineering);
            let kind = self.draw_kind(engineering);
            let (department, title) = self.draw_role(engineering);
            let story = self.draw_story(kind);
            let vendor = (kind == Kind::Contractor || story == Story::Converted)
                .then(|| self.rng.random_range(0..self.world.company.vendors.len()));
            let contractor_account =
                kind == Kind::Contractor && self.chance(self.p.contractors_in_directory);
            let mut person = Person {
                id: format!("P{:05}", i + 1),
                name,
                story,
                kind,
                vendor,
                contractor_account,
                department,
                title,
                engineering,
                status: Status::Active,
                hired_days_ago: 0,
                left_days_ago: None,
                email: String::new(),
                activity: Activity::Never,
                old_last: None,
                old_email: None,
                vendor_email: None,
                acquired_email: None,
                personal_email: None,
                alias_email: None,
                homonym_of: None,
                manager: None,
            };
            self.dates(&mut person);
            self.world.people.push(person);
        }
    }

    /// A name whose key no one else holds yet (homonyms are planted on purpose, not by chance).
    fn fresh_name(&mut self, keys: &mut HashSet<String>) -> Name {
        let mut first = self.pools.first(&mut self.rng);
        let mut last = self.pools.last(&mut self.rng);
        for _ in 0..50 {
            if first != last && keys.insert(self.families.full_key(&first, &last)) {
                break;
            }
            first = self.pools.first(&mut self.rng);
            last = self.pools.last(&mut self.rng);
        }
        let middle = self.chance(0.3).then(|| self.pools.first(&mut self.rng));
        let nick = if self.chance(self.p.nickname_users) {
            nickname_for(&first, &mut self.rng)
        } else {
            None
        };
        Name {
            first,
            middle,
            last,
            nick,
        }
    }

    fn draw_kind(&mut self, engineering: bool) -> Kind {
        if self.chance(self.p.contractors) {
            Kind::Contractor
        } else if engineering && self.chance(self.p.acquired / self.p.engineering) {
            Kind::Acquired
        } else {
            Kind::Employee
        }
    }

    fn draw_role(&mut self, engineering: bool) -> (String, String) {
        if engineering {
            let d = ENGINEERING_DEPARTMENTS.choose(&mut self.rng).expect("dept");
            let t = ENGINEERING_TITLES.choose(&mut self.rng).expect("title");
            (d.to_string(), t.to_string())
        } else {
            let (d, titles) = OTHER_DEPARTMENTS.choose(&mut self.rng).expect("dept");
            let t = titles.choose(&mut self.rng).expect("title");
            (d.to_string(), t.to_string())
        }
    }

    fn draw_story(&mut self, kind: Kind) -> Story {
        let p = self.p;
        // Entra knows no suspended state: there, only a contractor on hold is suspended.
        let can_suspend = self.world.scenario == Scenario::Rest || kind == Kind::Contractor;
        let stories = [
            (Story::Leaver, p.leavers),
            (
                Story::Suspended,
                if can_suspend { p.suspended } else { 0.0 },
            ),
            (Story::NewHire, p.new_hires),
            (Story::Starting, p.starting),
            (
                Story::Converted,
                if kind == Kind::Employee {
                    p.converted
                } else {
                    0.0
                },
            ),
            (
                Story::Renamed,
                if kind == Kind::Contractor {
                    0.0
                } else {
                    p.renamed
                },
            ),
        ];
        let mut u: f64 = self.rng.random();
        for (story, share) in stories {
            if u < share {
                return story;
            }
            u -= share;
        }
        Story::Plain
    }

    /// Hire and leave dates, status and activity, from the person's story.
    fn dates(&mut self, person: &mut Person) {
        let upload = self.world.upload_days_ago;
        person.hired_days_ago = match person.story {
            Story::NewHire => self.rng.random_range(1..upload),
            Story::Starting => 0,
            Story::Converted => self.rng.random_range(20..upload + 300),
            _ => self.rng.random_range(upload + 1..3200),
        };
        person.status = match person.story {
            Story::Suspended => Status::Suspended,
            Story::Starting => Status::Starting,
            _ => Status::Active,
        };
        if person.story == Story::Leaver {
            self.leave(person);
        } else {
            person.activity = self.draw_activity(person.hired_days_ago);
        }
    }

    /// Makes `person` a leaver: a leave date, deleted from the directory or not, and the
    /// activity they left behind (tools keep showing it).
    fn leave(&mut self, person: &mut Person) {
        let hired = person.hired_days_ago.max(60);
        let left = self.rng.random_range(3..hired.min(500));
        // Directories purge deprovisioned accounts after a while: deleted leavers left earlier.
        let deleted = left > 45 && self.chance(self.p.leavers_deleted * 1.4);
        person.status = Status::Departed { deleted };
        person.left_days_ago = Some(left);
        let last = left + self.rng.random_range(0..15);
        person.activity = if last > 90 {
            Activity::Idle(last)
        } else {
            Activity::Recent(last)
        };
    }

    fn draw_activity(&mut self, hired: u32) -> Activity {
        let u: f64 = self.rng.random();
        if hired > 130 && u < self.p.idle {
            Activity::Idle(self.rng.random_range(100..(hired - 10).min(400)))
        } else if u < self.p.idle + self.p.never_used {
            Activity::Never
        } else {
            Activity::Recent(self.rng.random_range(0..45.min(hired.max(1))))
        }
    }

    /// Plants homonym pairs: two people, one name, two directory records. In some pairs one of
    /// the two has left.
    pub(crate) fn homonyms(&mut self) {
        let pairs = ((self.p.people as f64 * self.p.homonym_pairs).round() as usize).max(1);
        let mut plain: Vec<usize> = (0..self.world.people.len())
            .filter(|&i| self.world.people[i].story == Story::Plain)
            .collect();
        plain.shuffle(&mut self.rng);
        for pair in plain.chunks_exact(2).take(pairs) {
            let [a, b] = [pair[0], pair[1]];
            let (first, last) = {
                let pa = &self.world.people[a];
                (pa.name.first.clone(), pa.name.last.clone())
            };
            let nick = nickname_for(&first, &mut self.rng).filter(|_| self.chance(0.3));
            let leaver = self.chance(self.p.homonym_leaver);
            let mut pb = self.world.people[b].clone();
            pb.name = Name {
                first,
                middle: self.chance(0.3).then(|| self.pools.first(&mut self.rng)),
                last,
                nick,
            };
            pb.story = if leaver {
                Story::HomonymLeaver
            } else {
                Story::Homonym
            };
            pb.homonym_of = Some(a);
            if leaver {
                self.leave(&mut pb);
            }
            self.world.people[b] = pb;
            let pa = &mut self.world.people[a];
            pa.story = Story::Homonym;
            pa.homonym_of = Some(b);
        }
    }

    /// Every address: corporate or agency, the one before a rename, the acquired company's, a
    /// personal one, an initials alias.
    pub(crate) fn addresses(&mut self) {
        for i in 0..self.world.people.len() {
            let mut person = self.world.people[i].clone();
            if person.story == Story::Renamed {
                let old_last = self.pools.last(&mut self.rng);
                person.old_email = Some(self.corporate(&person.name.first, &old_last, None));
                person.old_last = Some(old_last);
            }
            if person.story == Story::Converted {
                person.vendor_email = Some(self.agency_address(&person));
            }
            person.email = self.current_address(&person);
            if person.kind == Kind::Acquired {
                // The acquired company gave the address under the name they had then.
                let then = Name {
                    last: person
                        .old_last
                        .clone()
                        .unwrap_or_else(|| person.name.last.clone()),
                    ..person.name.clone()
                };
                person.acquired_email = Some(self.acquired_address(&then));
            }
            if self.chance(0.55) {
                person.personal_email = Some(self.personal_address(&person.name));
            }
            if person.engineering && self.chance(self.p.alias_rows * 2.5) {
                person.alias_email = self.alias_address(&person.name);
            }
            self.world.people[i] = person;
        }
    }

    fn current_address(&mut self, person: &Person) -> String {
        let name = &person.name;
        match person.kind {
            Kind::Contractor
                if self.world.scenario == Scenario::Rest && person.contractor_account =>
            {
                let domain = self.world.company.domain.clone();
                let local = format!(
                    "{}.ext",
                    local_part(&name.first, &name.last, Convention::Dotted)
                );
                self.claim_email(&local, &domain)
            }
            Kind::Contractor => self.agency_address(person),
            _ => self.corporate(&name.first, &name.last, name.middle.as_deref()),
        }
    }

    /// A corporate address under the company's convention; a second holder gets the middle
    /// initial, else a number.
    fn corporate(&mut self, first: &str, last: &str, middle: Option<&str>) -> String {
        let company = &self.world.company;
        let (domain, convention) = (company.domain.clone(), company.convention);
        let local = local_part(first, last, convention);
        if let Some(email) = self.try_claim_email(&format!("{local}@{domain}")) {
            return email;
        }
        if let Some(m) = middle {
            let mi = handle(m).chars().next().unwrap_or('x');
            let with_middle = format!("{}.{mi}.{}", handle(first), handle(last));
            if let Some(email) = self.try_claim_email(&format!("{with_middle}@{domain}")) {
                return email;
            }
        }
        self.claim_email(&local, &domain)
    }

    fn agency_address(&mut self, person: &Person) -> String {
        let vendor = person.vendor.unwrap_or(0);
        let domain = self.world.company.vendors[vendor].1.clone();
        let local = local_part(&person.name.first, &person.name.last, Convention::Dotted);
        self.claim_email(&local, &domain)
    }

    fn acquired_address(&mut self, name: &Name) -> String {
        let domain = self.world.company.acquired_domain.clone();
        let convention = match self.world.company.convention {
            Convention::Dotted => Convention::InitialLast,
            _ => Convention::Dotted,
        };
        let local = local_part(&name.first, &name.last, convention);
        self.claim_email(&local, &domain)
    }

    fn personal_address(&mut self, name: &Name) -> String {
        let (f, l) = (handle(name.used_first()), handle(&name.last));
        let fi = f.chars().next().unwrap_or('x');
        let year = self.rng.random_range(1965..2004);
        let local = match self.rng.random_range(0..6) {
            0 => format!("{f}.{l}"),
            1 => format!("{f}{l}{}", year % 100),
            2 => format!("{fi}{l}{year}"),
            3 => format!("{f}.{l}.{}", self.rng.random_range(1..99)),
            4 => format!("{l}.{f}"),
            _ => format!("{f}{}", self.rng.random_range(100..9999)),
        };
        let domain = *PERSONAL_DOMAINS.choose(&mut self.rng).expect("domain");
        self.claim_email(&local, domain)
    }

    /// `jd@`, `jane@` or `jdoe@` at the corporate domain, when free (an alias is never numbered).
    fn alias_address(&mut self, name: &Name) -> Option<String> {
        let (f, l) = (handle(&name.first), handle(&name.last));
        let fi = f.chars().next().unwrap_or('x');
        let li = l.chars().next().unwrap_or('x');
        let local = match self.rng.random_range(0..3) {
            0 => format!("{fi}{li}"),
            1 => f,
            _ => format!("{fi}{l}"),
        };
        let domain = self.world.company.domain.clone();
        self.try_claim_email(&format!("{local}@{domain}"))
    }

    /// A manager for everyone, from the managers of the same department when there are some;
    /// managers report to an earlier manager, so the chain has no cycle.
    pub(crate) fn managers(&mut self) {
        let mut by_department: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, person) in self.world.people.iter().enumerate() {
            if MANAGER_TITLES.contains(&person.title.as_str()) {
                by_department
                    .entry(person.department.clone())
                    .or_default()
                    .push(i);
            }
        }
        for i in 0..self.world.people.len() {
            let Some(pool) = by_department.get(&self.world.people[i].department) else {
                continue;
            };
            // Indices are pushed in order: the managers before `i` are a prefix.
            let earlier = &pool[..pool.partition_point(|&m| m < i)];
            self.world.people[i].manager = earlier.choose(&mut self.rng).copied();
        }
    }
}
