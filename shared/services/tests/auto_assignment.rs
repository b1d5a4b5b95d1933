//! Auto-assignment (R-CS2): with the distribution set to auto-assign, a group's new conversation
//! goes to an online member under capacity, the least loaded first; with nobody available it waits
//! in the group's queue.

mod support;

use domain::conversation::Handler;
use domain::directory::{EmployeeDraft, GroupDraft, Presence};
use domain::distribution::{DistributionDoc, DistributionSettings};
use domain::ids::{EmployeeId, GroupId};
use serde_json::json;
use support::{CLIENT, Env, T, env};

fn id(s: &str) -> EmployeeId {
    EmployeeId::parse(s).expect("id")
}

async fn team(e: &Env, capacity: i64) {
    for (name, full_name) in [("anna", "Анна Петрова"), ("boris", "Борис Иванов")] {
        let employee = EmployeeDraft {
            name: full_name.into(),
            ..Default::default()
        }
        .validate(id(name))
        .expect("employee");
        e.config.create(&e.tenant, &employee).await.expect("stored");
    }
    let group = GroupDraft {
        name: "Продажи".into(),
        members: vec!["anna".into(), "boris".into()],
    }
    .validate(GroupId::parse("sales").expect("id"))
    .expect("group");
    e.config.create(&e.tenant, &group).await.expect("stored");
    let distribution = DistributionSettings::try_from(DistributionDoc {
        mode: "auto_assign".into(),
        capacity_per_operator: capacity,
        answer_wait_seconds: None,
    })
    .expect("valid");
    e.config
        .put_distribution(&e.tenant, &distribution)
        .await
        .expect("saved");
    e.settings(json!({"working_time": {"receiver": {"type": "group", "group_id": "sales"}}}))
        .await;
    e.schedule(true).await;
}

async fn online(e: &Env, name: &str, online: bool) {
    e.config
        .put_presence(
            &e.tenant,
            &id(name),
            &Presence {
                online,
                ..Presence::default()
            },
        )
        .await
        .expect("saved");
}

/// A new conversation from a new chat; returns who has it.
async fn new_conversation(e: &Env, n: i64) -> Handler {
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, &format!("m{n}"), CLIENT, T + n, "Здравствуйте"))
        .await;
    e.open(&chat).await.handler
}

#[tokio::test]
async fn conversations_go_to_online_operators_least_loaded_first_and_wait_when_nobody_can_take_them() {
    let e = env().await;
    team(&e, 2).await;
    let operator = |name: &str| Handler::Operator { employee_id: id(name) };
    let queue = Handler::GroupQueue {
        group_id: GroupId::parse("sales").expect("id"),
    };

    // Nobody online: the group's queue.
    assert_eq!(new_conversation(&e, 1).await, queue);
    // Only Anna online: to her, up to her capacity of 2.
    online(&e, "anna", true).await;
    assert_eq!(new_conversation(&e, 2).await, operator("anna"));
    assert_eq!(new_conversation(&e, 3).await, operator("anna"));
    assert_eq!(new_conversation(&e, 4).await, queue, "Anna is at capacity");
    // Boris comes online: the least loaded gets the next ones.
    online(&e, "boris", true).await;
    assert_eq!(new_conversation(&e, 5).await, operator("boris"));
    assert_eq!(new_conversation(&e, 6).await, operator("boris"));
    assert_eq!(new_conversation(&e, 7).await, queue, "everyone at capacity");
    // Boris goes offline: nothing more for him even though Anna is full.
    online(&e, "boris", false).await;
    assert_eq!(new_conversation(&e, 8).await, queue);
}

async fn due_jobs(e: &Env) -> Vec<services::timed::TimedJob> {
    e.timers
        .take_due("2100-01-01T00:00:00Z".parse().expect("instant"), 100)
        .await
        .expect("timers")
        .into_iter()
        .map(|j| serde_json::from_str(&j.payload).expect("a scheduled job"))
        .collect()
}

