//! The chatbot API (R-BOT1): a bot answers through it with its own token
//! (`Authorization: Bearer <token>` as issued by the admin API). It can send a message to the
//! client, hand the conversation over to a human (its fallback), and finish it (closing it with the
//! closing message). Only conversations its bot has may be touched.

use crate::{OperatorState, process_error};
use adapters::ports::StoreError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use domain::conversation::{
    Author, ClosingReason, Content, Conversation, ConversationStatus, Delivery, Handler, Message,
};
use domain::directory::Chatbot;
use domain::ids::{ConversationId, TenantId, is_valid_id};
use domain::validation::{ValidationErrors, char_len};
use http_api::error::ApiResult;
use http_api::{ApiError, JsonBody};
use serde::{Deserialize, Serialize};
use services::auto_replies::AutoReplies;
use services::connection::secret_matches;
use services::processing::InboundProcessor;

/// The bot calling, recognised by its token.
struct BotCaller {
    tenant: TenantId,
    bot: Chatbot,
}

async fn authenticate(state: &OperatorState, headers: &HeaderMap) -> ApiResult<BotCaller> {
    let refused = || ApiError::Unauthorized("a valid chatbot token is required");
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(refused)?;
    let mut parts = token.splitn(3, '.');
    let (Some(tenant), Some(id), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(refused());
    };
    let tenant = TenantId::parse(tenant).map_err(|_| refused())?;
    if !is_valid_id(id) {
        return Err(refused());
    }
    let bot = state
        .config
        .get::<Chatbot>(&tenant, id)
        .await?
        .map(|v| v.value)
        .ok_or_else(refused)?;
    match &bot.api_token_digest {
        Some(digest) if secret_matches(token, digest) => Ok(BotCaller { tenant, bot }),
        _ => Err(refused()),
    }
}

/// The conversation, if it is open and with this bot.
async fn bot_conversation(
    state: &OperatorState,
    caller: &BotCaller,
    id: &str,
) -> ApiResult<adapters::ports::Versioned<Conversation>> {
    let not_found = || ApiError::not_found("conversation");
    let id = ConversationId::parse(id).map_err(|_| not_found())?;
    let current = state
        .conversations
        .get(&caller.tenant, &id)
        .await?
        .ok_or_else(not_found)?;
    let with_this_bot =
        matches!(&current.value.handler, Handler::Chatbot { chatbot_id } if *chatbot_id == caller.bot.id);
    if current.value.status != ConversationStatus::Open || !with_this_bot {
        return Err(ApiError::Conflict(
            "the conversation is not open with this chatbot".into(),
        ));
    }
    Ok(current)
}

fn processor(state: &OperatorState) -> InboundProcessor {
    InboundProcessor {
        ports: state.closing.ports.clone(),
    }
}

/// A message from the bot to the client.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotMessage {
    pub text: String,
}

/// What sending did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SentView {
    pub message_id: String,
    /// `sent`, or `failed: <reason>`.
    pub delivery: String,
}

fn new_message_id() -> Result<String, ApiError> {
    Ok(format!("bot-{}", services::random_hex(16).map_err(ApiError::Internal)?))
}

/// `POST /v1/bot/conversations/{id}/messages`: sends text (1–1000 characters) to the client.
#[utoipa::path(post, path = "/v1/bot/conversations/{id}/messages", tag = "chatbot", params(("id" = String, Path)),
    request_body = BotMessage,
    responses(
        (status = 201, description = "Sent (or failed, with Avito's reason)", body = SentView),
        (status = 401, description = "No valid chatbot token", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation", body = http_api::ErrorBody),
        (status = 409, description = "Not open with this chatbot", body = http_api::ErrorBody),
        (status = 422, description = "Text empty or over 1000 characters", body = http_api::ErrorBody)
    ))]
