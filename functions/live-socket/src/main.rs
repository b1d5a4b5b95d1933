//! The workspace's WebSocket API on AWS Lambda: one function is both the `$connect` route's
//! REQUEST authorizer and the integration of `$connect`, `$disconnect` and `$default`; wires the
//! ports (`TABLE_NAME`) and runs [`live_socket::handle`].

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    adapters::logging::init_lambda_logging();
    let live = services::environment::live_from_env().await?;
    let live = &live;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        live_socket::handle(live, event.payload).await
    }))
    .await
}
