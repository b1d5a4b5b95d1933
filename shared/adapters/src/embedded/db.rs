//! The SQLite file every embedded store keeps: one connection behind a mutex.

use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

/// Why the database could not be used (opening it, its lock), for each store to
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
        conn.set_prepared_statement_cache_capacity(128);
        let db = Arc::new(Mutex::new(conn));
        // Checkpoints copy the write-ahead log into the file and fsync it: milliseconds that,
        // done by a commit every 1000 pages, stalled the requests queued behind the connection
        // (profiled under load; see BENCHMARKS.md). A thread of its own does them in the pauses.
        // Under writes that never pause its checkpoints cannot finish, so the connection still
        // checkpoints itself every 10000 pages (about 40 MB): that bounds the log, which grew
        // without end (to gigabytes in the benchmark) when the connection never did.
        if Self::start_checkpointer(path, Arc::downgrade(&db)) {
            let guard = db.lock().map_err(|_| DbFailure("database lock poisoned".into()))?;
            guard
                .execute_batch("PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864;")
                .map_err(|e| DbFailure(e.to_string()))?;
        }
        Ok(Self(db))
    }

    /// Checkpoints the write-ahead log every half second from a second connection until the
    /// database is dropped; `false` if that could not start (the commits then checkpoint).
    fn start_checkpointer(path: &Path, db: Weak<Mutex<Connection>>) -> bool {
        let Ok(conn) = Connection::open(path) else {
            return false;
        };
        let wal = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))
            .is_ok_and(|m| m.eq_ignore_ascii_case("wal"));
        if !wal || conn.busy_timeout(std::time::Duration::from_secs(5)).is_err() {
            return false;
        }
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while db.strong_count() > 0 {
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    // PASSIVE never waits for readers or writers; what it cannot copy now waits
                    // for the next turn.
                    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);") {
                        tracing::warn!(error = %e, "write-ahead log checkpoint failed; it will be tried again");
                    }
                }
            })
            .is_ok()
    }

    /// Runs `f` on the connection, on the calling thread. Our statements are key lookups and
    /// short range reads that take microseconds: handing each to a blocking thread cost more in
    /// thread switches than the statement itself (measured in BENCHMARKS.md).
    pub(crate) async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbFailure> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let mut guard = self.0.lock().map_err(|_| DbFailure("database lock poisoned".into()))?;
        f(&mut guard)
    }
}

/// Statements prepared once per connection and kept: parsing the SQL cost more than running it.
pub(crate) trait CachedStatements {
    /// As `Connection::execute`, with the statement from the cache.
    fn execute_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// As `Connection::query_row`, with the statement from the cache.
    fn query_row_cached<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl CachedStatements for Connection {
    fn execute_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn query_row_cached<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
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
