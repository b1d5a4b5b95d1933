//! Opening a conversation for a chat, the one place each kind opens: a client's first message in
//! an Avito chat (enriched from Avito's chat info: the client's name and card, the listing), and a
//! response to a vacancy reaching operators (the candidate card, the vacancy as its listing, the
//! notification «Отклик на вакансию: …» once). Both are routed like any new conversation
//! ([`crate::assignment::route`]) and built with the domain's one constructor.

use super::Ignored;
use crate::assignment;
use crate::enrichment::{self, EnrichJob};
use crate::error::ServiceResult;
use crate::ports::Ports;
use crate::retry::{settled, until_settled};
use adapters::ports::{StoreError, Versioned};
use avito_model::messenger::WebhookMessage;
use chrono::{DateTime, TimeZone, Utc};
use domain::candidate::JobResponse;
use domain::conversation::{CardKind, ClientCard, ClientRef, Conversation, Listing, Opening};
use domain::directory::{Channel, ChannelKind};
use domain::ids::{ChannelId, ClientCardId, ConversationId, TenantId};
use domain::notification::Notification;
use domain::settings::ChannelSettings;

/// What opening a conversation for a chat came to.
pub(super) enum Opened {
    New(Box<Versioned<Conversation>>),
    /// Another worker opened one first (read it and join it).
    Raced,
    /// Not opened here, and why.
    Refused(Ignored),
}

/// A time Avito gave in unix seconds, or `fallback`.
pub(super) fn instant(seconds: Option<i64>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    seconds
        .and_then(|s| Utc.timestamp_opt(s, 0).single())
        .unwrap_or(fallback)
}

/// Whether a listing is a vacancy: Avito's vacancies live under its `/vakansii/` category.
fn is_vacancy(listing: &Listing) -> bool {
    listing.url.as_deref().is_some_and(|u| u.contains("/vakansii/"))
}

/// Opens a conversation for the chat: enriched from Avito's chat info, routed.
pub(super) async fn open_conversation(
    ports: &Ports,
    tenant: &TenantId,
    channel: &Channel,
    settings: &ChannelSettings,
    value: &WebhookMessage,
    now: DateTime<Utc>,
) -> ServiceResult<Opened> {
    let (mut client, listing, enriched) = chat_details(ports, tenant, channel, value).await;
    if listing.as_ref().is_some_and(is_vacancy) && has_jobs_channel(ports, tenant, channel).await? {
        return Ok(Opened::Refused(Ignored::VacancyChat));
    }
    client.card_id = client_card(ports, tenant, &client, now).await?;
    let routed = assignment::route(ports, tenant, settings, now, true).await?;
    let conversation = Conversation::open(Opening {
        id: crate::new_id(domain::ids::ConversationId::parse)?,
        channel_id: channel.id.clone(),
        chat_id: value.chat_id.clone(),
        handler: routed.handler.clone(),
        client,
        listing,
        at: now,
        last_activity_at: instant(value.created, now),
        waiting_since: None,
        candidate: None,
        auto_close_after: settings.auto_close_after,
    });
    match ports.conversations.open(tenant, &conversation).await {
        Ok(()) => {
            assignment::assigned(ports, tenant, &conversation, &routed).await?;
            if !enriched {
                let retry = EnrichJob {
                    tenant: tenant.clone(),
                    channel: channel.id.clone(),
                    conversation: conversation.id.clone(),
                    account: value.user_id,
                    chat_id: value.chat_id.clone(),
                    attempt: 1,
                };
                retry.schedule(ports, now).await?;
            }
            Ok(Opened::New(Box::new(Versioned {
                value: conversation,
                version: 1,
            })))
        }
        Err(StoreError::Conflict) => Ok(Opened::Raced),
        Err(e) => Err(e.into()),
    }
}

/// Whether the tenant has a connected Avito Jobs channel on `channel`'s Avito account.
async fn has_jobs_channel(ports: &Ports, tenant: &TenantId, channel: &Channel) -> ServiceResult<bool> {
    Ok(ports
        .channels_of_account(tenant, channel.account_id())
        .await?
        .iter()
        .any(|c| c.kind == ChannelKind::AvitoJobs))
}

/// The card of the conversation's client (PRODUCT.md's glossary): a known Avito user keeps their
/// card across conversations and channels; an unknown one gets a guest card. A client Avito does
/// not identify gets none.
async fn client_card(
    ports: &Ports,
    tenant: &TenantId,
    client: &ClientRef,
    now: DateTime<Utc>,
) -> ServiceResult<Option<ClientCardId>> {
    let Some(avito_user_id) = client.avito_user_id else {
        return Ok(None);
    };
    // Only stored if the client has no card yet.
    let guest = ClientCard {
        id: crate::new_id(ClientCardId::parse)?,
        kind: CardKind::Guest,
        name: client.name.clone(),
        avito_user_ids: vec![avito_user_id],
        phones: Vec::new(),
        emails: Vec::new(),
        created_at: now,
    };
    Ok(Some(ports.config.link_card(tenant, avito_user_id, &guest).await?))
}

