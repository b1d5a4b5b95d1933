//! Ports: the traits the functions use for everything outside the domain.

mod clock;
mod config_store;
mod queue;

pub use clock::{Clock, ManualClock, SystemClock};

pub use config_store::{ConfigKind, ConfigStore, Page, StoreError, StoredDoc};
pub use queue::{Queue, QueueError, QueuedMessage};
