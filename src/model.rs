//! Plain data shared by every room: identities from sources, the developer table, recommendations,
//! usage. No I/O and no behaviour beyond small, obvious helpers.
//!
//! Architecture invariant: nothing here knows a vendor's wire format or a storage layout.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The reserved source name under which the developer table's own rows take part in resolution.
pub const TABLE_SOURCE: &str = "table";

/// What a source says about an account's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Active account (Okta ACTIVE, Graph accountEnabled, CSV `status.active`, ...).
    Active,
    /// A non-final state that still counts as employed but is uncertain (Okta SUSPENDED, LOCKED_OUT, ...).
    Suspended,
    /// A final state: deprovisioned, disabled, ended, blocked.
    Departed,
    /// The source does not say.
    #[default]
    Unknown,
}

/// A link from one identity to an account in another source (SPEC §2 `sources.links`): the other
/// source's name and a value that names the account there (its id, login or email).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Link {
    pub source: String,
    pub value: String,
}

/// One record from one source (SPEC §3.1). `(source, id)` is unique within a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The configured source name (or [`TABLE_SOURCE`] for a table row).
    pub source: String,
    /// The source's own stable id (GitHub numeric id as a string, Okta id, CSV `id` column, ...).
    pub id: String,
    /// Raw email addresses as the source gives them; the first is the primary one.
    pub emails: Vec<String>,
    pub login: Option<String>,
    pub name: Option<String>,
    pub employee_id: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub manager_email: Option<String>,
    pub status: AccountStatus,
    /// The source itself flags the account as a bot / app / service account.
    pub is_bot: bool,
    /// Last engineering activity (Copilot `last_activity_at`, GitLab `last_activity_on`, ...).
    /// Directory sign-ins never go here.
    pub last_activity: Option<DateTime<Utc>>,
    /// Earliest account creation / hire / seat date the source reports.
    pub created_at: Option<DateTime<Utc>>,
    /// Accounts of the same person in other sources.
    pub links: Vec<Link>,
    /// True when the identity comes from a source with `directory = true`.
    pub directory: bool,
}

impl Identity {
    /// The primary email, if any.
    pub fn email(&self) -> Option<&str> {
        self.emails.first().map(String::as_str)
    }
}

/// Whether a table row consumes a license.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    #[default]
    Active,
    Removed,
}

impl RowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Active => "active",
            RowStatus::Removed => "removed",
        }
    }
}

/// An identity that has been attached to a table row in an earlier run (or this one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRef {
    pub source: String,
    pub id: String,
    pub login: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// One row of the developer table: one license while `status` is active (SPEC §3.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Developer {
    pub id: String,
    pub name: String,
    /// Primary email: the row's key in the SEI CSV.
    pub email: String,
    /// Every known email, primary first.
    pub emails: Vec<String>,
    pub status: RowStatus,
    /// Job title; the SEI CSV `Role` column.
    pub title: Option<String>,
    pub department: Option<String>,
    pub manager_email: Option<String>,
    pub site: Option<String>,
    pub team: Option<String>,
    pub sub_role: Option<String>,
    /// The first time any run, import or source saw this person.
    pub first_seen: DateTime<Utc>,
    pub last_activity: Option<DateTime<Utc>>,
    pub identities: Vec<IdentityRef>,
}

impl Developer {
    /// A row known only by its id, name, email and status (the rest empty): how the report names rows.
    pub fn named(id: String, name: String, email: String, status: RowStatus) -> Developer {
        Developer {
            id,
            name,
            email,
            emails: Vec::new(),
            status,
            title: None,
            department: None,
            manager_email: None,
            site: None,
            team: None,
            sub_role: None,
            first_seen: DateTime::<Utc>::UNIX_EPOCH,
            last_activity: None,
            identities: Vec::new(),
        }
    }
}

#[cfg(test)]
impl Developer {
    /// A plain active row for tests: `id`, `email`, a name made from the id, nothing else known.
    pub(crate) fn example(id: &str, email: &str) -> Developer {
        let name = format!("Name {id}");
        Developer {
            emails: vec![email.into()],
            ..Developer::named(id.into(), name, email.into(), RowStatus::Active)
        }
    }
}

