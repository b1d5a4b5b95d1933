//! An operator's reply to the client (R-OP4): text or an image. Avito takes at most 1000
//! characters a message: a longer text is refused with 422 rather than split, so the operator
//! decides where a message ends. Images go through Avito's upload; Avito's messenger sends nothing
//! else, so any other file is refused with 422 that says so. Every reply carries a client-chosen idempotency key: the same key again returns the
//! first reply and sends nothing. A reply ends the client's waiting period and cancels pending
//! auto-replies.

use crate::{OperatorState, process_error};
use adapters::ports::StoreError;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::conversation::{Author, Content, Conversation, ConversationStatus, Delivery, Message};
use domain::ids::{ConversationId, is_valid_id};
use domain::validation::{ValidationErrors, char_len};
use domain::{DateTime, Utc};
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
    send_text(&s, &caller, &id, body).await
}

/// Checks a reply's text and key (422 naming each bad field).
pub(crate) fn check_reply(body: &ReplyBody) -> ApiResult<()> {
    let mut errors = ValidationErrors::new();
    if body.text.trim().is_empty() || char_len(&body.text) > 1000 {
        errors.add(
            "text",
            "must be 1 to 1000 characters: Avito sends at most 1000 characters a message",
        );
    }
    check_key(&body.idempotency_key, &mut errors);
    Ok(errors.into_result(())?)
}

/// Sends an operator's text into conversation `id`: claimed once per idempotency key, then sent;
/// 201 with the delivery, or 200 with the first message for a repeated key.
pub(crate) async fn send_text(
    s: &OperatorState,
    caller: &Caller,
    id: &str,
    body: ReplyBody,
) -> ApiResult<(StatusCode, Json<Message>)> {
    check_reply(&body)?;
    let content = Content::Text { text: body.text };
    let Claimed {
        conversation,
        message,
        waited,
    } = match claim(s, caller, id, &body.idempotency_key, content).await? {
        Ok(claimed) => claimed,
        Err(first) => return Ok((StatusCode::OK, Json(first))),
    };
    let sent = s
        .closing
        .ports
        .send_answer(&caller.tenant, &conversation, message.clone(), waited)
        .await
        .map_err(process_error)?;
    Ok((StatusCode::CREATED, Json(with_delivery(message, sent))))
}

/// Where an image comes from: the idempotency key of the upload.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImageQuery {
    /// Chosen by the client, 1 to 64 of `[A-Za-z0-9_-]`; a retried upload with the same key sends
    /// nothing more and answers with the first message.
    pub idempotency_key: Option<String>,
}

/// `POST /v1/conversations/{id}/images?idempotency_key=...`: the body is the image itself (any
/// `Content-Type`; the kind is read from the bytes). Avito sends JPEG, PNG, GIF, BMP and HEIC up to
/// 24 MB; anything else is refused with 422 saying so.
#[utoipa::path(post, path = "/v1/conversations/{id}/images", tag = "conversations", params(("id" = String, Path), ImageQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The image's bytes"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Sent, or failed with Avito's reason (see delivery); content.url is the image at Avito", body = Message),
        (status = 200, description = "This idempotency key was used before: the first message", body = Message),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "The conversation is closed, or has no Avito chat", body = http_api::ErrorBody),
        (status = 413, description = "Larger than the API accepts", body = http_api::ErrorBody),
        (status = 422, description = "Not an image Avito sends (e.g. a PDF), over 24 MB, empty, or a bad key", body = http_api::ErrorBody)
    ))]
pub async fn image(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ImageQuery>,
    bytes: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let mut errors = ValidationErrors::new();
    let key = q.idempotency_key.unwrap_or_default();
    check_key(&key, &mut errors);
    let kind = domain::attachment::image_kind(&bytes).map_err(|e| errors.add("body", e.to_string()));
    errors.into_result(())?;
    let Ok(kind) = kind else {
        return Err(ApiError::BadRequest("the image cannot be read".into()));
    };
    let content = Content::Image { url: None };
    let Claimed {
        conversation,
        message,
        waited,
    } = match claim(&s, &caller, &id, &key, content).await? {
        Ok(claimed) => claimed,
        Err(first) => return Ok((StatusCode::OK, Json(first))),
    };
    let image = services::ports::OutgoingImage {
        bytes: bytes.to_vec(),
        content_type: kind.content_type(),
        file_name: kind.file_name(),
    };
    let ports = &s.closing.ports;
    let sent = ports
        .send_image_answer(&caller.tenant, &conversation, message.clone(), waited, image)
        .await
        .map_err(process_error)?;
    // The stored message now has the image's link; answer with what is stored.
    let stored = find(&s, &caller, &conversation.id, &message.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(stored.unwrap_or_else(|| with_delivery(message, sent))),
    ))
}

