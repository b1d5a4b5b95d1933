//! The target of EventBridge Scheduler: the schedule's input is a
//! [`TimedJob`](services::timed::TimedJob): a delayed auto-reply, or an answer wait running
//! out. Firing twice acts once; a job that is no longer due is skipped. An error makes EventBridge
//! retry, which is safe for the same reason.

use services::ServiceError;
use services::ports::Ports;
use services::timed::TimedJob;

/// Handles one invocation with the schedule's input; says what happened.
pub async fn handle(ports: &Ports, input: serde_json::Value) -> Result<String, ServiceError> {
    let job: TimedJob =
        serde_json::from_value(input).map_err(|e| ServiceError::Permanent(format!("not a scheduled job: {e}")))?;
    let outcome = job.fire(ports).await?;
    tracing::info!(%outcome, "scheduled job fired");
    Ok(outcome)
}
