//! The inbound messages that failed too often (R-X1), on the embedded queue: administrators count
//! and replay them, operators may not, and a replay is in the audit log.

use adapters::configuration::Configuration;
use adapters::embedded::{SqliteConfigStore, SqliteQueue};
use adapters::ports::{ManualClock, Queue};
use chrono::DateTime;
use domain::access::Role;
use domain::audit::AuditAction;
use domain::ids::TenantId;
use services::ServiceError;
use services::audit::Audit;
use services::desk::Person;
use services::desk::dead_letters::{DeadLetters, REPLAY_PAGE};
use std::sync::Arc;
use std::time::Duration;

const MAX_RECEIVES: u32 = 2;

struct Env {
    dead_letters: DeadLetters,
    queue: Arc<SqliteQueue>,
    _dir: tempfile::TempDir,
}

fn env() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteConfigStore::open(&dir.path().join("config.sqlite3")).expect("store");
    let queue = Arc::new(SqliteQueue::open(&dir.path().join("queue.sqlite3"), MAX_RECEIVES).expect("queue"));
    let audit = Audit {
        config: Configuration::new(Arc::new(store)),
        clock: Arc::new(ManualClock::new(
            DateTime::from_timestamp(1_800_000_000, 0).expect("instant"),
        )),
    };
    Env {
        dead_letters: DeadLetters {
            queue: queue.clone(),
            audit,
        },
        queue,
        _dir: dir,
    }
}

fn person(role: Role) -> Person {
    Person {
        tenant: TenantId::parse("acme").expect("tenant"),
        user: "anna".into(),
        role,
    }
}

/// Sends `n` messages and receives them until the queue makes them dead letters.
async fn dead_letters(queue: &SqliteQueue, n: usize) {
    for i in 0..n {
        let event = services::inbound::InboundEvent::Application {
            tenant: TenantId::parse("acme").expect("tenant"),
            channel: domain::ids::ChannelId::parse("ch1").expect("channel"),
            received_at_ms: 1_800_000_000_000,
            apply_id: format!("apply-{i}"),
        };
        queue.send(&event.to_json().expect("json")).await.expect("send");
    }
    for _ in 0..=MAX_RECEIVES {
        // Received and never deleted; visible again at once.
        queue.receive(n as u32, Duration::ZERO).await.expect("receive");
    }
    assert_eq!(queue.dead_letter_count(&|_| true).await.expect("count"), n as u64);
}

#[tokio::test]
async fn an_administrator_counts_and_replays_the_dead_letters_and_the_replay_is_audited() {
    let env = env();
    let admin = person(Role::Admin);
    assert_eq!(env.dead_letters.waiting(&admin).await.expect("count"), 0);
    assert_eq!(env.dead_letters.replay(&admin).await.expect("replay"), 0);
    let log = env.dead_letters.audit.log(&admin, None, 10).await.expect("log");
    assert!(log.items.is_empty(), "a replay that moved nothing changed nothing");

    // More than a page: the replay goes on page after page.
    let n = REPLAY_PAGE as usize + 3;
    dead_letters(&env.queue, n).await;
    assert_eq!(env.dead_letters.waiting(&admin).await.expect("count"), n as u64);
    assert_eq!(env.dead_letters.replay(&admin).await.expect("replay"), n as u32);
    assert_eq!(env.dead_letters.waiting(&admin).await.expect("count"), 0);
    // Back on the inbound queue, to be processed again.
    let back = env
        .queue
        .receive(1_000, Duration::from_secs(30))
        .await
        .expect("receive");
    assert_eq!(back.len(), n);
    assert!(back.iter().all(|m| m.receive_count == 1), "received afresh");

    let log = env.dead_letters.audit.log(&admin, None, 10).await.expect("log");
    assert_eq!(log.items.len(), 1);
    assert_eq!(log.items[0].action, AuditAction::DeadLettersReplayed);
    assert_eq!(log.items[0].actor.user, "anna");
}

#[tokio::test]
async fn an_administrator_sees_and_replays_their_tenants_letters_only() {
    let env = env();
    dead_letters(&env.queue, 2).await;
    // An unreadable one and another tenant's, in the same queue.
    env.queue.send("{\"poison\": true}").await.expect("send");
    let other = services::inbound::InboundEvent::Application {
        tenant: TenantId::parse("other").expect("tenant"),
        channel: domain::ids::ChannelId::parse("ch1").expect("channel"),
        received_at_ms: 1_800_000_000_000,
        apply_id: "theirs".into(),
    };
    env.queue.send(&other.to_json().expect("json")).await.expect("send");
    for _ in 0..=MAX_RECEIVES {
        env.queue.receive(10, Duration::ZERO).await.expect("receive");
    }
    let admin = person(Role::Admin);
    assert_eq!(env.dead_letters.waiting(&admin).await.expect("count"), 2);
    assert_eq!(env.dead_letters.replay(&admin).await.expect("replay"), 2);
    assert_eq!(env.dead_letters.waiting(&admin).await.expect("count"), 0);
    assert_eq!(
        env.queue.dead_letter_count(&|_| true).await.expect("count"),
        2,
        "the others stay"
    );
    let theirs = Person {
        tenant: TenantId::parse("other").expect("tenant"),
        user: "boris".into(),
        role: Role::Admin,
    };
    assert_eq!(env.dead_letters.waiting(&theirs).await.expect("count"), 1);
}

#[tokio::test]
async fn an_operator_neither_counts_nor_replays() {
    let env = env();
    dead_letters(&env.queue, 1).await;
    let operator = person(Role::Operator);
    assert!(matches!(
        env.dead_letters.waiting(&operator).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        env.dead_letters.replay(&operator).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert_eq!(
        env.queue.dead_letter_count(&|_| true).await.expect("count"),
        1,
        "nothing moved"
    );
}

#[tokio::test]
async fn without_a_queue_the_dead_letters_are_unavailable() {
    let env = env();
    let none = DeadLetters::unconfigured(env.dead_letters.audit.clone());
    let admin = person(Role::Admin);
    assert!(matches!(none.waiting(&admin).await, Err(ServiceError::Transient(_))));
    assert!(matches!(none.replay(&admin).await, Err(ServiceError::Transient(_))));
}
