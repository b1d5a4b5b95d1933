//! The router's processing of messenger webhooks, on the embedded stores with the sandbox as
//! Avito: one message however often delivered, Avito's order, echoes as operator replies,
//! enrichment, routing, and a new conversation after closing.

mod support;

use domain::conversation::{Author, CardKind, ClientCard, Content, ConversationStatus, Handler};
use domain::directory::ChannelStatus;
use domain::ids::ClientCardId;
use serde_json::json;
use services::inbound::InboundEvent;
use services::inbound::Outcome;
use support::{ACCOUNT, CLIENT, T, env};

#[tokio::test]
async fn the_same_webhook_five_times_is_one_message() {
    let e = env().await;
    let chat = e.sandbox_chat().await;
    let event = e.text(&chat, "m1", CLIENT, T, "Здравствуйте");
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        outcomes.push(e.process(&event).await);
    }
    assert!(
        matches!(outcomes[0], Outcome::Stored { opened: true, .. }),
        "{outcomes:?}"
    );
    assert!(outcomes[1..].iter().all(|o| *o == Outcome::Duplicate), "{outcomes:?}");
    let c = e.open(&chat).await;
    assert_eq!(e.ids(&c).await, ["m1"]);
}

#[tokio::test]
async fn a_new_conversation_carries_the_client_and_the_listing_from_chat_info() {
    let e = env().await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Ещё продаёте?")).await;
    let c = e.open(&chat).await;
    assert_eq!(c.client.name.as_deref(), Some("Иван"));
    let listing = c.listing.expect("listing");
    assert_eq!(
        (listing.title.as_deref(), listing.price.as_deref()),
        (Some("Велосипед"), Some("15 000 ₽"))
    );
    assert_eq!(
        (c.status, c.handler.clone(), c.waiting_since.map(|w| w.timestamp())),
        (ConversationStatus::Open, Handler::GeneralQueue, Some(T))
    );
}

#[tokio::test]
async fn a_conversation_opened_while_chat_info_failed_is_enriched_later() {
    let e = env().await;
    let chat = e.sandbox_chat().await;
    e.sandbox.data().faults.push(avito_sandbox::state::Fault {
        operation: "getChatByIdV2".into(),
        status: 503,
        times: 6,
        retry_after: None,
    });
    e.process(&e.text(&chat, "m1", CLIENT, T, "Ещё продаёте?")).await;
    let c = e.open(&chat).await;
    assert_eq!(c.client.name, None, "opened at once, without the chat info");
    assert_eq!(e.ids(&c).await, ["m1"], "the message was not held back");
    let fire = async || {
        let due = e
            .timers
            .take_due("2100-01-01T00:00:00Z".parse().expect("instant"), 100)
            .await
            .expect("timers");
        let mut fired = Vec::new();
        for job in due {
            let job: services::timed::TimedJob = serde_json::from_str(&job.payload).expect("a timed job");
            fired.push(job.fire(&e.processor.ports).await.expect("fired"));
        }
        fired
    };
    // The first retry meets Avito still failing and plans the next; the next one enriches.
    assert_eq!(fire().await, ["Retrying"]);
    assert_eq!(fire().await, ["Done"]);
    assert_eq!(fire().await, Vec::<String>::new(), "nothing more planned");
    let c = e.open(&chat).await;
    assert_eq!(c.client.name.as_deref(), Some("Иван"));
    assert_eq!(c.listing.and_then(|l| l.title).as_deref(), Some("Велосипед"));
    let card: domain::conversation::ClientCard = e
        .config
        .get(&e.tenant, c.client.card_id.expect("card").as_str())
        .await
        .expect("read")
        .expect("card")
        .value;
    assert_eq!(card.name.as_deref(), Some("Иван"), "the guest card is named too");
}

#[tokio::test]
async fn out_of_order_deliveries_keep_avitos_order() {
    let e = env().await;
    let chat = e.sandbox_chat().await;
    for (id, offset) in [("m3", 30), ("m1", 10), ("m2", 20)] {
        e.process(&e.text(&chat, id, CLIENT, T + offset, id)).await;
    }
    let c = e.open(&chat).await;
    assert_eq!(e.ids(&c).await, ["m1", "m2", "m3"]);
    assert_eq!(
        c.waiting_since.map(|w| w.timestamp()),
        Some(T + 30),
        "the first to arrive started the waiting period"
    );
}

