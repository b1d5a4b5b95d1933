use super::*;
use crate::validation::Rejection;
use proptest::prelude::*;
use serde_json::{Value, json};

fn validate(kind: ChannelKind, doc: Value) -> Result<ChannelSettings, Vec<String>> {
    let doc: ChannelSettingsDoc = serde_json::from_value(doc).expect("test document deserializes");
    doc.validate(kind).map_err(|e| match e {
        Rejection::Invalid(errors) => errors.fields().into_iter().map(str::to_owned).collect(),
        Rejection::Conflict(conflict) => vec![conflict.code.as_str().to_owned()],
    })
}

fn failing(kind: ChannelKind, doc: Value) -> Vec<String> {
    validate(kind, doc).err().unwrap_or_default()
}

fn full_document() -> Value {
    json!({
        "working_time": {
            "receiver": {"type": "chatbot", "chatbot_id": "bot-1", "fallback": {"type": "group", "group_id": "sales"}},
            "auto_replies": [
                {"text": "Здравствуйте! Оператор скоро ответит.", "delay_seconds": 0},
                {"text": "Мы не забыли о вас.", "delay_seconds": 300}
            ],
            "only_responses_with_message": true
        },
        "non_working_time": {
            "chatbot": null,
            "auto_replies": [{"text": "Мы работаем с 9 до 18 по Москве.", "delay_seconds": 10}]
        },
        "closing_message": {"enabled": true, "text": "Спасибо за обращение!"},
        "auto_close_after": {"value": 36, "unit": "hours"}
    })
}

#[test]
fn a_full_document_validates_and_round_trips_unchanged() {
    let settings = validate(ChannelKind::AvitoJobs, full_document()).expect("valid");
    assert_eq!(serde_json::to_value(&settings).expect("serializes"), full_document());
    let stored: ChannelSettings = serde_json::from_value(full_document()).expect("reads back");
    assert_eq!(stored, settings);
}

#[test]
fn an_empty_document_takes_the_defaults() {
    let s = validate(ChannelKind::Avito, json!({})).expect("valid");
    assert_eq!(s, ChannelSettings::default());
    assert_eq!(s.auto_close_after.duration(), TimeDelta::days(4));
    assert_eq!(s.receiver, None);
}

#[test]
fn closing_message_is_counted_in_characters_not_bytes() {
    let at_limit = "я".repeat(250); // 500 bytes
    let doc = json!({"closing_message": {"enabled": true, "text": at_limit}});
    assert!(validate(ChannelKind::Avito, doc).is_ok());
    let over = json!({"closing_message": {"enabled": true, "text": "я".repeat(251)}});
    assert_eq!(failing(ChannelKind::Avito, over), ["closing_message.text"]);
    // Over the limit even when switched off: the text is kept and would be sent once switched on.
    let off = json!({"closing_message": {"enabled": false, "text": "я".repeat(251)}});
    assert_eq!(failing(ChannelKind::Avito, off), ["closing_message.text"]);
}

#[test]
fn an_enabled_closing_message_needs_text() {
    assert_eq!(
        failing(
            ChannelKind::Avito,
            json!({"closing_message": {"enabled": true, "text": "  "}})
        ),
        ["closing_message.text"]
    );
    assert!(
        validate(
            ChannelKind::Avito,
            json!({"closing_message": {"enabled": false, "text": ""}})
        )
        .is_ok()
    );
}

#[test]
fn receiver_validation_table() {
    let table: [(Value, &[&str]); 9] = [
        (json!({"type": "employee", "employee_id": "e1"}), &[]),
        (json!({"type": "group", "group_id": "g1"}), &[]),
        (
            json!({"type": "chatbot", "chatbot_id": "b1", "fallback": {"type": "employee", "employee_id": "e1"}}),
            &[],
        ),
        (
            json!({"type": "chatbot", "chatbot_id": "b1"}),
            &["working_time.receiver.fallback"],
        ),
        (
            json!({"type": "chatbot", "chatbot_id": "b1", "fallback": {"type": "chatbot", "chatbot_id": "b2"}}),
            &["working_time.receiver.fallback.type"],
        ),
        (json!({"type": "employee"}), &["working_time.receiver.employee_id"]),
        (
            json!({"type": "group", "group_id": "g#1"}),
            &["working_time.receiver.group_id"],
        ),
        (
            json!({"type": "operator", "employee_id": "e1"}),
            &["working_time.receiver.type"],
        ),
        (
            json!({"type": "chatbot", "fallback": {"type": "group"}}),
            &[
                "working_time.receiver.chatbot_id",
                "working_time.receiver.fallback.group_id",
            ],
        ),
    ];
    for (receiver, expected) in table {
        let got = failing(ChannelKind::Avito, json!({"working_time": {"receiver": receiver}}));
        assert_eq!(got, expected, "{receiver}");
    }
}

