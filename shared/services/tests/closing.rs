//! Closing: completing sends the closing message once; the sweep closes only what is due, once;
//! a later client message opens a new conversation with the same client.

mod support;

use adapters::ports::ManualClock;

use domain::conversation::{ClosingReason, ConversationStatus, Delivery};
use serde_json::json;
use services::closing::{Closed, Closing};
use services::inbound::Outcome;
use std::sync::Arc;
use support::{CLIENT, Env, T, env};

fn closing_at(e: &Env, clock: Arc<ManualClock>) -> Closing {
    let mut ports = e.processor.ports.clone();
    ports.clock = clock;
    Closing { ports }
}

fn sends(e: &Env) -> usize {
    e.sandbox
        .data()
        .calls
        .iter()
        .filter(|c| c.operation == "postSendMessage")
        .count()
}

fn at(secs: i64) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(secs, 0).expect("instant"),
    ))
}

const CLOSING: &str = "Спасибо за обращение! Хорошего дня.";

#[tokio::test]
async fn completing_sends_the_closing_message_exactly_once() {
    let e = env().await;
    e.settings(json!({"closing_message": {"enabled": true, "text": CLOSING}}))
        .await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Спасибо, всё понятно")).await;
    let c = e.open(&chat).await;
    let closing = closing_at(&e, at(T + 60));
    let reason = ClosingReason::Completed { employee_id: None };
    assert_eq!(
        closing
            .close(&e.tenant, &c.id, reason.clone(), false)
            .await
            .expect("closed"),
        Closed::Closed {
            closing_message: Some(Ok(()))
        }
    );
    assert_eq!(
        closing.close(&e.tenant, &c.id, reason, false).await.expect("again"),
        Closed::AlreadyClosed
    );
    assert_eq!(sends(&e), 1);
    let saved = e
        .conversations
        .get(&e.tenant, &c.id)
        .await
        .expect("read")
        .expect("exists")
        .value;
    assert_eq!(
        (saved.status, saved.auto_close_due_at),
        (ConversationStatus::Closed, None)
    );
    let messages = e.messages(&c).await;
    assert!(
        matches!(
            messages.last().and_then(|m| m.delivery.clone()),
            Some(Delivery::Sent { .. })
        ),
        "{messages:?}"
    );
    // Avito's echo of the closing message (Avito's id of what we sent) opens nothing and is no
    // ignored delivery: it is the closing message, already stored.
    let Some(Delivery::Sent { avito_message_id }) = messages.last().and_then(|m| m.delivery.clone()) else {
        panic!("sent: {messages:?}");
    };
    let echo = e.text(&chat, &avito_message_id, support::ACCOUNT, T + 61, CLOSING);
    assert_eq!(e.process(&echo).await, Outcome::Duplicate);
    assert!(
        e.conversations
            .open_for_chat(&e.tenant, &c.channel_id, &chat)
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(e.messages(&c).await.len(), messages.len(), "nothing added");
}

#[tokio::test]
async fn with_the_closing_message_off_nothing_is_sent() {
    let e = env().await;
    e.settings(json!({"closing_message": {"enabled": false, "text": CLOSING}}))
        .await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Вопрос")).await;
    let c = e.open(&chat).await;
    let closed = closing_at(&e, at(T + 60))
        .close(&e.tenant, &c.id, ClosingReason::Completed { employee_id: None }, false)
        .await;
    assert_eq!(closed.expect("closed"), Closed::Closed { closing_message: None });
    assert_eq!(sends(&e), 0);
}

#[tokio::test]
async fn the_sweep_closes_due_conversations_once_and_leaves_the_others() {
    let e = env().await;
    e.settings(json!({"closing_message": {"enabled": true, "text": CLOSING}, "auto_close_after": {"value": 2, "unit": "hours"}})).await;
    let quiet = e.sandbox_chat().await;
    let busy = e.sandbox_chat().await;
    e.process(&e.text(&quiet, "q1", CLIENT, T, "Есть в наличии?")).await;
    e.process(&e.text(&busy, "b1", CLIENT, T + 3600, "А доставка?")).await;
    let (quiet_c, busy_c) = (e.open(&quiet).await, e.open(&busy).await);
    assert_eq!(quiet_c.auto_close_due_at.map(|d| d.timestamp()), Some(T + 7200));

    let sweep_at = T + 7200 + 1;
    let closing = closing_at(&e, at(sweep_at));
    let now = chrono::DateTime::from_timestamp(sweep_at, 0).expect("instant");
    assert_eq!(closing.sweep(now, || true).await.expect("sweep").closed, 1);
    assert_eq!(closing.sweep(now, || true).await.expect("sweep again").closed, 0);
    assert_eq!(sends(&e), 1, "the closing message once");
    let q = e
        .conversations
        .get(&e.tenant, &quiet_c.id)
        .await
        .expect("read")
        .expect("exists")
        .value;
    assert_eq!(
        (q.status, q.closing_reason),
        (ConversationStatus::Closed, Some(ClosingReason::Inactive))
    );
    assert_eq!(e.open(&busy).await.id, busy_c.id, "not due: untouched");

    // The client writes again later: a new conversation, the same client.
    let outcome = e
        .process(&e.text(&quiet, "q2", CLIENT, sweep_at + 60, "Я снова здесь"))
        .await;
    assert!(matches!(outcome, Outcome::Stored { opened: true, .. }), "{outcome:?}");
    let again = e.open(&quiet).await;
    assert_ne!(again.id, q.id);
    assert_eq!(again.client, q.client);
}
