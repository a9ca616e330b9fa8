//! Phases for what is not a person the organisation employs: bots in every tool (GitHub App bots
//! that SEI made rows for, directory service accounts, bot mailboxes and machine users, GitLab
//! project bots, Jira apps) and outsiders (Jira service-desk customers, Entra meeting rooms).

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};

use super::Gen;
use super::people::IT_DEPARTMENT;
use crate::sim::names::handle;
use crate::sim::world::{
    Bot, DirRecord, DirState, GithubAccount, GitlabAccount, JiraAccount, Owner, Row, RowKind,
    Scenario,
};

const SERVICES: &[&str] = &[
    "deploy",
    "release",
    "jenkins",
    "terraform",
    "backup",
    "monitoring",
    "grafana",
    "sentry",
    "argo",
    "build",
    "ci",
    "docs",
    "scanner",
    "sonar",
    "nightly",
    "perf",
    "migrations",
    "etl",
    "airflow",
    "dbt",
    "metrics",
    "alerts",
    "oncall",
    "e2e",
    "loadtest",
    "packer",
    "vault",
    "registry",
    "mirror",
    "changelog",
    "translations",
    "sbom",
    "fuzz",
    "benchmarks",
    "integration",
    "qa-automation",
    "helm",
    "ansible",
    "chatops",
    "canary",
];
const TEAMS: &[&str] = &[
    "payments", "search", "billing", "growth", "identity", "mobile", "web", "infra", "data", "ml",
    "checkout", "platform",
];
/// GitHub App bots SEI makes rows for from their commits: (login, account id).
const APP_BOTS: &[(&str, u64)] = &[
    ("dependabot[bot]", 49_699_333),
    ("github-actions[bot]", 41_898_282),
    ("renovate[bot]", 29_139_614),
    ("codecov[bot]", 22_429_695),
    ("sonarcloud[bot]", 39_514_782),
    ("mergify[bot]", 37_929_162),
    ("pre-commit-ci[bot]", 66_853_113),
    ("snyk-bot", 19_733_683),
];
const JIRA_APPS: &[&str] = &[
    "Automation for Jira",
    "GitHub for Jira",
    "Slack",
    "Jira Service Management Widget",
    "Statuspage for Jira",
    "Opsgenie Integration",
    "Microsoft Teams for Jira Cloud",
    "Zephyr Scale",
    "Tempo Timesheets",
    "Xray",
    "ScriptRunner for Jira",
    "Jira Cloud for Sheets",
    "Trello",
    "Bitbucket",
    "Zendesk Support for Jira",
    "Figma for Jira",
    "PagerDuty",
    "Sentry",
    "Datadog",
    "Confluence",
];
const CITIES: &[&str] = &["berlin", "austin", "lisbon", "toronto", "pune", "dublin"];

