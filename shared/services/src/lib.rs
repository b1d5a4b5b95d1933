//! Use cases that several functions share, written against the ports: connecting a channel to an
//! Avito account and disconnecting it ([`connection`]).

pub mod answer_wait;
pub mod auto_replies;
pub mod closing;
pub mod connection;
#[cfg(feature = "aws")]
pub mod environment;
pub mod inbound;
pub mod jobs;
pub mod ports;
pub mod processing;

/// `bytes` random bytes from the operating system, as lowercase hex: ids, secrets and tokens.
pub fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
