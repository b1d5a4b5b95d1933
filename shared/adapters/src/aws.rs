//! AWS implementations of the ports: DynamoDB (single table; see `TABLE_DESIGN.md`) SQS and EventBridge Scheduler.

mod dynamodb_config;
mod dynamodb_conversations;
mod dynamodb_table;
mod eventbridge_scheduler;
mod sqs_queue;

pub use dynamodb_config::DynamoConfigStore;
pub use dynamodb_conversations::DynamoConversationStore;
pub use dynamodb_table::{create_table, dynamodb_client_from_env};
pub use eventbridge_scheduler::{EventBridgeScheduler, create_schedule_group, scheduler_client_from_env};
pub use sqs_queue::{SqsQueue, create_queues, sqs_client_from_env};

/// Creates, on the endpoint the environment names, what the SAM template would (the table, the
/// inbound queue with its dead-letter queue, the auto-reply schedule group), named after `prefix`;
/// returns the environment the functions read to use them. Idempotent: what exists is kept.
pub async fn create_stack_resources(prefix: &str) -> Result<Vec<(&'static str, String)>, String> {
    let table = format!("{prefix}-table");
    create_table(&dynamodb_client_from_env().await, &table).await?;
    let (queue, dead_letters) = create_queues(&sqs_client_from_env().await, &format!("{prefix}-inbound"), 5).await?;
    let group = format!("{prefix}-autoreplies");
    create_schedule_group(&scheduler_client_from_env().await, &group).await?;
    Ok(vec![
        ("TABLE_NAME", table),
        ("INBOUND_QUEUE_URL", queue),
        ("INBOUND_DEAD_LETTER_QUEUE_URL", dead_letters),
        ("SCHEDULER_GROUP", group),
        (
            "AUTOREPLY_TARGET_ARN",
            "arn:aws:lambda:us-east-1:123456789012:function:autoreply".to_owned(),
        ),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/scheduler-invoke".to_owned(),
        ),
    ])
}
