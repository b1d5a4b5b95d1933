//! Chatbots (R-BOT2): a conversation whose receiver is a chatbot is delivered to it, signed; a bot
//! that fails or is slower than the timeout hands the conversation to its fallback, and then the
//! auto-replies apply.

mod support;

use adapters::chatbot_http::{HttpChatbotGateway, signature};
use axum::http::HeaderMap;
use domain::conversation::Handler;
use domain::directory::ChatbotDraft;
use domain::ids::{ChatbotId, GroupId};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{CLIENT, Env, T, env};

const SECRET: &str = "bot-signing-secret-0123456789";

#[derive(Clone, Copy)]
enum Behaviour {
    Accept,
    Fail,
    Slow,
}

/// A bot on loopback that records what it gets (and whether the signature was right).
async fn bot(behaviour: Behaviour) -> (String, Arc<Mutex<Vec<(Value, bool)>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/events",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let log = Arc::clone(&log);
            async move {
                let ts: i64 = headers
                    .get("x-timestamp")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let sig = headers
                    .get("x-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let valid = sig == format!("sha256={}", signature(SECRET, ts, &body));
                if let Ok(mut l) = log.lock() {
                    l.push((serde_json::from_str(&body).unwrap_or(Value::Null), valid));
                }
                match behaviour {
                    Behaviour::Accept => axum::http::StatusCode::OK,
                    Behaviour::Fail => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    Behaviour::Slow => {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        axum::http::StatusCode::OK
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/events", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received)
}

/// A chatbot receiver with the group "support" as its fallback, working-time auto-replies, and a
/// round-the-clock schedule.
async fn configure(e: &mut Env, url: &str) {
    e.processor.ports.chatbots = Arc::new(
        HttpChatbotGateway::new(
            Duration::from_millis(500),
            true,
            Arc::clone(&e.processor.ports.vaults.cipher),
        )
        .expect("gateway"),
    );
    let bot = ChatbotDraft {
        name: "Бот".into(),
        url: url.into(),
        signing_secret: Some(SECRET.into()),
    }
    .validate(ChatbotId::parse("bot").expect("id"), None)
    .expect("bot");
    e.config.create(&e.tenant, &bot).await.expect("bot stored");
    e.settings(json!({"working_time": {
        "receiver": {"type": "chatbot", "chatbot_id": "bot", "fallback": {"type": "group", "group_id": "support"}},
        "auto_replies": [{"text": "Оператор скоро ответит", "delay_seconds": 0}]}}))
        .await;
    e.schedule(true).await;
}

async fn planned(e: &Env) -> usize {
    e.timers
        .take_due("2100-01-01T00:00:00Z".parse().expect("instant"), 100)
        .await
        .expect("timers")
        .len()
}

fn support_queue() -> Handler {
    Handler::GroupQueue {
        group_id: GroupId::parse("support").expect("id"),
    }
}

#[tokio::test]
async fn an_available_bot_gets_the_conversation_signed_and_no_auto_replies_are_planned() {
    let mut e = env().await;
    let (url, received) = bot(Behaviour::Accept).await;
    configure(&mut e, &url).await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Хочу записаться")).await;
    assert_eq!(
        e.open(&chat).await.handler,
        Handler::Chatbot {
            chatbot_id: ChatbotId::parse("bot").expect("id")
        }
    );
    let got = received.lock().map(|r| r.clone()).unwrap_or_default();
    assert_eq!(got.len(), 1);
    assert!(got[0].1, "signed with the bot's secret");
    assert_eq!(got[0].0["message"]["content"]["text"], "Хочу записаться");
    assert_eq!(planned(&e).await, 0, "the bot answers, not auto-replies");
}

#[tokio::test]
async fn a_bot_that_times_out_hands_the_conversation_to_its_fallback() {
    let mut e = env().await;
    let (url, _) = bot(Behaviour::Slow).await;
    configure(&mut e, &url).await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Алло")).await;
    assert_eq!(e.open(&chat).await.handler, support_queue());
    assert_eq!(
        planned(&e).await,
        1,
        "waiting for an operator now: the auto-reply is planned"
    );
}

#[tokio::test]
async fn a_failing_or_missing_bot_hands_over_too_also_in_the_middle_of_a_conversation() {
    let mut e = env().await;
    let (url, _) = bot(Behaviour::Fail).await;
    configure(&mut e, &url).await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    assert_eq!(e.open(&chat).await.handler, support_queue());

    // A bot conversation whose bot disappears later: the next client message hands it over.
    let mut e = env().await;
    let (url, _) = bot(Behaviour::Accept).await;
    configure(&mut e, &url).await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    assert!(matches!(e.open(&chat).await.handler, Handler::Chatbot { .. }));
    e.config
        .delete::<domain::directory::Chatbot>(&e.tenant, "bot")
        .await
        .expect("deleted");
    e.process(&e.text(&chat, "m2", CLIENT, T + 30, "Есть кто живой?")).await;
    assert_eq!(e.open(&chat).await.handler, support_queue());
    assert_eq!(planned(&e).await, 1, "the waiting client now gets the auto-replies");
}

#[tokio::test]
async fn a_bot_gets_a_message_once_however_often_avito_delivers_it() {
    let mut e = env().await;
    let (url, received) = bot(Behaviour::Accept).await;
    configure(&mut e, &url).await;
    let chat = e.sandbox_chat().await;
    let first = e.text(&chat, "m1", CLIENT, T, "Сколько стоит?");
    // Avito delivers a message three times to each of two subscribed URLs.
    for _ in 0..6 {
        e.process(&first).await;
    }
    e.process(&e.text(&chat, "m2", CLIENT, T + 5, "И доставка?")).await;
    e.process(&first).await;
    let texts: Vec<String> = received
        .lock()
        .map(|r| {
            r.iter()
                .map(|(event, _)| event["message"]["content"]["text"].to_string())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        texts,
        ["\"Сколько стоит?\"", "\"И доставка?\""],
        "each message once, in order"
    );
}

#[tokio::test]
async fn a_bot_that_fails_leaves_a_visible_note_when_it_hands_over() {
    let mut e = env().await;
    let (url, received) = bot(Behaviour::Fail).await;
    configure(&mut e, &url).await;
    let chat = e.sandbox_chat().await;
    let event = e.text(&chat, "m1", CLIENT, T, "Здравствуйте");
    e.process(&event).await;
    e.process(&event).await;
    let conversation = e.open(&chat).await;
    assert_eq!(conversation.handler, support_queue());
    let notes: Vec<String> = e
        .messages(&conversation)
        .await
        .into_iter()
        .filter_map(|m| match m.content {
            domain::conversation::Content::System { text, .. } => text,
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["Чат-бот не ответил: обращение передано оператору"], "one note");
    assert_eq!(received.lock().map(|r| r.len()).unwrap_or_default(), 1, "tried once");
}
