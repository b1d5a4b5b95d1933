//! The operator API on AWS Lambda behind API Gateway (HTTP API with a JWT authorizer).

use adapters::aws::{
    DynamoConfigStore, DynamoConversationStore, EventBridgeScheduler, dynamodb_client_from_env,
    scheduler_client_from_env,
};
use adapters::configuration::Configuration;
use adapters::ports::{ConfigStore, ConversationStore, SystemClock};
use http_api::Authenticator;
use operator_api::OperatorState;
use services::auto_replies::AutoReplies;
use services::closing::Closing;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let var = |name: &'static str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let table = var("TABLE_NAME")?;
    let dynamodb = dynamodb_client_from_env().await;
    let store: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(dynamodb.clone(), table.clone()));
    let conversations: Arc<dyn ConversationStore> = Arc::new(DynamoConversationStore::new(dynamodb, table));
    let vaults = services::environment::vaults_from_env(Arc::clone(&store))?;
    let scheduler = EventBridgeScheduler::new(
        scheduler_client_from_env().await,
        var("SCHEDULER_GROUP")?,
        var("AUTOREPLY_TARGET_ARN")?,
        var("SCHEDULER_ROLE_ARN")?,
    );
    let config = Configuration::new(store);
    let closing = Closing {
        ports: AutoReplies {
            config: config.clone(),
            conversations: Arc::clone(&conversations),
            scheduler: Arc::new(scheduler),
            avito: vaults.avito.clone(),
            vaults,
            clock: Arc::new(SystemClock),
        },
    };
    let auth = Authenticator::ApiGatewayJwt {
        tenant_claim: std::env::var("JWT_TENANT_CLAIM").unwrap_or_else(|_| "tenant_id".into()),
        role_claim: std::env::var("JWT_ROLE_CLAIM").unwrap_or_else(|_| "role".into()),
    };
    let state = OperatorState {
        config,
        conversations,
        closing,
        auth: Arc::new(auth),
    };
    lambda_http::run(operator_api::router(state)).await
}
