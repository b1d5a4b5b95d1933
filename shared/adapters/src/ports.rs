//! Ports: the traits the functions use for everything outside the domain.

mod chatbot;
mod clock;
mod config_store;
mod conversation_store;
mod identity_provider;
mod live;
mod queue;
mod scheduler;

pub use chatbot::{ChatbotError, ChatbotGateway};
pub use clock::{Clock, ManualClock, SystemClock};

pub use config_store::{ConfigKind, ConfigStore, Page, StoreError, StoredDoc};
pub use conversation_store::{ConversationStore, ReadMeter, TimeCursor};
pub use identity_provider::{IdentityError, IdentityProvider, InvitationSent};
// The stores' keys: used by the store implementations only (none without a store feature).
#[cfg_attr(not(any(feature = "aws-dynamodb", feature = "embedded")), allow(unused_imports))]
pub(crate) use conversation_store::{
    activity_sort_key, added_message_key, closed_sort_key, count_moves, created_sort_key, handler_key, list_of,
    message_sort_key, time_page,
};
pub use live::{LiveConnection, LiveConnections, LivePush, LiveTicket, MemoryLive, PushError};
pub use queue::{DeadLetterFilter, Queue, QueueError, QueuedMessage};
pub use scheduler::{ScheduledJob, Scheduler, SchedulerError};

/// A value with the store version it was read at, for a later conditional write.
#[derive(Clone, Debug, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}