/// What the organisation bought (SPEC §2 `[subscription]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub licenses_purchased: u64,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    /// The vendor's license record the figures came from (a `harness` source), if any.
    pub license: Option<LicenseUsed>,
}

/// The one license record a subscription was read from: its id and exact window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseUsed {
    pub id: String,
    pub starts: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
}

/// What to do with a table row (SPEC §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Remove,
    Merge,
    Review,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Remove => "remove",
            Action::Merge => "merge",
            Action::Review => "review",
        }
    }
}

/// Why (SPEC §3.5), in order of certainty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Duplicate,
    Departed,
    Bot,
    ExcludedRole,
    Inactive,
    Unseen,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Duplicate => "duplicate",
            Reason::Departed => "departed",
            Reason::Bot => "bot",
            Reason::ExcludedRole => "excluded_role",
            Reason::Inactive => "inactive",
            Reason::Unseen => "unseen",
        }
    }

    pub const ALL: [Reason; 6] = [
        Reason::Duplicate,
        Reason::Departed,
        Reason::Bot,
        Reason::ExcludedRole,
        Reason::Inactive,
        Reason::Unseen,
    ];
}

/// One recommendation for one table row (SPEC §3.5, §4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub developer: String,
    pub action: Action,
    pub reason: Reason,
    pub into: Option<String>,
    pub confidence: f64,
    pub evidence: Vec<String>,
}

/// License counts of a run (SPEC §4 `usage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Usage {
    pub consumed_before: u64,
    pub consumed_after: u64,
    pub overage: u64,
    pub consumed_if_applied: u64,
    /// Active rows after the run whose person shows no engineering activity in any source: the
    /// activity sources do not cover them, so nothing is inferred (SPEC §3.5). Absent from runs
    /// stored before the figure existed.
    #[serde(default)]
    pub activity_unknown: u64,
    /// Eligible people found in the tools who were not added because a possible match to a row
    /// still needs a person's decision (SPEC §3.3). Absent from runs stored before the figure existed.
    #[serde(default)]
    pub withheld: u64,
}

/// How a source fared in a run (SPEC §3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    Ok,
    Failed,
    Guarded,
}

impl SourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Ok => "ok",
            SourceStatus::Failed => "failed",
            SourceStatus::Guarded => "guarded",
        }
    }
}

/// A run's overall status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Ok,
    Degraded,
}

/// One row of an SEI developer CSV (SPEC §5), already validated.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SeiRow {
    pub email: String,
    pub manager_email: Option<String>,
    pub full_name: String,
    pub role: Option<String>,
    pub site: Option<String>,
    pub team: Option<String>,
    pub sub_role: Option<String>,
    pub department: Option<String>,
}

/// SEI's developer table as a `harness` source read it: the rows it could use, and what a live
/// table may hold that an import would refuse (a duplicate email, a manager who is no row, …),
/// each as a line-numbered finding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SeiTable {
    pub rows: Vec<SeiRow>,
    pub findings: Vec<String>,
}

/// Which value of an account SEI takes as its identity in an integration (SEI's "identifier type
/// used" per integration type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKey {
    /// The account's login (GitHub: "Username").
    Login,
    /// The source's own account id (Jira: "Account ID").
    AccountId,
    /// The display name (GitLab: "Name").
    Name,
    /// The account's email (Azure DevOps, Bitbucket Server, Harness Code: "Email").
    Email,
}

impl IdentityKey {
    /// Whether two identity values name the same account: account ids exactly, the rest
    /// case-insensitively (logins, names and emails are not case-sensitive in these tools).
    pub fn same(self, a: &str, b: &str) -> bool {
        match self {
            IdentityKey::AccountId => a.trim() == b.trim(),
            _ => a.trim().to_lowercase() == b.trim().to_lowercase(),
        }
    }

