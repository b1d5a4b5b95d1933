//! A messenger webhook's message (R-IN2–R-IN5): it joins the open conversation of its chat, or a
//! client's message opens one, enriched from Avito's chat info (the client's name and card, the
//! listing) and routed (see `opening`). R-J3: a chat of a known Avito Jobs
//! response belongs to the Jobs channel's conversation whichever of the account's channels the
//! webhook reached; a vacancy's chat arriving before its response opens nothing here.

use super::chat;
use super::{Ignored, Outcome};
use crate::error::ServiceResult;
use crate::ports::Ports;
use avito_model::messenger::WebhookMessage;
use domain::candidate::JobResponse;
use domain::directory::{Channel, ChannelKind};
use domain::ids::{ChannelId, TenantId};

/// Processes one message the messenger webhook of `channel_id` carried.
pub(super) async fn message(
    ports: &Ports,
    tenant: &TenantId,
    channel_id: &ChannelId,
    value: &WebhookMessage,
) -> ServiceResult<Outcome> {
    let Some(receiving) = ports.channel(tenant, channel_id).await? else {
        return Ok(Outcome::Ignored(Ignored::ChannelGone));
    };
    if !receiving.is_receiving() {
        return Ok(Outcome::Ignored(Ignored::NotConnected));
    }
    if !receiving.receives_for(Some(value.user_id)) {
        return Ok(Outcome::Ignored(Ignored::OtherAccount));
    }
    // An Avito channel's chat with an open conversation stays where it is: that conversation,
    // read once here, is the one the message joins (no need to ask whose chat it is).
    let open_here = match receiving.kind {
        ChannelKind::Avito => Some(
            ports
                .conversations
                .open_for_chat(tenant, &receiving.id, &value.chat_id)
                .await?,
        ),
        ChannelKind::AvitoJobs => None,
    };
    let (channel, response) = match &open_here {
        Some(Some(_)) => (receiving.clone(), None),
        _ => match chat_owner(ports, tenant, &receiving, &value.chat_id).await? {
            Some(owner) => owner,
            None => {
                return Ok(Outcome::Ignored(Ignored::NotThisAccountsChat));
            }
        },
    };
    // What was read about the receiving channel's chat holds for it, found or not.
    let known = open_here.filter(|_| channel.id == receiving.id);
    let settings = ports.settings(tenant, &channel.id).await?;
    chat::store_message(ports, tenant, &channel, &settings, value, response.as_ref(), known).await
}

/// R-J3: the channel whose conversations a chat's messages join, whichever of the account's
/// channels the webhook came to (Avito may deliver once per account or once per URL): a chat of a
/// known response belongs to its Jobs channel (with the response); any other chat to the
/// account's Avito channel. `None`: to none that is connected.
async fn chat_owner(
    ports: &Ports,
    tenant: &TenantId,
    receiving: &Channel,
    chat_id: &str,
) -> ServiceResult<Option<(Channel, Option<JobResponse>)>> {
    let account = receiving.account_id();
    if let Some(pointer) = ports.config.job_chat(tenant, chat_id).await? {
        let jobs = ports
            .channel(tenant, &pointer.channel_id)
            .await?
            .filter(|c| c.account_id() == account);
        if let Some(jobs) = jobs {
            if !jobs.is_receiving() {
                return Ok(None);
            }
            let response = ports
                .config
                .get::<JobResponse>(tenant, &pointer.apply_id)
                .await?
                .map(|v| v.value);
            return Ok(response.map(|r| (jobs, Some(r))));
        }
    }
    match receiving.kind {
        ChannelKind::Avito => Ok(Some((receiving.clone(), None))),
        ChannelKind::AvitoJobs => {
            let avito = ports
                .channels_of_account(tenant, account)
                .await?
                .into_iter()
                .find(|c| c.kind == ChannelKind::Avito);
            Ok(avito.map(|c| (c, None)))
        }
    }
}
