use super::*;
use crate::directory::ChannelKind;
use crate::distribution::DistributionDoc;
use crate::settings::ChannelSettingsDoc;
use serde_json::{Value, json};

fn settings(doc: Value) -> ChannelSettings {
    let doc: ChannelSettingsDoc = serde_json::from_value(doc).expect("test document deserializes");
    doc.validate(ChannelKind::Avito).expect("valid settings")
}

fn distribution(mode: &str, capacity: i64) -> DistributionSettings {
    DistributionSettings::try_from(DistributionDoc {
        mode: mode.into(),
        capacity_per_operator: capacity,
        answer_wait_seconds: Some(60),
    })
    .expect("valid distribution")
}

fn id<T: TryFrom<String>>(s: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(s.to_owned()).expect("valid id")
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("test instant parses")
}

fn op(name: &str, online: bool, open: u32, last: Option<&str>) -> OperatorLoad {
    OperatorLoad {
        employee: id(name),
        online,
        open_conversations: open,
        last_assigned_at: last.map(at),
    }
}

const AUTO: &str = "auto_assign";
const QUEUE: &str = "queue";

fn team() -> Vec<OperatorLoad> {
    vec![
        op("anna", true, 2, None),
        op("boris", true, 1, Some("2026-11-25T09:00:00Z")),
        op("vera", false, 0, None),
    ]
}

#[test]
fn routing_table() {
    let group = json!({"working_time": {"receiver": {"type": "group", "group_id": "sales"}, "auto_replies": [{"text": "Скоро ответим", "delay_seconds": 30}]}});
    let employee = json!({"working_time": {"receiver": {"type": "employee", "employee_id": "anna"}}});
    let bot = json!({"working_time": {"receiver": {"type": "chatbot", "chatbot_id": "bot", "fallback": {"type": "group", "group_id": "sales"}}}});
    let night_bot = json!({"working_time": {"receiver": {"type": "group", "group_id": "sales"}},
        "non_working_time": {"chatbot": {"chatbot_id": "night", "fallback": {"type": "employee", "employee_id": "vera"}}}});
    let night_replies = json!({"working_time": {"receiver": {"type": "group", "group_id": "sales"}},
        "non_working_time": {"auto_replies": [{"text": "Мы закрыты", "delay_seconds": 0}]}});
    let nobody = json!({});

    let bot_target = || RoutingTarget::Chatbot {
        chatbot: id("bot"),
        fallback: Fallback::Group(id("sales")),
    };
    let night_target = || RoutingTarget::Chatbot {
        chatbot: id("night"),
        fallback: Fallback::Employee(id("vera")),
    };
    // (settings, working, bot available, mode, operators, expected target, expected auto-replies)
    type Row<'a> = (
        &'a Value,
        bool,
        bool,
        &'a str,
        Vec<OperatorLoad>,
        RoutingTarget,
        AutoReplySet,
    );
    let table: Vec<Row> = vec![
        (
            &group,
            true,
            true,
            QUEUE,
            team(),
            RoutingTarget::GroupQueue(id("sales")),
            AutoReplySet::WorkingTime,
        ),
        (
            &group,
            true,
            true,
            AUTO,
            team(),
            RoutingTarget::Operator(id("boris")),
            AutoReplySet::WorkingTime,
        ),
        (
            &group,
            true,
            true,
            AUTO,
            vec![op("vera", false, 0, None)],
            RoutingTarget::GroupQueue(id("sales")),
            AutoReplySet::WorkingTime,
        ),
        (
            &group,
            true,
            true,
            AUTO,
            vec![op("anna", true, 10, None)],
            RoutingTarget::GroupQueue(id("sales")),
            AutoReplySet::WorkingTime,
        ),
        (
            &employee,
            true,
            true,
            AUTO,
            team(),
            RoutingTarget::Operator(id("anna")),
            AutoReplySet::None,
        ),
        (
            &employee,
            false,
            true,
            QUEUE,
            team(),
            RoutingTarget::Operator(id("anna")),
            AutoReplySet::None,
        ),
        (&bot, true, true, AUTO, team(), bot_target(), AutoReplySet::None),
        (
            &bot,
            true,
            false,
            QUEUE,
            team(),
            RoutingTarget::GroupQueue(id("sales")),
            AutoReplySet::None,
        ),
        (
            &bot,
            true,
            false,
            AUTO,
            team(),
            RoutingTarget::Operator(id("boris")),
            AutoReplySet::None,
        ),
        (
            &night_bot,
            true,
            true,
            QUEUE,
            team(),
            RoutingTarget::GroupQueue(id("sales")),
            AutoReplySet::None,
        ),
        (
            &night_bot,
            false,
            true,
            QUEUE,
            team(),
            night_target(),
            AutoReplySet::None,
        ),
        (
            &night_bot,
            false,
            false,
            QUEUE,
            team(),
            RoutingTarget::Operator(id("vera")),
            AutoReplySet::None,
        ),
        (
            &night_replies,
            false,
            true,
            QUEUE,
            team(),
            RoutingTarget::GroupQueue(id("sales")),
            AutoReplySet::NonWorkingTime,
        ),
        (
            &night_replies,
            true,
            true,
            QUEUE,
            team(),
            RoutingTarget::GroupQueue(id("sales")),
            AutoReplySet::None,
        ),
        (
            &group,
            false,
            true,
            QUEUE,
            team(),
            RoutingTarget::GroupQueue(id("sales")),
            AutoReplySet::None,
        ),
        (
            &nobody,
            true,
            true,
            AUTO,
            team(),
            RoutingTarget::GeneralQueue,
            AutoReplySet::None,
        ),
    ];
    for (i, (doc, working, bot_ok, mode, operators, target, replies)) in table.into_iter().enumerate() {
        let s = settings(doc.clone());
        let d = distribution(mode, 10);
        let decision = route_new_conversation(RoutingInput {
            settings: &s,
            working_time: working,
            chatbot_available: bot_ok,
            distribution: &d,
            operators: &operators,
        });
        assert_eq!(
            decision,
            RoutingDecision {
                target,
                auto_replies: replies
            },
            "row {i}"
        );
    }
}

