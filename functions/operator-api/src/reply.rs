//! An operator's reply to the client (R-OP4): text or an image. Avito takes at most 1000
//! characters a message: a longer text is refused with 422 rather than split, so the operator
//! decides where a message ends. Images go through Avito's upload; Avito's messenger sends nothing
//! else, so any other file is refused with 422 that says so. Every reply carries a client-chosen idempotency key: the same key again returns the
//! first reply and sends nothing. A reply ends the client's waiting period and cancels pending
//! auto-replies. The HTTP edge of [`services::desk::reply`].

use crate::OperatorState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::conversation::Message;
use http_api::error::ApiResult;
use http_api::openapi::IdPath;
use http_api::{Caller, JsonBody, Query, RawBody};
use serde::Deserialize;
use services::desk::reply::Replied;

/// A reply.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// 1 to 1000 characters (Avito's limit), not blank.
    #[schema(schema_with = text_schema)]
    pub text: String,
    /// Chosen by the client, 1 to 64 of `[A-Za-z0-9_-]`; a retried request with the same key sends
    /// nothing more and answers with the first reply.
    #[schema(schema_with = key_schema)]
    pub idempotency_key: String,
}

/// A message's text as Avito takes it.
pub(crate) fn text_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    domain::schema::text(services::desk::reply::MAX_TEXT_CHARS, false).into()
}

fn key_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    domain::schema::id(false).into()
}

/// `POST /v1/conversations/{id}/messages`.
#[utoipa::path(post, path = "/v1/conversations/{id}/messages", tag = "conversations", params(IdPath),
    request_body = ReplyBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Sent, or failed with Avito's reason (see delivery)", body = Message),
        (status = 200, description = "This idempotency key was used before: the first reply", body = Message),
        (status = 403, description = "The caller is not an employee, or not theirs to act on", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "The conversation is closed, has no Avito chat, or the key was used for another message", body = http_api::ErrorBody),
        (status = 422, description = "Text empty or over Avito's 1000 characters, or a bad key", body = http_api::ErrorBody)
    ))]
pub async fn reply(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReplyBody>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let replied = s
        .desk
        .reply(&caller.person(), &id, &body.text, &body.idempotency_key)
        .await?;
    Ok(replied_view(replied))
}

/// 201 with a new message, 200 with the first message of a key used before.
pub(crate) fn replied_view(replied: Replied) -> (StatusCode, Json<Message>) {
    match replied {
        Replied::New(message) => (StatusCode::CREATED, Json(message)),
        Replied::Repeated(first) => (StatusCode::OK, Json(first)),
    }
}

/// Where an image comes from: the idempotency key of the upload.
#[derive(Deserialize)]
pub struct ImageQuery {
    /// Chosen by the client, 1 to 64 of `[A-Za-z0-9_-]`; a retried upload with the same key sends
    /// nothing more and answers with the first message. Required (422 when missing).
    pub idempotency_key: Option<String>,
}

impl utoipa::IntoParams for ImageQuery {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        vec![
            ParameterBuilder::new()
                .name("idempotency_key")
                .parameter_in(ParameterIn::Query)
                .required(utoipa::openapi::Required::True)
                .description(Some(
                    "Chosen by the client, 1 to 64 of `[A-Za-z0-9_-]`; a retried upload with the same key \
                     sends nothing more and answers with the first message.",
                ))
                .schema(Some(domain::schema::id(false)))
                .build(),
        ]
    }
}

/// The image's bytes as a request body's schema: any bytes (the kind is read from them).
pub struct ImageBytes;

impl utoipa::PartialSchema for ImageBytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
        domain::schema::string(false)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for ImageBytes {}

/// `POST /v1/conversations/{id}/images?idempotency_key=...`: the body is the image itself (any
/// `Content-Type`; the kind is read from the bytes). Avito sends JPEG, PNG, GIF, BMP and HEIC up to
/// 24 MB; anything else is refused with 422 saying so.
#[utoipa::path(post, path = "/v1/conversations/{id}/images", tag = "conversations", params(IdPath, ImageQuery),
    request_body(content = ImageBytes, content_type = "application/octet-stream", description = "The image's bytes"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Sent, or failed with Avito's reason (see delivery); content.url is the image at Avito", body = Message),
        (status = 200, description = "This idempotency key was used before: the first message", body = Message),
        (status = 403, description = "The caller is not an employee, or not theirs to act on", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "The conversation is closed, has no Avito chat, or the key was used for another message", body = http_api::ErrorBody),
        (status = 413, description = "Larger than the API accepts", body = http_api::ErrorBody),
        (status = 422, description = "Not an image Avito sends (e.g. a PDF), over 24 MB, empty, or a missing or bad key", body = http_api::ErrorBody)
    ))]
pub async fn image(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ImageQuery>,
    RawBody(bytes): RawBody,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let key = q.idempotency_key.unwrap_or_default();
    let replied = s.desk.reply_image(&caller.person(), &id, &key, bytes.to_vec()).await?;
    Ok(replied_view(replied))
}

/// `POST /v1/conversations/{id}/messages/{message_id}/resend`: sends a failed message again. Only
/// a failure that proves Avito did not take the message (`resendable`) allows it, so the client
/// never gets it twice; of two resends at once one sends and the other gets 409.
#[utoipa::path(post, path = "/v1/conversations/{id}/messages/{message_id}/resend", tag = "conversations",
    params(IdPath, ("message_id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Sent again: sent, or failed again (see delivery)", body = Message),
        (status = 403, description = "The caller is not an employee, or not theirs to act on", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation or message in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "Closed, not failed, being sent, or it may have reached the client", body = http_api::ErrorBody)
    ))]
pub async fn resend(
    State(s): State<OperatorState>,
    caller: Caller,
    Path((id, message_id)): Path<(String, String)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(s.desk.resend(&caller.person(), &id, &message_id).await?))
}

/// Where a voice message plays.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct VoiceLink {
    /// Avito's link to the file (opus in an .mp4 container), valid for an hour: ask again to play
    /// it later.
    pub url: String,
}

/// `GET /v1/conversations/{id}/messages/{message_id}/voice`: a link that plays a voice message,
/// asked of Avito now (its links last an hour).
#[utoipa::path(get, path = "/v1/conversations/{id}/messages/{message_id}/voice", tag = "conversations",
    params(IdPath, ("message_id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The link", body = VoiceLink),
        (status = 404, description = "No such conversation, or no such voice message in it", body = http_api::ErrorBody),
        (status = 502, description = "Avito gave no link", body = http_api::ErrorBody)
    ))]
pub async fn voice(
    State(s): State<OperatorState>,
    caller: Caller,
    Path((id, message_id)): Path<(String, String)>,
) -> ApiResult<Json<VoiceLink>> {
    let url = s.desk.voice_link(&caller.person(), &id, &message_id).await?;
    Ok(Json(VoiceLink { url }))
}

/// `DELETE /v1/conversations/{id}/messages/{message_id}`: deletes a message of ours from the
/// client's Avito chat. Avito allows it within an hour of sending; later is 409 with the reason.
/// The message stays in the conversation as deleted; deleting it again changes nothing.
#[utoipa::path(delete, path = "/v1/conversations/{id}/messages/{message_id}", operation_id = "delete_message", tag = "conversations",
    params(IdPath, ("message_id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted in the chat; the message as it now is", body = Message),
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
    Ok(Json(s.desk.delete(&caller.person(), &id, &message_id).await?))
}
