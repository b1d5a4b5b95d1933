//! The router on AWS Lambda: an SQS event source with `ReportBatchItemFailures`.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use services::inbound::InboundProcessor;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    adapters::logging::init_lambda_logging();
    let processor = InboundProcessor {
        ports: services::environment::ports_from_env().await?,
    };
    let processor = &processor;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(router::handle_batch(processor, event.payload).await)
    }))
    .await
}