fn title_case(s: &str) -> String {
    s.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Gen<'_> {
    fn new_bot(&mut self, name: &str) -> usize {
        let k = self.world.bots.len();
        self.world.bots.push(Bot {
            id: format!("B{:04}", k + 1),
            name: name.to_string(),
        });
        k
    }

    /// A service name not used yet: `deploy`, then `payments-deploy`, …
    fn service(&mut self, used: &mut Vec<String>) -> String {
        let mut s = SERVICES.choose(&mut self.rng).expect("service").to_string();
        while used.contains(&s) {
            let team = TEAMS.choose(&mut self.rng).expect("team");
            let base = SERVICES.choose(&mut self.rng).expect("service");
            s = format!("{team}-{base}");
        }
        used.push(s.clone());
        s
    }

    pub(crate) fn bots(&mut self) {
        let p = self.p;
        let rows = ((p.people as f64 * p.engineering * p.bot_rows).round() as usize).max(3);
        let mut used = Vec::new();
        let mut apps: Vec<(&str, u64)> = APP_BOTS.to_vec();
        apps.shuffle(&mut self.rng);
        for _ in 0..rows {
            let u: f64 = self.rng.random();
            if u < 0.25
                && let Some((login, id)) = apps.pop()
            {
                self.app_bot_row(login, id);
            } else if u < 0.55 {
                let service = self.service(&mut used);
                self.service_account(&service, true);
            } else {
                let service = self.service(&mut used);
                self.bot_mailbox(&service);
            }
        }
        for _ in 0..self.rng.random_range(1..5) {
            let service = self.service(&mut used);
            self.service_account(&service, false);
        }
        for _ in 0..self.rng.random_range(3..12) {
            let service = self.service(&mut used);
            let bot = self.new_bot(&format!(
                "{} {}",
                self.world.company.name,
                title_case(&service)
            ));
            self.machine_user(bot, &service, None);
        }
        self.gitlab_bots();
        self.jira_apps();
        self.number_gitlab_accounts();
    }

    fn app_bot_row(&mut self, login: &str, id: u64) {
        let bot = self.new_bot(login);
        self.world.rows.push(Row {
            owner: Owner::Bot(bot),
            kind: RowKind::Bot,
            email: format!("{id}+{login}@users.noreply.github.com"),
            full_name: login.to_string(),
            role: None,
            department: None,
            manager_email: None,
        });
    }

    /// `svc-deploy@` in the directory (IT, "Service Account"), with a row when `with_row`.
    fn service_account(&mut self, service: &str, with_row: bool) {
        let domain = self.world.company.domain.clone();
        let email = self.claim_email(&format!("svc-{service}"), &domain);
        let bot = self.new_bot(&format!("svc-{service}"));
        let id = self.directory_id();
        self.world.directory.push(DirRecord {
            owner: Owner::Bot(bot),
            id,
            first: format!("svc-{service}"),
            last: "Service".into(),
            display: Some(format!("svc-{service}")),
            email: email.clone(),
            login: email.clone(),
            secondary: Vec::new(),
            state: DirState::Active,
            title: "Service Account".into(),
            department: IT_DEPARTMENT.into(),
            employee_number: None,
            user_type: "Service",
            github_link: None,
            created_days_ago: self.rng.random_range(200..2000),
            state_changed_days_ago: 200,
            manager: None,
        });
        if with_row {
            let full_name = if self.chance(0.5) {
                format!("svc-{service}")
            } else {
                format!("{} Service Account", title_case(service))
            };
            self.push_bot_row(bot, email, full_name);
        }
    }

    /// `deploy-bot@` (or `ci@`): a mailbox no directory lists, with a row; now and then a
    /// GitHub machine user shows the same address.
    fn bot_mailbox(&mut self, service: &str) {
        let domain = self.world.company.domain.clone();
        let local = if self.chance(0.3) {
            service.to_string()
        } else {
            format!("{service}-bot")
        };
        let email = self.claim_email(&local, &domain);
        let name = if self.chance(0.5) {
            format!("{} Bot", title_case(service))
        } else {
            title_case(service)
        };
        let bot = self.new_bot(&name);
        self.push_bot_row(bot, email.clone(), name);
        if self.chance(0.5) {
            self.machine_user(bot, service, Some(email));
        }
    }

    fn push_bot_row(&mut self, bot: usize, email: String, full_name: String) {
        self.world.rows.push(Row {
            owner: Owner::Bot(bot),
            kind: RowKind::Bot,
            email,
            full_name,
            role: Some("Engineer".into()),
            department: Some("Engineering".into()),
            manager_email: None,
        });
    }

    /// A GitHub machine user: an ordinary `User` account a team runs automation with.
    fn machine_user(&mut self, bot: usize, service: &str, email: Option<String>) {
        let slug = self.world.company.slug.clone();
        let wanted = if self.chance(0.5) {
            format!("{slug}-{service}-bot")
        } else {
            format!("{slug}-{service}")
        };
        let login = self.claim_login(&wanted);
        let name = Some(format!(
            "{} {}",
            self.world.company.name,
            title_case(service)
        ));
        let id = self.claim_id(1_000_000..160_000_000);
        self.world.github.push(GithubAccount {
            owner: Owner::Bot(bot),
            id,
            login,
            name,
            email,
            created_days_ago: self.rng.random_range(100..2500),
            seat: None,
            saml_name_id: None,
        });
    }

    fn gitlab_bots(&mut self) {
        let host = format!("gitlab.{}", self.world.company.acquired_domain);
        for internal in ["alert-bot", "support-bot", "visual-review-bot"] {
            let bot = self.new_bot(internal);
            self.push_gitlab_bot(
                bot,
                internal,
                &title_case(internal),
                &format!("{internal}@{host}"),
            );
        }
        for _ in 0..self.rng.random_range(10..40) {
            let project = self.rng.random_range(100..5000);
            let tail = super::accounts::hex_digits(&mut self.rng, 8);
            let username = format!("project_{project}_bot_{tail}");
            let name = format!(
                "{} bot",
                title_case(SERVICES.choose(&mut self.rng).expect("service"))
            );
            let bot = self.new_bot(&name);
            let email = format!("project{project}_bot_{tail}@noreply.{host}");
            self.push_gitlab_bot(bot, &username, &name, &email);
        }
    }

    fn push_gitlab_bot(&mut self, bot: usize, username: &str, name: &str, email: &str) {
        let username = self.claim_username(username);
        self.world.gitlab.push(GitlabAccount {
            owner: Owner::Bot(bot),
            id: 0,
            username,
            name: name.to_string(),
            email: email.to_string(),
            state: "active",
            bot: true,
            last_activity_days_ago: Some(self.rng.random_range(0..30)),
            created_days_ago: self.rng.random_range(30..1500),
        });
    }

    fn jira_apps(&mut self) {
        let mut apps: Vec<&str> = JIRA_APPS.to_vec();
        apps.shuffle(&mut self.rng);
        let count = self.rng.random_range(8..apps.len());
        for app in apps.into_iter().take(count) {
            let bot = self.new_bot(app);
            let account_id = format!("557058:{}", super::accounts::uuid(&mut self.rng));
            self.world.jira.push(JiraAccount {
                owner: Owner::Bot(bot),
                account_id,
                account_type: "app",
                display_name: app.to_string(),
                email: None,
                active: true,
            });
        }
    }

    /// GitLab numbers accounts in the order they were created (the root account is 1).
    fn number_gitlab_accounts(&mut self) {
        let gitlab = &mut self.world.gitlab;
        gitlab.sort_by_key(|a| std::cmp::Reverse(a.created_days_ago));
        for (k, account) in gitlab.iter_mut().enumerate() {
            account.id = k as u64 + 2;
        }
    }

    pub(crate) fn outsiders(&mut self) {
        let share = match self.world.scenario {
            Scenario::Rest => 0.005,
            Scenario::Graphql => 0.02,
        };
        let customers = (self.p.people as f64 * share).round() as usize;
        for k in 0..customers {
            let (first, last) = (
                self.pools.first(&mut self.rng),
                self.pools.last(&mut self.rng),
            );
            let domain = format!("{}corp.com", handle(&self.pools.last(&mut self.rng)));
            let email = self.claim_email(&format!("{}.{}", handle(&first), handle(&last)), &domain);
            self.world.jira.push(JiraAccount {
                owner: Owner::Outsider(format!("X{:05}", k + 1)),
                account_id: format!("qm:{}", super::accounts::uuid(&mut self.rng)),
                account_type: "customer",
                display_name: format!("{first} {last}"),
                email: Some(email),
                active: true,
            });
        }
        if self.world.scenario == Scenario::Graphql {
            self.rooms(customers);
        }
    }

    /// Meeting rooms: disabled accounts with a mailbox, as Entra lists them.
    fn rooms(&mut self, first_label: usize) {
        let domain = self.world.company.domain.clone();
        for k in 0..self.rng.random_range(5..20) {
            let city = *CITIES.choose(&mut self.rng).expect("city");
            let room = format!(
                "{}{}",
                self.rng.random_range(1..9),
                (b'A' + (k % 6) as u8) as char
            );
            let email = self.claim_email(&format!("room-{}-{city}", room.to_lowercase()), &domain);
            let display = format!("Room {room} ({})", title_case(city));
            self.world.directory.push(DirRecord {
                owner: Owner::Outsider(format!("X{:05}", first_label + k + 1)),
                id: super::accounts::uuid(&mut self.rng),
                first: String::new(),
                last: String::new(),
                display: Some(display),
                email: email.clone(),
                login: email,
                secondary: Vec::new(),
                state: DirState::Deprovisioned,
                title: String::new(),
                department: String::new(),
                employee_number: None,
                user_type: "Room",
                github_link: None,
                created_days_ago: 900,
                state_changed_days_ago: 900,
                manager: None,
            });
        }
    }
}