#[tokio::test]
async fn two_quick_messages_of_one_second_keep_the_order_they_arrived_in() {
    let e = env().await;
    let chat = e.sandbox_chat().await;
    // Avito's ids say nothing of order; these would sort the other way round.
    for id in ["f9c2", "0a17", "7be4"] {
        e.process(&e.text(&chat, id, CLIENT, T, id)).await;
    }
    let c = e.open(&chat).await;
    assert_eq!(e.ids(&c).await, ["f9c2", "0a17", "7be4"]);
}

#[tokio::test]
async fn the_accounts_own_message_is_an_operator_reply_not_a_client_message() {
    let e = env().await;
    let chat = e.sandbox_chat().await;
    // An echo without an open conversation opens nothing.
    assert!(matches!(
        e.process(&e.text(&chat, "m0", ACCOUNT, T - 60, "Закрыто")).await,
        Outcome::Ignored(_)
    ));
    assert!(
        e.conversations
            .open_for_chat(&e.tenant, &e.channel, &chat)
            .await
            .expect("read")
            .is_none()
    );

    e.process(&e.text(&chat, "m1", CLIENT, T, "Есть доставка?")).await;
    assert!(e.open(&chat).await.waiting_since.is_some());
    e.process(&e.text(&chat, "m2", ACCOUNT, T + 60, "Да, есть")).await;
    let c = e.open(&chat).await;
    assert_eq!(c.waiting_since, None, "answered from the Avito app");
    let messages = e.messages(&c).await;
    assert_eq!(
        messages.iter().map(|m| m.author.clone()).collect::<Vec<_>>(),
        [Author::Client, Author::Account]
    );
}

#[tokio::test]
async fn every_message_type_is_kept() {
    let e = env().await;
    let chat = e.sandbox_chat().await;
    let cases = [
        ("text", json!({"text": "привет"})),
        (
            "image",
            json!({"image": {"sizes": {"140x105": "https://i/s.jpg", "1280x960": "https://i/l.jpg"}}}),
        ),
        ("voice", json!({"voice": {"voice_id": "v1"}})),
        (
            "location",
            json!({"location": {"lat": 55.7, "lon": 37.6, "text": "Москва"}}),
        ),
        ("deleted", json!({})),
        ("video", json!({})),
        ("hologram", json!({"hologram": {}})),
    ];
    for (i, (kind, content)) in cases.iter().enumerate() {
        e.process(&e.event(&chat, &format!("m{i}"), CLIENT, T + i as i64, kind, content.clone()))
            .await;
    }
    let c = e.open(&chat).await;
    let contents: Vec<Content> = e.messages(&c).await.into_iter().map(|m| m.content).collect();
    assert_eq!(
        contents[1],
        Content::Image {
            url: Some("https://i/l.jpg".into())
        },
        "the largest size"
    );
    assert_eq!(
        contents[2],
        Content::Voice {
            voice_id: Some("v1".into())
        }
    );
    assert_eq!(contents[4], Content::Deleted);
    assert_eq!(
        contents[5],
        Content::Unsupported {
            avito_type: "video".into()
        }
    );
    assert_eq!(
        contents[6],
        Content::Unsupported {
            avito_type: "hologram".into()
        }
    );
}

