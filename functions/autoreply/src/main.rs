//! The auto-reply function on AWS Lambda, invoked by EventBridge Scheduler.

use lambda_runtime::{LambdaEvent, service_fn};
use services::auto_replies::AutoReplies;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let auto_replies = AutoReplies {
        ports: services::environment::ports_from_env().await?,
    };
    let auto_replies = &auto_replies;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        autoreply::handle(auto_replies, event.payload)
            .await
            .map(|fired| format!("{fired:?}"))
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
