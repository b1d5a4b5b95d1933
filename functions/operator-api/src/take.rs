//! Taking a conversation from a queue (R-OP1): atomic. Of two operators taking the same
//! conversation at once exactly one gets it; the other is told who has it (409). The take is a
//! visible note in the conversation, written in the same conditional write as the new assignee.

use crate::OperatorState;
use adapters::ports::StoreError;
use axum::Json;
use axum::extract::{Path, State};
use domain::conversation::{Author, Content, Conversation, ConversationStatus, Handler, Message};
use domain::directory::Employee;
use domain::ids::{ConversationId, EmployeeId};
use http_api::error::ApiResult;
use http_api::{ApiError, Caller};

/// The caller as an employee: the one whose `user_id` (or id) is the token's user.
pub(crate) async fn caller_employee(s: &OperatorState, caller: &Caller) -> ApiResult<EmployeeId> {
    s.config
        .list_all::<Employee>(&caller.tenant)
        .await?
        .into_iter()
        .find(|e| e.user_id.as_deref() == Some(caller.user.as_str()) || e.id.as_str() == caller.user)
        .map(|e| e.id)
        .or_else(|| EmployeeId::parse(caller.user.as_str()).ok())
        .ok_or(ApiError::Forbidden("only employees work conversations"))
}

/// `POST /v1/conversations/{id}/take`.
#[utoipa::path(post, path = "/v1/conversations/{id}/take", tag = "conversations", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Taken: the conversation is assigned to the caller", body = Conversation),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "Someone else has it, it is with a chatbot, or it is closed", body = http_api::ErrorBody)
    ))]
pub async fn take(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Conversation>> {
    let me = caller_employee(&s, &caller).await?;
    let id = ConversationId::parse(id.as_str()).map_err(|_| ApiError::not_found("conversation"))?;
    let ports = &s.closing.ports;
    loop {
        let current = ports
            .conversations
            .get(&caller.tenant, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("conversation"))?;
        if current.value.status != ConversationStatus::Open {
            return Err(ApiError::Conflict("the conversation is closed".into()));
        }
        match &current.value.handler {
            Handler::Operator { employee_id } if *employee_id == me => return Ok(Json(current.value)),
            Handler::Operator { employee_id } => {
                return Err(ApiError::Conflict(format!(
                    "the conversation is already with operator {employee_id}"
                )));
            }
            Handler::Chatbot { .. } => return Err(ApiError::Conflict("the conversation is with a chatbot".into())),
            Handler::GroupQueue { .. } | Handler::GeneralQueue => {}
        }
        // The note's id names the version taken from: two takes of one version write one note.
        let note = Message {
            id: format!("take-{}-{}", current.value.id, current.version),
            conversation_id: current.value.id.clone(),
            author: Author::System,
            content: Content::System {
                text: Some(format!("Обращение взял оператор {me}")),
                flow_id: None,
            },
            created_at: ports.clock.now(),
            delivery: None,
        };
        let mut next = current.value.clone().with_message(&note);
        next.handler = Handler::Operator {
            employee_id: me.clone(),
        };
        match ports
            .conversations
            .add_message(&caller.tenant, &next, current.version, &note)
            .await
        {
            Ok(true) => return Ok(Json(next)),
            // Someone took it from this version first: read again to say who.
            Ok(false) | Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
