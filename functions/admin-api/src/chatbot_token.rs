//! Issuing a chatbot's token for the chatbot API (R-BOT1). The token is shown once, in this answer;
//! only its digest is kept, and issuing a new one replaces the old.

use crate::state::AdminState;
use axum::Json;
use axum::extract::{Path, State};
use domain::audit::{AuditAction, AuditSubjectKind};
use domain::directory::Chatbot;
use domain::ids::is_valid_id;
use http_api::error::ApiResult;
use http_api::{Admin, ApiError};
use serde::Serialize;

/// The new token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTokenView {
    /// Give it to the bot: it calls the chatbot API with `Authorization: Bearer <api_token>`.
    /// Shown only now.
    pub api_token: String,
}

/// Issues (or replaces) the chatbot's API token.
#[utoipa::path(post, path = "/v1/chatbots/{id}/api-token", tag = "directory", params(http_api::openapi::IdPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new token, shown once", body = ApiTokenView),
        (status = 403, description = "Operators cannot issue tokens", body = http_api::ErrorBody),
        (status = 404, description = "No such chatbot in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "The chatbot changed meanwhile", body = http_api::ErrorBody)
    ))]
pub async fn issue(
    State(s): State<AdminState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiTokenView>> {
    let not_found = || ApiError::not_found("chatbot");
    if !is_valid_id(&id) {
        return Err(not_found());
    }
    let current = s
        .config
        .get::<Chatbot>(&caller.tenant, &id)
        .await?
        .ok_or_else(not_found)?;
    let secret = services::random_hex(32).map_err(ApiError::Internal)?;
    let api_token = format!("{}.{}.{secret}", caller.tenant, current.value.id);
    let mut bot = current.value;
    bot.api_token_digest = Some(services::connection::digest(&api_token));
    s.config.replace(&caller.tenant, &bot, current.version).await?;
    let subject = services::audit::subject(AuditSubjectKind::Chatbot, bot.id.as_str(), bot.name.as_str());
    s.audit
        .record(&caller.person(), AuditAction::ChatbotTokenIssued, subject)
        .await;
    Ok(Json(ApiTokenView { api_token }))
}
