//! Taking a conversation from a queue and returning it (R-OP1): atomic. Of two operators taking
//! the same conversation at once exactly one gets it; the other is told who has it (409). An
//! operator takes only from the general queue and their groups' queues (administrators from any).
//! Each take and return is a visible note, written in the same conditional write as the new handler.
//! The HTTP edge of [`services::desk::Desk::take`] and [`services::desk::Desk::return_to_queue`].

use crate::OperatorState;
use axum::Json;
use axum::extract::{Path, State};
use domain::conversation::Conversation;
use http_api::error::ApiResult;
use http_api::openapi::IdPath;
use http_api::{Caller, JsonBody};
use serde::Deserialize;

/// `POST /v1/conversations/{id}/take`.
#[utoipa::path(post, path = "/v1/conversations/{id}/take", tag = "conversations", params(IdPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Taken: the conversation is assigned to the caller", body = Conversation),
        (status = 403, description = "It waits in the queue of a group the caller is not in", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "Someone else has it, it is with a chatbot, or it is closed", body = http_api::ErrorBody)
    ))]
pub async fn take(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Conversation>> {
    Ok(Json(s.desk.take(&caller.person(), &id).await?))
}

/// Where a returned conversation goes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// The group whose queue gets it (one of the tenant's: 404 naming the field otherwise); the
    /// general queue when absent or `null`.
    #[serde(default)]
    #[schema(schema_with = group_schema)]
    pub group_id: Option<String>,
}

fn group_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    domain::schema::id(true).into()
}

/// `POST /v1/conversations/{id}/return`: the assignee (or an administrator) puts the conversation
/// back in a queue, for any operator of that queue to take.
#[utoipa::path(post, path = "/v1/conversations/{id}/return", tag = "conversations", params(IdPath),
    request_body = ReturnBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "In the queue now", body = Conversation),
        (status = 403, description = "Assigned to another operator (only they or an administrator may return it)", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant, or no such group (named in `fields`)", body = http_api::ErrorBody),
        (status = 409, description = "Not with an operator, or closed", body = http_api::ErrorBody),
        (status = 422, description = "`group_id` is not an id", body = http_api::ErrorBody)
    ))]
pub async fn return_to_queue(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReturnBody>,
) -> ApiResult<Json<Conversation>> {
    let returned = s
        .desk
        .return_to_queue(&caller.person(), &id, body.group_id.as_deref())
        .await?;
    Ok(Json(returned))
}
