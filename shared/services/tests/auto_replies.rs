//! Delayed auto-replies end to end on the embedded stores and local timers, with the sandbox as
//! Avito: planned at message time + delay, one sequence per waiting period, sent once even when
//! fired twice, never after an answer, and only the non-working ones in non-working time.

mod support;

use domain::conversation::{Author, Delivery};
use serde_json::{Value, json};
use services::answering::{AutoReplyJob, Fired};
use support::{ACCOUNT, CLIENT, Env, T, env};

async fn configure(e: &Env, settings: Value, works: bool) {
    e.settings(settings).await;
    e.schedule(works).await;
}

/// Every planned job, as the local pump would take them once due.
async fn planned(e: &Env) -> Vec<(AutoReplyJob, i64)> {
    let far = "2100-01-01T00:00:00Z".parse().expect("instant");
    e.timers
        .take_due(far, 100)
        .await
        .expect("timers")
        .into_iter()
        .map(|j| {
            (
                serde_json::from_str(&j.payload).expect("an auto-reply job"),
                j.due_at.timestamp(),
            )
        })
        .collect()
}

fn sends(e: &Env) -> usize {
    e.sandbox
        .data()
        .calls
        .iter()
        .filter(|c| c.operation == "postSendMessage")
        .count()
}

const TWO_REPLIES: &str = r#"{"working_time": {"auto_replies": [
    {"text": "Здравствуйте! Оператор скоро ответит.", "delay_seconds": 0},
    {"text": "Извините за ожидание.", "delay_seconds": 300}]}}"#;

