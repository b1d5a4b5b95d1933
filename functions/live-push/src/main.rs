//! The live push on AWS Lambda, the table's stream as its event source: wires the ports
//! (`TABLE_NAME`, and `LIVE_API_ENDPOINT`, the WebSocket API stage's `https://` endpoint for
//! API Gateway's Management API) and runs [`live_push::handle`] on each batch.

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    adapters::logging::init_lambda_logging();
    let live = services::environment::live_from_env().await?;
    let endpoint = std::env::var("LIVE_API_ENDPOINT").map_err(|_| "LIVE_API_ENDPOINT is not set")?;
    let sender = adapters::aws::ApiGatewayPush::from_env(&endpoint).await;
    let (live, sender) = (&live, &sender);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        live_push::handle(live, sender, &event.payload)
            .await
            .map(drop)
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
