//! Client cards as operators see and keep them (R-OP2, R-OP3, R-OP5): who the client of a
//! conversation is, made a client and edited, their history across channels, and writing to them
//! from the card.

use crate::OperatorState;
use crate::reply::ReplyBody;
use adapters::ports::StoreError;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::clients::ClientCardDraft;
use domain::conversation::{ClientCard, Conversation, ConversationStatus, Handler, Message};
use domain::directory::Channel;
use domain::ids::{ClientCardId, ConversationId};
use http_api::error::{ApiError, ApiResult};
use http_api::{Caller, JsonBody, PageQuery, PageView};

/// `GET /v1/client-cards/{id}`: the card a conversation's `client.card_id` names.
#[utoipa::path(get, path = "/v1/client-cards/{id}", tag = "conversations", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The client card", body = ClientCard),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 404, description = "No such card in your tenant", body = http_api::ErrorBody)
    ))]
pub async fn client_card(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ClientCard>> {
    if domain::ids::ClientCardId::parse(id.as_str()).is_err() {
        return Err(ApiError::not_found("client card"));
    }
    s.config
        .get::<ClientCard>(&caller.tenant, &id)
        .await?
        .map(|card| Json(card.value))
        .ok_or_else(|| ApiError::not_found("client card"))
}

/// `PUT /v1/client-cards/{id}`: edits a card; `"kind": "client"` makes a guest a client (R-OP3).
/// The card keeps its id, so every earlier conversation stays in its history.
#[utoipa::path(put, path = "/v1/client-cards/{id}", tag = "records", params(("id" = String, Path)),
    request_body = ClientCardDraft,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = ClientCard),
        (status = 400, description = "The body cannot be read", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 404, description = "No such card in your tenant", body = http_api::ErrorBody),
        (status = 422, description = "Invalid fields, each named", body = http_api::ErrorBody)
    ))]
pub async fn edit_card(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(draft): JsonBody<ClientCardDraft>,
) -> ApiResult<Json<ClientCard>> {
    if ClientCardId::parse(id.as_str()).is_err() {
        return Err(ApiError::not_found("client card"));
    }
    loop {
        let current = s
            .config
            .get::<ClientCard>(&caller.tenant, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("client card"))?;
        let next = draft.clone().apply_to(&current.value)?;
        match s.config.replace(&caller.tenant, &next, current.version).await {
            Ok(_) => return Ok(Json(next)),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

async fn card(s: &OperatorState, caller: &Caller, id: &str) -> ApiResult<ClientCard> {
    if ClientCardId::parse(id).is_err() {
        return Err(ApiError::not_found("client card"));
    }
    s.config
        .get::<ClientCard>(&caller.tenant, id)
        .await?
        .map(|c| c.value)
        .ok_or_else(|| ApiError::not_found("client card"))
}

/// `GET /v1/client-cards/{id}/conversations`: the card's history, open and closed, across every
/// channel, the newest first.
#[utoipa::path(get, path = "/v1/client-cards/{id}/conversations", tag = "records", params(("id" = String, Path), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page, the newest first", body = PageView<Conversation>),
        (status = 400, description = "Bad paging", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 404, description = "No such card in your tenant", body = http_api::ErrorBody)
    ))]
pub async fn history(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<PageView<Conversation>>> {
    let card = card(&s, &caller, &id).await?;
    let (limit, after) = crate::time_paging(&q)?;
    let page = s
        .conversations
        .by_client_card(&caller.tenant, &card.id, after.as_deref(), limit)
        .await?;
    Ok(Json(crate::time_page(page)))
}

/// `POST /v1/client-cards/{id}/messages`: writes to the client from their card (R-OP5), into their
/// open conversation with an Avito chat, or else a new conversation (assigned to the caller) in the
/// chat of their latest one. Avito lets a business write only into an existing chat, so a client
/// with none gets 409 saying so.
#[utoipa::path(post, path = "/v1/client-cards/{id}/messages", tag = "records", params(("id" = String, Path)),
    request_body = ReplyBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Sent, or failed with Avito's reason (see delivery)", body = Message),
        (status = 200, description = "This idempotency key was used before: the first message", body = Message),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "The caller is not an employee", body = http_api::ErrorBody),
        (status = 404, description = "No such card in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "The client has no Avito chat to write into, or its channel is not connected", body = http_api::ErrorBody),
        (status = 422, description = "Text empty or over Avito's 1000 characters, or a bad key", body = http_api::ErrorBody)
    ))]
