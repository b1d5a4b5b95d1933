//! The queue contract on the embedded SQLite queue.

use adapters::embedded::SqliteQueue;
use adapters::ports::Queue;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().expect("temporary directory"));

async fn sqlite_queue() -> Arc<dyn Queue> {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = DIR
        .path()
        .join(format!("queue-{}.sqlite3", N.fetch_add(1, Ordering::Relaxed)));
    Arc::new(SqliteQueue::open(&path, 2).expect("open queue"))
}

adapters::queue_contract!(sqlite_queue());

#[tokio::test]
async fn queued_messages_survive_reopening_the_file() {
    let path = DIR.path().join("durable.sqlite3");
    SqliteQueue::open(&path, 2)
        .expect("open")
        .send("не потеряется")
        .await
        .expect("send");
    let reopened = SqliteQueue::open(&path, 2).expect("reopen");
    let got = reopened
        .receive(10, std::time::Duration::from_secs(30))
        .await
        .expect("receive");
    assert_eq!(
        got.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["не потеряется"]
    );
}
