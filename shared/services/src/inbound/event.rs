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

    /// The tenant it is for.
    pub fn tenant(&self) -> &TenantId {
        match self {
            InboundEvent::Messenger { tenant, .. } | InboundEvent::Application { tenant, .. } => tenant,
        }
    }

    /// The channel whose webhook received it.
    pub fn channel(&self) -> &ChannelId {
        match self {
            InboundEvent::Messenger { channel, .. } | InboundEvent::Application { channel, .. } => channel,
        }
    }

    /// When it was received (unix milliseconds).
    pub fn received_at_ms(&self) -> i64 {
        match self {
            InboundEvent::Messenger { received_at_ms, .. } | InboundEvent::Application { received_at_ms, .. } => {
                *received_at_ms
            }
        }
    }

    /// The same delivery, as received at `ms` (a replay).
    pub fn received_now(&mut self, ms: i64) {
        match self {
            InboundEvent::Messenger { received_at_ms, .. } | InboundEvent::Application { received_at_ms, .. } => {
                *received_at_ms = ms;
            }
        }
    }

    /// Events with the same key are about one Avito chat (or one Jobs response) and are best
    /// processed in the order they came; events with different keys may go side by side.
    pub fn ordering_key(&self) -> String {
        match self {
            InboundEvent::Messenger { tenant, webhook, .. } => {
                let chat = webhook["payload"]["value"]["chat_id"].as_str().unwrap_or_default();
                format!("{}/chat/{chat}", tenant.as_str())
            }
            InboundEvent::Application { tenant, apply_id, .. } => format!("{}/job/{apply_id}", tenant.as_str()),
        }
    }
}
