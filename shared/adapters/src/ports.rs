//! Ports: the traits the functions use for everything outside the domain.

mod config_store;

pub use config_store::{ConfigKind, ConfigStore, Page, StoreError, StoredDoc};
