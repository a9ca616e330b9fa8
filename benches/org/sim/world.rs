//! The simulated organisation as plain data: its people, bots and outsiders, every account each
//! vendor holds for them, and the SEI developer table "as last uploaded, with its mess".
//!
//! Every account and every row names its true owner here; the vendors' shapes (`vendors/`) never
//! serve that field, and `truth` decides what a careful admin could conclude from the served data.

use crate::sim::names::Name;

/// Which organisation is simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Okta + contractors CSV + GitHub REST with Copilot + GitLab + Jira + Harness.
    Rest,
    /// Microsoft Entra + contractors CSV + GitHub GraphQL with SAML and Copilot + GitLab + Jira +
    /// Harness, every server injecting transient faults.
    Graphql,
}

impl Scenario {
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Rest => "rest",
            Scenario::Graphql => "graphql",
        }
    }
}

/// Whose an account or a row truly is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    Person(usize),
    Bot(usize),
    /// Not a person the organisation employs: a Jira service-desk customer, a meeting room.
    Outsider(String),
}

#[derive(Clone, Debug)]
pub struct Company {
    /// "Acme"
    pub name: String,
    /// "acme"
    pub slug: String,
    /// "acme.com"
    pub domain: String,
    /// The acquired company whose GitLab the organisation still runs.
    pub acquired_name: String,
    pub acquired_domain: String,
    /// Contractor agencies: (name, domain).
    pub vendors: Vec<(String, String)>,
    /// How corporate addresses are spelled.
    pub convention: Convention,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Convention {
    Dotted,
    InitialLast,
    FirstInitial,
    Underscored,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Employee,
    /// An employee who came with the acquired company (GitLab account at its old address).
    Acquired,
    Contractor,
}

/// Where a person stands today (the directory records say it in their own words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Active,
    /// Okta SUSPENDED / a contractor "On Hold": employed, but uncertain.
    Suspended,
    /// Hired, starts soon: Okta PROVISIONED.
    Starting,
    /// Left; `deleted` when the directory no longer lists them at all.
    Departed {
        deleted: bool,
    },
}

/// Engineering activity, as every activity source of the person shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// Last active this many days ago (recent).
    Recent(u32),
    /// Last active this many days ago (more than the 90-day policy).
    Idle(u32),
    /// Never active: seats and accounts without a last-activity date.
    Never,
}

impl Activity {
    pub fn days(self) -> Option<u32> {
        match self {
            Activity::Recent(d) | Activity::Idle(d) => Some(d),
            Activity::Never => None,
        }
    }
}

/// The phenomenon a person was drawn for (at most one each; second rows come on top).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Story {
    Plain,
    Leaver,
    Suspended,
    NewHire,
    Starting,
    Converted,
    Renamed,
    Homonym,
    HomonymLeaver,
}

impl Story {
    pub fn as_str(self) -> &'static str {
        match self {
            Story::Plain => "plain",
            Story::Leaver => "leaver",
            Story::Suspended => "suspended",
            Story::NewHire => "new hire",
            Story::Starting => "starting soon",
            Story::Converted => "converted contractor",
            Story::Renamed => "renamed",
            Story::Homonym => "homonym",
            Story::HomonymLeaver => "homonym leaver",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Person {
    /// "P00042"
    pub id: String,
    pub name: Name,
    pub story: Story,
    pub kind: Kind,
    /// Index into `Company::vendors` for contractors (and converted contractors' old agency).
    pub vendor: Option<usize>,
    /// Contractors only: they hold a directory account too (Okta `ext` address, Entra guest).
    pub contractor_account: bool,
    pub department: String,
    pub title: String,
    pub engineering: bool,
    pub status: Status,
    pub hired_days_ago: u32,
    pub left_days_ago: Option<u32>,
    /// The current address: corporate for employees, the agency's or an `ext` one for contractors.
    pub email: String,
    pub activity: Activity,
    /// Renamed people: the last name and address they had before.
    pub old_last: Option<String>,
    pub old_email: Option<String>,
    /// Converted contractors: the agency address their contractor record (now ended) holds.
    pub vendor_email: Option<String>,
    /// Acquired people: their address at the acquired company.
    pub acquired_email: Option<String>,
    pub personal_email: Option<String>,
    /// An initials alias at the corporate domain (`jd@`), when they have one.
    pub alias_email: Option<String>,
    /// The other person of a homonym pair.
    pub homonym_of: Option<usize>,
    pub manager: Option<usize>,
}

impl Person {
    pub fn departed(&self) -> bool {
        matches!(self.status, Status::Departed { .. })
    }
}

#[derive(Clone, Debug)]
pub struct Bot {
    /// "B0007"
    pub id: String,
    pub name: String,
}

/// A directory's state for one record (Okta's words; Entra only knows enabled / disabled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirState {
    Active,
    Suspended,
    Provisioned,
    /// Okta DEPROVISIONED, Entra `accountEnabled: false`.
    Deprovisioned,
}

/// One Okta or Entra user.
#[derive(Clone, Debug)]
pub struct DirRecord {
    pub owner: Owner,
    pub id: String,
    pub first: String,
    pub last: String,
    pub display: Option<String>,
    pub email: String,
    /// Okta `login` / Entra `userPrincipalName`.
    pub login: String,
    /// Okta `secondEmail` / Entra `otherMails`.
    pub secondary: Vec<String>,
    pub state: DirState,
    pub title: String,
    pub department: String,
    pub employee_number: Option<String>,
    /// "Employee", "Contractor", "Guest", "Service", "Room".
    pub user_type: &'static str,
    /// The GitHub login the profile names (Okta `githubUsername`, Entra `extensionAttribute1`).
    pub github_link: Option<String>,
    pub created_days_ago: u32,
    pub state_changed_days_ago: u32,
    pub manager: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmsStatus {
    Active,
    OnHold,
    Ended,
}

impl VmsStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VmsStatus::Active => "Active",
            VmsStatus::OnHold => "On Hold",
            VmsStatus::Ended => "Ended",
        }
    }
}

