//! The SQLite file every embedded store keeps: one connection behind a mutex, used off the async
//! runtime's worker threads.

use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Why the database could not be used (opening, the lock, the blocking task), for each store to
/// turn into its port's error.
#[derive(Debug)]
pub(crate) struct DbFailure(pub String);

/// A SQLite database file. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub(crate) struct Db(Arc<Mutex<Connection>>);

impl Db {
    /// Opens (creating if needed) the file and applies `schema` (idempotent statements).
    pub(crate) fn open(path: &Path, schema: &str) -> Result<Self, DbFailure> {
        let conn = Connection::open(path).map_err(|e| DbFailure(e.to_string()))?;
        conn.execute_batch(schema).map_err(|e| DbFailure(e.to_string()))?;
        Ok(Self(Arc::new(Mutex::new(conn))))
    }

    /// Runs `f` on the connection in a blocking task.
    pub(crate) async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbFailure> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let conn = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| DbFailure("database lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| DbFailure(e.to_string()))?
    }
}

impl From<DbFailure> for crate::ports::StoreError {
    fn from(f: DbFailure) -> Self {
        crate::ports::StoreError::Unavailable(f.0)
    }
}

impl From<DbFailure> for crate::ports::QueueError {
    fn from(f: DbFailure) -> Self {
        crate::ports::QueueError::Unavailable(f.0)
    }
}

impl From<DbFailure> for crate::ports::SchedulerError {
    fn from(f: DbFailure) -> Self {
        crate::ports::SchedulerError::Unavailable(f.0)
    }
}
