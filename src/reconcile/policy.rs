//! The reconciliation policy (SPEC §2 `[policy]`: [`Policy`], its defaults) and its eligibility rules
//! (SPEC §3.5): bots, excluded roles, protected emails. `config` validates the file and builds the
//! [`Policy`]; the rules here only read it.
//!
//! Architecture invariant: pure; every rule returns the evidence it decided on, or nothing. It knows
//! nothing of the TOML file or the environment (that is `config`'s job) and recommends nothing itself.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::Identity;

/// The reconciliation policy (SPEC §2 `[policy]`).
#[derive(Debug, Clone)]
pub struct Policy {
    pub inactive_after_days: u32,
    pub new_developer_grace_days: u32,
    /// Lowercased department names.
    pub exclude_departments: Vec<String>,
    pub exclude_titles: Vec<Regex>,
    /// Lowercased protected emails.
    pub protect: Vec<String>,
    pub add_new_developers: bool,
    pub bot_patterns: Vec<Regex>,
    pub max_drop_percent: f64,
    /// `apply` refuses to change more than this share of the active rows without `--force`.
    pub max_apply_percent: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            inactive_after_days: 90,
            new_developer_grace_days: 30,
            exclude_departments: Vec::new(),
            exclude_titles: Vec::new(),
            protect: Vec::new(),
            add_new_developers: true,
            bot_patterns: Vec::new(),
            max_drop_percent: 10.0,
            max_apply_percent: 10.0,
        }
    }
}

/// Built-in bot patterns over a login, a name or an email's local part. Tight on purpose: a person
/// must never match (no `ci`, no bare `build`: those are also given names and surnames).
static BUILTIN_BOT_PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i)\[bot\]$",
        r"(?i)\(bot\)$",
        r"(?i)(^|[-_.\s])(bot|bots|robot|svc|service[-_.]?account|automation)($|[-_.\s\d])",
        r"(?i)^(dependabot|renovate|snyk|github-actions|gitlab-bot|jenkins|sonarcloud|sonarqube|codecov|mergify|greenkeeper|semantic-release|allcontributors|imgbot|pre-commit-ci|copilot-swe-agent|atlassian-bot|circleci|travis-ci|buildkite)\b",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("static pattern compiles"))
    .collect()
});

/// Why an identity counts as a bot, if it does: `(evidence, flagged_by_source)`.
pub fn bot_evidence(identities: &[&Identity], extra: &[Regex]) -> Option<(String, bool)> {
    for i in identities {
        if i.is_bot {
            return Some((
                format!(
                    "{}: the source flags {} as a bot or app account",
                    i.source,
                    short(i)
                ),
                true,
            ));
        }
    }
    for i in identities {
        for (what, value) in candidates(i) {
            let hit = BUILTIN_BOT_PATTERNS
                .iter()
                .chain(extra.iter())
                .find(|re| re.is_match(&value));
            if let Some(re) = hit {
                return Some((
                    format!(
                        "{}: {what} `{value}` matches the bot pattern /{}/",
                        i.source,
                        re.as_str()
                    ),
                    false,
                ));
            }
        }
    }
    None
}

fn short(i: &Identity) -> String {
    i.login
        .as_ref()
        .map(|l| format!("@{l}"))
        .or_else(|| i.email().map(str::to_string))
        .unwrap_or_else(|| format!("id {}", i.id))
}

fn candidates(i: &Identity) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(l) = &i.login {
        out.push(("login", l.clone()));
    }
    if let Some(n) = &i.name {
        out.push(("name", n.clone()));
    }
    for e in &i.emails {
        let lower = e.to_lowercase();
        // GitHub noreply addresses belong to people; their login is checked above.
        if lower.ends_with("@users.noreply.github.com") {
            continue;
        }
        if let Some((local, _)) = lower.split_once('@') {
            out.push(("email", local.to_string()));
        }
    }
    out
}

/// A value with the source it came from: `(source, value)`.
pub type Sourced = Option<(String, String)>;

/// The department and title that count for a person: a directory's first, then any source's, then
/// the table row's own.
pub fn role_of(
    identities: &[&Identity],
    row_department: Option<&str>,
    row_title: Option<&str>,
) -> (Sourced, Sourced) {
    let pick = |get: fn(&Identity) -> Option<&String>| -> Sourced {
        identities
            .iter()
            .filter(|i| i.directory)
            .chain(identities.iter().filter(|i| !i.directory))
            .find_map(|i| {
                get(i)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (i.source.clone(), v.clone()))
            })
    };
    let department = pick(|i| i.department.as_ref()).or_else(|| {
        row_department
            .filter(|v| !v.trim().is_empty())
            .map(|v| ("table".to_string(), v.to_string()))
    });
    let title = pick(|i| i.title.as_ref()).or_else(|| {
        row_title
            .filter(|v| !v.trim().is_empty())
            .map(|v| ("table".to_string(), v.to_string()))
    });
    (department, title)
}

