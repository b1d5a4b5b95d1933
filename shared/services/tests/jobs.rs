//! Avito Jobs responses in the router (R-J1–R-J3, R-CS7): a response becomes one conversation with
//! the candidate card however often it is delivered; "only responses with a message" holds it until
//! the candidate writes; what Avito refuses leaves a note; job chats and other chats of one account
//! land in the right channel.

mod support;

use domain::conversation::{Content, Conversation, Handler};
use domain::ids::ChannelId;
use serde_json::{Value, json};
use services::inbound::InboundEvent;
use services::inbound::Outcome;
use support::{ACCOUNT, Env, env};

fn application(e: &Env, channel: &ChannelId, apply_id: &str) -> InboundEvent {
    InboundEvent::Application {
        tenant: e.tenant.clone(),
        channel: channel.clone(),
        received_at_ms: 0,
        apply_id: apply_id.to_owned(),
    }
}

/// A candidate responds in the sandbox; returns the sandbox's answer (`apply_id`, `chat_id`, ...).
async fn apply(e: &Env, body: Value) -> Value {
    e.control(&format!("/accounts/{ACCOUNT}/applications"), body).await
}

fn courier(with_chat: bool) -> Value {
    json!({
        "vacancy": {"title": "Курьер"},
        "candidate": {"name": "Пётр Сидоров", "phone": "79001234567"},
        "with_chat": with_chat,
        "questionnaire": [{"label": "Гражданство", "value": "РФ", "variable": "job_citizenship"}],
        "resume": {"title": "Курьер на авто", "experience": "3 года"}
    })
}

/// The candidate's Avito user id in a job chat of the sandbox.
fn candidate_in(e: &Env, chat: &str) -> i64 {
    e.sandbox.data().chats[&ACCOUNT][chat].chat.users[0]
        .id
        .expect("candidate id")
}

/// A messenger webhook as delivered to `channel`'s URL.
fn to(mut event: InboundEvent, channel: &ChannelId) -> InboundEvent {
    if let InboundEvent::Messenger { channel: c, .. } = &mut event {
        *c = channel.clone();
    }
    event
}

async fn open_conversation(e: &Env, channel: &ChannelId, key: &str) -> Option<Conversation> {
    e.conversations
        .open_for_chat(&e.tenant, channel, key)
        .await
        .expect("read")
        .map(|c| c.value)
}

async fn notifications(e: &Env) -> Vec<String> {
    e.config
        .notifications(&e.tenant, None, 100)
        .await
        .expect("notifications")
        .items
        .into_iter()
        .map(|n| n.text)
        .collect()
}