    /// The value of `account` SEI expects, if it has one.
    pub fn value_of(self, account: &IdentityRef) -> Option<&str> {
        let value = match self {
            IdentityKey::Login => account.login.as_deref(),
            IdentityKey::AccountId => Some(account.id.as_str()),
            IdentityKey::Name => account.name.as_deref(),
            IdentityKey::Email => account.email.as_deref(),
        };
        value.map(str::trim).filter(|v| !v.is_empty())
    }
}

/// One seatwarden source that SEI knows as an integration: the source's name, SEI's integration
/// id, and which value of an account SEI takes as its identity there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeiIntegration {
    pub source: String,
    pub integration_id: u64,
    pub key: IdentityKey,
}

/// One developer identity in SEI's terms (`email,integrationId,identity`): this integration
/// account belongs to the developer with this email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeiIdentity {
    pub email: String,
    pub integration_id: u64,
    pub identity: String,
}

/// The developer identities SEI holds, with the integrations they were compared through.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SeiIdentities {
    pub integrations: Vec<SeiIntegration>,
    pub held: Vec<SeiIdentity>,
}

/// A readable name from an email's local part: `jane.doe+sei@x.com` → `Jane Doe` (the email itself
/// when the local part has no letters to use).
pub fn name_from_email(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    let local = local.split('+').next().unwrap_or(local);
    let mut words: Vec<String> = Vec::new();
    for part in local.split(['.', '_', '-']) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            let mut word: String = first.to_uppercase().collect();
            word.push_str(chars.as_str());
            words.push(word);
        }
    }
    if words.is_empty() {
        email.to_string()
    } else {
        words.join(" ")
    }
}

/// What one audit entry records (the store's audit trail; never pruned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// `apply` set a row `removed`: it stopped consuming a license.
    Removed,
    /// `apply` folded a row into another (its emails and identities carried over); the row is `removed`.
    Merged,
    /// `developers restore` undid a removal or a merge.
    Restored,
    /// `developers import` added, updated or (with `--replace`) dropped the row.
    Imported,
    /// `developers merge`: two rows or identities are one person.
    MergeOverride,
    /// `developers split`: two rows or identities are different people.
    SplitOverride,
    /// A run made a removed row active again: the directory shows the person active and eligible.
    #[serde(rename = "re-added")]
    ReAdded,
}

impl AuditAction {
    pub const ALL: [AuditAction; 7] = [
        AuditAction::Removed,
        AuditAction::Merged,
        AuditAction::Restored,
        AuditAction::Imported,
        AuditAction::MergeOverride,
        AuditAction::SplitOverride,
        AuditAction::ReAdded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Removed => "removed",
            AuditAction::Merged => "merged",
            AuditAction::Restored => "restored",
            AuditAction::Imported => "imported",
            AuditAction::MergeOverride => "merge_override",
            AuditAction::SplitOverride => "split_override",
            AuditAction::ReAdded => "re-added",
        }
    }

    /// The action a stored word names, if any.
    pub fn from_word(word: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == word)
    }

    /// Whether this is a change `apply` or `restore` made to who consumes a license (what a report
    /// shows as "applied since the last run").
    pub fn is_applied_change(self) -> bool {
        matches!(
            self,
            AuditAction::Removed | AuditAction::Merged | AuditAction::Restored
        )
    }
}

/// One entry of the audit trail: when, who, what happened to which row, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// `--actor`, else `$SEATWARDEN_ACTOR`, else the OS user.
    pub actor: String,
    pub action: AuditAction,
    /// The developer id of the row, when the entry is about one.
    pub developer: Option<String>,
    /// The row's email at the time.
    pub email: Option<String>,
    /// The row a merge folded this one into.
    pub into: Option<String>,
    /// The recommendation's reason (`departed`, …) or why else it happened.
    pub reason: Option<String>,
    pub evidence: Vec<String>,
    /// The stored run the recommendation came from (or that re-added the row).
    pub run_id: Option<String>,
    /// Where the change came from: `recs.csv:4`, `table.csv`, `developers split`.
    pub origin: Option<String>,
    /// What changed, for a person to read; a merge also records what it carried (JSON, for restore).
    pub detail: Option<String>,
}
