//! Building the connection use cases from the environment, for the Lambda functions. Every
//! variable is read once at cold start; a missing or malformed one fails start-up with its name
//! (never its value).
//!
//! | variable | meaning |
//! |---|---|
//! | `PUBLIC_BASE_URL` | the public base URL of the webhooks and the OAuth callback |
//! | `AVITO_CLIENT_ID`, `AVITO_CLIENT_SECRET` | the Avito app (from SSM/Secrets Manager on AWS) |
//! | `AVITO_API_BASE_URL`, `AVITO_OAUTH_URL` | Avito's API and authorize page (default: Avito's) |
//! | `TOKEN_ENCRYPTION_KEYS`, `TOKEN_ENCRYPTION_KEY_ID` | the key ring sealing tokens (`id:64 hex`, ...) |
//! | `CHATBOT_ALLOW_LOOPBACK` | `1`: chatbots on this machine may be called (local development only) |
//! | `COGNITO_USER_POOL_ID` | the Cognito user pool holding people's sign-in accounts (admin API) |

use crate::connection::{ConnectionSettings, Connections};
use crate::ports::Ports;
use adapters::avito::{AVITO_API_BASE_URL, AVITO_OAUTH_URL, AvitoClient, RetryPolicy};
use adapters::cached_config::{self, CachedConfigStore};
use adapters::configuration::Configuration;
use adapters::credentials::{AppCredentials, Vaults};
use adapters::ports::{ConfigKind, ConfigStore, SystemClock};
use adapters::secrets::TokenCipher;
use std::sync::Arc;

pub use adapters::chatbot_http::CHATBOT_TIMEOUT;
use adapters::chatbot_http::chatbots_on_loopback;

/// Where variables come from: the process environment on Lambda, a map in the benchmarks.
pub type Variables<'a> = &'a dyn Fn(&str) -> Option<String>;

fn from_process(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn required(vars: Variables, name: &str) -> Result<String, String> {
    vars(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("{name} is not set"))
}

/// The credential vaults (and the Avito client in them) on `store`, from the environment.
pub fn vaults_from_env(store: Arc<dyn ConfigStore>) -> Result<Vaults, String> {
    vaults_from(&from_process, store)
}

fn vaults_from(vars: Variables, store: Arc<dyn ConfigStore>) -> Result<Vaults, String> {
    let app = AppCredentials {
        client_id: required(vars, "AVITO_CLIENT_ID")?,
        client_secret: required(vars, "AVITO_CLIENT_SECRET")?,
    };
    let cipher = TokenCipher::from_config(
        &required(vars, "TOKEN_ENCRYPTION_KEYS")?,
        &required(vars, "TOKEN_ENCRYPTION_KEY_ID")?,
    )
    .map_err(|e| format!("TOKEN_ENCRYPTION_KEYS: {e}"))?;
    let api = vars("AVITO_API_BASE_URL").unwrap_or_else(|| AVITO_API_BASE_URL.into());
    let avito = AvitoClient::new(api, RetryPolicy::default()).map_err(|e| e.to_string())?;
    Ok(Vaults {
        store,
        cipher: Arc::new(cipher),
        avito,
        app,
        clock: Arc::new(SystemClock),
    })
}

/// The connection use cases on `store`, configured from the environment.
pub fn connections_from_env(store: Arc<dyn ConfigStore>) -> Result<Connections, String> {
    let vaults = vaults_from_env(Arc::clone(&store))?;
    let oauth_url = std::env::var("AVITO_OAUTH_URL").unwrap_or_else(|_| AVITO_OAUTH_URL.into());
    let settings = ConnectionSettings {
        public_base_url: required(&from_process, "PUBLIC_BASE_URL")?,
        oauth_url,
        app: vaults.app.clone(),
    };
    Ok(Connections::new(store, vaults, settings))
}

/// The ports of the inbound use cases on AWS, from the environment (`TABLE_NAME`,
/// `SCHEDULER_GROUP`, `AUTOREPLY_TARGET_ARN`, `SCHEDULER_ROLE_ARN` and the Avito variables).
pub async fn ports_from_env() -> Result<Ports, String> {
    ports_from(&from_process).await
}

/// What the inbound use cases read on every new conversation and may see a few seconds late.
pub const ROUTING_CONFIGURATION: [ConfigKind; 5] = [
    ConfigKind::ChannelSettings,
    ConfigKind::Schedule,
    ConfigKind::Distribution,
    ConfigKind::Employee,
    ConfigKind::Group,
];

/// The ports of the inbound use cases on AWS, from `vars` (as [`ports_from_env`]).
pub async fn ports_from(vars: Variables<'_>) -> Result<Ports, String> {
    use adapters::aws::{
        DynamoConfigStore, DynamoConversationStore, EventBridgeScheduler, dynamodb_client_from_env,
        scheduler_client_from_env,
    };
    let table = required(vars, "TABLE_NAME")?;
    let dynamodb = dynamodb_client_from_env().await;
    let dynamo: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(dynamodb.clone(), table.clone()));
    // The channel itself is read fresh, so a disconnect stops routing at once (R-C5).
    let store: Arc<dyn ConfigStore> = Arc::new(CachedConfigStore::new(
        dynamo,
        cached_config::ttl_from(vars(cached_config::TTL_VARIABLE).as_deref()),
        &ROUTING_CONFIGURATION,
    ));
    let vaults = vaults_from(vars, Arc::clone(&store))?;
    let scheduler = EventBridgeScheduler::new(
        scheduler_client_from_env().await,
        required(vars, "SCHEDULER_GROUP")?,
        required(vars, "AUTOREPLY_TARGET_ARN")?,
        required(vars, "SCHEDULER_ROLE_ARN")?,
    );
    Ok(Ports {
        config: Configuration::new(store),
        conversations: Arc::new(DynamoConversationStore::new(dynamodb, table)),
        scheduler: Arc::new(scheduler),
        chatbots: Arc::new(adapters::chatbot_http::HttpChatbotGateway::new(
            CHATBOT_TIMEOUT,
            chatbots_on_loopback(vars),
            Arc::clone(&vaults.cipher),
        )?),
        avito: vaults.avito.clone(),
        vaults,
        clock: Arc::new(SystemClock),
    })
}

