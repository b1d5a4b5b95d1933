//! Avito Jobs end to end in local mode (R-J4, R-J2, R-J3): the administrator's action on a Jobs
//! channel and what operators then see. A sandbox candidate responds → the applications webhook
//! (with `X-Secret`) → the queue → the router reads the response from the sandbox → a conversation.

mod common;

use common::{ADMIN, OPERATOR, Server, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A candidate responds to «Курьер»; returns the sandbox's answer.
async fn respond(server: &Server, with_chat: bool) -> Value {
    server
        .sandbox(
            "/accounts/1001/applications",
            json!({"vacancy": {"title": "Курьер"}, "candidate": {"name": "Пётр Сидоров", "phone": "79001234567"},
               "with_chat": with_chat, "resume": {"title": "Курьер на авто", "experience": "3 года"}}),
        )
        .await
}

/// The open conversation of a response, as `token` lists it in `view`, once it appears.
async fn listed(server: &Server, token: &str, view: &str, apply_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, page) = server.get(&format!("/v1/conversations?view={view}"), token).await;
        let found = page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["candidate"]["apply_id"] == apply_id)
            .cloned();
        if let Some(c) = found {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "the response did not appear in {view}; output:\n{}",
            server.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn connected_responses_appear_by_themselves_with_the_candidate_and_a_notification() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_jobs_channel().await;
    let applied = respond(&server, true).await;
    assert_eq!(applied["deliveries"][0]["status"], 200, "{applied}");
    let apply_id = applied["apply_id"].as_str().expect("apply id");

    let c = listed(&server, ADMIN, "queue", apply_id).await;
    assert_eq!(c["handler"]["type"], "general_queue");
    assert_eq!(c["candidate"]["full_name"], "Пётр Сидоров");
    assert_eq!(c["candidate"]["vacancy"]["title"], "Курьер");
    assert_eq!(c["candidate"]["phones"][0], "79001234567");
    assert_eq!(c["candidate"]["resume"]["title"], "Курьер на авто");
    assert_eq!(c["chat_id"], applied["chat_id"]);
    let (status, feed) = server.get("/v1/notifications", OPERATOR).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    assert_eq!(feed["items"][0]["text"], "Отклик на вакансию: Курьер");
    assert_eq!(feed["items"][0]["conversation_id"], c["id"]);
}

