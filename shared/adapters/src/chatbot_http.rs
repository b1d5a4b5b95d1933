//! Delivering events to chatbots over HTTP(S): `POST` to the bot's URL with the JSON event, signed
//! with the bot's secret: `X-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` and
//! `X-Timestamp: <unix seconds>`, so the bot can check both origin and freshness. A bot is the same
//! external service locally and on AWS, so this one implementation serves both.
//!
//! A bot's URL is a tenant's choice, so only public addresses are called
//! ([`domain::network`]): an address in the URL is checked before the call, a name on every address
//! it resolves to (at the call, so a name that resolves differently later is caught), and
//! redirects are not followed.

use crate::ports::{ChatbotError, ChatbotGateway};
use crate::secrets::{CipherError, TokenCipher};
use async_trait::async_trait;
use domain::directory::{Chatbot, SigningSecret};
use domain::ids::ChatbotId;
use domain::network::{is_allowed_destination, refused_destination};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long a chatbot may take to accept an event before it counts as unavailable (R-BOT2): what
/// the Lambda functions and the local server both give [`HttpChatbotGateway::new`].
pub const CHATBOT_TIMEOUT: Duration = Duration::from_secs(5);

/// The variable that lets chatbots on this machine (loopback) be registered and called: for local
/// development and tests only; unset, only public addresses are.
pub const CHATBOTS_ON_LOOPBACK: &str = "CHATBOT_ALLOW_LOOPBACK";

/// Whether `vars` allow chatbots on loopback ([`CHATBOTS_ON_LOOPBACK`] set to `1` or `true`).
pub fn chatbots_on_loopback(vars: &dyn Fn(&str) -> Option<String>) -> bool {
    vars(CHATBOTS_ON_LOOPBACK).is_some_and(|v| matches!(v.trim(), "1" | "true"))
}

/// The HTTP [`ChatbotGateway`].
#[derive(Clone, Debug)]
pub struct HttpChatbotGateway {
    http: reqwest::Client,
    allow_loopback: bool,
    cipher: Arc<TokenCipher>,
}

/// What a bot's signing secret is sealed for: the bot (a sealed secret copied onto another bot
/// does not open).
fn secret_record(bot: &ChatbotId) -> String {
    format!("chatbot/{bot}")
}

/// `bot` with its signing secret sealed for storing (a sealed one stays as it is).
pub fn seal_signing_secret(cipher: &TokenCipher, bot: Chatbot) -> Result<Chatbot, CipherError> {
    if bot.signing_secret.is_sealed() {
        return Ok(bot);
    }
    let sealed = cipher.seal_text(bot.signing_secret.expose(), &secret_record(&bot.id))?;
    Ok(Chatbot {
        signing_secret: SigningSecret::sealed(sealed),
        ..bot
    })
}

/// The key `bot`'s events are signed with: its secret opened (one stored before sealing is used
/// as it is).
fn signing_key(cipher: &TokenCipher, bot: &Chatbot) -> Result<String, CipherError> {
    let secret = bot.signing_secret.expose();
    if bot.signing_secret.is_sealed() {
        cipher.open_text(secret, &secret_record(&bot.id))
    } else {
        Ok(secret.to_owned())
    }
}

impl HttpChatbotGateway {
    /// With `timeout` per delivery (a bot slower than that is unavailable). `allow_loopback`:
    /// bots on this machine may be called too (local development and tests); never on AWS.
    /// `cipher` opens the bots' sealed signing secrets.
    pub fn new(timeout: Duration, allow_loopback: bool, cipher: Arc<TokenCipher>) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(PublicAddresses { allow_loopback }))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            allow_loopback,
            cipher,
        })
    }
}

/// Resolves a bot's host name, refusing it when any address it resolves to is not one a tenant
/// may make us call.
struct PublicAddresses {
    allow_loopback: bool,
}

