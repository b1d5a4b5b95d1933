//! The outside world behind ports. Each port is a trait in [`ports`]; each has an AWS
//! implementation (in [`aws`]) and an embedded one for the local server (in [`embedded`]), and both
//! pass the same contract suite ([`contract`], feature `contract`), so they cannot drift.
//!
//! The store design (one DynamoDB table, keys and access patterns) is written down in
//! `TABLE_DESIGN.md` beside this crate.

pub mod avito;
pub mod aws;
pub mod cached_config;
pub mod chatbot_http;
pub mod configuration;
pub mod credentials;
pub mod embedded;
pub mod ports;
pub mod secrets;

#[cfg(feature = "contract")]
pub mod contract;
