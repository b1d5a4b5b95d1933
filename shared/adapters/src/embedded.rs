//! Embedded implementations of the ports, for the local all-in-one server: a SQLite file on disk
//! (bundled SQLite, nothing to install), and a queue in one.

mod db;
mod sqlite_config;
mod sqlite_conversations;
mod sqlite_queue;
mod sqlite_scheduler;

pub use sqlite_config::SqliteConfigStore;
pub use sqlite_conversations::SqliteConversationStore;
pub use sqlite_queue::SqliteQueue;
pub use sqlite_scheduler::SqliteScheduler;
