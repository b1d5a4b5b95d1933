//! The router on AWS Lambda: an SQS event source with `ReportBatchItemFailures`.

use adapters::aws::{
    DynamoConfigStore, DynamoConversationStore, EventBridgeScheduler, dynamodb_client_from_env,
    scheduler_client_from_env,
};
use adapters::configuration::Configuration;
use adapters::ports::{ConfigStore, SystemClock};
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use services::processing::InboundProcessor;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let dynamodb = dynamodb_client_from_env().await;
    let store: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(dynamodb.clone(), table.clone()));
    let vaults = services::environment::vaults_from_env(Arc::clone(&store))?;
    let var = |name: &'static str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let scheduler = EventBridgeScheduler::new(
        scheduler_client_from_env().await,
        var("SCHEDULER_GROUP")?,
        var("AUTOREPLY_TARGET_ARN")?,
        var("SCHEDULER_ROLE_ARN")?,
    );
    let processor = InboundProcessor {
        config: Configuration::new(store),
        conversations: Arc::new(DynamoConversationStore::new(dynamodb, table)),
        scheduler: Arc::new(scheduler),
        avito: vaults.avito.clone(),
        vaults,
        clock: Arc::new(SystemClock),
    };
    let processor = &processor;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(router::handle_batch(processor, event.payload).await)
    }))
    .await
}