#[test]
fn non_working_time_takes_a_chatbot_or_auto_replies_never_both() {
    let both = json!({"non_working_time": {
        "chatbot": {"chatbot_id": "b1", "fallback": {"type": "group", "group_id": "g1"}},
        "auto_replies": [{"text": "Мы закрыты", "delay_seconds": 0}]
    }});
    assert_eq!(failing(ChannelKind::Avito, both), ["non_working_time"]);

    let bot =
        json!({"non_working_time": {"chatbot": {"chatbot_id": "b1", "fallback": {"type": "group", "group_id": "g1"}}}});
    let s = validate(ChannelKind::Avito, bot).expect("valid");
    assert!(matches!(s.non_working_time, NonWorkingTime::Chatbot { .. }));

    let bot_without_fallback = json!({"non_working_time": {"chatbot": {"chatbot_id": "b1"}}});
    assert_eq!(
        failing(ChannelKind::Avito, bot_without_fallback),
        ["non_working_time.chatbot.fallback"]
    );
}

#[test]
fn auto_reply_validation_table() {
    let ok_text = "Ответим в течение часа";
    let table: [(Value, &[&str]); 7] = [
        (
            json!([{"text": ok_text, "delay_seconds": 0}, {"text": ok_text, "delay_seconds": 86_400}]),
            &[],
        ),
        (json!([{"text": "я".repeat(1000), "delay_seconds": 5}]), &[]),
        (
            json!([{"text": "я".repeat(1001), "delay_seconds": 5}]),
            &["working_time.auto_replies[0].text"],
        ),
        (
            json!([{"text": " ", "delay_seconds": 5}]),
            &["working_time.auto_replies[0].text"],
        ),
        (
            json!([{"text": ok_text, "delay_seconds": -1}]),
            &["working_time.auto_replies[0].delay_seconds"],
        ),
        (
            json!([{"text": ok_text, "delay_seconds": 86_401}]),
            &["working_time.auto_replies[0].delay_seconds"],
        ),
        (
            json!([{"text": ok_text, "delay_seconds": 600}, {"text": ok_text, "delay_seconds": 60}]),
            &["working_time.auto_replies[1].delay_seconds"],
        ),
    ];
    for (list, expected) in table {
        assert_eq!(
            failing(ChannelKind::Avito, json!({"working_time": {"auto_replies": list}})),
            expected,
            "{list}"
        );
    }
    let eleven: Vec<_> = (0..11).map(|i| json!({"text": ok_text, "delay_seconds": i})).collect();
    assert_eq!(
        failing(ChannelKind::Avito, json!({"working_time": {"auto_replies": eleven}})),
        ["working_time.auto_replies"]
    );
}

#[test]
fn auto_close_validation_table() {
    let table: [(Value, &[&str]); 7] = [
        (json!({"value": 4, "unit": "days"}), &[]),
        (json!({"value": 1, "unit": "hours"}), &[]),
        (json!({"value": 365, "unit": "days"}), &[]),
        (json!({"value": 8760, "unit": "hours"}), &[]),
        (json!({"value": 0, "unit": "days"}), &["auto_close_after.value"]),
        (json!({"value": -3, "unit": "hours"}), &["auto_close_after.value"]),
        (json!({"value": 366, "unit": "days"}), &["auto_close_after.value"]),
    ];
    for (value, expected) in table {
        assert_eq!(
            failing(ChannelKind::Avito, json!({"auto_close_after": value})),
            expected,
            "{value}"
        );
    }
}

