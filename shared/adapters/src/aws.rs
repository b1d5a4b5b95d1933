//! AWS implementations of the ports: DynamoDB (single table; see `TABLE_DESIGN.md`), SQS and
//! EventBridge Scheduler, each behind its own feature (`aws-dynamodb`, `aws-sqs`, `aws-scheduler`;
//! `aws` for all three) so a function links only the SDKs it calls. The resources themselves are
//! declared in `infra/template.yaml`; the `aws-stack` crate creates them from it on a local
//! endpoint.

#[cfg(feature = "aws-dynamodb")]
mod dynamodb_config;
#[cfg(feature = "aws-dynamodb")]
mod dynamodb_conversations;
#[cfg(feature = "aws-dynamodb")]
mod dynamodb_table;
#[cfg(feature = "aws-scheduler")]
mod eventbridge_scheduler;
#[cfg(feature = "aws-sqs")]
mod sqs_queue;

#[cfg(feature = "aws-dynamodb")]
pub use dynamodb_config::DynamoConfigStore;
#[cfg(feature = "aws-dynamodb")]
pub use dynamodb_conversations::DynamoConversationStore;
#[cfg(feature = "aws-dynamodb")]
pub use dynamodb_table::dynamodb_client_from_env;
#[cfg(feature = "aws-scheduler")]
pub use eventbridge_scheduler::{EventBridgeScheduler, scheduler_client_from_env};
#[cfg(feature = "aws-sqs")]
pub use sqs_queue::{SqsQueue, sqs_client_from_env};

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use std::time::Duration;

/// The AWS configuration every client shares: the standard environment (region, credentials, and
/// `AWS_ENDPOINT_URL` for a local endpoint), with timeouts set, since the SDK sets none by default,
/// and an HTTPS client on rustls with ring (the SDK's default would add aws-lc-rs beside the ring
/// that reqwest links: about a megabyte more in every function).
pub(crate) async fn sdk_config_from_env() -> aws_config::SdkConfig {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(10))
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https)
        .timeout_config(timeouts)
        .load()
        .await
}