#[tokio::test]
async fn with_a_group_chosen_responses_land_in_that_groups_queue() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_jobs_channel().await;
    server.work_round_the_clock("Europe/Moscow").await;
    let (_, group) = server.post("/v1/groups", ADMIN, json!({"name": "Подбор"})).await;
    let (status, body) = server
        .put(
            &format!("/v1/channels/{ch}/settings"),
            ADMIN,
            json!({"working_time": {"receiver": {"type": "group", "group_id": group["id"]}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let applied = respond(&server, true).await;
    let c = listed(&server, ADMIN, "queue", applied["apply_id"].as_str().expect("id")).await;
    assert_eq!(
        (c["handler"]["type"].as_str(), &c["handler"]["group_id"]),
        (Some("group_queue"), &group["id"])
    );
}

#[tokio::test]
async fn with_auto_distribution_on_responses_go_straight_to_an_operator() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_jobs_channel().await;
    server.work_round_the_clock("Europe/Moscow").await;
    let (_, boris) = server
        .post("/v1/employees", ADMIN, json!({"name": "Борис", "user_id": "boris"}))
        .await;
    let (_, group) = server
        .post("/v1/groups", ADMIN, json!({"name": "Подбор", "members": [boris["id"]]}))
        .await;
    for (path, body) in [
        (
            format!("/v1/channels/{ch}/settings"),
            json!({"working_time": {"receiver": {"type": "group", "group_id": group["id"]}}}),
        ),
        (
            "/v1/distribution".to_owned(),
            json!({"mode": "auto_assign", "capacity_per_operator": 5}),
        ),
    ] {
        let (status, answer) = server.put(&path, ADMIN, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    }
    let (status, _) = server.put("/v1/me/presence", OPERATOR, json!({"online": true})).await;
    assert_eq!(status, StatusCode::OK);

    let applied = respond(&server, true).await;
    let c = listed(&server, OPERATOR, "mine", applied["apply_id"].as_str().expect("id")).await;
    assert_eq!(
        (c["handler"]["type"].as_str(), &c["handler"]["employee_id"]),
        (Some("operator"), &boris["id"])
    );

    // Boris's feed: the response (everyone's) and the assignment (his alone), unread.
    let feed = |token: &'static str| {
        let server = &server;
        async move {
            let (status, page) = server.get("/v1/notifications", token).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| (n["text"].as_str().unwrap_or_default().to_owned(), n["unread"] == true))
                .collect::<Vec<_>>()
        }
    };
    let mut his = feed(OPERATOR).await;
    his.sort();
    assert_eq!(
        his,
        vec![
            ("Вам назначено обращение: Пётр Сидоров".to_owned(), true),
            ("Отклик на вакансию: Курьер".to_owned(), true)
        ]
    );
    assert_eq!(
        feed(ADMIN).await.len(),
        1,
        "Anna sees the response, not Boris's assignment"
    );
    let (_, counts) = server.get("/v1/conversations/counts", OPERATOR).await;
    assert_eq!(counts["unread_notifications"], 2, "{counts}");

    // He reads them; he answers; the candidate writes again: one new notification.
    let (status, _) = server.post("/v1/notifications/read", OPERATOR, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(feed(OPERATOR).await.iter().all(|(_, unread)| !unread));
    let id = c["id"].as_str().expect("id");
    let (status, _) = server
        .post(
            &format!("/v1/conversations/{id}/messages"),
            OPERATOR,
            json!({"text": "Здравствуйте! Когда удобно созвониться?", "idempotency_key": "b1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"chat_id": applied["chat_id"], "text": "Завтра после обеда"}),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let unread: Vec<String> = feed(OPERATOR)
            .await
            .into_iter()
            .filter(|(_, unread)| *unread)
            .map(|(text, _)| text)
            .collect();
        if !unread.is_empty() {
            assert_eq!(unread, vec!["Новое сообщение: Пётр Сидоров".to_owned()]);
            break;
        }
        assert!(Instant::now() < deadline, "no notification: {}", server.output());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn after_disconnecting_nothing_new_arrives() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_jobs_channel().await;
    let first = respond(&server, true).await;
    listed(&server, ADMIN, "queue", first["apply_id"].as_str().expect("id")).await;
    let account = reqwest::get(format!("{}/sandbox/_sandbox/accounts/1001", server.base))
        .await
        .expect("account")
        .json::<Value>()
        .await
        .expect("JSON");
    let hook = account["job_webhooks"][0]
        .as_str()
        .expect("applications webhook")
        .to_owned();

    let (status, body) = server
        .post(
            &format!("/v1/channels/{ch}/disconnect"),
            ADMIN,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let later = respond(&server, true).await;
    assert_eq!(later["deliveries"], json!([]), "Avito has no webhook to call any more");
    // Even a delivery that was already on its way changes nothing.
    let late = reqwest::Client::new()
        .post(&hook)
        .header("x-secret", "a-guess")
        .json(&json!({"applyId": later["apply_id"]}))
        .send()
        .await
        .expect("webhook answers");
    assert!(late.status().is_client_error(), "{}", late.status());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, page) = server.get("/v1/conversations?view=queue", ADMIN).await;
    let responses: Vec<&Value> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["candidate"]["apply_id"].is_string())
        .collect();
    assert_eq!(responses.len(), 1, "only the response from before: {page}");
}

#[tokio::test]
async fn the_candidate_and_the_operator_talk_in_the_job_chat_and_a_phone_response_has_no_reply_box() {
    let server = start(Some(&two_tenants()), &[]);
    server.connected_jobs_channel().await;
    let applied = respond(&server, true).await;
    let chat = applied["chat_id"].as_str().expect("chat");
    let c = listed(&server, ADMIN, "queue", applied["apply_id"].as_str().expect("id")).await;
    let id = c["id"].as_str().expect("id");

    server
        .sandbox(
            "/accounts/1001/client-messages",
            json!({"chat_id": chat, "text": "Когда можно выйти на смену?"}),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, page) = server.get(&format!("/v1/conversations/{id}/messages"), ADMIN).await;
        if page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["content"]["text"] == "Когда можно выйти на смену?")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the candidate's message did not arrive: {page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, sent) = server
        .post(
            &format!("/v1/conversations/{id}/messages"),
            ADMIN,
            json!({"text": "Завтра в 9:00", "idempotency_key": "r1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["delivery"]["state"], "sent", "{sent}");

    let by_phone = respond(&server, false).await;
    let p = listed(&server, ADMIN, "queue", by_phone["apply_id"].as_str().expect("id")).await;
    assert_eq!(p["candidate"]["has_chat"], false);
    let (status, body) = server
        .post(
            &format!("/v1/conversations/{}/messages", p["id"].as_str().expect("id")),
            ADMIN,
            json!({"text": "Здравствуйте", "idempotency_key": "r2"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("phone"), "{body}");
}