#[test]
fn only_responses_with_message_is_for_jobs_channels() {
    let doc = json!({"working_time": {"only_responses_with_message": true}});
    assert!(validate(ChannelKind::AvitoJobs, doc.clone()).is_ok());
    // Alone it conflicts with the channel's kind; beside invalid values it is one of the fields.
    assert_eq!(failing(ChannelKind::Avito, doc), ["jobs_only"]);
    let doc = json!({"working_time": {"only_responses_with_message": true}, "auto_close_after": {"value": 0, "unit": "days"}});
    assert_eq!(
        failing(ChannelKind::Avito, doc),
        ["auto_close_after.value", "working_time.only_responses_with_message"]
    );
}

#[test]
fn a_receiver_takes_only_the_fields_of_its_type() {
    let doc = json!({"working_time": {"receiver": {"type": "employee", "employee_id": "e1", "group_id": "g1",
        "fallback": {"type": "group", "group_id": "g1"}}}});
    assert_eq!(
        failing(ChannelKind::Avito, doc),
        ["working_time.receiver.group_id", "working_time.receiver.fallback"]
    );
    let doc = json!({"working_time": {"receiver": {"type": "chatbot", "chatbot_id": "b1",
        "fallback": {"type": "group", "group_id": "g1", "chatbot_id": "b2"}}}});
    assert_eq!(
        failing(ChannelKind::Avito, doc),
        ["working_time.receiver.fallback.chatbot_id"]
    );
    let nulls = json!({"working_time": {"receiver": {"type": "group", "group_id": "g1", "employee_id": null, "fallback": null}}});
    assert!(validate(ChannelKind::Avito, nulls).is_ok());
}

#[test]
fn every_failing_field_is_named_at_once() {
    let doc = json!({
        "working_time": {"receiver": {"type": "chatbot", "chatbot_id": "b1"}},
        "non_working_time": {"chatbot": {"chatbot_id": "b1"}, "auto_replies": [{"text": "x", "delay_seconds": 1}]},
        "closing_message": {"enabled": true, "text": "я".repeat(251)},
        "auto_close_after": {"value": 0, "unit": "days"}
    });
    assert_eq!(
        failing(ChannelKind::Avito, doc),
        [
            "working_time.receiver.fallback",
            "non_working_time",
            "closing_message.text",
            "auto_close_after.value"
        ]
    );
}

#[test]
fn references_name_the_fields_that_point_at_other_entities() {
    let s = validate(ChannelKind::AvitoJobs, full_document()).expect("valid");
    let refs = s.references();
    assert_eq!(
        refs.chatbots
            .iter()
            .map(|(f, id)| (f.as_str(), id.as_str()))
            .collect::<Vec<_>>(),
        [("working_time.receiver.chatbot_id", "bot-1")]
    );
    assert_eq!(
        refs.groups
            .iter()
            .map(|(f, id)| (f.as_str(), id.as_str()))
            .collect::<Vec<_>>(),
        [("working_time.receiver.fallback.group_id", "sales")]
    );
    assert!(refs.employees.is_empty());
}

proptest! {
    #[test]
    fn closing_text_is_accepted_exactly_up_to_250_characters(n in 0usize..400, cyrillic in any::<bool>()) {
        let text = if cyrillic { "ж".repeat(n) } else { "z".repeat(n) };
        let doc = json!({"closing_message": {"enabled": false, "text": text}});
        prop_assert_eq!(validate(ChannelKind::Avito, doc).is_ok(), n <= 250);
    }

    #[test]
    fn valid_auto_reply_lists_round_trip(delays in prop::collection::vec(0i64..=86_400, 0..=10), text in "[а-яА-Я0-9 ,.!?]{1,50}") {
        prop_assume!(!text.trim().is_empty());
        let mut sorted = delays.clone();
        sorted.sort_unstable();
        let list: Vec<_> = sorted.iter().map(|d| json!({"text": text, "delay_seconds": d})).collect();
        let doc = json!({"working_time": {"receiver": null, "auto_replies": list, "only_responses_with_message": false},
            "non_working_time": {"chatbot": null, "auto_replies": []},
            "closing_message": {"enabled": false, "text": ""}, "auto_close_after": {"value": 4, "unit": "days"}});
        let s = validate(ChannelKind::Avito, doc.clone());
        prop_assert!(s.is_ok());
        prop_assert_eq!(serde_json::to_value(s.expect("checked")).expect("serializes"), doc);
    }
}
