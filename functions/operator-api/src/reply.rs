//! An operator's reply to the client (R-OP4, text so far). Avito takes at most 1000 characters a
//! message: a longer text is refused with 422 rather than split, so the operator decides where a
//! message ends. Every reply carries a client-chosen idempotency key: the same key again returns the
//! first reply and sends nothing. A reply ends the client's waiting period and cancels pending
//! auto-replies.

use crate::{OperatorState, process_error};
use adapters::ports::StoreError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::conversation::{Author, Content, ConversationStatus, Delivery, Message};
use domain::ids::{ConversationId, is_valid_id};
use domain::validation::{ValidationErrors, char_len};
use http_api::error::ApiResult;
use http_api::{ApiError, Caller, JsonBody};
use serde::Deserialize;

/// A reply.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// 1 to 1000 characters.
    pub text: String,
    /// Chosen by the client, 1 to 64 of `[A-Za-z0-9_-]`; a retried request with the same key sends
    /// nothing more and answers with the first reply.
    pub idempotency_key: String,
}

/// `POST /v1/conversations/{id}/messages`.
#[utoipa::path(post, path = "/v1/conversations/{id}/messages", tag = "conversations", params(("id" = String, Path)),
    request_body = ReplyBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Sent, or failed with Avito's reason (see delivery)", body = Message),
        (status = 200, description = "This idempotency key was used before: the first reply", body = Message),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "The conversation is closed", body = http_api::ErrorBody),
        (status = 422, description = "Text empty or over Avito's 1000 characters, or a bad key", body = http_api::ErrorBody)
    ))]
pub async fn reply(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReplyBody>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let mut errors = ValidationErrors::new();
    if body.text.trim().is_empty() || char_len(&body.text) > 1000 {
        errors.add(
            "text",
            "must be 1 to 1000 characters: Avito sends at most 1000 characters a message",
        );
    }
    if !is_valid_id(&body.idempotency_key) {
        errors.add(
            "idempotency_key",
            "must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'",
        );
    }
    errors.into_result(())?;
    let employee = crate::take::caller_employee(&s, &caller).await?;
    let conversation_id = ConversationId::parse(id.as_str()).map_err(|_| ApiError::not_found("conversation"))?;
    let ports = &s.closing.ports;
    let message_id = format!("op-{}", body.idempotency_key);
    let (conversation, message, waited) = loop {
        let current = ports
            .conversations
            .get(&caller.tenant, &conversation_id)
            .await?
            .ok_or_else(|| ApiError::not_found("conversation"))?;
        let message = Message {
            id: message_id.clone(),
            conversation_id: current.value.id.clone(),
            author: Author::Operator {
                employee_id: employee.clone(),
            },
            content: Content::Text {
                text: body.text.clone(),
            },
            created_at: ports.clock.now(),
            delivery: Some(Delivery::Pending),
        };
        if current.value.status != ConversationStatus::Open {
            // A retry of a reply that was sent before the conversation closed still finds it below.
            if let Some(first) = find(&s, &caller, &current.value.id, &message_id).await? {
                return Ok((StatusCode::OK, Json(first)));
            }
            return Err(ApiError::Conflict("the conversation is closed".into()));
        }
        if !current.value.has_avito_chat() {
            return Err(ApiError::Conflict(
                "the candidate responded by phone: there is no Avito chat to write to; call them".into(),
            ));
        }
        let next = current.value.clone().with_message(&message);
        match ports
            .conversations
            .add_message(&caller.tenant, &next, current.version, &message)
            .await
        {
            Ok(true) => break (next, message, current.value.waiting_since),
            Ok(false) => {
                let first = find(&s, &caller, &current.value.id, &message_id).await?;
                return first
                    .map(|m| (StatusCode::OK, Json(m)))
                    .ok_or_else(|| ApiError::Conflict("this idempotency key was used in another conversation".into()));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    };
    let sent = ports
        .send_answer(&caller.tenant, &conversation, message.clone(), waited)
        .await
        .map_err(process_error)?;
    let delivery = delivery_of(sent);
    Ok((
        StatusCode::CREATED,
        Json(Message {
            delivery: Some(delivery),
            ..message
        }),
    ))
}

/// `POST /v1/conversations/{id}/messages/{message_id}/resend`: sends a failed message again. Only
/// a failure that proves Avito did not take the message (`resendable`) allows it, so the client
/// never gets it twice; of two resends at once one sends and the other gets 409.
#[utoipa::path(post, path = "/v1/conversations/{id}/messages/{message_id}/resend", tag = "conversations",
    params(("id" = String, Path), ("message_id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Sent again: sent, or failed again (see delivery)", body = Message),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation or message in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "Closed, not failed, being sent, or it may have reached the client", body = http_api::ErrorBody)
    ))]
pub async fn resend(
    State(s): State<OperatorState>,
    caller: Caller,
    Path((id, message_id)): Path<(String, String)>,
) -> ApiResult<Json<Message>> {
    crate::take::caller_employee(&s, &caller).await?;
    let conversation = crate::load(&s, &caller.tenant, &id).await?;
    let message = find(&s, &caller, &conversation.id, &message_id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    match &message.delivery {
        Some(Delivery::Failed { resendable: true, .. }) => {}
        Some(Delivery::Failed { .. }) => {
            return Err(ApiError::Conflict(
                "Avito may have delivered this message before it failed; sending it again could duplicate it".into(),
            ));
        }
        Some(Delivery::Pending) => return Err(ApiError::Conflict("the message is being sent".into())),
        Some(Delivery::Sent { .. }) => return Err(ApiError::Conflict("the message was sent".into())),
        None => return Err(ApiError::Conflict("only our own messages are sent".into())),
    }
    if conversation.status != ConversationStatus::Open {
        return Err(ApiError::Conflict("the conversation is closed".into()));
    }
    let ports = &s.closing.ports;
    let claimed = Message {
        delivery: Some(Delivery::Pending),
        ..message.clone()
    };
    if !ports
        .conversations
        .replace_message(&caller.tenant, &message, &claimed)
        .await?
    {
        return Err(ApiError::Conflict("the message is being sent".into()));
    }
    let sent = ports
        .send_claimed(
            &caller.tenant,
            &conversation.channel_id,
            &conversation.chat_id,
            claimed.clone(),
        )
        .await
        .map_err(process_error)?;
    let delivery = delivery_of(sent);
    Ok(Json(Message {
        delivery: Some(delivery),
        ..claimed
    }))
}

/// The stored message with `id` in a conversation (a reply made before with the same key).
async fn find(
    s: &OperatorState,
    caller: &Caller,
    conversation: &ConversationId,
    id: &str,
) -> ApiResult<Option<Message>> {
    let mut after: Option<String> = None;
    loop {
        let page = s
            .conversations
            .messages(&caller.tenant, conversation, after.as_deref(), 200)
            .await?;
        if let Some(m) = page.items.into_iter().find(|m| m.id == id) {
            return Ok(Some(m));
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(None),
        }
    }
}

/// The delivery state a send left on the message.
fn delivery_of(sent: Result<String, services::ports::SendFailure>) -> Delivery {
    match sent {
        Ok(avito_message_id) => Delivery::Sent { avito_message_id },
        Err(failure) => failure.delivery(),
    }
}
