//! The Avito webhook receiver on AWS Lambda (open routes of the HTTP API).

use adapters::aws::{DynamoConfigStore, dynamodb_client_from_env};
use adapters::configuration::Configuration;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let store = DynamoConfigStore::new(dynamodb_client_from_env().await, table);
    lambda_http::run(avito_webhook::router(Configuration::new(Arc::new(store)))).await
}
