//! The OAuth callback on AWS Lambda (an open route of the HTTP API).

use adapters::aws::{DynamoConfigStore, dynamodb_client_from_env};
use adapters::ports::ConfigStore;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    adapters::logging::init_lambda_logging();
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let store: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(dynamodb_client_from_env().await, table));
    let connections = services::environment::connections_from_env(store)?;
    lambda_http::run(oauth_callback::router(connections)).await
}