#[tokio::test]
async fn the_channels_receiver_decides_where_a_new_conversation_goes() {
    let e = env().await;
    let group = domain::directory::GroupDraft {
        name: "Продажи".into(),
        members: vec![],
    }
    .validate(domain::ids::GroupId::parse("sales").expect("id"))
    .expect("group");
    e.config.create(&e.tenant, &group).await.expect("group");
    let settings = domain::settings::ChannelSettingsDoc {
        working_time: domain::settings::WorkingTimeDoc {
            receiver: Some(domain::settings::ReceiverDoc {
                kind: "group".into(),
                group_id: Some("sales".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
    .validate(domain::directory::ChannelKind::Avito)
    .expect("settings");
    e.config
        .put_channel_settings(&e.tenant, &e.channel, &settings)
        .await
        .expect("saved");
    // Round the clock, so that the test does not depend on when it runs.
    e.schedule(true).await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    assert_eq!(
        e.open(&chat).await.handler,
        Handler::GroupQueue {
            group_id: domain::ids::GroupId::parse("sales").expect("id")
        }
    );
}

#[tokio::test]
async fn after_closing_a_new_client_message_opens_a_new_conversation_with_the_same_client() {
    let e = env().await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Первый вопрос")).await;
    let first = e
        .conversations
        .open_for_chat(&e.tenant, &e.channel, &chat)
        .await
        .expect("read")
        .expect("open");
    let mut closed = first.value.clone();
    closed.status = ConversationStatus::Closed;
    e.conversations.close(&e.tenant, &first, &closed).await.expect("closed");
    let outcome = e.process(&e.text(&chat, "m2", CLIENT, T + 3600, "Второй вопрос")).await;
    assert!(matches!(outcome, Outcome::Stored { opened: true, .. }), "{outcome:?}");
    let second = e.open(&chat).await;
    assert_ne!(second.id, first.value.id);
    assert_eq!(second.client, first.value.client);
    assert_eq!(e.ids(&second).await, ["m2"]);
}

#[tokio::test]
async fn webhooks_for_a_disconnected_channel_or_another_account_change_nothing() {
    let e = env().await;
    let chat = e.sandbox_chat().await;
    let mut other_account = e.text(&chat, "m1", CLIENT, T, "x");
    if let InboundEvent::Messenger { webhook, .. } = &mut other_account {
        webhook["payload"]["value"]["user_id"] = json!(999);
    }
    assert!(matches!(e.process(&other_account).await, Outcome::Ignored(_)));
    let mut channel = e
        .config
        .get::<domain::directory::Channel>(&e.tenant, "ch")
        .await
        .expect("read")
        .expect("exists");
    channel.value.status = ChannelStatus::Disconnected;
    e.config
        .replace(&e.tenant, &channel.value, channel.version)
        .await
        .expect("saved");
    assert!(matches!(
        e.process(&e.text(&chat, "m2", CLIENT, T, "x")).await,
        Outcome::Ignored(_)
    ));
    assert!(
        e.conversations
            .open_for_chat(&e.tenant, &e.channel, &chat)
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn an_unknown_sender_gets_a_guest_card_and_keeps_it_in_later_conversations() {
    let e = env().await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    let first = e.open(&chat).await;
    let card_id = first.client.card_id.clone().expect("a guest card");
    let card = e
        .config
        .get::<ClientCard>(&e.tenant, card_id.as_str())
        .await
        .expect("read")
        .expect("the card exists")
        .value;
    assert_eq!(
        (card.kind, card.name.as_deref(), card.avito_user_ids.as_slice()),
        (CardKind::Guest, Some("Иван"), [CLIENT].as_slice())
    );

    let other_chat = e.sandbox_chat_of(CLIENT + 1, "Пётр").await;
    e.process(&e.text(&other_chat, "m2", CLIENT + 1, T, "Добрый день"))
        .await;
    let other = e.open(&other_chat).await;
    let other_card = other.client.card_id.expect("a guest card");
    assert_ne!(other_card, card_id, "another client gets their own card");

    // The known client writing again (after a repeat of the first message) keeps their card.
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    assert_eq!(e.open(&chat).await.client.card_id, Some(card_id.clone()));
}

#[tokio::test]
async fn two_workers_racing_to_make_a_card_leave_one() {
    let e = env().await;
    let card = |id: &str| ClientCard {
        id: ClientCardId::parse(id).expect("id"),
        kind: CardKind::Guest,
        name: None,
        avito_user_ids: vec![CLIENT],
        phones: Vec::new(),
        emails: Vec::new(),
        created_at: chrono::DateTime::UNIX_EPOCH,
    };
    let (first, second) = (card("a1"), card("b2"));
    let (a, b) = tokio::join!(
        e.config.link_card(&e.tenant, CLIENT, &first),
        e.config.link_card(&e.tenant, CLIENT, &second)
    );
    let (a, b) = (a.expect("linked"), b.expect("linked"));
    assert_eq!(a, b, "both workers see the same card");
    let loser = if a.as_str() == "a1" { "b2" } else { "a1" };
    assert!(
        e.config
            .get::<ClientCard>(&e.tenant, loser)
            .await
            .expect("read")
            .is_none(),
        "the losing card is not left behind"
    );
}
