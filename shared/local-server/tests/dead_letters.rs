//! A delivery the router cannot process is not lost (R-X1): after 5 attempts it waits in the
//! embedded queue's dead letters, where the admin API counts it, and a replay processes it again
//! once the cause is gone.

mod common;

use common::{ADMIN, OPERATOR, Server, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// Avito's `applicationsGetByIds` answers 503 from now on (`fail`), or normally again.
async fn applications_unavailable(server: &Server, fail: bool) {
    let client = reqwest::Client::new();
    let url = format!("{}/sandbox/_sandbox/faults", server.base);
    let sent = if fail {
        client
            .post(url)
            .json(&json!({"operation": "applicationsGetByIds", "status": 503, "times": 1000}))
            .send()
            .await
    } else {
        client.delete(url).send().await
    };
    assert!(sent.expect("sandbox answers").status().is_success());
}

/// Polls `check` for 30 seconds.
#[tokio::test]
async fn a_delivery_that_fails_five_times_waits_as_a_dead_letter_until_an_administrator_replays_it() {
    // A failed delivery is received again at once: five attempts take a few seconds.
    let server = start(Some(&two_tenants()), &[("LOCAL_INBOUND_RETRY_SECONDS", "0")]);
    server.connected_jobs_channel().await;
    assert_eq!(
        server.get("/v1/dead-letters", ADMIN).await,
        (StatusCode::OK, json!({"waiting": 0}))
    );

    // Avito does not give the response while the router reads it.
    applications_unavailable(&server, true).await;
    let applied = server
        .sandbox(
            "/accounts/1001/applications",
            json!({"vacancy": {"title": "Повар"}, "candidate": {"name": "Пётр Сидоров", "phone": "79001234567"},
               "resume": {"title": "Повар", "experience": "5 лет"}}),
        )
        .await;
    assert_eq!(applied["deliveries"][0]["status"], 200, "{applied}");
    let apply_id = applied["apply_id"].as_str().expect("apply id").to_owned();
    server
        .eventually(
            "the delivery becomes a dead letter",
            Duration::from_secs(30),
            async || {
                let (_, waiting) = server.get("/v1/dead-letters", ADMIN).await;
                (waiting["waiting"] == 1).then_some(())
            },
        )
        .await;

    // Operators neither see nor replay them.
    assert_eq!(server.get("/v1/dead-letters", OPERATOR).await.0, StatusCode::FORBIDDEN);
    let (status, _) = server.post("/v1/dead-letters/replay", OPERATOR, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The cause is gone: the replay processes it, and the response reaches the queue.
    applications_unavailable(&server, false).await;
    let (status, replayed) = server.post("/v1/dead-letters/replay", ADMIN, json!({})).await;
    assert_eq!((status, replayed), (StatusCode::OK, json!({"replayed": 1})));
    server
        .eventually("the replayed response is listed", Duration::from_secs(30), async || {
            let (_, page) = server.get("/v1/conversations?view=queue", ADMIN).await;
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["candidate"]["apply_id"] == apply_id.as_str())
                .map(drop)
        })
        .await;
    assert_eq!(
        server.get("/v1/dead-letters", ADMIN).await,
        (StatusCode::OK, json!({"waiting": 0}))
    );
    let (_, log) = server.get("/v1/audit", ADMIN).await;
    let actions: Vec<&Value> = log["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["action"])
        .collect();
    assert!(actions.contains(&&json!("dead_letters_replayed")), "{log}");
}
