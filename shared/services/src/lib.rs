//! The use cases: the only code that changes a conversation. The functions parse what comes in
//! (a webhook, a queued event, a schedule, an HTTP request), call one use case, and map its result;
//! the use cases decide with the domain's rules and act through the ports.
//!
//! Top-down (each module uses only those below it):
//! - [`desk`]: what operators and chatbots do to a conversation (reply, resend, delete, take,
//!   return, edit, comment, complete, write from a client card; a bot's send, hand-over, finish),
//!   and client cards, deals and organizations;
//! - [`inbound`]: what an Avito webhook delivery does (messenger messages, Jobs responses);
//! - [`timed`]: what a schedule fires (an auto-reply, an answer wait, a retried enrichment);
//! - [`closing`]: completing, finishing and auto-closing, with the closing message once;
//! - [`assignment`]: who gets a new conversation, the answer wait, the chatbot's fallback;
//! - [`answering`]: the delayed auto-replies of a waiting period;
//! - [`outbox`]: sending a claimed message of ours to Avito and recording how it went;
//! - [`enrichment`]: the client's name and the listing from Avito's chat info, retried later when
//!   Avito is unavailable;
//! - [`notify`]: the operators' notification feed;
//! - [`ports`], [`retry`], [`error`]: what the use cases act through, the bounded
//!   read-change-write, the one error type.
//!
//! Beside them: [`live`] (the workspace's live channel on AWS: tickets, connections, pushing the
//! table's changes), [`connection`] (connecting a channel to an Avito account), [`audit`] (who did
//! what, for administrators), [`identity`] (signing
//! in with the product's own accounts, where no identity provider does it) and, for the Lambda
//! functions, [`environment`] (the ports from the environment).

pub mod answering;
pub mod assignment;
pub mod audit;
pub mod closing;
pub mod connection;
pub mod desk;
pub mod enrichment;
#[cfg(feature = "aws")]
pub mod environment;
pub mod error;
pub mod identity;
pub mod inbound;
pub mod live;
pub mod notify;
pub mod outbox;
pub mod ports;
pub mod retry;
pub mod timed;

pub use error::{ServiceError, ServiceResult};

/// `bytes` random bytes from the operating system, as lowercase hex: ids, secrets and tokens.
pub fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// A new random id of the kind `parse` makes (32 hex characters).
pub fn new_id<T>(parse: fn(String) -> Result<T, domain::ids::InvalidId>) -> ServiceResult<T> {
    let hex = random_hex(16).map_err(ServiceError::Transient)?;
    parse(hex).map_err(|e| ServiceError::Permanent(e.to_string()))
}
