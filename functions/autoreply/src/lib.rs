//! The auto-reply target of EventBridge Scheduler: the schedule's input is an
//! [`AutoReplyJob`](services::auto_replies::AutoReplyJob). Firing twice sends once; a reply that
//! is no longer due (answered, closed) is skipped. An error makes EventBridge retry, which is safe
//! for the same reason.

use services::auto_replies::{AutoReplies, AutoReplyJob, Fired};
use services::processing::ProcessError;

/// Handles one invocation with the schedule's input.
pub async fn handle(auto_replies: &AutoReplies, input: serde_json::Value) -> Result<Fired, ProcessError> {
    let job: AutoReplyJob =
        serde_json::from_value(input).map_err(|e| ProcessError::Permanent(format!("not an auto-reply job: {e}")))?;
    let fired = auto_replies.fire(&job).await?;
    tracing::info!(conversation = %job.conversation, index = job.index, ?fired, "auto-reply fired");
    Ok(fired)
}
