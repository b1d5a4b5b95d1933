//! The auto-reply function on AWS Lambda, invoked by EventBridge Scheduler.

use adapters::aws::{
    DynamoConfigStore, DynamoConversationStore, EventBridgeScheduler, dynamodb_client_from_env,
    scheduler_client_from_env,
};
use adapters::configuration::Configuration;
use adapters::ports::{ConfigStore, SystemClock};
use lambda_runtime::{LambdaEvent, service_fn};
use services::auto_replies::AutoReplies;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let var = |name: &'static str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let table = var("TABLE_NAME")?;
    let dynamodb = dynamodb_client_from_env().await;
    let store: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(dynamodb.clone(), table.clone()));
    let vaults = services::environment::vaults_from_env(Arc::clone(&store))?;
    let scheduler = EventBridgeScheduler::new(
        scheduler_client_from_env().await,
        var("SCHEDULER_GROUP")?,
        var("AUTOREPLY_TARGET_ARN")?,
        var("SCHEDULER_ROLE_ARN")?,
    );
    let auto_replies = AutoReplies {
        config: Configuration::new(store),
        conversations: Arc::new(DynamoConversationStore::new(dynamodb, table)),
        scheduler: Arc::new(scheduler),
        avito: vaults.avito.clone(),
        vaults,
        clock: Arc::new(SystemClock),
    };
    let auto_replies = &auto_replies;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        autoreply::handle(auto_replies, event.payload)
            .await
            .map(|fired| format!("{fired:?}"))
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
