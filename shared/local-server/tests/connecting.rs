//! Connecting channels through the running local server and its sandbox (R-C1–R-C5): the
//! authorize page, the callback, what the channel and the sandbox show, states that must not work,
//! superseding, disconnecting, and that no token or secret ever shows in logs or answers.

mod common;

use adapters::embedded::SqliteConfigStore;
use adapters::ports::{ConfigKind, ConfigStore};
use common::{ADMIN, OTHER_ADMIN, Server, start, two_tenants};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SHOP: i64 = 1001;
const AGENCY: i64 = 1002;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Creates a channel group and a channel of `kind`; returns the channel id.
async fn channel(server: &Server, kind: &str, group_name: &str) -> String {
    let (_, cg) = server
        .post("/v1/channel-groups", ADMIN, json!({"name": group_name}))
        .await;
    let (status, ch) = server
        .post(
            "/v1/channels",
            ADMIN,
            json!({"name": format!("Канал {group_name}"), "kind": kind, "channel_group_id": cg["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ch}");
    ch["id"].as_str().expect("channel id").to_owned()
}

/// Starts an authorization and returns the authorize URL and its state.
async fn authorize_url(server: &Server, channel: &str) -> (String, String) {
    let (status, body) = server
        .post(&format!("/v1/channels/{channel}/authorization"), ADMIN, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let url = body["authorize_url"].as_str().expect("authorize url").to_owned();
    let parsed = reqwest::Url::parse(&url).expect("a URL");
    let state = parsed
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state");
    (url, state)
}

/// Approves in the sandbox's authorize page as `account`; returns the callback URL it redirects to.
async fn approve(server: &Server, authorize_url: &str, state: &str, account: i64) -> String {
    let page = reqwest::get(authorize_url).await.expect("authorize page answers");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("page").contains("Разрешить"));
    let scope = reqwest::Url::parse(authorize_url)
        .expect("URL")
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let account = account.to_string();
    let decision = no_redirects()
        .post(format!("{}/sandbox/oauth/decision", server.base))
        .form(&[
            ("client_id", "sandbox-app"),
            ("scope", scope.as_str()),
            ("state", state),
            ("account_id", account.as_str()),
            ("decision", "allow"),
        ])
        .send()
        .await
        .expect("decision answers");
    assert!(decision.status().is_redirection(), "{}", decision.status());
    decision
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("a redirect")
        .to_owned()
}

async fn open_page(url: &str) -> (StatusCode, String) {
    let r = no_redirects().get(url).send().await.expect("callback answers");
    (r.status(), r.text().await.unwrap_or_default())
}

async fn sandbox_account(server: &Server, account: i64) -> Value {
    reqwest::get(format!("{}/sandbox/_sandbox/accounts/{account}", server.base))
        .await
        .expect("control")
        .json()
        .await
        .expect("JSON")
}

fn urls(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn connecting_through_the_authorize_page_shows_the_account_and_subscribes_the_webhooks() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = channel(&server, "avito", "Москва").await;
    let (url, state) = authorize_url(&server, &ch).await;
    assert!(url.starts_with(&format!("{}/sandbox/oauth?", server.base)), "{url}");
    assert!(
        url.contains("scope=messenger%3Aread%2Cmessenger%3Awrite%2Cuser%3Aread"),
        "{url}"
    );

    let callback = approve(&server, &url, &state, SHOP).await;
    let (status, page) = open_page(&callback).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Канал подключён") && page.contains("Магазин «Ромашка»"),
        "{page}"
    );

    let (_, shown) = server.get(&format!("/v1/channels/{ch}"), ADMIN).await;
    assert_eq!(
        (shown["status"].as_str(), shown["receiving"].as_bool()),
        (Some("connected"), Some(true))
    );
    assert_eq!(
        (shown["account"]["id"].as_i64(), shown["account"]["name"].as_str()),
        (Some(SHOP), Some("Магазин «Ромашка»"))
    );
    assert!(
        shown.get("webhook_secrets").is_none(),
        "secret digests are not shown: {shown}"
    );

    let subs = urls(&sandbox_account(&server, SHOP).await["messenger_subscriptions"]);
    assert_eq!(subs.len(), 1);
    assert!(
        subs[0].starts_with(&format!("{}/avito/messenger/acme/{ch}/", server.base)),
        "{subs:?}"
    );

    // The same state again: refused, nothing changes.
    let (status, page) = open_page(&callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("недействительна"), "{page}");
    assert_eq!(
        urls(&sandbox_account(&server, SHOP).await["messenger_subscriptions"]).len(),
        1
    );
    assert_eq!(server.get(&format!("/v1/channels/{ch}"), ADMIN).await.1, shown);
}

#[tokio::test]
async fn a_state_moved_to_another_tenant_is_refused_and_the_genuine_one_still_works() {
    let server = start(Some(&two_tenants()), &[]);
    let jobs = channel(&server, "avito_jobs", "Кадры").await;
    let (url, state) = authorize_url(&server, &jobs).await;
    assert!(url.contains("job%3Aapplications"), "{url}");
    // Another tenant cannot start an authorization for this channel either.
    assert_eq!(
        server
            .post(&format!("/v1/channels/{jobs}/authorization"), OTHER_ADMIN, json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let forged = state.replacen("acme.", "other.", 1);
    let callback = approve(&server, &url, &forged, AGENCY).await;
    let (status, _) = open_page(&callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        server.get(&format!("/v1/channels/{jobs}"), ADMIN).await.1["status"],
        "not_connected"
    );
    assert!(urls(&sandbox_account(&server, AGENCY).await["messenger_subscriptions"]).is_empty());

    let callback = approve(&server, &url, &state, AGENCY).await;
    assert_eq!(open_page(&callback).await.0, StatusCode::OK);
    let agency = sandbox_account(&server, AGENCY).await;
    assert_eq!(
        urls(&agency["job_webhooks"]),
        [format!("{}/avito/jobs/acme/{jobs}", server.base)]
    );
    assert_eq!(urls(&agency["messenger_subscriptions"]).len(), 1);
}

#[tokio::test]
async fn connecting_the_same_account_in_another_channel_group_supersedes_the_older_channel() {
    let server = start(Some(&two_tenants()), &[]);
    let first = channel(&server, "avito", "Москва").await;
    let (url, state) = authorize_url(&server, &first).await;
    open_page(&approve(&server, &url, &state, SHOP).await).await;

    let second = channel(&server, "avito", "Санкт-Петербург").await;
    let bad = server
        .post(
            &format!("/v1/channels/{second}/connect"),
            ADMIN,
            json!({"client_id": "personal-1001", "client_secret": "wrong"}),
        )
        .await;
    assert_eq!(
        (bad.0, bad.1["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("client_secret"))
    );
    let (status, connected) = server
        .post(
            &format!("/v1/channels/{second}/connect"),
            ADMIN,
            json!({"client_id": "personal-1001", "client_secret": "personal-secret-1001"}),
        )
        .await;
    assert_eq!(
        (status, connected["status"].as_str()),
        (StatusCode::OK, Some("connected"))
    );

    let (_, old) = server.get(&format!("/v1/channels/{first}"), ADMIN).await;
    assert_eq!(
        (old["status"].as_str(), old["receiving"].as_bool()),
        (Some("superseded"), Some(false))
    );
    assert_eq!(old["superseded_by"].as_str(), Some(second.as_str()));
    let subs = urls(&sandbox_account(&server, SHOP).await["messenger_subscriptions"]);
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert!(
        subs[0].contains(&format!("/avito/messenger/acme/{second}/")),
        "{subs:?}"
    );
}

#[tokio::test]
async fn disconnecting_needs_confirmation_then_unsubscribes_deletes_tokens_and_refuses_webhooks() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = channel(&server, "avito", "Москва").await;
    let (url, state) = authorize_url(&server, &ch).await;
    open_page(&approve(&server, &url, &state, SHOP).await).await;
    let hook = urls(&sandbox_account(&server, SHOP).await["messenger_subscriptions"]).remove(0);
    let ping = || async {
        reqwest::Client::new()
            .post(&hook)
            .json(&json!({}))
            .send()
            .await
            .expect("webhook answers")
            .status()
    };
    assert_eq!(
        ping().await,
        StatusCode::OK,
        "Avito's verification request is answered while connected"
    );

    let (status, body) = server
        .post(&format!("/v1/channels/{ch}/disconnect"), ADMIN, json!({}))
        .await;
    assert_eq!(
        (status, body["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("confirm"))
    );
    assert_eq!(
        server.get(&format!("/v1/channels/{ch}"), ADMIN).await.1["status"],
        "connected"
    );

    let (status, body) = server
        .post(
            &format!("/v1/channels/{ch}/disconnect"),
            ADMIN,
            json!({"confirm": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["channel"]["status"].as_str(),
            body["warnings"].as_array().map(Vec::len)
        ),
        (Some("disconnected"), Some(0))
    );
    assert!(urls(&sandbox_account(&server, SHOP).await["messenger_subscriptions"]).is_empty());
    let store = SqliteConfigStore::open(&server.data.path().join("config.sqlite3")).expect("open the server's store");
    let tenant = domain::ids::TenantId::parse("acme").expect("tenant");
    assert!(
        store
            .get(&tenant, ConfigKind::Credentials, &ch)
            .await
            .expect("read")
            .is_none(),
        "tokens deleted"
    );
    assert_eq!(
        ping().await,
        StatusCode::FORBIDDEN,
        "a disconnected channel's webhook changes nothing"
    );
    assert_eq!(
        server
            .post(
                &format!("/v1/channels/{ch}/disconnect"),
                ADMIN,
                json!({"confirm": true})
            )
            .await
            .0,
        StatusCode::CONFLICT
    );

    // Connecting again needs a new authorization, and works.
    let (url, state) = authorize_url(&server, &ch).await;
    assert_eq!(
        open_page(&approve(&server, &url, &state, SHOP).await).await.0,
        StatusCode::OK
    );
    assert_eq!(
        server.get(&format!("/v1/channels/{ch}"), ADMIN).await.1["status"],
        "connected"
    );
}

#[tokio::test]
async fn no_token_or_secret_appears_in_logs_or_answers_of_connect_refresh_and_disconnect() {
    let server = start(Some(&two_tenants()), &[("RUST_LOG", "debug")]);
    let mut answers = String::new();
    let oauth = channel(&server, "avito_jobs", "Кадры").await;
    let (url, state) = authorize_url(&server, &oauth).await;
    let callback = approve(&server, &url, &state, AGENCY).await;
    answers.push_str(&open_page(&callback).await.1);
    let personal = channel(&server, "avito", "Москва").await;
    answers.push_str(
        &server
            .post(
                &format!("/v1/channels/{personal}/connect"),
                ADMIN,
                json!({"client_id": "personal-1001", "client_secret": "personal-secret-1001"}),
            )
            .await
            .1
            .to_string(),
    );
    let mut hook_secrets = Vec::new();
    for id in [AGENCY, SHOP] {
        let account = sandbox_account(&server, id).await;
        for u in urls(&account["messenger_subscriptions"]) {
            hook_secrets.push(u.rsplit('/').next().unwrap_or_default().to_owned());
        }
    }
    assert_eq!(hook_secrets.len(), 2);

    // Every access token expires: disconnecting must refresh first (a refresh-token grant for the
    // authorized channel, a new client-credentials token for the other).
    for account in [AGENCY, SHOP] {
        reqwest::Client::new()
            .post(format!(
                "{}/sandbox/_sandbox/accounts/{account}/expire-tokens",
                server.base
            ))
            .send()
            .await
            .expect("control");
    }
    for ch in [&oauth, &personal] {
        let (status, body) = server
            .post(
                &format!("/v1/channels/{ch}/disconnect"),
                ADMIN,
                json!({"confirm": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["warnings"], json!([]), "unsubscribed after refreshing");
        answers.push_str(&body.to_string());
    }
    let calls = server.sandbox_calls().await;
    assert!(
        calls.iter().any(|c| c["grant_type"] == "refresh_token"),
        "a refresh happened"
    );
    for path in [
        format!("/v1/channels/{oauth}"),
        format!("/v1/channels/{personal}"),
        "/v1/channels".into(),
    ] {
        answers.push_str(&server.get(&path, ADMIN).await.1.to_string());
    }

    let logs = server.output();
    assert!(
        logs.contains("DEBUG") || logs.contains("INFO"),
        "logging was on: {logs}"
    );
    let mut forbidden: Vec<String> = vec![
        "sbx-at-".into(),
        "sbx-rt-".into(),
        "sbx-code-".into(),
        "personal-secret-1001".into(),
        "sandbox-app-secret".into(),
    ];
    forbidden.extend(hook_secrets);
    for secret in &forbidden {
        assert!(!logs.contains(secret.as_str()), "the logs contain {secret}");
        assert!(!answers.contains(secret.as_str()), "an answer contains {secret}");
    }
}

#[tokio::test]
async fn a_restart_of_the_local_server_changes_nothing() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    let c = server
        .client_writes(json!({"client": {"name": "Вера"}, "text": "Добрый день"}))
        .await;
    let id = c["id"].as_str().expect("id").to_owned();
    // The sandbox writes its state within a second of a change; then the process is killed.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let server = server.restart(Some(&two_tenants()));
    let (_, channel) = server.get(&format!("/v1/channels/{ch}"), ADMIN).await;
    assert_eq!(
        (
            channel["receiving"].as_bool(),
            channel["needs_reauthorization"].as_bool()
        ),
        (Some(true), Some(false)),
        "{channel}"
    );
    // The sandbox still knows the account, its tokens and the chat: the reply goes out.
    let (status, reply) = server
        .post(
            &format!("/v1/conversations/{id}/messages"),
            ADMIN,
            json!({"text": "Здравствуйте!", "idempotency_key": "after-restart"}),
        )
        .await;
    assert_eq!(
        (status, reply["delivery"]["state"].as_str()),
        (StatusCode::CREATED, Some("sent")),
        "{reply}"
    );
    // And a client keeps writing into the same conversation.
    let again = server
        .client_writes(json!({"chat_id": c["chat_id"], "text": "Спасибо"}))
        .await;
    assert_eq!(again["id"].as_str(), Some(id.as_str()));
}

#[tokio::test]
async fn a_channel_whose_authorization_avito_refuses_shows_it_must_be_connected_again() {
    let server = start(Some(&two_tenants()), &[]);
    let ch = server.connected_avito_channel().await;
    let c = server
        .client_writes(json!({"client": {"name": "Лев"}, "text": "Есть в наличии?"}))
        .await;
    let id = c["id"].as_str().expect("id");
    // The owner revokes the access and makes new keys at Avito.
    server.sandbox("/accounts/1001/revoke-tokens", json!({})).await;
    let (status, reply) = server
        .post(
            &format!("/v1/conversations/{id}/messages"),
            ADMIN,
            json!({"text": "Да", "idempotency_key": "r1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["delivery"]["state"], "failed", "{reply}");
    let (_, channel) = server.get(&format!("/v1/channels/{ch}"), ADMIN).await;
    assert_eq!(
        (
            channel["receiving"].as_bool(),
            channel["needs_reauthorization"].as_bool()
        ),
        (Some(true), Some(true)),
        "it still receives, and says it must be connected again: {channel}"
    );
    // Connecting again (with the new keys) clears it.
    let added = reqwest::Client::new()
        .post(format!("{}/sandbox/_sandbox/apps", server.base))
        .json(
            &json!({"client_id": "personal-1001-new", "client_secret": "personal-secret-1001-new", "account_id": 1001}),
        )
        .send()
        .await
        .expect("new keys");
    assert!(added.status().is_success());
    let (status, connected) = server
        .post(
            &format!("/v1/channels/{ch}/connect"),
            ADMIN,
            json!({"client_id": "personal-1001-new", "client_secret": "personal-secret-1001-new"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{connected}");
    let (_, channel) = server.get(&format!("/v1/channels/{ch}"), ADMIN).await;
    assert_eq!(channel["needs_reauthorization"], false, "{channel}");
}
