//! The post-authentication trigger on AWS Lambda: wires the audit log on the table (`TABLE_NAME`)
//! and runs [`sign_in_audit::handle`].

use adapters::aws::{DynamoConfigStore, dynamodb_client_from_env};
use adapters::configuration::Configuration;
use adapters::ports::SystemClock;
use lambda_runtime::{LambdaEvent, service_fn};
use services::audit::Audit;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    adapters::logging::init_lambda_logging();
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let audit = Audit {
        config: Configuration::new(Arc::new(DynamoConfigStore::new(
            dynamodb_client_from_env().await,
            table,
        ))),
        clock: Arc::new(SystemClock),
    };
    let audit = &audit;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        sign_in_audit::handle(audit, event.payload)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
