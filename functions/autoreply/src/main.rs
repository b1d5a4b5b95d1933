//! The scheduled-job function on AWS Lambda, invoked by EventBridge Scheduler (auto-replies and
//! answer waits).

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    adapters::logging::init_lambda_logging();
    let ports = services::environment::ports_from_env().await?;
    let ports = &ports;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        autoreply::handle(ports, event.payload)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
