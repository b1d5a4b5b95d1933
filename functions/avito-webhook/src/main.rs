//! The Avito webhook receiver on AWS Lambda (open routes of the HTTP API).

use adapters::aws::{DynamoConfigStore, SqsQueue, dynamodb_client_from_env, sqs_client_from_env};
use adapters::ports::SystemClock;
use avito_webhook::WebhookState;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    adapters::logging::init_lambda_logging();
    let var = |name: &'static str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let store = DynamoConfigStore::new(dynamodb_client_from_env().await, var("TABLE_NAME")?);
    let queue = SqsQueue::new(
        sqs_client_from_env().await,
        var("INBOUND_QUEUE_URL")?,
        var("INBOUND_DEAD_LETTER_QUEUE_URL")?,
    );
    let state = WebhookState {
        config: avito_webhook::webhook_configuration(Arc::new(store)),
        queue: Arc::new(queue),
        clock: Arc::new(SystemClock),
    };
    lambda_http::run(avito_webhook::router(state)).await
}
