//! The pure domain of the product: what a working schedule, a channel's settings and the tenant's
//! distribution settings are, how they validate, and the small decisions the functions ask of them
//! (where a new conversation goes, which auto-replies to plan, when a conversation auto-closes,
//! who may act on a conversation).
//!
//! Nothing here does I/O or reads a clock: every instant is passed in. Time is `DateTime<Utc>`;
//! local time exists only inside [`schedule`], resolved through the IANA database of `chrono-tz`.

pub mod access;
pub mod attachment;
pub mod audit;
pub mod auto_close;
pub mod auto_reply;
pub mod candidate;
pub mod clients;
pub mod conflict;
pub mod conversation;
pub mod directory;
pub mod distribution;
pub mod identity;
pub mod ids;
pub mod network;
pub mod notification;
pub mod routing;
pub mod schedule;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod settings;
pub mod validation;

pub use chrono::{DateTime, Utc};
