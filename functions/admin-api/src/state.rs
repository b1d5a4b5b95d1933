//! What the admin API's handlers share.

use crate::sign_in::SignInView;
use adapters::configuration::Configuration;
use adapters::ports::{IdentityProvider, Queue};
use axum::extract::FromRef;
use http_api::Authenticator;
use services::audit::Audit;
use services::connection::Connections;
use services::desk::dead_letters::DeadLetters;
use services::identity::SignInAccounts;
use std::sync::Arc;

/// The configuration store, the connection use cases, the sign-in accounts (invitations), the
/// inbound queue's dead letters and the way callers are recognised.
#[derive(Clone)]
pub struct AdminState {
    pub config: Configuration,
    pub connections: Connections,
    pub accounts: SignInAccounts,
    /// Who changed what (R-X2).
    pub audit: Audit,
    /// The inbound messages that failed too often (R-X1): unavailable (503) unless
    /// [`AdminState::with_inbound_queue`] gives the queue.
    pub dead_letters: DeadLetters,
    pub auth: Arc<Authenticator>,
    /// Whether chatbots on this machine (loopback) may be registered: local development only.
    pub chatbots_on_loopback: bool,
    /// How the web interface signs people in (`GET /v1/sign-in`): the product's own accounts
    /// unless [`AdminState::with_sign_in`] says otherwise.
    pub sign_in: SignInView,
}

impl AdminState {
    /// `identity`: where people's sign-in accounts live (Cognito on AWS, the product's own
    /// accounts locally).
    pub fn new(
        config: Configuration,
        connections: Connections,
        auth: Authenticator,
        identity: Arc<dyn IdentityProvider>,
    ) -> Self {
        let audit = Audit {
            config: config.clone(),
            clock: Arc::new(adapters::ports::SystemClock),
        };
        Self {
            dead_letters: DeadLetters::unconfigured(audit.clone()),
            audit,
            accounts: SignInAccounts {
                config: config.clone(),
                provider: identity,
            },
            config,
            connections,
            auth: Arc::new(auth),
            chatbots_on_loopback: false,
            sign_in: SignInView::Local,
        }
    }

    /// Signs people in elsewhere (Cognito's hosted page on AWS); the web interface's pages may
    /// then also connect to that provider's origin (its token endpoint).
    pub fn with_sign_in(self, sign_in: SignInView) -> Self {
        Self { sign_in, ..self }
    }

    /// The inbound queue (SQS on AWS, the embedded one locally), whose dead letters
    /// administrators count and replay.
    pub fn with_inbound_queue(self, queue: Arc<dyn Queue>) -> Self {
        Self {
            dead_letters: DeadLetters {
                queue,
                audit: self.audit.clone(),
            },
            ..self
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