pub async fn send(
    State(s): State<OperatorState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<BotMessage>,
) -> ApiResult<(StatusCode, Json<SentView>)> {
    let caller = authenticate(&s, &headers).await?;
    if body.text.trim().is_empty() || char_len(&body.text) > 1000 {
        return Err(ValidationErrors::single("text", "must be 1 to 1000 characters (Avito's limit)").into());
    }
    let ports = &s.closing.ports;
    let message_id = new_message_id()?;
    let (conversation, message, waited) = loop {
        let current = bot_conversation(&s, &caller, &id).await?;
        let message = Message {
            id: message_id.clone(),
            conversation_id: current.value.id.clone(),
            author: Author::Bot {
                chatbot_id: caller.bot.id.clone(),
            },
            content: Content::Text {
                text: body.text.clone(),
            },
            created_at: ports.clock.now(),
            delivery: Some(Delivery::Pending),
        };
        let next = current.value.clone().with_message(&message);
        match ports
            .conversations
            .add_message(&caller.tenant, &next, current.version, &message)
            .await
        {
            Ok(_) => break (next, message, current.value.waiting_since),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    };
    let sent = ports
        .send_answer(&caller.tenant, &conversation, message, waited)
        .await
        .map_err(process_error)?;
    let delivery = match sent {
        Ok(_) => "sent".to_owned(),
        Err(failure) => format!("failed: {}", failure.reason),
    };
    Ok((StatusCode::CREATED, Json(SentView { message_id, delivery })))
}

/// `POST /v1/bot/conversations/{id}/handover`: passes the conversation to the bot's fallback.
#[utoipa::path(post, path = "/v1/bot/conversations/{id}/handover", tag = "chatbot", params(("id" = String, Path)),
    responses(
        (status = 200, description = "Handed over; the conversation now", body = Conversation),
        (status = 401, description = "No valid chatbot token", body = http_api::ErrorBody),
        (status = 409, description = "Not open with this chatbot", body = http_api::ErrorBody)
    ))]
pub async fn handover(
    State(s): State<OperatorState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Conversation>> {
    let caller = authenticate(&s, &headers).await?;
    let ports = &s.closing.ports;
    loop {
        let current = bot_conversation(&s, &caller, &id).await?;
        let handler = processor(&s)
            .fallback_handler(&caller.tenant, &current.value)
            .await
            .map_err(process_error)?;
        let note = Message {
            id: format!("handover-{}-{}", current.value.id, current.version),
            conversation_id: current.value.id.clone(),
            author: Author::System,
            content: Content::System {
                text: Some("Чат-бот передал обращение оператору".into()),
                flow_id: None,
            },
            created_at: ports.clock.now(),
            delivery: None,
        };
        let mut next = current.value.clone().with_message(&note);
        next.handler = handler;
        if next.waiting_since.is_some() {
            AutoReplies { ports: ports.clone() }
                .plan(&caller.tenant, &next)
                .await
                .map_err(process_error)?;
        }
        match ports
            .conversations
            .add_message(&caller.tenant, &next, current.version, &note)
            .await
        {
            Ok(_) => return Ok(Json(next)),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// What finishing did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FinishedView {
    pub status: &'static str,
    /// `sent`, `failed: <reason>` or `off`.
    pub closing_message: String,
}

/// `POST /v1/bot/conversations/{id}/finish`: closes it; the closing message goes out once.
#[utoipa::path(post, path = "/v1/bot/conversations/{id}/finish", tag = "chatbot", params(("id" = String, Path)),
    responses(
        (status = 200, description = "Closed", body = FinishedView),
        (status = 401, description = "No valid chatbot token", body = http_api::ErrorBody),
        (status = 409, description = "Not open with this chatbot", body = http_api::ErrorBody)
    ))]
pub async fn finish(
    State(s): State<OperatorState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<FinishedView>> {
    let caller = authenticate(&s, &headers).await?;
    let current = bot_conversation(&s, &caller, &id).await?;
    let reason = ClosingReason::BotFinished {
        chatbot_id: caller.bot.id.clone(),
    };
    let closed = s
        .closing
        .close(&caller.tenant, &current.value.id, reason, false)
        .await
        .map_err(process_error)?;
    let closing_message = crate::closing_message_outcome(closed)?;
    Ok(Json(FinishedView {
        status: "closed",
        closing_message,
    }))
}
