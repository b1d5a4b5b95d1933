//! [`LivePush`] on API Gateway's Management API: `PostToConnection` and `DeleteConnection` on
//! the WebSocket API's stage endpoint (`https://<api id>.execute-api.<region>.amazonaws.com/<stage>`).

use crate::ports::{LivePush, PushError};
use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::error::DisplayErrorContext;
use aws_sdk_apigatewaymanagement::primitives::Blob;

/// Pushes to the connections of one WebSocket API stage.
#[derive(Clone, Debug)]
pub struct ApiGatewayPush {
    client: Client,
}

impl ApiGatewayPush {
    /// A client of the stage at `endpoint` (`https://…/<stage>`), with the configuration every
    /// client shares (region, credentials, timeouts: `super::sdk_config_from_env`).
    pub async fn from_env(endpoint: &str) -> Self {
        let shared = super::sdk_config_from_env().await;
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(&shared)
            .endpoint_url(endpoint)
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }
}

#[async_trait]
impl LivePush for ApiGatewayPush {
    async fn post(&self, id: &str, data: &str) -> Result<(), PushError> {
        match self
            .client
            .post_to_connection()
            .connection_id(id)
            .data(Blob::new(data.as_bytes()))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_gone_exception()) => Err(PushError::Gone),
            Err(e) => Err(PushError::Failed(DisplayErrorContext(e).to_string())),
        }
    }

    async fn close(&self, id: &str) -> Result<(), PushError> {
        match self.client.delete_connection().connection_id(id).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_gone_exception()) => Err(PushError::Gone),
            Err(e) => Err(PushError::Failed(DisplayErrorContext(e).to_string())),
        }
    }
}
