//! The router: consumes the inbound queue. On AWS it is an SQS event source with partial batch
//! failures (`ReportBatchItemFailures`): a message that fails goes back to the queue alone, and after
//! the queue's receive limit to the dead-letter queue. Locally [`drain`] does the same from the
//! embedded queue. Processing is idempotent, so a message delivered twice changes nothing twice.

use adapters::ports::Queue;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use services::inbound::InboundEvent;
use services::processing::{InboundProcessor, Outcome, ProcessError};
use std::time::Duration;

/// Processes one queued body.
pub async fn process_body(processor: &InboundProcessor, body: &str) -> Result<Outcome, ProcessError> {
    let event =
        InboundEvent::from_json(body).map_err(|e| ProcessError::Permanent(format!("not an inbound event: {e}")))?;
    processor.process(&event).await
}

/// Handles an SQS batch: reports the messages that failed, so only they are retried.
pub async fn handle_batch(processor: &InboundProcessor, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let result = match record.body.as_deref() {
            Some(body) => process_body(processor, body).await,
            None => Err(ProcessError::Permanent("empty message".into())),
        };
        match result {
            Ok(outcome) => tracing::info!(message_id = %id, ?outcome, "inbound event processed"),
            Err(e) => {
                tracing::warn!(message_id = %id, error = %e, "inbound event failed; it will be retried");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                failures.push(failure);
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

/// One pass over the embedded queue: processes what is available, deletes what succeeded; a
/// failure stays hidden for `retry_after` and comes back. Returns how many were processed.
pub async fn drain(processor: &InboundProcessor, queue: &dyn Queue, retry_after: Duration) -> Result<usize, String> {
    let batch = queue.receive(10, retry_after).await.map_err(|e| e.to_string())?;
    let mut done = 0;
    for message in batch {
        match process_body(processor, &message.body).await {
            Ok(outcome) => {
                tracing::info!(?outcome, "inbound event processed");
                queue.delete(&message.receipt).await.map_err(|e| e.to_string())?;
                done += 1;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt = message.receive_count, "inbound event failed; it will be retried")
            }
        }
    }
    Ok(done)
}
