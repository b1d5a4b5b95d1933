//! The operator API on AWS Lambda behind API Gateway (HTTP API with a JWT authorizer).

use http_api::Authenticator;
use operator_api::OperatorState;
use services::desk::Desk;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    adapters::logging::init_lambda_logging();
    let ports = services::environment::ports_from_env().await?;
    let auth = Authenticator::ApiGatewayJwt {
        tenant_claim: std::env::var("JWT_TENANT_CLAIM").unwrap_or_else(|_| "custom:tenant_id".into()),
        role_claim: std::env::var("JWT_ROLE_CLAIM").unwrap_or_else(|_| "custom:role".into()),
    };
    let state = OperatorState {
        desk: Desk { ports },
        auth: Arc::new(auth),
    };
    lambda_http::run(operator_api::router(state)).await
}
