//! The JSON report of SPEC §4, with its own serde types (the core types are not the wire format).
//!
//! Never renames or drops a field SPEC §4 names: scripts read this.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{
    Action, AuditAction, AuditEntry, Developer, Reason, Recommendation, RunStatus, SourceStatus,
    Subscription, Usage,
};
use crate::reconcile::drift::Drift;
use crate::reconcile::identities::IdentityDrift;
use crate::reconcile::{Outcome, SourceReport};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub run: RunJson,
    pub subscription: SubscriptionJson,
    pub usage: Usage,
    pub sources: Vec<SourceJson>,
    /// The table after the run; left out of the summaries kept in the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developers: Option<Vec<DeveloperJson>>,
    pub changes: ChangesJson,
    pub recommendations: Vec<RecommendationJson>,
    /// Rows where SEI's own table (a `harness` source) and the stored table disagree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftJson>,
    /// Accounts SEI attributes to the wrong developer or to nobody (a `harness` source with
    /// `sei_integrations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_drift: Option<IdentityDriftJson>,
    /// An extension of SPEC §4: the removals, merges and restores recorded since the previous
    /// stored run (`apply`, `developers restore`), oldest first.
    #[serde(default)]
    pub applied: Vec<AppliedJson>,
}

/// One applied change, as the audit trail recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedJson {
    pub at: String,
    pub actor: String,
    /// `removed`, `merged` or `restored`.
    pub action: AuditAction,
    pub developer: Option<String>,
    pub email: Option<String>,
    pub into: Option<String>,
    pub reason: Option<String>,
    /// The run the recommendation came from.
    pub run_id: Option<String>,
}

