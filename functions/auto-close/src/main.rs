//! The auto-close sweep on AWS Lambda, run by a schedule (every few minutes): closes what is due,
//! a page at a time, until nothing due is left or the invocation's time runs short.

use lambda_runtime::{LambdaEvent, service_fn};
use services::closing::Closing;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let closing = Closing {
        ports: services::environment::ports_from_env().await?,
    };
    let closing = &closing;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let mut total = 0;
        // Pages of 100 until none is due or less than 20 s remain.
        loop {
            let closed = closing
                .sweep(chrono::Utc::now())
                .await
                .map_err(lambda_runtime::Error::from)?;
            total += closed;
            let remaining = event
                .context
                .deadline()
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            if closed == 0 || remaining < std::time::Duration::from_secs(20) {
                break;
            }
        }
        tracing::info!(closed = total, "auto-close sweep");
        Ok::<_, lambda_runtime::Error>(serde_json::json!({"closed": total}))
    }))
    .await
}