#[test]
fn the_group_to_consult_is_the_one_the_decision_may_assign_within() {
    let bot = settings(
        json!({"working_time": {"receiver": {"type": "chatbot", "chatbot_id": "bot", "fallback": {"type": "group", "group_id": "support"}}}}),
    );
    assert_eq!(group_to_consult(&bot, true, true), None);
    assert_eq!(group_to_consult(&bot, true, false), Some(id("support")));
    let night = settings(
        json!({"working_time": {"receiver": {"type": "group", "group_id": "sales"}},
        "non_working_time": {"chatbot": {"chatbot_id": "night", "fallback": {"type": "group", "group_id": "night-shift"}}}}),
    );
    assert_eq!(group_to_consult(&night, true, true), Some(id("sales")));
    assert_eq!(group_to_consult(&night, false, true), None);
    assert_eq!(group_to_consult(&night, false, false), Some(id("night-shift")));
}

#[test]
fn auto_assignment_is_fair_least_loaded_then_longest_waiting_then_by_id() {
    let d = distribution(AUTO, 5);
    let ops = vec![
        op("b", true, 1, Some("2026-11-25T09:00:00Z")),
        op("a", true, 1, Some("2026-11-25T09:00:00Z")),
        op("c", true, 1, Some("2026-11-25T08:00:00Z")),
        op("d", true, 0, Some("2026-11-25T09:30:00Z")),
    ];
    assert_eq!(pick_operator(&d, &ops, &[]), Some(id("d")));
    assert_eq!(pick_operator(&d, &ops, &[id("d")]), Some(id("c")));
    assert_eq!(pick_operator(&d, &ops, &[id("d"), id("c")]), Some(id("a")));
    let never = vec![op("z", true, 1, Some("2026-11-25T08:00:00Z")), op("y", true, 1, None)];
    assert_eq!(pick_operator(&d, &never, &[]), Some(id("y")));
}

#[test]
fn a_conversation_left_unanswered_passes_to_the_next_operator_or_back_to_the_queue() {
    let d = distribution(AUTO, 5);
    let ops = vec![op("a", true, 0, None), op("b", true, 1, None), op("c", false, 0, None)];
    assert_eq!(
        reassign_after_answer_wait(&id("g"), &d, &ops, &[id("a")]),
        RoutingTarget::Operator(id("b"))
    );
    assert_eq!(
        reassign_after_answer_wait(&id("g"), &d, &ops, &[id("a"), id("b")]),
        RoutingTarget::GroupQueue(id("g"))
    );
    assert_eq!(
        answer_deadline(at("2026-11-25T10:00:00Z"), &d),
        Some(at("2026-11-25T10:01:00Z"))
    );
}

#[test]
fn the_auto_reply_set_names_the_list_to_plan() {
    let s = settings(
        json!({"working_time": {"auto_replies": [{"text": "Днём", "delay_seconds": 5}]},
        "non_working_time": {"auto_replies": [{"text": "Ночью", "delay_seconds": 0}]}}),
    );
    let text = |set| auto_replies_for(&s, set).map(|l| l.as_slice()[0].text.as_str().to_owned());
    assert_eq!(text(AutoReplySet::WorkingTime).as_deref(), Some("Днём"));
    assert_eq!(text(AutoReplySet::NonWorkingTime).as_deref(), Some("Ночью"));
    assert_eq!(auto_replies_for(&s, AutoReplySet::None), None);
}

#[test]
fn the_auto_reply_set_for_a_waiting_period_follows_the_schedule() {
    let s = settings(
        json!({"working_time": {"auto_replies": [{"text": "Днём", "delay_seconds": 5}]},
        "non_working_time": {"auto_replies": [{"text": "Ночью", "delay_seconds": 0}]}}),
    );
    assert_eq!(auto_reply_set_for_waiting(&s, true, false), AutoReplySet::WorkingTime);
    assert_eq!(
        auto_reply_set_for_waiting(&s, false, false),
        AutoReplySet::NonWorkingTime
    );
    assert_eq!(auto_reply_set_for_waiting(&s, true, true), AutoReplySet::None);
    let day_only = settings(json!({"working_time": {"auto_replies": [{"text": "Днём", "delay_seconds": 5}]}}));
    assert_eq!(auto_reply_set_for_waiting(&day_only, false, false), AutoReplySet::None);
}
