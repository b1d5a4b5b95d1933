//! The queue on SQS: a standard queue with a redrive policy to its dead-letter queue.

use crate::ports::{Queue, QueueError, QueuedMessage};
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
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

    async fn dead_letter_count(&self) -> Result<u64, QueueError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.dead_letter_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    async fn replay_dead_letters(&self, max: u32) -> Result<u32, QueueError> {
        // SQS's StartMessageMoveTask would do this, but receive-send-delete works everywhere.
        let mut moved = 0;
        while moved < max {
            let batch = self
                .receive_from(&self.dead_letter_url, (max - moved).min(10), Duration::from_secs(30))
                .await?;
            if batch.is_empty() {
                break;
            }
            for m in batch {
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
        }
        Ok(moved)
    }
}

/// An SQS client from the standard AWS environment (like the DynamoDB one).
pub async fn sqs_client_from_env() -> Client {
    Client::new(&super::sdk_config_from_env().await)
}