fn check_key(key: &str, errors: &mut ValidationErrors) {
    if !is_valid_id(key) {
        errors.add(
            "idempotency_key",
            "must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'",
        );
    }
}

/// An outgoing message stored as pending: the conversation as it is after it, and the waiting
/// period it ended.
struct Claimed {
    conversation: Conversation,
    message: Message,
    waited: Option<DateTime<Utc>>,
}

/// Stores the operator's outgoing message as pending under its idempotency key, in one conditional
/// write with the conversation as it is after it (the answer ends the waiting period). `Err`: the
/// key was used before, with the first message.
async fn claim(
    s: &OperatorState,
    caller: &Caller,
    id: &str,
    key: &str,
    content: Content,
) -> ApiResult<Result<Claimed, Message>> {
    let employee = crate::take::caller_employee(s, caller).await?;
    let conversation_id = ConversationId::parse(id).map_err(|_| ApiError::not_found("conversation"))?;
    let ports = &s.closing.ports;
    let message_id = format!("op-{key}");
    loop {
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
            content: content.clone(),
            created_at: ports.clock.now(),
            delivery: Some(Delivery::Pending),
        };
        if current.value.status != ConversationStatus::Open {
            // A retry of a reply that was sent before the conversation closed still finds it.
            if let Some(first) = find(s, caller, &current.value.id, &message_id).await? {
                return Ok(Err(first));
            }
            return Err(ApiError::Conflict("the conversation is closed".into()));
        }
        crate::may_act(s, caller, &current.value).await?;
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
            Ok(true) => {
                return Ok(Ok(Claimed {
                    conversation: next,
                    message,
                    waited: current.value.waiting_since,
                }));
            }
            Ok(false) => {
                return find(s, caller, &current.value.id, &message_id)
                    .await?
                    .map(Err)
                    .ok_or_else(|| ApiError::Conflict("this idempotency key was used in another conversation".into()));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
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
    crate::may_act(&s, &caller, &conversation).await?;
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
    Ok(Json(with_delivery(claimed, sent)))
}

/// `DELETE /v1/conversations/{id}/messages/{message_id}`: deletes a message of ours from the
/// client's Avito chat. Avito allows it within an hour of sending; later is 409 with the reason.
/// The message stays in the conversation as deleted; deleting it again changes nothing.
#[utoipa::path(delete, path = "/v1/conversations/{id}/messages/{message_id}", tag = "conversations",
    params(("id" = String, Path), ("message_id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted in the chat; the message as it now is", body = Message),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "Not the caller's conversation to act on", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation or message in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "Not a message Avito took from us, or sent over an hour ago", body = http_api::ErrorBody),
        (status = 502, description = "Avito refused", body = http_api::ErrorBody)
    ))]
pub async fn delete(
    State(s): State<OperatorState>,
    caller: Caller,
    Path((id, message_id)): Path<(String, String)>,
) -> ApiResult<Json<Message>> {
    let conversation = crate::load(&s, &caller.tenant, &id).await?;
    crate::may_act(&s, &caller, &conversation).await?;
    let message = find(&s, &caller, &conversation.id, &message_id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    if message.content == Content::Deleted {
        return Ok(Json(message));
    }
    let Some(Delivery::Sent { avito_message_id }) = &message.delivery else {
        return Err(ApiError::Conflict(
            "only a message of ours that Avito took can be deleted".into(),
        ));
    };
    let ports = &s.closing.ports;
    if !domain::conversation::deletable_at(message.created_at, ports.clock.now()) {
        return Err(ApiError::Conflict(format!(
            "Avito deletes a message only within an hour of sending; this one was sent at {}",
            message.created_at.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    ports
        .delete_sent(&caller.tenant, &conversation, avito_message_id)
        .await
        .map_err(|e| ApiError::BadGateway(e.to_string()))?;
    let deleted = Message {
        content: Content::Deleted,
        ..message.clone()
    };
    if ports
        .conversations
        .replace_message(&caller.tenant, &message, &deleted)
        .await?
    {
        return Ok(Json(deleted));
    }
    // Changed meanwhile (deleted by a second request): answer with what is stored.
    find(&s, &caller, &conversation.id, &message_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("message"))
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

/// The message with the delivery state a send left on it.
fn with_delivery(message: Message, sent: Result<String, services::ports::SendFailure>) -> Message {
    let delivery = match sent {
        Ok(avito_message_id) => Delivery::Sent { avito_message_id },
        Err(failure) => failure.delivery(),
    };
    Message {
        delivery: Some(delivery),
        ..message
    }
}
