//! The queue port: between the webhook receiver and the router (SQS on AWS, a SQLite table
//! locally). At-least-once: a message may be received more than once, so consumers are idempotent.
//! A message received too often without being deleted goes to the dead-letter queue, from where it
//! can be replayed (R-X1: nothing accepted is lost).

use async_trait::async_trait;
use std::time::Duration;

/// A received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMessage {
    /// Stable across deliveries of the same message.
    pub id: String,
    /// Identifies this delivery, for [`Queue::delete`].
    pub receipt: String,
    pub body: String,
    /// How many times it has been received, this time included.
    pub receive_count: u32,
}

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

/// A durable queue.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Stores a message durably; `Ok` only once it is stored.
    async fn send(&self, body: &str) -> Result<(), QueueError>;

    /// Up to `max` available messages, each hidden from other receivers for `visibility`.
    async fn receive(&self, max: u32, visibility: Duration) -> Result<Vec<QueuedMessage>, QueueError>;

    /// Removes a processed message (its receipt from [`Queue::receive`]).
    async fn delete(&self, receipt: &str) -> Result<(), QueueError>;

    /// How many of the messages waiting in the dead-letter queue `of` accepts (the queue is the
    /// installation's: a tenant's administrator counts their tenant's only).
    async fn dead_letter_count(&self, of: DeadLetterFilter<'_>) -> Result<u64, QueueError>;

    /// Moves up to `max` of the dead letters `of` accepts back to the queue, oldest first where
    /// the queue keeps an order; returns how many moved. The others stay where they were.
    async fn replay_dead_letters(&self, of: DeadLetterFilter<'_>, max: u32) -> Result<u32, QueueError>;
}

/// Which dead letters a call is about: those whose body it accepts.
pub type DeadLetterFilter<'a> = &'a (dyn Fn(&str) -> bool + Send + Sync);