/// The report's view of the applied changes among `entries`.
pub fn applied_json(entries: &[AuditEntry]) -> Vec<AppliedJson> {
    entries
        .iter()
        .filter(|e| e.action.is_applied_change())
        .map(|e| AppliedJson {
            at: timestamp(e.at),
            actor: e.actor.clone(),
            action: e.action,
            developer: e.developer.clone(),
            email: e.email.clone(),
            into: e.into.clone(),
            reason: e.reason.clone(),
            run_id: e.run_id.clone(),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunJson {
    pub id: String,
    pub started_at: String,
    pub finished_at: String,
    pub dry_run: bool,
    pub status: RunStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionJson {
    pub licenses_purchased: Option<u64>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    /// Beyond SPEC §4: the license record the figures were read from (a `harness` source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<LicenseJson>,
}

/// The license a subscription was read from: its id and exact window (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseJson {
    pub id: String,
    pub start_time: Option<String>,
    pub expiry_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceJson {
    pub name: String,
    pub kind: String,
    pub status: SourceStatus,
    pub records: u64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeveloperJson {
    pub id: String,
    pub name: String,
    pub email: String,
    pub emails: Vec<String>,
    pub status: crate::model::RowStatus,
    pub title: Option<String>,
    pub department: Option<String>,
    pub manager_email: Option<String>,
    pub last_activity: Option<String>,
    /// The accounts attached to the row, as the model keeps them (the JSON is their fields).
    pub identities: Vec<crate::model::IdentityRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ChangesJson {
    pub added: Vec<String>,
    pub updated: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendationJson {
    pub developer: String,
    pub action: Action,
    pub reason: Reason,
    pub into: Option<String>,
    pub confidence: f64,
    pub evidence: Vec<String>,
    /// The row's email and name, so a reader needs no second lookup.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DriftJson {
    /// The harness source it came from.
    pub source: String,
    /// Emails SEI holds that the stored table has no active row for.
    pub only_in_sei: Vec<String>,
    /// Active rows' emails that SEI does not hold.
    pub only_in_table: Vec<String>,
    /// What SEI's table holds that an import would refuse, by line (`line 7: Email: duplicate …`).
    #[serde(default)]
    pub findings: Vec<String>,
}

impl From<Drift> for DriftJson {
    fn from(d: Drift) -> DriftJson {
        DriftJson {
            source: d.source,
            only_in_sei: d.only_in_sei,
            only_in_table: d.only_in_table,
            findings: d.findings,
        }
    }
}

/// One developer identity in SEI's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeiIdentityJson {
    /// The row's email: whose account it is.
    pub email: String,
    pub integration_id: u64,
    pub identity: String,
}

/// An account SEI holds under another developer's email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MisattributedJson {
    pub email: String,
    pub integration_id: u64,
    pub identity: String,
    /// The email SEI holds it under.
    pub sei_email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct IdentityDriftJson {
    /// The harness source SEI's identities came from.
    pub source: String,
    /// Accounts of active rows that SEI attributes to nobody.
    pub unattributed: Vec<SeiIdentityJson>,
    /// Accounts of active rows that SEI attributes to another developer.
    pub misattributed: Vec<MisattributedJson>,
    /// Accounts SEI holds as the table does.
    pub agreed: usize,
}

impl From<IdentityDrift> for IdentityDriftJson {
    fn from(d: IdentityDrift) -> IdentityDriftJson {
        IdentityDriftJson {
            source: d.source,
            unattributed: d
                .unattributed
                .into_iter()
                .map(|i| SeiIdentityJson {
                    email: i.email,
                    integration_id: i.integration_id,
                    identity: i.identity,
                })
                .collect(),
            misattributed: d
                .misattributed
                .into_iter()
                .map(|m| MisattributedJson {
                    email: m.expected.email,
                    integration_id: m.expected.integration_id,
                    identity: m.expected.identity,
                    sei_email: m.sei_email,
                })
                .collect(),
            agreed: d.agreed,
        }
    }
}

/// RFC 3339 in UTC with whole seconds, as the report uses everywhere.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What one run was, for [`build`].
#[derive(Debug, Clone)]
pub struct RunMeta {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub dry_run: bool,
}

/// Build the report of one reconciliation.
pub fn build(
    meta: &RunMeta,
    outcome: &Outcome,
    drift: Option<DriftJson>,
    identity_drift: Option<IdentityDriftJson>,
) -> Report {
    let by_id: std::collections::HashMap<&str, &Developer> =
        outcome.table.iter().map(|d| (d.id.as_str(), d)).collect();
    Report {
        schema_version: SCHEMA_VERSION,
        run: RunJson {
            id: meta.id.clone(),
            started_at: timestamp(meta.started_at),
            finished_at: timestamp(meta.finished_at),
            dry_run: meta.dry_run,
            status: outcome.status,
        },
        subscription: subscription_json(outcome.subscription.as_ref()),
        usage: outcome.usage,
        sources: outcome.sources.iter().map(source_json).collect(),
        // Written from the table itself by `write_with_developers`, never copied.
        developers: None,
        changes: ChangesJson {
            added: outcome.added.clone(),
            updated: outcome.updated.clone(),
        },
        recommendations: outcome
            .recommendations
            .iter()
            .map(|r| recommendation_json(r, by_id.get(r.developer.as_str()).copied()))
            .collect(),
        drift,
        identity_drift,
        applied: Vec::new(),
    }
}

pub fn subscription_json(s: Option<&Subscription>) -> SubscriptionJson {
    SubscriptionJson {
        licenses_purchased: s.map(|s| s.licenses_purchased),
        period_start: s.and_then(|s| s.period_start),
        period_end: s.and_then(|s| s.period_end),
        license: s.and_then(|s| s.license.as_ref()).map(|l| LicenseJson {
            id: l.id.clone(),
            start_time: l.starts.map(timestamp),
            expiry_time: l.expires.map(timestamp),
        }),
    }
}

fn source_json(s: &SourceReport) -> SourceJson {
    SourceJson {
        name: s.name.clone(),
        kind: s.kind.clone(),
        status: s.status,
        records: s.records,
        error: s.error.clone(),
    }
}

pub fn developer_json(d: &Developer) -> DeveloperJson {
    DeveloperJson {
        id: d.id.clone(),
        name: d.name.clone(),
        email: d.email.clone(),
        emails: d.emails.clone(),
        status: d.status,
        title: d.title.clone(),
        department: d.department.clone(),
        manager_email: d.manager_email.clone(),
        last_activity: d.last_activity.map(timestamp),
        identities: d.identities.clone(),
    }
}

fn recommendation_json(r: &Recommendation, d: Option<&Developer>) -> RecommendationJson {
    RecommendationJson {
        developer: r.developer.clone(),
        action: r.action,
        reason: r.reason,
        into: r.into.clone(),
        confidence: (r.confidence * 1000.0).round() / 1000.0,
        evidence: r.evidence.clone(),
        email: d.map(|d| d.email.clone()),
        name: d.map(|d| d.name.clone()),
    }
}

impl Report {
    /// The same report without the `developers` array (what the store keeps per run).
    pub fn summary(&self) -> Report {
        // Field by field, so the (large) developers array is never copied.
        Report {
            schema_version: self.schema_version,
            run: self.run.clone(),
            subscription: self.subscription.clone(),
            usage: self.usage,
            sources: self.sources.clone(),
            developers: None,
            changes: self.changes.clone(),
            recommendations: self.recommendations.clone(),
            drift: self.drift.clone(),
            identity_drift: self.identity_drift.clone(),
            applied: self.applied.clone(),
        }
    }

    /// Write the report as pretty JSON with `developers` taken from `table`, streaming each row
    /// (a large table is never held twice in memory).
    pub fn write_with_developers(
        &self,
        table: &[Developer],
        out: impl std::io::Write,
    ) -> serde_json::Result<()> {
        #[derive(Serialize)]
        struct Out<'a> {
            schema_version: u32,
            run: &'a RunJson,
            subscription: &'a SubscriptionJson,
            usage: &'a Usage,
            sources: &'a [SourceJson],
            developers: Rows<'a>,
            changes: &'a ChangesJson,
            recommendations: &'a [RecommendationJson],
            #[serde(skip_serializing_if = "Option::is_none")]
            drift: Option<&'a DriftJson>,
            #[serde(skip_serializing_if = "Option::is_none")]
            identity_drift: Option<&'a IdentityDriftJson>,
            applied: &'a [AppliedJson],
        }
        struct Rows<'a>(&'a [Developer]);
        impl Serialize for Rows<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(developer_json))
            }
        }
        let out_value = Out {
            schema_version: self.schema_version,
            run: &self.run,
            subscription: &self.subscription,
            usage: &self.usage,
            sources: &self.sources,
            developers: Rows(table),
            changes: &self.changes,
            recommendations: &self.recommendations,
            drift: self.drift.as_ref(),
            identity_drift: self.identity_drift.as_ref(),
            applied: &self.applied,
        };
        serde_json::to_writer_pretty(out, &out_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RowStatus;
    use chrono::TimeZone;

    #[test]
    fn report_has_every_key_of_spec_section_4() {
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 5, 0, 0).unwrap();
        let outcome = Outcome {
            status: RunStatus::Degraded,
            sources: vec![SourceReport {
                name: "github".into(),
                kind: "github".into(),
                status: SourceStatus::Failed,
                records: 0,
                error: Some("boom".into()),
            }],
            table: vec![Developer {
                id: "d1".into(),
                name: "Ada".into(),
                email: "ada@acme.example".into(),
                emails: vec!["ada@acme.example".into()],
                status: RowStatus::Active,
                title: None,
                department: None,
                manager_email: None,
                site: None,
                team: None,
                sub_role: None,
                first_seen: t,
                last_activity: Some(t),
                identities: vec![],
            }],
            added: vec!["d1".into()],
            updated: vec![],
            recommendations: vec![Recommendation {
                developer: "d1".into(),
                action: Action::Review,
                reason: Reason::Unseen,
                into: None,
                confidence: 0.5,
                evidence: vec!["x".into()],
            }],
            usage: Usage {
                consumed_before: 0,
                consumed_after: 1,
                overage: 0,
                consumed_if_applied: 1,
                activity_unknown: 1,
                withheld: 2,
            },
            subscription: Some(Subscription {
                licenses_purchased: 5,
                period_start: NaiveDate::from_ymd_opt(2026, 1, 1),
                period_end: NaiveDate::from_ymd_opt(2026, 12, 31),
                license: None,
            }),
        };
        let meta = RunMeta {
            id: "r1".into(),
            started_at: t,
            finished_at: t,
            dry_run: true,
        };
        let mut bytes = Vec::new();
        build(&meta, &outcome, None, None)
            .write_with_developers(&outcome.table, &mut bytes)
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["run"]["status"], "degraded");
        assert_eq!(v["run"]["started_at"], "2026-11-01T05:00:00Z");
        assert_eq!(v["run"]["dry_run"], true);
        assert_eq!(v["subscription"]["period_start"], "2026-01-01");
        for k in [
            "consumed_before",
            "consumed_after",
            "overage",
            "consumed_if_applied",
            "activity_unknown",
            "withheld",
        ] {
            assert!(v["usage"][k].is_u64(), "{k}");
        }
        assert_eq!(v["usage"]["activity_unknown"], 1);
        assert_eq!(v["usage"]["withheld"], 2);
        assert_eq!(v["sources"][0]["status"], "failed");
        assert_eq!(v["developers"][0]["status"], "active");
        assert_eq!(v["developers"][0]["last_activity"], "2026-11-01T05:00:00Z");
        assert_eq!(v["changes"]["added"][0], "d1");
        let r = &v["recommendations"][0];
        assert_eq!(
            (r["action"].as_str(), r["reason"].as_str()),
            (Some("review"), Some("unseen"))
        );
        assert!(r["into"].is_null());
        assert!(v.get("drift").is_none());
        assert_eq!(v["applied"], serde_json::json!([]));
    }

    #[test]
    fn applied_lists_removals_merges_and_restores_only() {
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 5, 0, 0).unwrap();
        let entry = |action| AuditEntry {
            at: t,
            actor: "alice".into(),
            action,
            developer: Some("d1".into()),
            email: Some("ada@acme.example".into()),
            into: None,
            reason: Some("departed".into()),
            evidence: vec![],
            run_id: Some("r1".into()),
            origin: None,
            detail: None,
        };
        let applied = applied_json(&[
            entry(AuditAction::Removed),
            entry(AuditAction::Imported),
            entry(AuditAction::Restored),
        ]);
        let v = serde_json::to_value(&applied).unwrap();
        assert_eq!(v[0]["action"], "removed");
        assert_eq!(v[0]["at"], "2026-11-01T05:00:00Z");
        assert_eq!(v[1]["action"], "restored");
        assert_eq!(v.as_array().unwrap().len(), 2);
    }
}