/// Why a person's role is excluded by policy, if it is.
pub fn excluded_role_evidence(
    department: Option<&(String, String)>,
    title: Option<&(String, String)>,
    policy: &Policy,
) -> Option<String> {
    if let Some((source, dept)) = department
        && policy
            .exclude_departments
            .contains(&dept.trim().to_lowercase())
    {
        return Some(format!(
            "{source}: department `{dept}` is excluded by policy"
        ));
    }
    if let Some((source, t)) = title
        && let Some(re) = policy.exclude_titles.iter().find(|re| re.is_match(t))
    {
        return Some(format!(
            "{source}: title `{t}` matches the excluded title /{}/",
            re.as_str()
        ));
    }
    None
}

/// Whether any of these emails is protected.
pub fn is_protected<'a>(emails: impl IntoIterator<Item = &'a str>, policy: &Policy) -> bool {
    emails.into_iter().any(|e| {
        policy
            .protect
            .iter()
            .any(|p| p.eq_ignore_ascii_case(e.trim()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(login: Option<&str>, name: Option<&str>, email: Option<&str>) -> Identity {
        Identity {
            source: "github".into(),
            id: "1".into(),
            login: login.map(Into::into),
            name: name.map(Into::into),
            emails: email.into_iter().map(Into::into).collect(),
            ..Identity::default()
        }
    }

    #[test]
    fn source_flag_marks_a_bot() {
        let mut i = ident(Some("deploy"), None, None);
        i.is_bot = true;
        let (_, flagged) = bot_evidence(&[&i], &[]).unwrap();
        assert!(flagged);
    }

    #[test]
    fn github_app_login_suffix_is_a_bot() {
        assert!(bot_evidence(&[&ident(Some("dependabot[bot]"), None, None)], &[]).is_some());
    }

    #[test]
    fn service_account_email_is_a_bot() {
        assert!(
            bot_evidence(&[&ident(None, None, Some("svc-deploy@acme.example"))], &[]).is_some()
        );
        assert!(bot_evidence(&[&ident(None, Some("Build Bot"), None)], &[]).is_some());
    }

    #[test]
    fn people_with_bot_like_substrings_are_not_bots() {
        for (login, name, email) in [
            ("talbot", "Jane Talbot", "jane.talbot@acme.example"),
            ("abbott", "Abbott Lee", "abbott@acme.example"),
            ("ci-wang", "Ci Wang", "ci.wang@acme.example"),
            ("robotham", "Sam Robotham", "sam.robotham@acme.example"),
            ("buildwell", "Tom Build", "tom.build@acme.example"),
        ] {
            let i = ident(Some(login), Some(name), Some(email));
            assert!(bot_evidence(&[&i], &[]).is_none(), "{login} flagged");
        }
    }

    #[test]
    fn github_noreply_address_is_not_a_bot_address() {
        let i = ident(
            None,
            Some("Jane"),
            Some("123+jane@users.noreply.github.com"),
        );
        assert!(bot_evidence(&[&i], &[]).is_none());
    }

    #[test]
    fn configured_pattern_marks_a_bot() {
        let re = regex::RegexBuilder::new("^qa-runner")
            .case_insensitive(true)
            .build()
            .unwrap();
        assert!(bot_evidence(&[&ident(Some("qa-runner-7"), None, None)], &[re]).is_some());
    }

    fn policy() -> Policy {
        Policy {
            exclude_departments: vec!["sales".into()],
            exclude_titles: vec![
                regex::RegexBuilder::new("recruit")
                    .case_insensitive(true)
                    .build()
                    .unwrap(),
            ],
            protect: vec!["ceo@acme.example".into()],
            ..Policy::default()
        }
    }

    #[test]
    fn excluded_department_is_case_insensitive() {
        let d = ("okta".to_string(), "SALES".to_string());
        assert!(excluded_role_evidence(Some(&d), None, &policy()).is_some());
    }

    #[test]
    fn excluded_title_matches_a_regex() {
        let t = ("okta".to_string(), "Senior Recruiter".to_string());
        assert!(excluded_role_evidence(None, Some(&t), &policy()).is_some());
    }

    #[test]
    fn engineering_department_is_not_excluded() {
        let d = ("okta".to_string(), "Engineering".to_string());
        assert!(excluded_role_evidence(Some(&d), None, &policy()).is_none());
    }

    #[test]
    fn directory_department_wins_over_the_table_row() {
        let mut i = ident(None, None, None);
        i.directory = true;
        i.department = Some("Engineering".into());
        let (d, _) = role_of(&[&i], Some("Sales"), None);
        assert_eq!(d.unwrap().1, "Engineering");
    }

    #[test]
    fn protected_email_matches_case_insensitively() {
        assert!(is_protected(["CEO@acme.example"], &policy()));
        assert!(!is_protected(["cto@acme.example"], &policy()));
    }
}
