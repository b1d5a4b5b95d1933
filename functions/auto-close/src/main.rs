//! The auto-close sweep on AWS Lambda, run by a schedule: wires the ports and runs
//! [`auto_close::handle`] until the invocation's time runs short.

use lambda_runtime::{LambdaEvent, service_fn};
use services::closing::Closing;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    adapters::logging::init_lambda_logging();
    let closing = Closing {
        ports: services::environment::ports_from_env().await?,
    };
    let closing = &closing;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let swept = auto_close::handle(closing, chrono::Utc::now(), event.context.deadline())
            .await
            .map_err(lambda_runtime::Error::from)?;
        Ok::<_, lambda_runtime::Error>(serde_json::json!({
            "closed": swept.closed,
            "rescheduled": swept.rescheduled,
            "failed": swept.failed,
        }))
    }))
    .await
}