async fn texts(e: &Env, c: &Conversation) -> Vec<String> {
    e.messages(c)
        .await
        .into_iter()
        .filter_map(|m| match m.content {
            Content::Text { text } => Some(text),
            Content::System { text, .. } => text,
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn every_resume_field_avito_documents_is_on_the_card_in_russian() {
    let e = env().await;
    let jobs = e.jobs_channel("jobs", None).await;
    let mut body = courier(true);
    body["resume"]["params"] = json!({
        "ability_to_business_trip": "Иногда",
        "driver_licence": "true",
        "pol": "Женский",
        "razreshenie_na_rabotu_v_rossii": "Да",
        "schedule": "fullDay",
        "experience_list": [
            {"company": "МТС", "position": "Эксперт клиентского сервиса", "work_start": "2015-07-01",
             "work_finish": "2018-09-01", "responsibilities": "Консультирование"},
            {"company": "Самокат", "position": "Курьер", "work_start": "2019-01-10"}
        ],
        "education_list": [{"institution": "МГИМО МИД РФ", "specialty": "Финансы и кредит", "education_stop": "1995"}],
        "language_list": [{"language": "Английский", "language_level": "Средний"}]
    });
    let applied = apply(&e, body).await;
    let apply_id = applied["apply_id"].as_str().expect("apply id");
    e.process(&application(&e, &jobs, apply_id)).await;
    let c = open_conversation(&e, &jobs, applied["chat_id"].as_str().expect("chat"))
        .await
        .expect("conversation");
    let details: Vec<(String, String)> = c
        .candidate
        .and_then(|k| k.resume)
        .expect("resume")
        .details
        .into_iter()
        .map(|d| (d.label, d.value))
        .collect();
    for expected in [
        ("Готовность к командировкам", "Иногда"),
        ("Водительское удостоверение", "да"),
        ("Пол", "Женский"),
        ("Разрешение на работу в России", "Да"),
        ("График работы", "Полный день"),
        (
            "Место работы",
            "Эксперт клиентского сервиса, МТС, 2015-07-01 — 2018-09-01. Консультирование",
        ),
        ("Место работы", "Курьер, Самокат, с 2019-01-10 по настоящее время"),
        ("Учебное заведение", "МГИМО МИД РФ, Финансы и кредит, 1995"),
        ("Язык", "Английский — Средний"),
        ("Опыт работы", "3 года"),
    ] {
        assert!(
            details.iter().any(|(l, v)| (l.as_str(), v.as_str()) == expected),
            "{expected:?} in {details:?}"
        );
    }
    assert!(
        details.iter().all(|(l, _)| !l.contains('_')),
        "no raw keys: {details:?}"
    );
}

#[tokio::test]
async fn the_listing_takes_the_vacancys_title_once_avito_gives_it() {
    let e = env().await;
    let jobs = e.jobs_channel("jobs", None).await;
    let applied = apply(&e, courier(true)).await;
    let apply_id = applied["apply_id"].as_str().expect("apply id");
    let chat = applied["chat_id"].as_str().expect("chat");
    e.sandbox.data().faults.push(avito_sandbox::state::Fault {
        operation: "vacancyGetItem".into(),
        status: 404,
        times: 1,
        retry_after: None,
    });
    let event = application(&e, &jobs, apply_id);
    e.process(&event).await;
    let c = open_conversation(&e, &jobs, chat).await.expect("conversation");
    assert_eq!(
        c.listing.and_then(|l| l.title),
        None,
        "the vacancy was not found at first"
    );
    // The response changes; this time the vacancy reads.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    e.control(&format!("/accounts/{ACCOUNT}/applications/{apply_id}/touch"), json!({}))
        .await;
    e.process(&event).await;
    let c = open_conversation(&e, &jobs, chat).await.expect("conversation");
    assert_eq!(c.listing.and_then(|l| l.title).as_deref(), Some("Курьер"));
}

#[tokio::test]
async fn a_response_becomes_a_conversation_with_the_candidate_card_and_a_notification() {
    let e = env().await;
    let jobs = e.jobs_channel("jobs", None).await;
    let applied = apply(&e, courier(true)).await;
    let apply_id = applied["apply_id"].as_str().expect("apply id");
    let chat = applied["chat_id"].as_str().expect("chat");

    let outcome = e.process(&application(&e, &jobs, apply_id)).await;
    assert!(matches!(outcome, Outcome::Stored { opened: true, .. }), "{outcome:?}");
    let c = open_conversation(&e, &jobs, chat)
        .await
        .expect("a conversation in the job chat");
    let card = c.candidate.clone().expect("candidate card");
    assert_eq!(card.full_name.as_deref(), Some("Пётр Сидоров"));
    assert_eq!(card.vacancy.title.as_deref(), Some("Курьер"), "the position");
    assert_eq!(card.phones, vec!["79001234567".to_owned()]);
    let resume = card.resume.expect("resume");
    assert_eq!(resume.title.as_deref(), Some("Курьер на авто"));
    assert!(
        resume
            .details
            .iter()
            .any(|d| d.label == "Опыт работы" && d.value == "3 года"),
        "{:?}",
        resume.details
    );
    assert_eq!(
        card.questionnaire
            .iter()
            .map(|q| (q.label.as_str(), q.value.as_str()))
            .collect::<Vec<_>>(),
        vec![("Гражданство", "РФ")]
    );
    assert!(card.notes.is_empty(), "{:?}", card.notes);
    assert!(c.has_avito_chat());
    assert_eq!(c.client.name.as_deref(), Some("Пётр Сидоров"));
    assert_eq!(c.handler, Handler::GeneralQueue);
    assert!(c.waiting_since.is_some(), "a response waits for an answer");
    assert_eq!(notifications(&e).await, vec!["Отклик на вакансию: Курьер".to_owned()]);
}

#[tokio::test]
async fn the_same_response_delivered_six_times_with_an_update_between_is_one_conversation_updated() {
    let e = env().await;
    let jobs = e.jobs_channel("jobs", None).await;
    let applied = apply(&e, courier(true)).await;
    let apply_id = applied["apply_id"].as_str().expect("apply id");
    let chat = applied["chat_id"].as_str().expect("chat");
    let event = application(&e, &jobs, apply_id);

    let mut outcomes = Vec::new();
    for _ in 0..3 {
        outcomes.push(e.process(&event).await);
    }
    // The candidate finishes the questionnaire; Avito notifies again (one second later, as
    // Avito's times are to the second).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    e.control(
        &format!("/accounts/{ACCOUNT}/applications/{apply_id}/touch"),
        json!({"questionnaire": [{"label": "Гражданство", "value": "РФ"}, {"label": "Есть авто", "value": "Да"}]}),
    )
    .await;
    for _ in 0..3 {
        outcomes.push(e.process(&event).await);
    }
    assert!(
        matches!(outcomes[0], Outcome::Stored { opened: true, .. }),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1..3], [Outcome::Duplicate, Outcome::Duplicate], "{outcomes:?}");
    assert!(
        matches!(outcomes[3], Outcome::Stored { opened: false, .. }),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[4..], [Outcome::Duplicate, Outcome::Duplicate], "{outcomes:?}");

    let c = open_conversation(&e, &jobs, chat).await.expect("conversation");
    let answers: Vec<String> = c
        .candidate
        .as_ref()
        .expect("card")
        .questionnaire
        .iter()
        .map(|q| q.label.clone())
        .collect();
    assert_eq!(answers, vec!["Гражданство", "Есть авто"], "the card is updated");
    let updates = texts(&e, &c)
        .await
        .into_iter()
        .filter(|t| t.contains("Отклик обновлён"))
        .count();
    assert_eq!(updates, 1, "one visible note for one update");
    assert_eq!(notifications(&e).await.len(), 1, "one notification for one response");
    let by_ids = e
        .sandbox
        .data()
        .calls
        .iter()
        .filter(|c| c.operation == "resumeGetItem")
        .count();
    assert_eq!(by_ids, 2, "the resume is read for the response and for its update only");
}

#[tokio::test]
async fn with_only_responses_with_a_message_a_silent_response_waits_and_the_first_message_routes_it() {
    let e = env().await;
    let jobs = e
        .jobs_channel(
            "jobs",
            Some(json!({"working_time": {"only_responses_with_message": true}})),
        )
        .await;
    let applied = apply(&e, courier(true)).await;
    let apply_id = applied["apply_id"].as_str().expect("apply id");
    let chat = applied["chat_id"].as_str().expect("chat");

    assert_eq!(e.process(&application(&e, &jobs, apply_id)).await, Outcome::Held);
    assert_eq!(e.process(&application(&e, &jobs, apply_id)).await, Outcome::Held);
    assert!(open_conversation(&e, &jobs, chat).await.is_none(), "not routed");
    assert!(notifications(&e).await.is_empty(), "operators are not told yet");

    // The candidate writes in the job chat; the messenger webhook reaches the Jobs channel.
    let candidate = candidate_in(&e, chat);
    let write = to(
        e.text(chat, "m1", candidate, support::T, "Здравствуйте, когда можно выйти?"),
        &jobs,
    );
    let outcome = e.process(&write).await;
    assert!(matches!(outcome, Outcome::Stored { opened: true, .. }), "{outcome:?}");
    let c = open_conversation(&e, &jobs, chat).await.expect("routed now");
    assert_eq!(
        c.candidate.as_ref().and_then(|k| k.full_name.as_deref()),
        Some("Пётр Сидоров")
    );
    assert_eq!(c.handler, Handler::GeneralQueue);
    assert_eq!(texts(&e, &c).await, vec!["Здравствуйте, когда можно выйти?"]);
    assert_eq!(notifications(&e).await, vec!["Отклик на вакансию: Курьер".to_owned()]);
    // A later delivery of the response neither opens another conversation nor notifies again.
    assert_eq!(e.process(&application(&e, &jobs, apply_id)).await, Outcome::Duplicate);
    assert_eq!(notifications(&e).await.len(), 1);
}

#[tokio::test]
async fn what_the_candidate_wrote_before_the_response_arrived_routes_it_and_joins_the_conversation_only() {
    let e = env().await;
    let jobs = e
        .jobs_channel(
            "jobs",
            Some(json!({"working_time": {"only_responses_with_message": true}})),
        )
        .await;
    let applied = apply(&e, courier(true)).await;
    let chat = applied["chat_id"].as_str().expect("chat");
    // Written while Avito had not yet told us of the response. The account is also connected as
    // an Avito channel, and the message's webhook reaches that one: it is a vacancy's chat, so it
    // opens nothing there.
    let written = e
        .control(
            &format!("/accounts/{ACCOUNT}/client-messages"),
            json!({"chat_id": chat, "text": "Добрый день! Вакансия актуальна?"}),
        )
        .await;
    let candidate = candidate_in(&e, chat);
    let webhook = e.text(
        chat,
        written["message_id"].as_str().expect("message id"),
        candidate,
        support::T,
        "Добрый день! Вакансия актуальна?",
    );
    assert!(matches!(e.process(&webhook).await, Outcome::Ignored(_)));
    assert!(open_conversation(&e, &e.channel, chat).await.is_none());
    let outcome = e
        .process(&application(&e, &jobs, applied["apply_id"].as_str().expect("id")))
        .await;
    assert!(matches!(outcome, Outcome::Stored { opened: true, .. }), "{outcome:?}");
    let c = open_conversation(&e, &jobs, chat).await.expect("routed");
    assert_eq!(texts(&e, &c).await, vec!["Добрый день! Вакансия актуальна?"]);
    // A late copy of the webhook now joins the Jobs conversation (once).
    assert_eq!(e.process(&webhook).await, Outcome::Duplicate);
    assert!(open_conversation(&e, &e.channel, chat).await.is_none());
}

#[tokio::test]
async fn a_refused_resume_leaves_a_conversation_with_the_candidates_name_and_a_note() {
    let e = env().await;
    let jobs = e.jobs_channel("jobs", None).await;
    for (operation, status) in [("resumeGetItem", 402), ("resumeGetContacts", 403)] {
        e.control("/faults", json!({"operation": operation, "status": status, "times": 5}))
            .await;
    }
    let applied = apply(&e, courier(true)).await;
    let outcome = e
        .process(&application(&e, &jobs, applied["apply_id"].as_str().expect("id")))
        .await;
    assert!(matches!(outcome, Outcome::Stored { opened: true, .. }), "{outcome:?}");
    let c = open_conversation(&e, &jobs, applied["chat_id"].as_str().expect("chat"))
        .await
        .expect("conversation");
    let card = c.candidate.expect("card");
    assert_eq!(card.full_name.as_deref(), Some("Пётр Сидоров"));
    assert!(card.resume.is_none());
    assert!(
        card.notes.iter().any(|n| n.starts_with("Резюме") && n.contains("402")),
        "{:?}",
        card.notes
    );
    assert!(
        card.notes
            .iter()
            .any(|n| n.starts_with("Контакты") && n.contains("403")),
        "{:?}",
        card.notes
    );
    assert_eq!(
        card.phones,
        vec!["79001234567".to_owned()],
        "the response's own phone stays"
    );
}

#[tokio::test]
async fn no_jobs_subscription_at_all_still_leaves_a_conversation_with_a_note() {
    let e = env().await;
    let jobs = e.jobs_channel("jobs", None).await;
    e.control(
        "/faults",
        json!({"operation": "applicationsGetByIds", "status": 402, "times": 1}),
    )
    .await;
    let outcome = e.process(&application(&e, &jobs, "0123456789abcdef01234567")).await;
    assert!(matches!(outcome, Outcome::Stored { opened: true, .. }), "{outcome:?}");
    let c = open_conversation(&e, &jobs, "job-response:0123456789abcdef01234567")
        .await
        .expect("conversation");
    assert!(!c.has_avito_chat());
    let notes = c.candidate.expect("card").notes;
    assert!(notes.iter().any(|n| n.contains("402")), "{notes:?}");
}

#[tokio::test]
async fn avito_being_unavailable_leaves_the_delivery_to_be_retried_with_nothing_stored() {
    let e = env().await;
    let jobs = e.jobs_channel("jobs", None).await;
    let applied = apply(&e, courier(true)).await;
    e.control(
        "/faults",
        json!({"operation": "applicationsGetByIds", "status": 503, "times": 10}),
    )
    .await;
    let event = application(&e, &jobs, applied["apply_id"].as_str().expect("id"));
    let failed = e.processor.process(&event).await;
    assert!(
        matches!(failed, Err(services::ServiceError::Transient(_))),
        "{failed:?}"
    );
    assert!(
        open_conversation(&e, &jobs, applied["chat_id"].as_str().expect("chat"))
            .await
            .is_none()
    );
    assert!(notifications(&e).await.is_empty());
}

#[tokio::test]
async fn a_response_by_phone_is_a_conversation_without_an_avito_chat() {
    let e = env().await;
    let jobs = e
        .jobs_channel(
            "jobs",
            Some(json!({"working_time": {"only_responses_with_message": true},
                        "closing_message": {"enabled": true, "text": "Спасибо!"}})),
        )
        .await;
    let applied = apply(&e, courier(false)).await;
    assert!(applied["chat_id"].is_null());
    let apply_id = applied["apply_id"].as_str().expect("id");
    let outcome = e.process(&application(&e, &jobs, apply_id)).await;
    assert!(
        matches!(outcome, Outcome::Stored { opened: true, .. }),
        "nothing to wait for: {outcome:?}"
    );
    let c = open_conversation(&e, &jobs, &format!("job-response:{apply_id}"))
        .await
        .expect("conversation");
    assert!(!c.has_avito_chat());
    assert!(!c.candidate.as_ref().expect("card").has_chat);
    assert_eq!(c.waiting_since, None, "no chat: no auto-replies to send");

    let closing = services::closing::Closing {
        ports: e.processor.ports.clone(),
    };
    let closed = closing
        .close(
            &e.tenant,
            &c.id,
            domain::conversation::ClosingReason::Completed { employee_id: None },
            false,
        )
        .await
        .expect("closed");
    assert_eq!(
        closed,
        services::closing::Closed::Closed { closing_message: None },
        "no chat to send a closing message to"
    );
}

#[tokio::test]
async fn one_account_as_avito_and_jobs_channels_puts_each_message_in_exactly_one_conversation() {
    let e = env().await;
    let avito = e.channel.clone();
    let jobs = e.jobs_channel("jobs", None).await;
    let applied = apply(&e, courier(true)).await;
    let job_chat = applied["chat_id"].as_str().expect("chat").to_owned();
    e.process(&application(&e, &jobs, applied["apply_id"].as_str().expect("id")))
        .await;
    let buyer_chat = e.sandbox_chat().await;
    let candidate = candidate_in(&e, &job_chat);

    // Avito may deliver each message to every subscribed URL, or to one of them.
    let from_candidate = e.text(&job_chat, "j1", candidate, support::T, "Я по вакансии");
    let from_buyer = e.text(&buyer_chat, "b1", support::CLIENT, support::T, "Велосипед ещё есть?");
    for channel in [&avito, &jobs, &avito] {
        e.process(&to(from_candidate.clone(), channel)).await;
        e.process(&to(from_buyer.clone(), channel)).await;
    }

    let job_conversation = open_conversation(&e, &jobs, &job_chat)
        .await
        .expect("jobs conversation");
    assert_eq!(texts(&e, &job_conversation).await, vec!["Я по вакансии"]);
    let buyer_conversation = open_conversation(&e, &avito, &buyer_chat)
        .await
        .expect("avito conversation");
    assert_eq!(texts(&e, &buyer_conversation).await, vec!["Велосипед ещё есть?"]);
    assert!(
        open_conversation(&e, &avito, &job_chat).await.is_none(),
        "the job chat is not the Avito channel's"
    );
    assert!(open_conversation(&e, &jobs, &buyer_chat).await.is_none());
    let by = |c: &Conversation| c.channel_id.clone();
    assert_eq!((by(&job_conversation), by(&buyer_conversation)), (jobs, avito));
}

#[tokio::test]
async fn a_response_follows_the_jobs_channels_own_auto_replies_and_auto_close() {
    let e = env().await;
    e.schedule(true).await;
    // The Avito channel says something else: the response must not use it.
    e.settings(json!({"working_time": {"auto_replies": [{"text": "Про товары", "delay_seconds": 0}]}}))
        .await;
    let jobs = e
        .jobs_channel(
            "jobs",
            Some(json!({
                "working_time": {"auto_replies": [{"text": "Спасибо за отклик! Скоро ответим.", "delay_seconds": 0}]},
                "auto_close_after": {"value": 6, "unit": "hours"}})),
        )
        .await;
    let applied = apply(&e, courier(true)).await;
    let chat = applied["chat_id"].as_str().expect("chat");
    e.process(&application(&e, &jobs, applied["apply_id"].as_str().expect("id")))
        .await;
    let c = open_conversation(&e, &jobs, chat).await.expect("conversation");
    assert_eq!(
        c.auto_close_due_at.map(|due| due - c.last_activity_at),
        Some(chrono::TimeDelta::hours(6))
    );

    let far = "2100-01-01T00:00:00Z".parse().expect("instant");
    let due = e.timers.take_due(far, 100).await.expect("timers");
    assert_eq!(due.len(), 1, "{due:?}");
    let job: services::answering::AutoReplyJob = serde_json::from_str(&due[0].payload).expect("an auto-reply");
    assert_eq!(job.text, "Спасибо за отклик! Скоро ответим.");
    let fired = services::answering::AutoReplies {
        ports: e.processor.ports.clone(),
    }
    .fire(&job)
    .await
    .expect("fired");
    assert_eq!(fired, services::answering::Fired::Sent);
    let in_chat: Vec<Option<String>> = e.sandbox.data().chats[&ACCOUNT][chat]
        .messages
        .iter()
        .map(|m| m.content.text.clone())
        .collect();
    assert_eq!(
        in_chat,
        vec![Some("Спасибо за отклик! Скоро ответим.".to_owned())],
        "sent to the job chat"
    );
}
