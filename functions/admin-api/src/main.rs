//! The admin API on AWS Lambda behind API Gateway (HTTP API with a JWT authorizer on Cognito's ID
//! tokens); people's sign-in accounts are in the Cognito user pool.

use adapters::aws::{DynamoConfigStore, dynamodb_client_from_env};
use adapters::configuration::Configuration;
use adapters::ports::ConfigStore;
use admin_api::{AdminState, CognitoSignIn, SignInView};
use http_api::Authenticator;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    adapters::logging::init_lambda_logging();
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let auth = Authenticator::ApiGatewayJwt {
        tenant_claim: std::env::var("JWT_TENANT_CLAIM").unwrap_or_else(|_| "custom:tenant_id".into()),
        role_claim: std::env::var("JWT_ROLE_CLAIM").unwrap_or_else(|_| "custom:role".into()),
    };
    let store: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(dynamodb_client_from_env().await, table));
    let connections = services::environment::connections_from_env(Arc::clone(&store))?;
    let identity = services::environment::identity_provider_from_env().await?;
    let sign_in = CognitoSignIn::from_vars(&|name| std::env::var(name).ok())?;
    let state = AdminState::new(Configuration::new(store), connections, auth, identity)
        .with_sign_in(SignInView::Cognito(Box::new(sign_in)));
    lambda_http::run(admin_api::router(state)).await
}
