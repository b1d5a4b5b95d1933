//! The inbound messages from Avito that failed too often (R-X1), for administrators: how many
//! wait in the dead-letter queue, and replaying them. The HTTP edge of
//! [`services::desk::dead_letters::DeadLetters`].

use crate::state::AdminState;
use axum::Json;
use axum::extract::State;
use http_api::Admin;
use http_api::error::ApiResult;
use serde::Serialize;

/// How many inbound messages wait in the dead-letter queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadLettersView {
    /// Messages accepted from Avito that failed too often to be processed. The queue is the
    /// installation's: every tenant's messages are counted.
    pub waiting: u64,
}

/// What a replay did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadLettersReplayedView {
    /// How many went back to be processed again (at most 1,000 per replay; the rest wait for
    /// the next one, see `GET /v1/dead-letters`).
    pub replayed: u32,
}

/// `GET /v1/dead-letters`: how many inbound messages wait in the dead-letter queue (administrators).
#[utoipa::path(get, path = "/v1/dead-letters", operation_id = "count_dead_letters", tag = "inbound",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many wait", body = DeadLettersView),
        (status = 401, description = "Not signed in", body = http_api::ErrorBody),
        (status = 403, description = "Operators do not see them", body = http_api::ErrorBody),
        (status = 503, description = "The queue is unavailable; try again", body = http_api::ErrorBody)
    ))]
pub async fn count(State(s): State<AdminState>, Admin(caller): Admin) -> ApiResult<Json<DeadLettersView>> {
    let waiting = s.dead_letters.waiting(&caller.person()).await?;
    Ok(Json(DeadLettersView { waiting }))
}

/// `POST /v1/dead-letters/replay`: sends the waiting messages back to be processed again, and
/// records it in the audit log (administrators). No body.
#[utoipa::path(post, path = "/v1/dead-letters/replay", operation_id = "replay_dead_letters", tag = "inbound",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many went back to be processed", body = DeadLettersReplayedView),
        (status = 401, description = "Not signed in", body = http_api::ErrorBody),
        (status = 403, description = "Operators do not replay", body = http_api::ErrorBody),
        (status = 503, description = "The queue is unavailable; try again", body = http_api::ErrorBody)
    ))]
pub async fn replay(State(s): State<AdminState>, Admin(caller): Admin) -> ApiResult<Json<DeadLettersReplayedView>> {
    let replayed = s.dead_letters.replay(&caller.person()).await?;
    Ok(Json(DeadLettersReplayedView { replayed }))
}
