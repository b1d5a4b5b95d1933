//! The queue on SQS: a standard queue with a redrive policy to its dead-letter queue.

use crate::ports::{DeadLetterFilter, Queue, QueueError, QueuedMessage};
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use std::time::Duration;

/// An SQS-backed [`Queue`].
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    url: String,
    dead_letter_url: String,
}

fn unavailable<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: aws_sdk_sqs::error::SdkError<E, R>,
) -> QueueError {
    QueueError::Unavailable(DisplayErrorContext(e).to_string())
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>, dead_letter_url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
            dead_letter_url: dead_letter_url.into(),
        }
    }

    async fn receive_from(&self, url: &str, max: u32, visibility: Duration) -> Result<Vec<QueuedMessage>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .visibility_timeout(visibility.as_secs() as i32)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out
            .messages()
            .iter()
            .filter_map(|m| {
                let count = m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                Some(QueuedMessage {
                    id: m.message_id()?.to_owned(),
                    receipt: m.receipt_handle()?.to_owned(),
                    body: m.body()?.to_owned(),
                    receive_count: count,
                })
            })
            .collect())
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, body: &str) -> Result<(), QueueError> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn receive(&self, max: u32, visibility: Duration) -> Result<Vec<QueuedMessage>, QueueError> {
        self.receive_from(&self.url, max, visibility).await
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn dead_letter_count(&self, of: DeadLetterFilter<'_>) -> Result<u64, QueueError> {
        // The queue is the installation's: the letters are read (hidden a moment), the accepted
        // ones counted, and all made visible again at once.
        let examined = self.examine_dead_letters().await?;
        let count = examined.iter().filter(|m| of(&m.body)).count() as u64;
        self.reveal(&examined).await?;
        Ok(count)
    }

    async fn replay_dead_letters(&self, of: DeadLetterFilter<'_>, max: u32) -> Result<u32, QueueError> {
        // SQS's StartMessageMoveTask would move every tenant's: receive-send-delete picks.
        let examined = self.examine_dead_letters().await?;
        let mut moved = 0;
        let mut kept = Vec::new();
        for m in examined {
            if moved >= max || !of(&m.body) {
                kept.push(m);
                continue;
            }
            self.send(&m.body).await?;
            self.client
                .delete_message()
                .queue_url(&self.dead_letter_url)
                .receipt_handle(&m.receipt)
                .send()
                .await
                .map_err(unavailable)?;
            moved += 1;
        }
        self.reveal(&kept).await?;
        Ok(moved)
    }
}

/// At most this many dead letters are read by one count or replay (SQS hands out at most 10 a
/// call; a dead-letter queue holds few).
const EXAMINED_AT_MOST: usize = 1_000;

impl SqsQueue {
    /// The dead letters, each hidden for a short while (until [`SqsQueue::reveal`]).
    async fn examine_dead_letters(&self) -> Result<Vec<QueuedMessage>, QueueError> {
        let mut examined = Vec::new();
        while examined.len() < EXAMINED_AT_MOST {
            let batch = self
                .receive_from(&self.dead_letter_url, 10, Duration::from_secs(30))
                .await?;
            if batch.is_empty() {
                break;
            }
            examined.extend(batch);
        }
        Ok(examined)
    }

    /// Makes examined dead letters visible again at once.
    async fn reveal(&self, letters: &[QueuedMessage]) -> Result<(), QueueError> {
        for m in letters {
            self.client
                .change_message_visibility()
                .queue_url(&self.dead_letter_url)
                .receipt_handle(&m.receipt)
                .visibility_timeout(0)
                .send()
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }
}

/// An SQS client from the standard AWS environment (like the DynamoDB one).
pub async fn sqs_client_from_env() -> Client {
    Client::new(&super::sdk_config_from_env().await)
}
