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
