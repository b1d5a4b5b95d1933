//! The domain's hot paths, with criterion (`make bench` runs them): is this instant working time,
//! where does a new conversation go, and validating a whole channel-settings document.

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use domain::directory::ChannelKind;
use domain::distribution::DistributionSettings;
use domain::ids::EmployeeId;
use domain::routing::{OperatorLoad, RoutingInput, route_new_conversation};
use domain::schedule::WorkingSchedule;
use domain::settings::ChannelSettingsDoc;
use std::hint::black_box;

fn schedule() -> WorkingSchedule {
    let day = serde_json::json!([{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}]);
    serde_json::from_value(serde_json::json!({
        "time_zone": "Europe/Moscow",
        "weekly": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day,
                   "saturday": [{"start": "10:00", "end": "16:00"}], "sunday": []},
        "holidays": [{"date": "2026-12-31"}, {"date": "2027-01-01", "name": "Новый год"}, {"date": "2027-01-02"}]
    }))
    .expect("a valid schedule")
}

fn settings_doc() -> serde_json::Value {
    serde_json::json!({
        "working_time": {
            "receiver": {"type": "group", "group_id": "sales"},
            "auto_replies": [
                {"text": "Здравствуйте! Оператор скоро ответит.", "delay_seconds": 0},
                {"text": "Извините за ожидание, мы уже читаем ваше сообщение.", "delay_seconds": 120},
                {"text": "Всё ещё ищем ответ, спасибо за терпение.", "delay_seconds": 600}
            ]
        },
        "non_working_time": {"auto_replies": [{"text": "Мы откроемся завтра в 9:00.", "delay_seconds": 0}]},
        "closing_message": {"enabled": true, "text": "Спасибо за обращение!"},
        "auto_close_after": {"value": 4, "unit": "days"}
    })
}

fn hot_paths(c: &mut Criterion) {
    let schedule = schedule();
    let start: DateTime<Utc> = "2026-11-25T06:00:00Z".parse().expect("instant");
    let mut minutes = 0i64;
    c.bench_function("schedule: is working time", |b| {
        b.iter(|| {
            minutes = (minutes + 37) % (7 * 24 * 60);
            black_box(schedule.is_working_at(start + TimeDelta::minutes(minutes)))
        })
    });

    let settings = serde_json::from_value::<ChannelSettingsDoc>(settings_doc())
        .expect("a settings document")
        .validate(ChannelKind::Avito)
        .expect("valid settings");
    let distribution: DistributionSettings =
        serde_json::from_value(serde_json::json!({"mode": "auto_assign", "capacity_per_operator": 8}))
            .expect("distribution");
    let operators: Vec<OperatorLoad> = (0..20)
        .map(|i| OperatorLoad {
            employee: EmployeeId::parse(format!("op-{i}")).expect("id"),
            online: i % 3 != 0,
            open_conversations: (i * 7 % 9) as u32,
            last_assigned_at: Some(start - TimeDelta::minutes(i)),
        })
        .collect();
    c.bench_function("routing: a new conversation among 20 operators", |b| {
        b.iter(|| {
            black_box(route_new_conversation(RoutingInput {
                settings: &settings,
                working_time: true,
                chatbot_available: true,
                distribution: &distribution,
                operators: &operators,
            }))
        })
    });

    let doc = settings_doc();
    c.bench_function("settings: validate a whole document", |b| {
        b.iter(|| {
            let parsed: ChannelSettingsDoc = serde_json::from_value(doc.clone()).expect("document");
            black_box(parsed.validate(ChannelKind::Avito))
        })
    });
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
