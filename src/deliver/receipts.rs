//! Once per run and channel: before sending, the channel's receipt for the run is looked up; a
//! `sent` receipt means nothing is sent again unless forced. Every attempt is recorded (`sent` with
//! what was sent, `failed` with the error), so a retried CronJob resends only what failed.
//!
//! Never sends anything itself (the caller's future does) and never records a secret: the detail
//! is the sender's own summary or a [`DeliverError`]'s message, which names hosts only.

use std::future::Future;

use chrono::Utc;

use crate::deliver::DeliverError;
use crate::store::{Receipt, ReceiptStatus, Store, StoreError};

/// A channel the weekly report goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

/// How one channel's delivery went.
#[derive(Debug)]
pub enum Delivery {
    Sent {
        detail: String,
    },
    /// A receipt says this run was already sent on this channel; nothing was sent.
    AlreadySent {
        receipt: Receipt,
    },
    Failed {
        error: DeliverError,
    },
}

impl Delivery {
    pub fn failed(&self) -> bool {
        matches!(self, Delivery::Failed { .. })
    }
}

/// Send on `channel` unless its receipt for `run_id` says it was sent (`force` sends anyway);
/// record the outcome.
pub async fn once<F>(
    store: &Store,
    run_id: &str,
    channel: Channel,
    force: bool,
    send: F,
) -> Result<Delivery, StoreError>
where
    F: Future<Output = Result<String, DeliverError>>,
{
    if !force
        && let Some(receipt) = store.receipt(run_id, channel.as_str()).await?
        && receipt.status == ReceiptStatus::Sent
    {
        return Ok(Delivery::AlreadySent { receipt });
    }
    let result = send.await;
    let (status, detail) = match &result {
        Ok(detail) => (ReceiptStatus::Sent, detail.clone()),
        Err(e) => (ReceiptStatus::Failed, e.to_string()),
    };
    store
        .record_receipt(run_id, channel.as_str(), status, Utc::now(), &detail)
        .await?;
    Ok(match result {
        Ok(detail) => Delivery::Sent { detail },
        Err(error) => Delivery::Failed { error },
    })
}
