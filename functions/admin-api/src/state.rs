//! What the admin API's handlers share.

use adapters::configuration::Configuration;
use axum::extract::FromRef;
use http_api::Authenticator;
use services::connection::Connections;
use std::sync::Arc;

/// The configuration store, the connection use cases and the way callers are recognised.
#[derive(Clone)]
pub struct AdminState {
    pub config: Configuration,
    pub connections: Connections,
    pub auth: Arc<Authenticator>,
    /// Whether chatbots on this machine (loopback) may be registered: local development only.
    pub chatbots_on_loopback: bool,
}

impl AdminState {
    pub fn new(config: Configuration, connections: Connections, auth: Authenticator) -> Self {
        Self {
            config,
            connections,
            auth: Arc::new(auth),
            chatbots_on_loopback: false,
        }
    }

    /// Lets chatbots on loopback be registered (see `adapters::chatbot_http::CHATBOTS_ON_LOOPBACK`).
    pub fn with_chatbots_on_loopback(self, allowed: bool) -> Self {
        Self {
            chatbots_on_loopback: allowed,
            ..self
        }
    }
}

impl FromRef<AdminState> for Arc<Authenticator> {
    fn from_ref(state: &AdminState) -> Self {
        Arc::clone(&state.auth)
    }
}
