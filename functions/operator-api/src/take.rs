//! Taking a conversation from a queue and returning it (R-OP1): atomic. Of two operators taking
//! the same conversation at once exactly one gets it; the other is told who has it (409). An
//! operator takes only from the general queue and their groups' queues (administrators from any).
//! Each take and return is a visible note, written in the same conditional write as the new handler.

use crate::OperatorState;
use axum::Json;
use axum::extract::{Path, State};
use domain::conversation::{Conversation, Handler};
use domain::directory::Employee;
use domain::directory::Group;
use domain::ids::{EmployeeId, GroupId};
use domain::validation::ValidationErrors;
use http_api::error::ApiResult;
use http_api::{ApiError, Caller, JsonBody};
use serde::Deserialize;

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
        (status = 403, description = "It waits in the queue of a group the caller is not in", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "Someone else has it, it is with a chatbot, or it is closed", body = http_api::ErrorBody)
    ))]
pub async fn take(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Conversation>> {
    let me = caller_employee(&s, &caller).await?;
    let admin = caller.role == http_api::Role::Admin;
    let my_groups: Vec<GroupId> = s
        .config
        .list_all::<Group>(&caller.tenant)
        .await?
        .into_iter()
        .filter(|g| g.members.contains(&me))
        .map(|g| g.id)
        .collect();
    pass(&s, &caller, &id, "take", |current| match &current.handler {
        Handler::Operator { employee_id } if *employee_id == me => Ok(None),
        Handler::GroupQueue { group_id } if !admin && !my_groups.contains(group_id) => Err(ApiError::Forbidden(
            "the conversation waits in the queue of a group you are not in",
        )),
        Handler::Operator { employee_id } => Err(ApiError::Conflict(format!(
            "the conversation is already with operator {employee_id}"
        ))),
        Handler::Chatbot { .. } => Err(ApiError::Conflict("the conversation is with a chatbot".into())),
        Handler::GroupQueue { .. } | Handler::GeneralQueue => Ok(Some((
            Handler::Operator {
                employee_id: me.clone(),
            },
            format!("Обращение взял оператор {me}"),
        ))),
    })
    .await
    .map(Json)
}

/// Where a returned conversation goes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// The group whose queue gets it; the general queue when absent.
    pub group_id: Option<String>,
}

/// `POST /v1/conversations/{id}/return`: the assignee (or an administrator) puts the conversation
/// back in a queue, for any operator of that queue to take.
#[utoipa::path(post, path = "/v1/conversations/{id}/return", tag = "conversations", params(("id" = String, Path)),
    request_body = ReturnBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "In the queue now", body = Conversation),
        (status = 400, description = "The body cannot be read", body = http_api::ErrorBody),
        (status = 401, description = "No valid bearer token", body = http_api::ErrorBody),
        (status = 403, description = "Assigned to another operator (only they or an administrator may return it)", body = http_api::ErrorBody),
        (status = 404, description = "No such conversation in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "Not with an operator, or closed", body = http_api::ErrorBody),
        (status = 422, description = "No such group", body = http_api::ErrorBody)
    ))]
pub async fn return_to_queue(
    State(s): State<OperatorState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReturnBody>,
) -> ApiResult<Json<Conversation>> {
    let me = caller_employee(&s, &caller).await?;
    let queue = match body.group_id {
        None => Handler::GeneralQueue,
        Some(group) => {
            let known = match GroupId::parse(group.as_str()) {
                Ok(id) => s
                    .config
                    .get::<Group>(&caller.tenant, id.as_str())
                    .await?
                    .map(|g| g.value.id),
                Err(_) => None,
            };
            let group_id = known.ok_or_else(|| {
                let mut errors = ValidationErrors::new();
                errors.add("group_id", "no such group");
                ApiError::from(errors)
            })?;
            Handler::GroupQueue { group_id }
        }
    };
    let admin = caller.role == http_api::Role::Admin;
    pass(&s, &caller, &id, "return", |current| match &current.handler {
        Handler::Operator { employee_id } if *employee_id == me || admin => Ok(Some((
            queue.clone(),
            format!("Оператор {me} вернул обращение в очередь"),
        ))),
        Handler::Operator { .. } => Err(ApiError::Forbidden(
            "only the assigned operator or an administrator returns a conversation",
        )),
        _ => Err(ApiError::Conflict("the conversation is not with an operator".into())),
    })
    .await
    .map(Json)
}

/// Passes an open conversation to the handler `decide` names, with a visible note, in one
/// conditional write; `decide` answering `None` leaves it as it is. Re-decides on a lost race.
async fn pass(
    s: &OperatorState,
    caller: &Caller,
    id: &str,
    what: &str,
    decide: impl Fn(&Conversation) -> ApiResult<Option<(Handler, String)>>,
) -> ApiResult<Conversation> {
    crate::edit(s, caller, id, what, true, |current| {
        Ok(decide(current)?.map(|(handler, note)| {
            let mut next = current.clone();
            next.handler = handler;
            (next, note)
        }))
    })
    .await
}
