//! Client cards as operators see them (R-OP2): who the client of a conversation is.

use crate::OperatorState;
use axum::Json;
use axum::extract::{Path, State};
use domain::conversation::ClientCard;
use http_api::Caller;
use http_api::error::{ApiError, ApiResult};

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
