//! Whole-document settings: a channel's settings, the working schedule and the default
//! distribution settings. `GET` returns the document (the defaults until one is saved); `PUT`
//! validates the whole document and saves all of it or nothing, then returns what was saved.

use crate::state::AdminState;
use axum::Json;
use axum::extract::{Path, State};
use domain::audit::{AuditAction, AuditSubjectKind};
use domain::directory::{Channel, Chatbot, Employee, Group};
use domain::distribution::{DistributionDoc, DistributionSettings};
use domain::ids::{TenantId, is_valid_id};
use domain::schedule::{WorkingSchedule, WorkingScheduleDoc};
use domain::settings::{ChannelSettings, ChannelSettingsDoc};
use domain::validation::{Problem, ValidationErrors};
use http_api::error::ApiResult;
use http_api::{Admin, ApiError, Caller, JsonBody};
use services::audit;

async fn load_channel(state: &AdminState, tenant: &TenantId, id: &str) -> ApiResult<Channel> {
    if !is_valid_id(id) {
        return Err(ApiError::not_found("channel"));
    }
    Ok(state
        .config
        .get::<Channel>(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("channel"))?
        .value)
}

/// 404 naming each field whose employee, group or chatbot does not exist in the tenant.
async fn check_settings_references(state: &AdminState, tenant: &TenantId, settings: &ChannelSettings) -> ApiResult<()> {
    let refs = settings.references();
    let mut unknown = ValidationErrors::new();
    for (field, id) in &refs.employees {
        if state.config.get::<Employee>(tenant, id.as_str()).await?.is_none() {
            unknown.add(field.clone(), Problem::NotFound("employee"));
        }
    }
    for (field, id) in &refs.groups {
        if state.config.get::<Group>(tenant, id.as_str()).await?.is_none() {
            unknown.add(field.clone(), Problem::NotFound("group"));
        }
    }
    for (field, id) in &refs.chatbots {
        if state.config.get::<Chatbot>(tenant, id.as_str()).await?.is_none() {
            unknown.add(field.clone(), Problem::NotFound("chatbot"));
        }
    }
    crate::directory::unknown_references(unknown)
}

/// A channel's settings; the defaults until saved.
#[utoipa::path(get, path = "/v1/channels/{id}/settings", tag = "settings", params(http_api::openapi::IdPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings document", body = ChannelSettingsDoc),
        (status = 404, description = "No such channel in your tenant", body = http_api::ErrorBody)
    ))]
pub async fn get_channel_settings(
    State(s): State<AdminState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ChannelSettingsDoc>> {
    let channel = load_channel(&s, &caller.tenant, &id).await?;
    let settings = s
        .config
        .channel_settings(&caller.tenant, &channel.id)
        .await?
        .unwrap_or_default();
    Ok(Json(settings.into()))
}

/// Replaces a channel's settings as a whole (R-CS1–R-CS7).
#[utoipa::path(put, path = "/v1/channels/{id}/settings", tag = "settings", params(http_api::openapi::IdPath),
    request_body = ChannelSettingsDoc,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; the saved document", body = ChannelSettingsDoc),
        (status = 403, description = "Operators cannot change settings", body = http_api::ErrorBody),
        (status = 404, description = "No such channel in your tenant, or an employee, group or chatbot named is not your tenant's (each named in `fields`)", body = http_api::ErrorBody),
        (status = 409, description = "`only_responses_with_message` on a channel that is not an Avito Jobs one", body = http_api::ErrorBody),
        (status = 422, description = "Invalid values, every failing field named (also: auto-replies' delays must not decrease along the list)", body = http_api::ErrorBody)
    ))]
pub async fn put_channel_settings(
    State(s): State<AdminState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    JsonBody(doc): JsonBody<ChannelSettingsDoc>,
) -> ApiResult<Json<ChannelSettingsDoc>> {
    let channel = load_channel(&s, &caller.tenant, &id).await?;
    let settings = doc.validate(channel.kind)?;
    check_settings_references(&s, &caller.tenant, &settings).await?;
    s.config
        .put_channel_settings(&caller.tenant, &channel.id, &settings)
        .await?;
    let subject = audit::subject(AuditSubjectKind::Channel, channel.id.as_str(), channel.name.as_str());
    s.audit
        .record(&caller.person(), AuditAction::ChannelSettingsChanged, subject)
        .await;
    Ok(Json(settings.into()))
}

/// The tenant's working schedule (R-S1); Moscow, weekdays 09:00–18:00 until saved.
#[utoipa::path(get, path = "/v1/schedule", tag = "settings",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The schedule document", body = WorkingScheduleDoc)
    ))]
pub async fn get_schedule(State(s): State<AdminState>, caller: Caller) -> ApiResult<Json<WorkingScheduleDoc>> {
    Ok(Json(s.config.schedule(&caller.tenant).await?.into()))
}

/// Replaces the working schedule as a whole. Returned in canonical order (intervals by start,
/// dates ascending).
#[utoipa::path(put, path = "/v1/schedule", tag = "settings", request_body = WorkingScheduleDoc,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; the saved document", body = WorkingScheduleDoc),
        (status = 403, description = "Operators cannot change the schedule", body = http_api::ErrorBody),
        (status = 422, description = "Invalid values, every failing field named (also: intervals of a day overlapping or with the same start and end, a date listed twice or both a holiday and a working date)", body = http_api::ErrorBody)
    ))]
pub async fn put_schedule(
    State(s): State<AdminState>,
    Admin(caller): Admin,
    JsonBody(doc): JsonBody<WorkingScheduleDoc>,
) -> ApiResult<Json<WorkingScheduleDoc>> {
    let schedule = WorkingSchedule::try_from(doc)?;
    s.config.put_schedule(&caller.tenant, &schedule).await?;
    s.audit
        .record(&caller.person(), AuditAction::ScheduleChanged, None)
        .await;
    Ok(Json(schedule.into()))
}

/// The tenant's default distribution settings (R-CS2); queue until saved.
#[utoipa::path(get, path = "/v1/distribution", tag = "settings",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The distribution settings", body = DistributionDoc)
    ))]
pub async fn get_distribution(State(s): State<AdminState>, caller: Caller) -> ApiResult<Json<DistributionDoc>> {
    Ok(Json(s.config.distribution(&caller.tenant).await?.into()))
}

/// Replaces the default distribution settings.
#[utoipa::path(put, path = "/v1/distribution", tag = "settings", request_body = DistributionDoc,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; the saved settings", body = DistributionDoc),
        (status = 403, description = "Operators cannot change distribution", body = http_api::ErrorBody),
        (status = 422, description = "Invalid values; every failing field is named", body = http_api::ErrorBody)
    ))]
pub async fn put_distribution(
    State(s): State<AdminState>,
    Admin(caller): Admin,
    JsonBody(doc): JsonBody<DistributionDoc>,
) -> ApiResult<Json<DistributionDoc>> {
    let settings = DistributionSettings::try_from(doc)?;
    s.config.put_distribution(&caller.tenant, &settings).await?;
    s.audit
        .record(&caller.person(), AuditAction::DistributionChanged, None)
        .await;
    Ok(Json(settings.into()))
}
