//! The rules of SPEC §3 run end to end through [`reconcile`], on plain values: one file per rule
//! family (named as the file that holds the rules), each test named for the case it pins. The shared
//! builders live here; the unit tests of single functions stay in their files' own test modules.

mod guard;
mod recommend;
mod reviews;
mod table;
mod usage;

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};

use super::{Input, Outcome, Policy, SourceInput, SourceOutcome, reconcile};
use crate::model::{
    AccountStatus, Action, Developer, Identity, Reason, Recommendation, RowStatus, RunStatus,
    SeiRow, SourceStatus, Subscription, Usage, name_from_email,
};
use crate::resolve::ResolveOptions;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

fn days_ago(d: i64) -> DateTime<Utc> {
    now() - chrono::Duration::days(d)
}

fn row(id: &str, email: &str) -> Developer {
    Developer {
        first_seen: days_ago(400),
        ..Developer::example(id, email)
    }
}

fn person(source: &str, id: &str, email: &str, status: AccountStatus, directory: bool) -> Identity {
    Identity {
        source: source.into(),
        id: id.into(),
        emails: vec![email.into()],
        name: Some(format!("Person {id}")),
        status,
        directory,
        ..Identity::default()
    }
}

fn okta(id: &str, email: &str, status: AccountStatus) -> Identity {
    person("okta", id, email, status, true)
}

fn github(id: &str, email: &str, activity: Option<DateTime<Utc>>) -> Identity {
    Identity {
        login: Some(format!("gh{id}")),
        last_activity: activity,
        ..person("github", id, email, AccountStatus::Active, false)
    }
}

struct Case {
    policy: Policy,
    resolve: ResolveOptions,
    table: Vec<Developer>,
    sources: Vec<SourceInput>,
    last_good: HashMap<String, u64>,
    licenses: Option<u64>,
}

impl Case {
    fn new(table: Vec<Developer>) -> Case {
        Case {
            policy: Policy::default(),
            resolve: ResolveOptions::default(),
            table,
            sources: Vec::new(),
            last_good: HashMap::new(),
            licenses: Some(100),
        }
    }
    fn source(mut self, name: &str, directory: bool, ids: Vec<Identity>) -> Case {
        self.sources.push(SourceInput {
            name: name.into(),
            kind: if directory {
                "okta".into()
            } else {
                "github".into()
            },
            directory,
            outcome: SourceOutcome::Fetched(ids),
        });
        self
    }
    fn failed(mut self, name: &str, directory: bool) -> Case {
        self.sources.push(SourceInput {
            name: name.into(),
            kind: "okta".into(),
            directory,
            outcome: SourceOutcome::Failed(format!("{name}: https://x.example/api: HTTP 503")),
        });
        self
    }
    fn run(&self) -> Outcome {
        reconcile(Input {
            now: now(),
            policy: &self.policy,
            resolve: &self.resolve,
            table: self.table.clone(),
            sources: self.sources.clone(),
            last_good: &self.last_good,
            subscription: self.licenses.map(|l| Subscription {
                licenses_purchased: l,
                period_start: None,
                period_end: None,
                license: None,
            }),
        })
    }
}

fn rec<'a>(o: &'a Outcome, id: &str) -> Option<&'a Recommendation> {
    o.recommendations.iter().find(|r| r.developer == id)
}

fn action_reason(o: &Outcome, id: &str) -> Option<(Action, Reason)> {
    rec(o, id).map(|r| (r.action, r.reason))
}

/// An SEI CSV row with just an email (and a name, which SEI requires).
pub(super) fn sei(email: &str) -> SeiRow {
    SeiRow {
        email: email.into(),
        full_name: "X".into(),
        ..SeiRow::default()
    }
}
