//! Pushing webhooks like Avito: messenger v3 envelopes as JSON, Jobs notices `{"applyId": ...}`
//! with the `X-Secret` header. Each delivery has Avito's timeout; the outcome is reported to the
//! control API caller, never retried here (tests ask for repeats explicitly).

use crate::state::{Delivery, Sandbox, now, random_hex};
use avito_model::messenger::{Chat, ChatType, Message, WebhookEnvelope, WebhookMessage, WebhookPayload};
use serde::Serialize;
use std::time::Duration;

/// What one delivery got back.
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryOutcome {
    pub url: String,
    /// The HTTP status, or `None` when the receiver could not be reached in time.
    pub status: Option<u16>,
}

/// The v3 webhook for `message` in `chat` of `account`, to `url`.
pub fn message_webhook(url: String, account: i64, chat: &Chat, message: &Message) -> Delivery {
    let item_id = chat.context.as_ref().and_then(|c| c.value.as_ref()).and_then(|v| v.id);
    let chat_type = if chat.id.starts_with("u2u") {
        ChatType::U2u
    } else {
        ChatType::U2i
    };
    let created = message.created.unwrap_or_else(now);
    let envelope = WebhookEnvelope {
        id: Some(random_hex()),
        version: Some("v3.0.0".into()),
        timestamp: Some(now()),
        payload: Some(WebhookPayload {
            kind: Some("message".into()),
            value: Some(WebhookMessage {
                id: message.id.clone(),
                chat_id: chat.id.clone(),
                user_id: account,
                author_id: message.author_id,
                created: Some(created),
                kind: message.kind.clone(),
                chat_type: Some(chat_type),
                content: message.content.clone(),
                item_id,
                published_at: None,
                read: None,
            }),
        }),
    };
    Delivery {
        url,
        body: serde_json::to_value(envelope).unwrap_or_default(),
        secret: None,
    }
}

/// The Jobs notice for an application, to `url` with its secret.
pub fn application_webhook(url: String, secret: String, apply_id: &str) -> Delivery {
    Delivery {
        url,
        body: serde_json::json!({"applyId": apply_id}),
        secret: Some(secret),
    }
}

/// Sends one delivery (Jobs: 3 s timeout, messenger: 2 s as Avito asks of receivers).
pub async fn deliver(sb: &Sandbox, d: &Delivery) -> DeliveryOutcome {
    let timeout = if d.secret.is_some() {
        Duration::from_secs(3)
    } else {
        Duration::from_secs(2)
    };
    let mut req = sb.http.post(&d.url).timeout(timeout).json(&d.body);
    if let Some(secret) = &d.secret {
        req = req.header("X-Secret", secret);
    }
    let status = req.send().await.ok().map(|r| r.status().as_u16());
    DeliveryOutcome {
        url: d.url.clone(),
        status,
    }
}

/// Sends every delivery in order.
pub async fn deliver_all(sb: &Sandbox, deliveries: Vec<Delivery>) -> Vec<DeliveryOutcome> {
    let mut out = Vec::with_capacity(deliveries.len());
    for d in &deliveries {
        out.push(deliver(sb, d).await);
    }
    out
}
