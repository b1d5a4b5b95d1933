//! The auto-close sweep on AWS Lambda, run by a schedule (every few minutes): closes what is due,
//! a page at a time, until nothing due is left or the invocation's time runs short.

use adapters::aws::{
    DynamoConfigStore, DynamoConversationStore, EventBridgeScheduler, dynamodb_client_from_env,
    scheduler_client_from_env,
};
use adapters::configuration::Configuration;
use adapters::ports::{ConfigStore, SystemClock};
use lambda_runtime::{LambdaEvent, service_fn};
use services::auto_replies::AutoReplies;
use services::closing::Closing;
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
    let closing = Closing {
        ports: AutoReplies {
            config: Configuration::new(store),
            conversations: Arc::new(DynamoConversationStore::new(dynamodb, table)),
            scheduler: Arc::new(scheduler),
            avito: vaults.avito.clone(),
            vaults,
            clock: Arc::new(SystemClock),
        },
    };
    let closing = &closing;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let mut total = 0;
        // Pages of 100 until none is due or less than 20 s remain.
        loop {
            let closed = closing
                .sweep(chrono::Utc::now())
                .await
                .map_err(lambda_runtime::Error::from)?;
            total += closed;
            let remaining = event
                .context
                .deadline()
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            if closed == 0 || remaining < std::time::Duration::from_secs(20) {
                break;
            }
        }
        tracing::info!(closed = total, "auto-close sweep");
        Ok::<_, lambda_runtime::Error>(serde_json::json!({"closed": total}))
    }))
    .await
}
