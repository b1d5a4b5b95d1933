//! The admin API on AWS Lambda behind API Gateway (HTTP API with a JWT authorizer on Cognito's ID
//! tokens); people's sign-in accounts are in the Cognito user pool, the inbound queue and its
//! dead letters in SQS (`INBOUND_QUEUE_URL`, `INBOUND_DEAD_LETTER_QUEUE_URL`).

use adapters::aws::{DynamoConfigStore, SqsQueue, dynamodb_client_from_env, sqs_client_from_env};
use adapters::configuration::Configuration;
use adapters::ports::ConfigStore;
use admin_api::{AdminState, CognitoSignIn, SignInView};
use http_api::Authenticator;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    adapters::logging::init_lambda_logging();
    let var = |name: &'static str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let table = var("TABLE_NAME")?;
    let auth = Authenticator::ApiGatewayJwt {
        tenant_claim: std::env::var("JWT_TENANT_CLAIM").unwrap_or_else(|_| "custom:tenant_id".into()),
        role_claim: std::env::var("JWT_ROLE_CLAIM").unwrap_or_else(|_| "custom:role".into()),
    };
    let store: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(dynamodb_client_from_env().await, table));
    let connections = services::environment::connections_from_env(Arc::clone(&store))?;
    let identity = services::environment::identity_provider_from_env().await?;
    let sign_in = CognitoSignIn::from_vars(&|name| std::env::var(name).ok())?;
    let queue = SqsQueue::new(
        sqs_client_from_env().await,
        var("INBOUND_QUEUE_URL")?,
        var("INBOUND_DEAD_LETTER_QUEUE_URL")?,
    );
    let state = AdminState::new(Configuration::new(store), connections, auth, identity)
        .with_sign_in(SignInView::Cognito(Box::new(sign_in)))
        .with_inbound_queue(Arc::new(queue));
    lambda_http::run(admin_api::router(state)).await
}
