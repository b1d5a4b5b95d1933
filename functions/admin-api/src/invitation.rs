//! Inviting an employee to sign in (R-X2): on AWS, Cognito e-mails them; on the local server the
//! answer is a one-time link for the administrator to hand over. The use case is
//! `services::identity::SignInAccounts::invite`.

use crate::state::AdminState;
use adapters::ports::InvitationSent;
use axum::Json;
use axum::extract::{Path, State};
use domain::audit::{AuditAction, AuditSubjectKind};
use domain::ids::EmployeeId;
use http_api::error::ApiResult;
use http_api::{Admin, ApiError};
use serde::Serialize;

/// How the invitation reaches the employee.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    /// `link`: hand `link` to the employee (it works once, until `expires_at`); `email`: the
    /// identity provider e-mailed them their sign-in details.
    pub delivery: &'static str,
    pub link: Option<String>,
    pub expires_at: Option<domain::DateTime<domain::Utc>>,
}

/// Invites (or invites again) an employee, who must have an e-mail and not be disabled.
#[utoipa::path(post, path = "/v1/employees/{id}/invitation", tag = "directory", params(http_api::openapi::IdPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Invited", body = InvitationView),
        (status = 401, description = "Not signed in", body = http_api::ErrorBody),
        (status = 403, description = "Operators cannot invite", body = http_api::ErrorBody),
        (status = 404, description = "No such employee in your tenant", body = http_api::ErrorBody),
        (status = 409, description = "The employee is disabled, or another account signs in with this e-mail", body = http_api::ErrorBody),
        (status = 422, description = "The employee has no e-mail", body = http_api::ErrorBody)
    ))]
pub async fn invite(
    State(s): State<AdminState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<InvitationView>> {
    let id = EmployeeId::parse(id).map_err(|_| ApiError::not_found("employee"))?;
    let (employee, sent) = s.accounts.invite(&admin.person(), &id).await?;
    let subject = services::audit::subject(AuditSubjectKind::Employee, id.as_str(), employee.name.as_str());
    s.audit
        .record(&admin.person(), AuditAction::EmployeeInvited, subject)
        .await;
    Ok(Json(match sent {
        InvitationSent::Link { token, expires_at } => InvitationView {
            delivery: "link",
            link: Some(format!("{}/#/invite/{token}", s.connections.public_base_url())),
            expires_at: Some(expires_at),
        },
        InvitationSent::Emailed { .. } => InvitationView {
            delivery: "email",
            link: None,
            expires_at: None,
        },
    }))
}