impl reqwest::dns::Resolve for PublicAddresses {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if addresses.is_empty()
                || addresses
                    .iter()
                    .any(|a| !is_allowed_destination(a.ip(), allow_loopback))
            {
                return Err(format!("{} does not resolve to public addresses only", name.as_str()).into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
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
        if let Some(reason) = refused_destination(&bot.url, self.allow_loopback) {
            return Err(ChatbotError::NotAllowed(reason));
        }
        let body = event.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let key = signing_key(&self.cipher, bot).map_err(|e| {
            tracing::error!(chatbot = %bot.id, error = %e, "the chatbot's signing secret does not open");
            ChatbotError::Unreachable("its signing secret cannot be opened".into())
        })?;
        let sig = signature(&key, timestamp, &body);
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
            // Not followed: the bot answers itself or not at all.
            Ok(r) if r.status().is_redirection() => Err(ChatbotError::Refused(r.status().as_u16())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::dns::Resolve;

    fn cipher() -> Arc<TokenCipher> {
        Arc::new(
            TokenCipher::from_config(
                "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "k1",
            )
            .expect("keys"),
        )
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_bot_and_signs_as_the_plain_one() {
        let cipher = cipher();
        let plain = bot("https://bot.example/events".into());
        let sealed = seal_signing_secret(&cipher, plain.clone()).expect("sealed");
        assert!(sealed.signing_secret.is_sealed());
        assert!(!sealed.signing_secret.expose().contains("bot-signing-secret-0123"));
        assert_eq!(signing_key(&cipher, &sealed).expect("opens"), "bot-signing-secret-0123");
        assert_eq!(
            signing_key(&cipher, &plain).expect("as typed"),
            "bot-signing-secret-0123"
        );
        let copied = Chatbot {
            id: ChatbotId::parse("other").expect("id"),
            ..sealed.clone()
        };
        assert!(signing_key(&cipher, &copied).is_err(), "bound to its bot");
        assert_eq!(seal_signing_secret(&cipher, sealed.clone()).expect("kept"), sealed);
    }

    fn bot(url: String) -> Chatbot {
        domain::directory::ChatbotDraft {
            name: "Бот".into(),
            url,
            signing_secret: Some("bot-signing-secret-0123".into()),
        }
        .validate(domain::ids::ChatbotId::parse("b").expect("id"), None)
        .expect("bot")
    }

    /// A server on loopback answering every request with `status` (and a redirect to `location`),
    /// counting the requests.
    async fn server(status: u16, location: &str) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        let location = location.to_owned();
        let app = axum::Router::new().fallback(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let location = location.clone();
            async move {
                let status = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
                (status, [("location", location)], "")
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/events", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (url, hits)
    }

    #[tokio::test]
    async fn a_bot_on_our_network_is_not_called_unless_loopback_is_allowed() {
        let (url, hits) = server(200, "").await;
        let strict = HttpChatbotGateway::new(Duration::from_secs(2), false, cipher()).expect("gateway");
        let refused = strict.deliver(&bot(url.clone()), &serde_json::json!({})).await;
        assert!(matches!(refused, Err(ChatbotError::NotAllowed(_))), "{refused:?}");
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
        let local = HttpChatbotGateway::new(Duration::from_secs(2), true, cipher()).expect("gateway");
        assert!(local.deliver(&bot(url), &serde_json::json!({})).await.is_ok());
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_name_resolving_to_a_private_address_is_refused_at_the_call() {
        let resolver = PublicAddresses { allow_loopback: false };
        let name: reqwest::dns::Name = "localhost".parse().expect("name");
        assert!(resolver.resolve(name).await.is_err());
        let loopback = PublicAddresses { allow_loopback: true };
        let name: reqwest::dns::Name = "localhost".parse().expect("name");
        assert!(loopback.resolve(name).await.is_ok());
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        let (inside, inside_hits) = server(200, "").await;
        let (url, _) = server(307, &inside).await;
        let gateway = HttpChatbotGateway::new(Duration::from_secs(2), true, cipher()).expect("gateway");
        let answer = gateway.deliver(&bot(url), &serde_json::json!({})).await;
        assert!(matches!(answer, Err(ChatbotError::Refused(307))), "{answer:?}");
        assert_eq!(
            inside_hits.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "the redirect's target was not called"
        );
    }
}