/// One row of the contractor agency export (the VMS CSV).
#[derive(Clone, Debug)]
pub struct VmsRecord {
    pub owner: Owner,
    pub id: String,
    pub full_name: String,
    pub email: String,
    pub role: String,
    pub department: String,
    pub vendor: String,
    pub status: VmsStatus,
    pub start_days_ago: u32,
    pub end_days_ago: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Seat {
    pub created_days_ago: u32,
    pub last_activity_days_ago: Option<u32>,
    pub editor: &'static str,
}

#[derive(Clone, Debug)]
pub struct GithubAccount {
    pub owner: Owner,
    pub id: u64,
    pub login: String,
    pub name: Option<String>,
    /// The public profile email.
    pub email: Option<String>,
    pub created_days_ago: u32,
    pub seat: Option<Seat>,
    /// The SAML identity's NameID (GraphQL organisations with SAML single sign-on).
    pub saml_name_id: Option<String>,
}

#[derive(Clone, Debug)]
pub struct GitlabAccount {
    pub owner: Owner,
    pub id: u64,
    pub username: String,
    pub name: String,
    pub email: String,
    /// "active", "blocked", "deactivated"
    pub state: &'static str,
    pub bot: bool,
    pub last_activity_days_ago: Option<u32>,
    pub created_days_ago: u32,
}

#[derive(Clone, Debug)]
pub struct JiraAccount {
    pub owner: Owner,
    pub account_id: String,
    /// "atlassian", "app", "customer"
    pub account_type: &'static str,
    pub display_name: String,
    /// None when the user's privacy setting hides it.
    pub email: Option<String>,
    pub active: bool,
}

/// Why a row is in the table (the truth's phenomena start from it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// At the person's address of the time of the upload.
    Home,
    /// A second row under an initials alias at the corporate domain.
    Alias,
    /// A second row under a personal address.
    Personal,
    /// A row under the acquired company's address.
    Acquired,
    /// A converted contractor's row under the agency address.
    Vendor,
    /// A renamed person's row under the address they had before.
    OldAddress,
    /// A row SEI made from commits: `NNN+login@users.noreply.github.com`.
    Noreply,
    Bot,
}

impl RowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Home => "home",
            RowKind::Alias => "initials alias",
            RowKind::Personal => "personal address",
            RowKind::Acquired => "acquired-company address",
            RowKind::Vendor => "agency address",
            RowKind::OldAddress => "old address",
            RowKind::Noreply => "GitHub noreply",
            RowKind::Bot => "bot",
        }
    }
}

/// One row of SEI's developer table (SPEC §5 columns).
#[derive(Clone, Debug)]
pub struct Row {
    pub owner: Owner,
    pub kind: RowKind,
    pub email: String,
    pub full_name: String,
    pub role: Option<String>,
    pub department: Option<String>,
    pub manager_email: Option<String>,
}

/// The whole organisation, as generated.
pub struct World {
    pub scenario: Scenario,
    pub seed: u64,
    pub company: Company,
    pub people: Vec<Person>,
    pub bots: Vec<Bot>,
    pub directory: Vec<DirRecord>,
    pub vms: Vec<VmsRecord>,
    pub github: Vec<GithubAccount>,
    /// SAML identities provisioned for nobody who linked a GitHub account yet (NameID only).
    pub unlinked_saml: Vec<String>,
    pub gitlab: Vec<GitlabAccount>,
    pub jira: Vec<JiraAccount>,
    pub rows: Vec<Row>,
    pub licenses: u64,
    /// Days since the table was last uploaded to SEI: people hired since have no row.
    pub upload_days_ago: u32,
}

impl World {
    pub fn owner_label(&self, owner: &Owner) -> String {
        match owner {
            Owner::Person(i) => self.people[*i].id.clone(),
            Owner::Bot(i) => self.bots[*i].id.clone(),
            Owner::Outsider(what) => what.clone(),
        }
    }
}
