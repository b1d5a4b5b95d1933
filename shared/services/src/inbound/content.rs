//! Avito's message content as ours: every message type Avito documents is kept (text, image,
//! voice, link, listing, location, call, system, deleted), an unknown one as a visible placeholder.

use avito_model::messenger::{MessageContent, MessageType};
use domain::conversation::Content;

/// Avito's message content as ours: every type kept, unknown ones as a visible placeholder.
pub fn content_of(kind: &MessageType, c: &MessageContent) -> Content {
    match kind {
        MessageType::Text => Content::Text {
            text: c.text.clone().unwrap_or_default(),
        },
        MessageType::Image => Content::Image {
            url: c.image.as_ref().and_then(|i| i.largest()).map(str::to_owned),
        },
        MessageType::Voice => Content::Voice {
            voice_id: c.voice.as_ref().and_then(|v| v.voice_id.clone()),
        },
        MessageType::Link => Content::Link {
            text: c.link.as_ref().and_then(|l| l.text.clone()),
            url: c.link.as_ref().and_then(|l| l.url.clone()),
        },
        MessageType::Item => Content::Item {
            title: c.item.as_ref().and_then(|i| i.title.clone()),
            url: c.item.as_ref().and_then(|i| i.item_url.clone()),
            price: c.item.as_ref().and_then(|i| i.price_string.clone()),
        },
        MessageType::Location => Content::Location {
            lat: c.location.as_ref().and_then(|l| l.lat),
            lon: c.location.as_ref().and_then(|l| l.lon),
            text: c
                .location
                .as_ref()
                .and_then(|l| l.text.clone().or_else(|| l.title.clone())),
        },
        MessageType::Call => Content::Call {
            status: c.call.as_ref().and_then(|c| c.status.clone()),
        },
        MessageType::System => Content::System {
            text: c.text.clone(),
            flow_id: c.flow_id.clone(),
        },
        MessageType::Deleted => Content::Deleted,
        other => Content::Unsupported {
            avito_type: other.as_str().to_owned(),
        },
    }
}
