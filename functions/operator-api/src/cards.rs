//! Client cards as operators see and keep them (R-OP2, R-OP3, R-OP5): who the client of a
//! conversation is, made a client and edited, their history across channels, and writing to them
//! from the card. The HTTP edge of [`services::desk::records`] and [`services::desk::reply`].

use crate::OperatorState;
use crate::reply::{ReplyBody, replied_view};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use domain::clients::ClientCardDraft;
use domain::conversation::{ClientCard, Conversation, Message};
use http_api::error::ApiResult;
use http_api::openapi::IdPath;
use http_api::{Caller, JsonBody, PageView, Query, TimePageQuery};

/// What to find client cards by.
#[derive(serde::Deserialize)]
pub struct CardQuery {
    /// The start of a word of the name («пет» finds «Пётр Ёлкин»), or phone digits
    /// («8 900 123» finds +7 900 123-45-67); at least 2 characters (or digits).
    pub query: String,
}

impl utoipa::IntoParams for CardQuery {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        vec![
            ParameterBuilder::new()
                .name("query")
                .parameter_in(ParameterIn::Query)
                .required(utoipa::openapi::Required::True)
                .description(Some(
                    "The start of a word of the name («пет» finds «Пётр Ёлкин»), or phone digits \
                     («8 900 123» finds +7 900 123-45-67); at least 2 characters (or digits).",
                ))
                .schema(Some(
                    domain::schema::string(false).pattern(Some(domain::clients::search::query_pattern())),
                ))
                .build(),
        ]
    }
}

/// The cards found.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FoundCards {
    /// At most 20, by name.
    pub items: Vec<ClientCard>,
}

/// `GET /v1/client-cards?query=`: client cards by name or phone, for linking a conversation to
/// another card.
#[utoipa::path(get, path = "/v1/client-cards", tag = "records", params(CardQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cards found, by name", body = FoundCards),
        (status = 400, description = "No query", body = http_api::ErrorBody),
        (status = 422, description = "The query is too short", body = http_api::ErrorBody)
    ))]
pub async fn search_cards(
    State(s): State<OperatorState>,
    caller: Caller,
    Query(q): Query<CardQuery>,
) -> ApiResult<Json<FoundCards>> {
    Ok(Json(FoundCards {
        items: s.desk.search_cards(&caller.person(), &q.query).await?,
    }))
}

/// `GET /v1/client-cards/{id}`: the card a conversation's `client.card_id` names.
#[utoipa::path(get, path = "/v1/client-cards/{id}", tag = "conversations", params(IdPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The client card", body = ClientCard),
        (status = 404, description = "No such card in your tenant", body = http_api::ErrorBody)
    ))]
pub async fn client_card(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ClientCard>> {
    Ok(Json(s.desk.card(&caller.tenant, &id).await?))
}

/// `PUT /v1/client-cards/{id}`: edits a card; `"kind": "client"` makes a guest a client (R-OP3).
/// The card keeps its id, so every earlier conversation stays in its history.
#[utoipa::path(put, path = "/v1/client-cards/{id}", tag = "records", params(IdPath),
    request_body = ClientCardDraft,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = ClientCard),
        (status = 404, description = "No such card in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "`kind: guest` for a client's card: a client stays a client", body = http_api::ErrorBody),
        (status = 422, description = "Invalid fields, each named", body = http_api::ErrorBody)
    ))]
pub async fn edit_card(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(draft): JsonBody<ClientCardDraft>,
) -> ApiResult<Json<ClientCard>> {
    Ok(Json(s.desk.edit_card(&caller.person(), &id, &draft).await?))
}

/// `GET /v1/client-cards/{id}/conversations`: the card's history, open and closed, across every
/// channel, the newest first.
#[utoipa::path(get, path = "/v1/client-cards/{id}/conversations", tag = "records", params(IdPath, TimePageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page, the newest first", body = PageView<Conversation>),
        (status = 404, description = "No such card in your tenant", body = http_api::ErrorBody)
    ))]
pub async fn history(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<TimePageQuery>,
) -> ApiResult<Json<PageView<Conversation>>> {
    let (limit, after) = q.parse()?;
    let page = s.desk.history(&caller.person(), &id, after.as_ref(), limit).await?;
    Ok(Json(PageView::from_time_page(page)))
}

/// `POST /v1/client-cards/{id}/messages`: writes to the client from their card (R-OP5), into their
/// open conversation with an Avito chat, or else a new conversation (assigned to the caller) in the
/// chat of their latest one. Avito lets a business write only into an existing chat, so a client
/// with none gets 409 saying so.
#[utoipa::path(post, path = "/v1/client-cards/{id}/messages", tag = "records", params(IdPath),
    request_body = ReplyBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Sent, or failed with Avito's reason (see delivery)", body = Message),
        (status = 200, description = "This idempotency key was used before: the first message", body = Message),
        (status = 403, description = "The caller is not an employee, or not theirs to act on", body = http_api::ErrorBody),
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
    let replied = s
        .desk
        .reply_from_card(&caller.person(), &id, &body.text, &body.idempotency_key)
        .await?;
    Ok(replied_view(replied))
}

/// `POST /v1/client-cards`: a client card made by an operator (a client who has not written
/// through Avito, e.g. one who called). Link conversations to it with `PATCH /v1/conversations/{id}`.
#[utoipa::path(post, path = "/v1/client-cards", tag = "records", request_body = ClientCardDraft,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (a client card)", body = ClientCard,
            headers(("Location" = String, description = "The new card's path: `/v1/client-cards/{id}`"))),
        (status = 422, description = "Invalid fields, each named", body = http_api::ErrorBody)
    ))]
pub async fn create_card(
    State(s): State<OperatorState>,
    caller: Caller,
    JsonBody(draft): JsonBody<ClientCardDraft>,
) -> ApiResult<(StatusCode, HeaderMap, Json<ClientCard>)> {
    let card = s.desk.create_card(&caller.person(), draft).await?;
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/client-cards/{}", card.id)) {
        headers.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(card)))
}
