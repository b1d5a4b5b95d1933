//! Embedded implementations of the ports, for the local all-in-one server: a SQLite file on disk
//! (bundled SQLite, nothing to install).

mod sqlite_config;

pub use sqlite_config::SqliteConfigStore;
