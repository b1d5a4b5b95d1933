//! The chatbot port (R-BOT1, R-BOT2): conversation events delivered to a tenant's external bot,
//! signed, with a timeout. A failure or a timeout makes the bot unavailable for that conversation,
//! which then goes to the fallback.

use async_trait::async_trait;
use domain::directory::Chatbot;

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum ChatbotError {
    #[error("the chatbot did not answer in time")]
    Timeout,
    #[error("the chatbot answered {0}")]
    Refused(u16),
    #[error("the chatbot cannot be reached: {0}")]
    Unreachable(String),
    /// Its URL points at an address a tenant may not make us call.
    #[error("the chatbot's URL {0}")]
    NotAllowed(&'static str),
}

#[async_trait]
pub trait ChatbotGateway: Send + Sync {
    /// Delivers one event (JSON) to the bot; `Ok` only on a 2xx answer within the timeout.
    async fn deliver(&self, bot: &Chatbot, event: &serde_json::Value) -> Result<(), ChatbotError>;
}
