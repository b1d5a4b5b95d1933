//! The scheduler on EventBridge Scheduler: one-time `at()` schedules (UTC, no flexible window) in
//! a dedicated group, invoking the target with the job's payload as input, and deleting
//! themselves after completion so they never pile up against the account's quota.

use crate::ports::{ScheduledJob, Scheduler, SchedulerError};
use async_trait::async_trait;
use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::error::DisplayErrorContext;
use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use chrono::{NaiveDateTime, TimeZone, Utc};

/// An EventBridge Scheduler-backed [`Scheduler`].
#[derive(Clone, Debug)]
pub struct EventBridgeScheduler {
    client: Client,
    group: String,
    /// The function the schedules invoke.
    target_arn: String,
    /// The role EventBridge Scheduler assumes to invoke it.
    role_arn: String,
}

const AT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

fn unavailable(e: impl std::fmt::Display) -> SchedulerError {
    SchedulerError::Unavailable(e.to_string())
}

impl EventBridgeScheduler {
    pub fn new(
        client: Client,
        group: impl Into<String>,
        target_arn: impl Into<String>,
        role_arn: impl Into<String>,
    ) -> Self {
        Self {
            client,
            group: group.into(),
            target_arn: target_arn.into(),
            role_arn: role_arn.into(),
        }
    }
}

/// An EventBridge Scheduler client from the standard AWS environment.
pub async fn scheduler_client_from_env() -> Client {
    Client::new(&super::sdk_config_from_env().await)
}

#[async_trait]
impl Scheduler for EventBridgeScheduler {
    async fn schedule(&self, job: &ScheduledJob) -> Result<bool, SchedulerError> {
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| SchedulerError::Invalid(e.to_string()))?;
        let target = Target::builder()
            .arn(&self.target_arn)
            .role_arn(&self.role_arn)
            .input(&job.payload)
            .build()
            .map_err(|e| SchedulerError::Invalid(e.to_string()))?;
        let result = self
            .client
            .create_schedule()
            .name(&job.name)
            .group_name(&self.group)
            .schedule_expression(format!("at({})", job.due_at.format(AT_FORMAT)))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .target(target)
            .action_after_completion(ActionAfterCompletion::Delete)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => Ok(false),
            Err(e) => Err(unavailable(DisplayErrorContext(e))),
        }
    }

    async fn cancel(&self, name: &str) -> Result<bool, SchedulerError> {
        match self
            .client
            .delete_schedule()
            .name(name)
            .group_name(&self.group)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable(DisplayErrorContext(e))),
        }
    }

    async fn get(&self, name: &str) -> Result<Option<ScheduledJob>, SchedulerError> {
        let out = match self
            .client
            .get_schedule()
            .name(name)
            .group_name(&self.group)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(unavailable(DisplayErrorContext(e))),
        };
        let expression = out.schedule_expression().unwrap_or_default();
        let at = expression
            .strip_prefix("at(")
            .and_then(|s| s.strip_suffix(')'))
            .ok_or_else(|| SchedulerError::Invalid(format!("not a one-time schedule: {expression}")))?;
        let naive = NaiveDateTime::parse_from_str(at, AT_FORMAT).map_err(|e| SchedulerError::Invalid(e.to_string()))?;
        let payload = out.target().and_then(|t| t.input()).unwrap_or_default().to_owned();
        Ok(Some(ScheduledJob {
            name: name.to_owned(),
            due_at: Utc.from_utc_datetime(&naive),
            payload,
        }))
    }
}
