//! The client's name and the listing from Avito's chat info (R-IN3). A conversation opens with what
//! Avito's chat info says; when Avito is unavailable it opens with what the webhook says (the
//! message is never held back) and its enrichment is retried later by a timed job
//! ([`EnrichJob`]): after 1, 5, 30 minutes, 2 and 12 hours, until the chat info comes. What an
//! enrichment adds fills only what is missing (an operator's edits stay), and the client's guest
//! card gets the name too.

use crate::error::{ServiceError, ServiceResult};
use crate::ports::Ports;
use crate::retry::{settled, until_settled};
use adapters::avito::AvitoError;
use adapters::ports::ScheduledJob;
use chrono::{DateTime, TimeDelta, Utc};
use domain::auto_reply::schedule_name;
use domain::conversation::{CardKind, ClientCard, ClientRef, ConversationStatus, Listing};
use domain::ids::{ChannelId, ConversationId, TenantId};
use serde::{Deserialize, Serialize};

/// When the next enrichment is tried after each failed one (the index is the attempt made).
const RETRY_AFTER_MINUTES: [i64; 5] = [1, 5, 30, 120, 720];

/// What a chat's info says of its client and listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatDetails {
    pub client: Option<ClientRef>,
    pub listing: Option<Listing>,
}

/// Reads the chat's info from Avito: the other party (the client) and the listing.
pub async fn chat_details(
    ports: &Ports,
    tenant: &TenantId,
    channel: &ChannelId,
    account: i64,
    chat_id: &str,
    item_id: Option<i64>,
) -> Result<ChatDetails, AvitoError> {
    let vault = ports.vaults.channel(tenant, channel);
    let chat = ports.avito.chat(&vault, account, chat_id).await?;
    let client = chat.users.iter().find(|u| u.id != Some(account)).map(|u| ClientRef {
        avito_user_id: u.id,
        name: u.name.clone(),
        card_id: None,
    });
    let listing = chat.context.and_then(|c| c.value).map(|item| Listing {
        item_id: item.id.or(item_id),
        title: item.title,
        price: item.price_string,
        url: item.url,
    });
    Ok(ChatDetails { client, listing })
}

/// A retry of a conversation's enrichment, as the scheduler carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrichJob {
    pub tenant: TenantId,
    pub channel: ChannelId,
    pub conversation: ConversationId,
    /// The Avito account of the channel (whose chat it is).
    pub account: i64,
    pub chat_id: String,
    /// Which retry this is (1 for the first).
    pub attempt: usize,
}

/// What firing an enrichment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enriched {
    /// The conversation has the chat info now.
    Done,
    /// Avito was unavailable again; the next retry is planned (or, after the last, none).
    Retrying,
    /// Nothing to do, and why.
    Skipped(&'static str),
}

impl EnrichJob {
    fn name(&self) -> String {
        schedule_name(&[
            "en",
            self.tenant.as_str(),
            self.conversation.as_str(),
            &self.attempt.to_string(),
        ])
    }

    /// Plans this retry after the attempt before it failed at `failed_at`; after the last
    /// planned retry, none.
    pub async fn schedule(&self, ports: &Ports, failed_at: DateTime<Utc>) -> ServiceResult<()> {
        let Some(minutes) = RETRY_AFTER_MINUTES.get(self.attempt.saturating_sub(1)) else {
            tracing::warn!(conversation = %self.conversation, "chat info still unavailable; no more retries");
            return Ok(());
        };
        let payload = serde_json::to_string(self).map_err(|e| ServiceError::Permanent(e.to_string()))?;
        ports
            .scheduler
            .schedule(&ScheduledJob {
                name: self.name(),
                due_at: failed_at + TimeDelta::minutes(*minutes),
                payload,
            })
            .await
            .map(drop)
            .map_err(|e| ServiceError::Transient(e.to_string()))
    }

    /// Reads the chat info and fills in what the conversation (and the client's guest card)
    /// lacks; on failure plans the next retry.
    pub async fn fire(&self, ports: &Ports) -> ServiceResult<Enriched> {
        let Some(current) = ports.conversations.get(&self.tenant, &self.conversation).await? else {
            return Ok(Enriched::Skipped("the conversation no longer exists"));
        };
        let item_id = current.value.listing.as_ref().and_then(|l| l.item_id);
        let details = match chat_details(ports, &self.tenant, &self.channel, self.account, &self.chat_id, item_id).await
        {
            Ok(details) => details,
            Err(e) => {
                tracing::warn!(error = %e, conversation = %self.conversation, "chat info still unavailable");
                let next = EnrichJob {
                    attempt: self.attempt + 1,
                    ..self.clone()
                };
                next.schedule(ports, ports.clock.now()).await?;
                return Ok(Enriched::Retrying);
            }
        };
        let name = details.client.as_ref().and_then(|c| c.name.clone());
        let enriched = until_settled!("the conversation", {
            let Some(current) = ports.conversations.get(&self.tenant, &self.conversation).await? else {
                return Ok(Some(None));
            };
            let mut next = current.value.clone();
            if next.client.name.is_none() {
                next.client.name = name.clone();
            }
            let listing_known = next.listing.as_ref().is_some_and(|l| l.title.is_some());
            if !listing_known && details.listing.is_some() {
                next.listing = details.listing.clone();
            }
            if next == current.value || next.status != ConversationStatus::Open {
                return Ok(Some(Some(current.value)));
            }
            let saved = ports.conversations.save(&self.tenant, &current, &next).await;
            Ok(settled(saved)?.map(|()| Some(next)))
        });
        let Some(conversation) = enriched else {
            return Ok(Enriched::Skipped("the conversation no longer exists"));
        };
        if let (Some(card), Some(name)) = (&conversation.client.card_id, &name) {
            name_guest_card(ports, &self.tenant, card, name).await?;
        }
        Ok(Enriched::Done)
    }
}

/// Gives a guest card without a name the client's name from Avito.
async fn name_guest_card(
    ports: &Ports,
    tenant: &TenantId,
    card: &domain::ids::ClientCardId,
    name: &str,
) -> ServiceResult<()> {
    let config = &ports.config;
    until_settled!("the client card", {
        let Some(current) = config.get::<ClientCard>(tenant, card.as_str()).await? else {
            return Ok(Some(()));
        };
        if current.value.kind != CardKind::Guest || current.value.name.is_some() {
            return Ok(Some(()));
        }
        let next = ClientCard {
            name: Some(name.to_owned()),
            ..current.value
        };
        Ok(settled(config.replace(tenant, &next, current.version).await)?.map(drop))
    });
    Ok(())
}
