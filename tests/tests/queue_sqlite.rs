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

/// The local worker waits on `arrival` instead of polling: a send wakes it (this test would hang
/// for a minute, and fail at its 10-second guard, if it did not).
#[tokio::test]
async fn a_send_wakes_a_waiting_consumer_and_one_made_before_the_wait_counts_too() {
    let path = DIR.path().join("wakes.sqlite3");
    let queue = SqliteQueue::open(&path, 2).expect("open");
    let sender = queue.clone();
    let send = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        sender.send("разбуди").await.expect("send");
    });
    let guard = std::time::Duration::from_secs(10);
    tokio::time::timeout(guard, queue.arrival(std::time::Duration::from_secs(60)))
        .await
        .expect("the send woke the waiting consumer");
    send.await.expect("sender");
    queue.send("ещё").await.expect("send");
    tokio::time::timeout(guard, queue.arrival(std::time::Duration::from_secs(60)))
        .await
        .expect("a send before the wait is not lost");
}

/// Deleting by receipt is a key lookup; a stale receipt (from an earlier receive) or an odd one
/// deletes nothing.
#[tokio::test]
async fn a_stale_or_odd_receipt_deletes_nothing() {
    let path = DIR.path().join("receipts.sqlite3");
    let queue = SqliteQueue::open(&path, 5).expect("open");
    queue.send("первое").await.expect("send");
    let hide = std::time::Duration::from_millis(1);
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(20));
    let first = queue.receive(1, hide).await.expect("receive").remove(0);
    pause().await;
    let second = queue.receive(1, hide).await.expect("receive").remove(0);
    assert_ne!(first.receipt, second.receipt);
    queue.delete(&first.receipt).await.expect("stale delete");
    queue.delete("not-a-receipt").await.expect("odd delete");
    pause().await;
    let third = queue.receive(1, hide).await.expect("receive");
    assert_eq!(third.len(), 1, "the message is still there");
    queue.delete(&third[0].receipt).await.expect("delete");
    pause().await;
    assert!(queue.receive(1, hide).await.expect("receive").is_empty(), "deleted");
}
