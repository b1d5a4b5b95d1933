//! The scheduler contract on the embedded timers, and what only they do: hand due jobs to the
//! local pump once.

use adapters::embedded::SqliteScheduler;
use adapters::ports::{ScheduledJob, Scheduler};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().expect("temporary directory"));

fn fresh() -> SqliteScheduler {
    static N: AtomicU32 = AtomicU32::new(0);
    SqliteScheduler::open(
        &DIR.path()
            .join(format!("timers-{}.sqlite3", N.fetch_add(1, Ordering::Relaxed))),
    )
    .expect("open")
}

async fn sqlite_scheduler() -> Arc<dyn Scheduler> {
    Arc::new(fresh())
}

adapters::scheduler_contract!(sqlite_scheduler());

#[tokio::test]
async fn due_jobs_are_handed_out_once_in_time_order_and_later_ones_wait() {
    let s = fresh();
    for (name, due) in [
        ("b", "2026-11-25T10:00:10Z"),
        ("a", "2026-11-25T10:00:05Z"),
        ("later", "2026-11-25T11:00:00Z"),
    ] {
        s.schedule(&ScheduledJob {
            name: name.into(),
            due_at: due.parse().expect("instant"),
            payload: "{}".into(),
        })
        .await
        .expect("schedule");
    }
    let now = "2026-11-25T10:00:30Z".parse().expect("instant");
    let due: Vec<String> = s
        .take_due(now, 10)
        .await
        .expect("take")
        .into_iter()
        .map(|j| j.name)
        .collect();
    assert_eq!(due, ["a", "b"]);
    assert!(s.take_due(now, 10).await.expect("take").is_empty(), "handed out once");
    assert!(s.get("later").await.expect("get").is_some());
}
