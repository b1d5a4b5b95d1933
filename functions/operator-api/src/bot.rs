//! The chatbot API's HTTP edge (R-BOT1): a bot answers with its own token
//! (`Authorization: Bearer <token>` as issued by the admin API); it can send a message to the
//! client, hand the conversation over to a human (its fallback), and finish it. The commands are
//! [`services::desk::bot`]'s.

use crate::{OperatorState, closing_message_view};
use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use domain::conversation::Conversation;
use http_api::error::ApiResult;
use http_api::openapi::IdPath;
use http_api::{ApiError, JsonBody};
use serde::{Deserialize, Serialize};
use services::desk::bot::{BotAuthError, BotCaller};

/// The bot calling, recognised by its token (401 otherwise); extracted from the request's head,
/// so a request without a valid token is refused before its body is read.
pub struct Bot(BotCaller);

impl FromRequestParts<OperatorState> for Bot {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &OperatorState) -> ApiResult<Self> {
        let refused = || ApiError::Unauthorized("a valid chatbot token is required");
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(refused)?;
        match state.desk.bot_caller(token).await {
            Ok(caller) => Ok(Bot(caller)),
            Err(BotAuthError::Refused) => Err(refused()),
            Err(BotAuthError::Service(e)) => Err(e.into()),
        }
    }
}

/// A message from the bot to the client.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotMessage {
    /// 1 to 1000 characters (Avito's limit), not blank.
    #[schema(schema_with = crate::reply::text_schema)]
    pub text: String,
}

/// What sending did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SentView {
    pub message_id: String,
    /// `sent`, or `failed: <reason>`.
    pub delivery: String,
}

/// `POST /v1/bot/conversations/{id}/messages`: sends text (1–1000 characters) to the client.
#[utoipa::path(post, path = "/v1/bot/conversations/{id}/messages", tag = "chatbot", params(IdPath),
    request_body = BotMessage,
    security(("chatbot" = [])),
    responses(
        (status = 201, description = "Sent (or failed, with Avito's reason)", body = SentView),
        (status = 404, description = "No such conversation", body = http_api::ErrorBody),
        (status = 409, description = "Not open with this chatbot", body = http_api::ErrorBody),
        (status = 422, description = "Text empty or over 1000 characters", body = http_api::ErrorBody)
    ))]
pub async fn send(
    State(s): State<OperatorState>,
    Bot(caller): Bot,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<BotMessage>,
) -> ApiResult<(StatusCode, Json<SentView>)> {
    let sent = s.desk.bot_send(&caller, &id, &body.text).await?;
    let delivery = match sent.sent {
        Ok(_) => "sent".to_owned(),
        Err(failure) => format!("failed: {}", failure.reason),
    };
    Ok((
        StatusCode::CREATED,
        Json(SentView {
            message_id: sent.message_id,
            delivery,
        }),
    ))
}

/// `POST /v1/bot/conversations/{id}/handover`: passes the conversation to the bot's fallback.
#[utoipa::path(post, path = "/v1/bot/conversations/{id}/handover", tag = "chatbot", params(IdPath),
    security(("chatbot" = [])),
    responses(
        (status = 200, description = "Handed over; the conversation now", body = Conversation),
        (status = 404, description = "No such conversation", body = http_api::ErrorBody),
        (status = 409, description = "Not open with this chatbot", body = http_api::ErrorBody)
    ))]
pub async fn handover(
    State(s): State<OperatorState>,
    Bot(caller): Bot,
    Path(id): Path<String>,
) -> ApiResult<Json<Conversation>> {
    Ok(Json(s.desk.bot_handover(&caller, &id).await?))
}

/// What finishing did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FinishedView {
    pub status: &'static str,
    /// `sent`, `failed: <reason>` or `off`.
    pub closing_message: String,
}

/// `POST /v1/bot/conversations/{id}/finish`: closes it; the closing message goes out once.
#[utoipa::path(post, path = "/v1/bot/conversations/{id}/finish", tag = "chatbot", params(IdPath),
    security(("chatbot" = [])),
    responses(
        (status = 200, description = "Closed", body = FinishedView),
        (status = 404, description = "No such conversation", body = http_api::ErrorBody),
        (status = 409, description = "Not open with this chatbot", body = http_api::ErrorBody)
    ))]
pub async fn finish(
    State(s): State<OperatorState>,
    Bot(caller): Bot,
    Path(id): Path<String>,
) -> ApiResult<Json<FinishedView>> {
    let closing = s.desk.bot_finish(&caller, &id).await?;
    Ok(Json(FinishedView {
        status: "closed",
        closing_message: closing_message_view(closing),
    }))
}