#[tokio::test]
async fn an_unanswered_assignment_passes_to_the_next_operator_then_back_to_the_queue() {
    use services::timed::TimedJob;
    let e = env().await;
    team(&e, 5).await;
    let distribution = DistributionSettings::try_from(DistributionDoc {
        mode: "auto_assign".into(),
        capacity_per_operator: 5,
        answer_wait_seconds: Some(60),
    })
    .expect("valid");
    e.config
        .put_distribution(&e.tenant, &distribution)
        .await
        .expect("saved");
    online(&e, "anna", true).await;
    online(&e, "boris", true).await;
    let operator = |name: &str| Handler::Operator { employee_id: id(name) };

    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    assert_eq!(e.open(&chat).await.handler, operator("anna"));
    let jobs = due_jobs(&e).await;
    let [TimedJob::AnswerWait(first)] = &jobs[..] else {
        panic!("one answer wait: {jobs:?}")
    };

    // Anna lets it wait: Boris gets it; the same firing again changes nothing.
    assert_eq!(
        TimedJob::AnswerWait(first.clone())
            .fire(&e.processor.ports)
            .await
            .expect("fired"),
        "ToOperator(EmployeeId(\"boris\"))"
    );
    assert_eq!(e.open(&chat).await.handler, operator("boris"));
    let again = TimedJob::AnswerWait(first.clone())
        .fire(&e.processor.ports)
        .await
        .expect("fired again");
    assert!(again.starts_with("Skipped"), "{again}");
    // Boris lets it wait too: nobody untried is left, so back to the queue.
    let jobs = due_jobs(&e).await;
    let [TimedJob::AnswerWait(second)] = &jobs[..] else {
        panic!("Boris's answer wait: {jobs:?}")
    };
    assert_eq!(second.tried, [id("anna")]);
    assert_eq!(
        TimedJob::AnswerWait(second.clone())
            .fire(&e.processor.ports)
            .await
            .expect("fired"),
        "ToQueue"
    );
    assert_eq!(
        e.open(&chat).await.handler,
        Handler::GroupQueue {
            group_id: GroupId::parse("sales").expect("id")
        }
    );
    // The notes name the operators as people know them.
    let notes: Vec<String> = e
        .messages(&e.open(&chat).await)
        .await
        .into_iter()
        .filter_map(|m| match m.content {
            domain::conversation::Content::System { text: Some(t), .. } if t.contains("вовремя") => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        [
            "Оператор Анна Петрова не ответил вовремя: обращение передано оператору Борис Иванов",
            "Оператор Борис Иванов не ответил вовремя: обращение вернулось в очередь",
        ]
    );
}

#[tokio::test]
async fn an_assignment_answered_in_time_stays() {
    use services::timed::TimedJob;
    let e = env().await;
    team(&e, 5).await;
    let distribution = DistributionSettings::try_from(DistributionDoc {
        mode: "auto_assign".into(),
        capacity_per_operator: 5,
        answer_wait_seconds: Some(60),
    })
    .expect("valid");
    e.config
        .put_distribution(&e.tenant, &distribution)
        .await
        .expect("saved");
    online(&e, "anna", true).await;
    let chat = e.sandbox_chat().await;
    e.process(&e.text(&chat, "m1", CLIENT, T, "Здравствуйте")).await;
    e.process(&e.text(&chat, "m2", support::ACCOUNT, T + 30, "Добрый день!"))
        .await;
    for job in due_jobs(&e).await {
        if let TimedJob::AnswerWait(_) = job {
            let outcome = job.fire(&e.processor.ports).await.expect("fired");
            assert!(outcome.starts_with("Skipped"), "{outcome}");
        }
    }
    assert_eq!(
        e.open(&chat).await.handler,
        Handler::Operator {
            employee_id: id("anna")
        }
    );
}
