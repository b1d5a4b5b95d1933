//! AWS implementations of the ports: DynamoDB (single table; see `TABLE_DESIGN.md`), SQS,
//! EventBridge Scheduler and Cognito, each behind its own feature (`aws-dynamodb`, `aws-sqs`,
//! `aws-scheduler`, `aws-cognito`; `aws` for all, with `aws-cognito-sdk`, Cognito's SDK client
//! for the tests and `aws-stack`) so a function links only the SDKs it calls. Cognito is called
//! without its SDK (see `cognito`). The resources themselves are
//! declared in `infra/template.yaml`; the `aws-stack` crate creates them from it on a local
//! endpoint.

#[cfg(feature = "aws-live")]
mod apigateway_push;
#[cfg(feature = "aws-cognito")]
pub mod cognito;
#[cfg(feature = "aws-dynamodb")]
mod dynamodb_config;
#[cfg(feature = "aws-dynamodb")]
mod dynamodb_conversations;
#[cfg(feature = "aws-dynamodb")]
mod dynamodb_live;
#[cfg(feature = "aws-stream")]
pub mod dynamodb_stream;
#[cfg(feature = "aws-dynamodb")]
mod dynamodb_table;
#[cfg(feature = "aws-scheduler")]
mod eventbridge_scheduler;
#[cfg(feature = "aws-sqs")]
mod sqs_queue;

#[cfg(feature = "aws-live")]
pub use apigateway_push::ApiGatewayPush;
#[cfg(feature = "aws-cognito")]
pub use cognito::{CognitoApi, CognitoIdentityProvider};
#[cfg(feature = "aws-dynamodb")]
pub use dynamodb_config::DynamoConfigStore;
#[cfg(feature = "aws-dynamodb")]
pub use dynamodb_conversations::DynamoConversationStore;
#[cfg(feature = "aws-dynamodb")]
pub use dynamodb_live::DynamoLiveConnections;
#[cfg(feature = "aws-dynamodb")]
pub use dynamodb_table::dynamodb_client_from_env;

/// The Cognito SDK client from the environment (the tests and `aws-stack`; the admin function
/// calls Cognito through [`CognitoApi`]).
#[cfg(feature = "aws-cognito-sdk")]
pub async fn cognito_client_from_env() -> aws_sdk_cognitoidentityprovider::Client {
    aws_sdk_cognitoidentityprovider::Client::new(&sdk_config_from_env().await)
}
#[cfg(feature = "aws-scheduler")]
pub use eventbridge_scheduler::{EventBridgeScheduler, scheduler_client_from_env};
#[cfg(feature = "aws-sqs")]
pub use sqs_queue::{SqsQueue, sqs_client_from_env};

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use std::time::Duration;

/// The AWS configuration every client shares, from the environment a Lambda function has:
/// `AWS_REGION` (or `AWS_DEFAULT_REGION`), credentials from `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, and `AWS_ENDPOINT_URL` for a local endpoint
/// (moto). Not `aws_config::defaults()`: its chain of credential providers (profiles, SSO, web
/// identity through STS, ECS, instance metadata) serves none of our functions and weighs on every
/// binary. Timeouts are set, since the SDK sets none by default, and the HTTPS client is rustls on
/// ring (the SDK's default would add aws-lc-rs beside the ring that reqwest links: about a
/// megabyte more in every function).
// Unused when only the SDK-less Cognito client is built.
#[cfg_attr(
    not(any(
        feature = "aws-dynamodb",
        feature = "aws-sqs",
        feature = "aws-scheduler",
        feature = "aws-cognito-sdk",
        feature = "aws-live"
    )),
    allow(dead_code)
)]
pub(crate) async fn sdk_config_from_env() -> SdkConfig {
    sdk_config(&|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
}

#[cfg_attr(
    not(any(
        feature = "aws-dynamodb",
        feature = "aws-sqs",
        feature = "aws-scheduler",
        feature = "aws-cognito-sdk",
        feature = "aws-live"
    )),
    allow(dead_code)
)]
fn sdk_config(vars: &dyn Fn(&str) -> Option<String>) -> SdkConfig {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(10))
        .build();
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(
            vars("AWS_REGION")
                .or_else(|| vars("AWS_DEFAULT_REGION"))
                .map(Region::new),
        )
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .retry_config(RetryConfig::standard())
        .timeout_config(timeouts)
        .http_client(https);
    if let Some(endpoint) = vars("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(endpoint);
    }
    config.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_comes_from_the_lambda_environment() {
        let env = |name: &str| match name {
            "AWS_DEFAULT_REGION" => Some("eu-west-1".to_owned()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:5000".to_owned()),
            _ => None,
        };
        let config = sdk_config(&env);
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert!(config.credentials_provider().is_some());
        assert!(config.http_client().is_some());
        let env = |name: &str| (name == "AWS_REGION").then(|| "us-east-1".to_owned());
        let config = sdk_config(&env);
        assert_eq!(config.region().map(|r| r.as_ref()), Some("us-east-1"));
        assert_eq!(config.endpoint_url(), None);
    }
}