/// The client's name and the listing from Avito's chat info (R-IN3), or (when Avito is
/// unavailable) what the webhook says and `false`: the conversation opens at once and is enriched
/// later ([`crate::enrichment`]).
async fn chat_details(
    ports: &Ports,
    tenant: &TenantId,
    channel: &Channel,
    value: &WebhookMessage,
) -> (ClientRef, Option<Listing>, bool) {
    let fallback_client = ClientRef {
        avito_user_id: value.author_id,
        name: None,
        card_id: None,
    };
    let fallback_listing = value.item_id.map(|id| Listing {
        item_id: Some(id),
        ..Default::default()
    });
    match enrichment::chat_details(ports, tenant, &channel.id, value.user_id, &value.chat_id, value.item_id).await {
        Ok(details) => (
            details.client.unwrap_or(fallback_client),
            details.listing.or(fallback_listing),
            true,
        ),
        Err(e) => {
            tracing::warn!(error = %e, channel = %channel.id, "chat info unavailable; the conversation opens without it");
            (fallback_client, fallback_listing, false)
        }
    }
}

/// Opens the conversation of a response: the candidate card, the vacancy as its listing, routed
/// by the channel's settings; the operators are notified once. `None` when its chat already
/// has an open conversation.
pub(super) async fn open_for_response(
    ports: &Ports,
    tenant: &TenantId,
    channel: &Channel,
    settings: &ChannelSettings,
    response: &JobResponse,
    waiting_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ServiceResult<Option<Versioned<Conversation>>> {
    let candidate = &response.candidate;
    let routed = assignment::route(ports, tenant, settings, now, true).await?;
    let conversation = Conversation::open(Opening {
        id: crate::new_id(ConversationId::parse)?,
        channel_id: channel.id.clone(),
        chat_id: response.conversation_key(),
        handler: routed.handler.clone(),
        client: ClientRef {
            avito_user_id: None,
            name: candidate.full_name.clone(),
            card_id: None,
        },
        listing: Some(Listing {
            item_id: candidate.vacancy.id,
            title: candidate.vacancy.title.clone(),
            price: None,
            url: candidate.vacancy.url.clone(),
        }),
        at: now,
        last_activity_at: now,
        waiting_since,
        candidate: Some(candidate.clone()),
        auto_close_after: settings.auto_close_after,
    });
    let opened = match ports.conversations.open(tenant, &conversation).await {
        Ok(()) => {
            assignment::assigned(ports, tenant, &conversation, &routed).await?;
            Some(Versioned {
                value: conversation,
                version: 1,
            })
        }
        Err(StoreError::Conflict) => None,
        Err(e) => return Err(e.into()),
    };
    if !response.reached_operators {
        // Also when an earlier attempt opened it and stopped before this point.
        let conversation_id = response_conversation(ports, tenant, &channel.id, response, &opened).await?;
        ports
            .config
            .notify(
                tenant,
                &Notification {
                    id: format!("response-{}", response.id),
                    at: response.received_at,
                    text: candidate.notification_text(),
                    channel_id: channel.id.clone(),
                    conversation_id,
                    kind: domain::notification::NotificationKind::Response,
                    employee_id: None,
                },
            )
            .await?;
        mark_reached(ports, tenant, &response.id).await?;
    }
    Ok(opened)
}

/// The response's open conversation: the one just `opened` here (its id is known), else the
/// one whoever opened it left open.
pub(super) async fn response_conversation(
    ports: &Ports,
    tenant: &TenantId,
    channel: &ChannelId,
    response: &JobResponse,
    opened: &Option<Versioned<Conversation>>,
) -> ServiceResult<Option<ConversationId>> {
    Ok(match opened {
        Some(c) => Some(c.value.id.clone()),
        None => ports
            .conversations
            .open_for_chat(tenant, channel, &response.conversation_key())
            .await?
            .map(|c| c.value.id),
    })
}

/// Remembers that a response reached operators, so later updates do not open it again.
async fn mark_reached(ports: &Ports, tenant: &TenantId, apply_id: &str) -> ServiceResult<()> {
    let config = &ports.config;
    until_settled!("the response", {
        let Some(current) = config.get::<JobResponse>(tenant, apply_id).await? else {
            return Ok(Some(()));
        };
        if current.value.reached_operators {
            return Ok(Some(()));
        }
        let next = JobResponse {
            reached_operators: true,
            ..current.value
        };
        Ok(settled(config.replace(tenant, &next, current.version).await)?.map(drop))
    });
    Ok(())
}
