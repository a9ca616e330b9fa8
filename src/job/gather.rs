//! What the sources delivered, sorted for reconcile: one outcome per source (identities, a record
//! count, or the failure), the subscription a source knows, and SEI's own developer table and
//! developer identities.
//!
//! Never looks at a source's kind: a source that delivers a table is told by its output.

use crate::config::Config;
use crate::model::{SeiIdentities, SeiTable, Subscription};
use crate::reconcile::{SourceInput, SourceOutcome};
use crate::sources::{FetchOutput, SourceError};

/// Every source's contribution to one run.
pub(super) struct Gathered {
    pub inputs: Vec<SourceInput>,
    /// The subscription a source reports (the `harness` licensing); it beats `[subscription]`.
    pub subscription: Option<Subscription>,
    /// SEI's table and the source it came from.
    pub sei_table: Option<(String, SeiTable)>,
    /// The developer identities SEI holds and the source they came from.
    pub sei_identities: Option<(String, SeiIdentities)>,
}

impl Gathered {
    /// The fetch results, in `cfg.sources` order.
    pub fn new(cfg: &Config, fetched: Vec<Result<FetchOutput, SourceError>>) -> Gathered {
        let mut gathered = Gathered {
            inputs: Vec::with_capacity(fetched.len()),
            subscription: None,
            sei_table: None,
            sei_identities: None,
        };
        for (src, result) in cfg.sources.iter().zip(fetched) {
            let outcome = match result {
                Ok(out) => gathered.take(&src.name, out),
                Err(e) => {
                    let error = crate::errors::chain(&e);
                    tracing::warn!(source = %src.name, error = %error, "source failed");
                    SourceOutcome::Failed(error)
                }
            };
            gathered.inputs.push(SourceInput {
                name: src.name.clone(),
                kind: src.kind().as_str().to_string(),
                directory: src.directory,
                outcome,
            });
        }
        gathered
    }

    /// A source that delivers a table (SEI) is counted by its rows, for the guard.
    fn take(&mut self, source: &str, out: FetchOutput) -> SourceOutcome {
        if let Some(s) = out.subscription {
            self.subscription = Some(s);
        }
        if let Some(identities) = out.sei_identities {
            self.sei_identities = Some((source.to_string(), identities));
        }
        match out.sei_table {
            Some(table) => {
                let outcome = SourceOutcome::Counted(table.rows.len());
                self.sei_table = Some((source.to_string(), table));
                outcome
            }
            None => SourceOutcome::Fetched(out.identities),
        }
    }

    /// SEI's table as reconcile reads it.
    pub fn sei(&self) -> Option<(&str, &SeiTable)> {
        self.sei_table
            .as_ref()
            .map(|(source, table)| (source.as_str(), table))
    }
}