/// The live channel's use cases on AWS (`TABLE_NAME`): tickets and connections in the table, the
/// employees read fresh (a disabled one stops hearing at the next change).
pub async fn live_from_env() -> Result<crate::live::Live, String> {
    live_from(&from_process).await
}

/// The live channel's use cases from `vars` (as [`live_from_env`]).
pub async fn live_from(vars: Variables<'_>) -> Result<crate::live::Live, String> {
    use adapters::aws::{DynamoConfigStore, DynamoLiveConnections, dynamodb_client_from_env};
    let table = required(vars, "TABLE_NAME")?;
    let dynamodb = dynamodb_client_from_env().await;
    Ok(crate::live::Live {
        connections: Arc::new(DynamoLiveConnections::new(dynamodb.clone(), table.clone())),
        config: Configuration::new(Arc::new(DynamoConfigStore::new(dynamodb, table))),
        clock: Arc::new(SystemClock),
    })
}

/// Where people's sign-in accounts live on AWS: Amazon Cognito's user pool `COGNITO_USER_POOL_ID`.
pub async fn identity_provider_from_env() -> Result<Arc<dyn adapters::ports::IdentityProvider>, String> {
    identity_provider_from(&from_process).await
}

/// The identity provider from `vars` (as [`identity_provider_from_env`]).
pub async fn identity_provider_from(vars: Variables<'_>) -> Result<Arc<dyn adapters::ports::IdentityProvider>, String> {
    use adapters::aws::{CognitoApi, CognitoIdentityProvider};
    let pool = required(vars, "COGNITO_USER_POOL_ID")?;
    Ok(Arc::new(CognitoIdentityProvider::new(
        CognitoApi::from_vars(vars)?,
        pool,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_identity_provider_needs_its_user_pool() {
        let none = |_: &str| None;
        let e = identity_provider_from(&none).await.err().expect("refused");
        assert_eq!(e, "COGNITO_USER_POOL_ID is not set");
        let blank = |name: &str| (name == "COGNITO_USER_POOL_ID").then(|| " ".to_owned());
        assert!(identity_provider_from(&blank).await.is_err());
        let no_region = |name: &str| (name == "COGNITO_USER_POOL_ID").then(|| "eu-central-1_Abc".to_owned());
        let e = identity_provider_from(&no_region).await.err().expect("refused");
        assert_eq!(e, "AWS_REGION is not set");
        let set = |name: &str| match name {
            "COGNITO_USER_POOL_ID" => Some("eu-central-1_Abc".to_owned()),
            "AWS_REGION" => Some("eu-central-1".to_owned()),
            _ => None,
        };
        assert!(identity_provider_from(&set).await.is_ok());
    }
}
