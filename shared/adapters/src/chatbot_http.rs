//! Delivering events to chatbots over HTTP(S): `POST` to the bot's URL with the JSON event, signed
//! with the bot's secret: `X-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` and
//! `X-Timestamp: <unix seconds>`, so the bot can check both origin and freshness. A bot is the same
//! external service locally and on AWS, so this one implementation serves both.

use crate::ports::{ChatbotError, ChatbotGateway};
use async_trait::async_trait;
use domain::directory::Chatbot;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// How long a chatbot may take to accept an event before it counts as unavailable (R-BOT2): what
/// the Lambda functions and the local server both give [`HttpChatbotGateway::new`].
pub const CHATBOT_TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTP [`ChatbotGateway`].
#[derive(Clone, Debug)]
pub struct HttpChatbotGateway {
    http: reqwest::Client,
}

impl HttpChatbotGateway {
    /// With `timeout` per delivery (a bot slower than that is unavailable).
    pub fn new(timeout: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { http })
    }
}

/// The signature of a delivery: hex HMAC-SHA256 of `"<timestamp>.<body>"` with the bot's secret.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{timestamp}.{body}").as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait]
impl ChatbotGateway for HttpChatbotGateway {
    async fn deliver(&self, bot: &Chatbot, event: &serde_json::Value) -> Result<(), ChatbotError> {
        let body = event.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let sig = signature(bot.signing_secret.expose(), timestamp, &body);
        let result = self
            .http
            .post(&bot.url)
            .header("content-type", "application/json")
            .header("x-timestamp", timestamp.to_string())
            .header("x-signature", format!("sha256={sig}"))
            .body(body)
            .send()
            .await;
        match result {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(ChatbotError::Refused(r.status().as_u16())),
            Err(e) if e.is_timeout() => Err(ChatbotError::Timeout),
            Err(e) => Err(ChatbotError::Unreachable(if e.is_connect() {
                "connection refused".into()
            } else {
                "request failed".into()
            })),
        }
    }
}
