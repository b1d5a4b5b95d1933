//! The router: consumes the inbound queue. On AWS it is an SQS event source with partial batch
//! failures (`ReportBatchItemFailures`): a message that fails goes back to the queue alone, and after
//! the queue's receive limit to the dead-letter queue. Locally [`drain`] does the same from the
//! embedded queue. Processing is idempotent, so a message delivered twice changes nothing twice.

use adapters::ports::{Queue, QueuedMessage};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use services::ServiceError;
use services::inbound::InboundEvent;
use services::inbound::{InboundProcessor, Outcome};
use std::time::Duration;

/// Processes one queued body.
pub async fn process_body(processor: &InboundProcessor, body: &str) -> Result<Outcome, ServiceError> {
    let event =
        InboundEvent::from_json(body).map_err(|e| ServiceError::Permanent(format!("not an inbound event: {e}")))?;
    processor.process(&event).await
}

/// The SQS event Lambda delivers for these queue messages (their ids and bodies): how the tests
/// and the benchmarks hand what a real queue holds to [`handle_batch`].
pub fn sqs_event(messages: &[QueuedMessage]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut record = aws_lambda_events::sqs::SqsMessage::default();
            record.message_id = Some(m.id.clone());
            record.body = Some(m.body.clone());
            record
        })
        .collect();
    event
}

/// Handles an SQS batch: reports the messages that failed, so only they are retried.
pub async fn handle_batch(processor: &InboundProcessor, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let result = match record.body.as_deref() {
            Some(body) => process_body(processor, body).await,
            None => Err(ServiceError::Permanent("empty message".into())),
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

/// Messages of one chat, in the order they came, each with its event when it could be read.
type Lane = Vec<(QueuedMessage, Option<InboundEvent>)>;

/// How many messages one pass of [`drain`] takes from the embedded queue.
pub const DRAIN_BATCH: u32 = 32;

/// One pass over the embedded queue: takes up to [`DRAIN_BATCH`] messages and processes them, the
/// messages of one chat in the order they came and different chats side by side; deletes what
/// succeeded. A failure stays hidden for `retry_after` and comes back. Returns how many were
/// processed.
pub async fn drain(processor: &InboundProcessor, queue: &dyn Queue, retry_after: Duration) -> Result<usize, String> {
    let batch = queue
        .receive(DRAIN_BATCH, retry_after)
        .await
        .map_err(|e| e.to_string())?;
    let mut lanes: Vec<(String, Lane)> = Vec::new();
    for message in batch {
        let event = InboundEvent::from_json(&message.body).ok();
        // Unreadable bodies each get a lane of their own; processing reports them.
        let key = event
            .as_ref()
            .map_or_else(|| message.id.clone(), InboundEvent::ordering_key);
        match lanes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, lane)) => lane.push((message, event)),
            None => lanes.push((key, vec![(message, event)])),
        }
    }
    let work = lanes.into_iter().map(|(_, lane)| async move {
        let mut done = 0;
        for (message, event) in lane {
            let result = match event {
                Some(event) => processor.process(&event).await,
                None => process_body(processor, &message.body).await,
            };
            match result {
                Ok(outcome) => {
                    tracing::info!(?outcome, "inbound event processed");
                    queue.delete(&message.receipt).await.map_err(|e| e.to_string())?;
                    done += 1;
                }
                Err(e) => tracing::warn!(error = %e, attempt = message.receive_count, "inbound event failed; it will be retried"),
            }
        }
        Ok::<_, String>(done)
    });
    let mut done = 0;
    for lane in futures_util::future::join_all(work).await {
        done += lane?;
    }
    Ok(done)
}