pub async fn message_from_card(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReplyBody>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    crate::reply::check_reply(&body)?;
    let card = card(&s, &caller, &id).await?;
    let me = crate::take::caller_employee(&s, &caller).await?;
    let recent = s
        .conversations
        .by_client_card(&caller.tenant, &card.id, None, 50)
        .await?
        .items;
    let with_chat: Vec<&Conversation> = recent.iter().filter(|c| c.has_avito_chat()).collect();
    let target = match with_chat.iter().find(|c| c.status == ConversationStatus::Open) {
        Some(open) => open.id.clone(),
        None => match with_chat.first() {
            Some(latest) => reopen(&s, &caller, latest, &card, me).await?,
            None => {
                return Err(ApiError::Conflict(
                    "Avito cannot start a chat: a business writes only into a chat the client opened, and this client has none with you yet"
                        .into(),
                ));
            }
        },
    };
    crate::reply::send_text(&s, &caller, target.as_str(), body).await
}

/// A new conversation, assigned to `me`, in the chat of the client's `latest` one; the open one of
/// that chat if someone opened it meanwhile.
async fn reopen(
    s: &OperatorState,
    caller: &Caller,
    latest: &Conversation,
    card: &ClientCard,
    me: domain::ids::EmployeeId,
) -> ApiResult<ConversationId> {
    let ports = &s.closing.ports;
    let channel = s
        .config
        .get::<Channel>(&caller.tenant, latest.channel_id.as_str())
        .await?
        .map(|c| c.value)
        .filter(Channel::is_receiving)
        .ok_or_else(|| ApiError::Conflict("the channel of this client's chat is not connected".into()))?;
    let settings = s
        .config
        .channel_settings(&caller.tenant, &channel.id)
        .await?
        .unwrap_or_default();
    let now = ports.clock.now();
    let id = ConversationId::parse(services::random_hex(16).map_err(ApiError::Unavailable)?)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut client = latest.client.clone();
    client.card_id = Some(card.id.clone());
    let conversation = Conversation {
        id,
        status: ConversationStatus::Open,
        handler: Handler::Operator { employee_id: me },
        client,
        created_at: now,
        last_activity_at: now,
        waiting_since: None,
        closed_at: None,
        auto_close_due_at: None,
        closing_reason: None,
        topic: None,
        ..latest.clone()
    }
    .with_auto_close(settings.auto_close_after);
    match ports.conversations.open(&caller.tenant, &conversation).await {
        Ok(()) => Ok(conversation.id),
        Err(StoreError::Conflict) => ports
            .conversations
            .open_for_chat(&caller.tenant, &channel.id, &conversation.chat_id)
            .await?
            .map(|c| c.value.id)
            .ok_or_else(|| ApiError::Conflict("the chat changed meanwhile; try again".into())),
        Err(e) => Err(e.into()),
    }
}

/// `POST /v1/client-cards`: a client card made by an operator (a client who has not written
/// through Avito, e.g. one who called). Link conversations to it with `PATCH /v1/conversations/{id}`.
#[utoipa::path(post, path = "/v1/client-cards", tag = "records", request_body = ClientCardDraft,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (a client card)", body = ClientCard),
        (status = 400, description = "The body cannot be read", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 422, description = "Invalid fields, each named", body = http_api::ErrorBody)
    ))]
pub async fn create_card(
    State(s): State<OperatorState>,
    caller: Caller,
    JsonBody(draft): JsonBody<ClientCardDraft>,
) -> ApiResult<(StatusCode, Json<ClientCard>)> {
    let id = ClientCardId::parse(services::random_hex(16).map_err(ApiError::Unavailable)?)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let blank = ClientCard {
        id,
        kind: domain::conversation::CardKind::Client,
        name: None,
        avito_user_ids: Vec::new(),
        phones: Vec::new(),
        emails: Vec::new(),
        created_at: s.closing.ports.clock.now(),
    };
    let card = ClientCardDraft {
        kind: Some("client".into()),
        ..draft
    }
    .apply_to(&blank)?;
    s.config.create(&caller.tenant, &card).await?;
    Ok((StatusCode::CREATED, Json(card)))
}
