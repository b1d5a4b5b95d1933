//! AWS implementations of the ports: DynamoDB (single table; see `TABLE_DESIGN.md`).

mod dynamodb_config;
mod dynamodb_table;

pub use dynamodb_config::DynamoConfigStore;
pub use dynamodb_table::{create_table, dynamodb_client_from_env};
