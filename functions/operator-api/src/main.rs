//! The operator API on AWS Lambda behind API Gateway (HTTP API with a JWT authorizer), with the
//! live channel's ticket route (`LIVE_URL`: the WebSocket API's `wss://` address).

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
    let auth = Arc::new(auth);
    let live = operator_api::live::LiveState {
        live: services::environment::live_from_env().await?,
        auth: Arc::clone(&auth),
        url: std::env::var("LIVE_URL").map_err(|_| "LIVE_URL is not set")?,
    };
    let state = OperatorState {
        desk: Desk { ports },
        auth,
    };
    lambda_http::run(operator_api::router(state).merge(operator_api::live::router(live))).await
}