#[tokio::test]
async fn each_auto_reply_is_planned_at_its_time_and_sent_once_even_when_fired_twice() {
    let e = env().await;
    configure(&e, serde_json::from_str(TWO_REPLIES).expect("JSON"), true).await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    e.process(&e.text(&chat, "m2", CLIENT, T + 30, "Вы тут?")).await;

    let jobs = planned(&e).await;
    let timing: Vec<(usize, i64)> = jobs.iter().map(|(j, due)| (j.index, *due)).collect();
    assert_eq!(
        timing,
        [(0, T), (1, T + 300)],
        "one sequence from the first message; more messages do not restart it"
    );

    let auto = services::answering::AutoReplies {
        ports: e.processor.ports.clone(),
    };
    for (job, _) in &jobs {
        assert_eq!(auto.fire(job).await.expect("fired"), Fired::Sent);
        assert_eq!(
            auto.fire(job).await.expect("fired again"),
            Fired::Skipped("already sent")
        );
    }
    assert_eq!(sends(&e), 2);
    let c = e.open(&chat).await;
    assert_eq!(
        c.waiting_since.map(|w| w.timestamp()),
        Some(T),
        "auto-replies do not answer the client"
    );
    let messages = e.messages(&c).await;
    let ours: Vec<_> = messages.iter().filter(|m| m.author == Author::AutoReply).collect();
    assert_eq!(ours.len(), 2);
    assert!(
        ours.iter().all(|m| matches!(m.delivery, Some(Delivery::Sent { .. }))),
        "{ours:?}"
    );

    // The sandbox chat shows them to the client.
    let token = e.sandbox.data().access.keys().next().cloned().unwrap_or_default();
    let chat_messages: Value = reqwest::Client::new()
        .get(format!(
            "{}/messenger/v3/accounts/{ACCOUNT}/chats/{chat}/messages/",
            e.sandbox_base
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("messages")
        .json()
        .await
        .expect("JSON");
    let texts: Vec<&str> = chat_messages
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"]["text"].as_str())
        .collect();
    assert!(texts.contains(&"Извините за ожидание."), "{texts:?}");
}

#[tokio::test]
async fn an_answer_before_the_delay_means_no_auto_reply() {
    let e = env().await;
    configure(&e, serde_json::from_str(TWO_REPLIES).expect("JSON"), true).await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    let c = e.open(&chat).await;
    let job = AutoReplyJob {
        tenant: e.tenant.clone(),
        channel: e.channel.clone(),
        conversation: c.id.clone(),
        waiting_since: T,
        index: 1,
        text: "Извините за ожидание.".into(),
    };
    // An operator answers from the Avito app: the pending auto-replies are cancelled...
    e.process(&e.text(&chat, "m2", ACCOUNT, T + 60, "Добрый день!")).await;
    assert!(planned(&e).await.is_empty(), "cancelled");
    // ...and one that fires anyway (a cancel that lost a race) sends nothing.
    assert_eq!(
        services::answering::AutoReplies {
            ports: e.processor.ports.clone()
        }
        .fire(&job)
        .await
        .expect("fired"),
        Fired::Skipped("answered or closed since")
    );
    assert_eq!(sends(&e), 0);
}

#[tokio::test]
async fn non_working_time_plans_only_the_non_working_auto_replies() {
    let e = env().await;
    let settings = json!({
        "working_time": {"auto_replies": [{"text": "Днём ответим быстро", "delay_seconds": 0}]},
        "non_working_time": {"auto_replies": [{"text": "Мы работаем с 9 до 18", "delay_seconds": 5}]}
    });
    configure(&e, settings, false).await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    let jobs = planned(&e).await;
    assert_eq!(
        jobs.iter().map(|(j, due)| (j.text.as_str(), *due)).collect::<Vec<_>>(),
        [("Мы работаем с 9 до 18", T + 5)]
    );
}

#[tokio::test]
async fn a_new_waiting_period_after_an_answer_starts_a_new_sequence() {
    let e = env().await;
    configure(&e, serde_json::from_str(TWO_REPLIES).expect("JSON"), true).await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Первый вопрос")).await;
    e.process(&e.text(&chat, "m2", ACCOUNT, T + 10, "Ответ")).await;
    e.process(&e.text(&chat, "m3", CLIENT, T + 600, "Второй вопрос")).await;
    let jobs = planned(&e).await;
    assert_eq!(
        jobs.iter().map(|(j, due)| (j.waiting_since, *due)).collect::<Vec<_>>(),
        [(T + 600, T + 600), (T + 600, T + 900)]
    );
}

/// A message of ours claimed for sending in the chat's open conversation (delivery pending), as
/// the send paths store it before calling Avito.
async fn claim_pending(e: &Env, chat: &str, id: &str, author: Author, content: domain::conversation::Content) {
    let current = e
        .conversations
        .open_for_chat(&e.tenant, &e.channel, chat)
        .await
        .expect("read")
        .expect("open");
    let ours = domain::conversation::Message {
        id: id.into(),
        conversation_id: current.value.id.clone(),
        author,
        content,
        created_at: chrono::DateTime::from_timestamp(T + 1, 0).expect("instant"),
        delivery: Some(Delivery::Pending),
    };
    let next = current.value.clone().with_message(&ours);
    assert!(
        e.conversations
            .add_message(&e.tenant, &current, &next, &ours)
            .await
            .expect("claimed")
    );
}

#[tokio::test]
async fn an_echo_that_overtakes_the_send_confirmation_is_still_recognised_as_ours() {
    use domain::conversation::Content;
    let e = env().await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    // An auto-reply claimed and sent, whose confirmation is not recorded yet...
    claim_pending(
        &e,
        &chat,
        "ar-claimed",
        Author::AutoReply,
        Content::Text {
            text: "Скоро ответим".into(),
        },
    )
    .await;
    // ...when Avito's echo of it arrives: it is ours, not an operator's answer.
    let outcome = e
        .process(&e.text(&chat, "avito-echo-1", ACCOUNT, T + 2, "Скоро ответим"))
        .await;
    assert_eq!(outcome, services::inbound::Outcome::Duplicate);
    let c = e.open(&chat).await;
    assert_eq!(
        c.waiting_since.map(|w| w.timestamp()),
        Some(T),
        "still waiting for an operator"
    );
    let messages = e.messages(&c).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[1].delivery,
        Some(Delivery::Sent {
            avito_message_id: "avito-echo-1".into()
        })
    );
    // A real answer from the Avito app with other text is still an operator's reply.
    e.process(&e.text(&chat, "m3", ACCOUNT, T + 60, "Добрый день, чем помочь?"))
        .await;
    assert_eq!(e.open(&chat).await.waiting_since, None);
}

#[tokio::test]
async fn an_image_echo_that_overtakes_the_upload_confirmation_is_ours_and_brings_its_link() {
    use domain::conversation::Content;
    let e = env().await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Пришлите фото")).await;
    // An operator's image claimed, its upload and send under way...
    let anna = domain::ids::EmployeeId::parse("anna").expect("id");
    claim_pending(
        &e,
        &chat,
        "op-photo",
        Author::Operator { employee_id: anna },
        Content::Image { url: None },
    )
    .await;
    // ...when Avito's echo of the image arrives first.
    let link = "https://img.avito.st/1280x960/photo.jpg";
    let echo = e.event(
        &chat,
        "avito-img-1",
        ACCOUNT,
        T + 2,
        "image",
        json!({"image": {"sizes": {"1280x960": link}}}),
    );
    assert_eq!(e.process(&echo).await, services::inbound::Outcome::Duplicate);
    let c = e.open(&chat).await;
    let messages = e.messages(&c).await;
    assert_eq!(messages.len(), 2, "one image, not a second one from the echo");
    assert_eq!(messages[1].id, "op-photo");
    assert_eq!(messages[1].content, Content::Image { url: Some(link.into()) });
    assert_eq!(
        messages[1].delivery,
        Some(Delivery::Sent {
            avito_message_id: "avito-img-1".into()
        })
    );
}
