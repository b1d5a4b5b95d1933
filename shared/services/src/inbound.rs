//! What the webhook receiver puts on the queue for the router: the delivery as Avito sent it (raw,
//! so nothing is lost even where our model lacks a field), which channel it is for, and when it
//! arrived.

use domain::ids::{ChannelId, TenantId};
use serde::{Deserialize, Serialize};

/// One accepted webhook delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InboundEvent {
    /// A messenger v3 webhook (the whole envelope).
    Messenger {
        tenant: TenantId,
        channel: ChannelId,
        received_at_ms: i64,
        webhook: serde_json::Value,
    },
    /// An Avito Jobs applications webhook.
    Application {
        tenant: TenantId,
        channel: ChannelId,
        received_at_ms: i64,
        apply_id: String,
    },
}

impl InboundEvent {
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    pub fn from_json(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }
}
