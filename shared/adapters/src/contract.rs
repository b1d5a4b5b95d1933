//! The contract every [`ConfigStore`] implementation must pass. Each check takes a fresh store
//! handle and works in tenants of its own, so checks may share one store (one table, one file).
//! [`config_store_contract!`](crate::config_store_contract) turns them into `#[tokio::test]`s for
//! an implementation.

use crate::ports::{ConfigKind, ConfigStore, StoreError};
use domain::ids::TenantId;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A tenant id no other check uses.
pub fn fresh_tenant() -> TenantId {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    TenantId::parse(format!("t{nanos}-{n}")).expect("generated tenant ids are valid")
}

/// Generates one `#[tokio::test]` per contract check; `$make` is an async expression giving an
/// `Arc<dyn ConfigStore>`.
#[macro_export]
macro_rules! config_store_contract {
    ($make:expr) => {
        $crate::config_store_contract!(@tests $make;
            inserted_documents_read_back_at_version_1,
            inserting_an_existing_id_conflicts_and_keeps_the_original,
            replace_succeeds_only_at_the_expected_version,
            of_racing_replaces_at_one_version_exactly_one_wins,
            put_creates_then_overwrites_and_counts_versions,
            delete_removes_once_and_frees_the_id,
            listing_pages_in_id_order_within_one_kind,
            tenants_never_see_each_others_documents,
            kinds_with_the_same_id_are_separate_documents,
            notifications_are_kept_once_and_list_newest_first,
            a_listing_starts_after_any_key_even_one_not_stored,
        );
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::ports::ConfigStore> = $make.await;
                $crate::contract::$name(store).await;
            }
        )*
    };
}

const DOC_A: &str = r#"{"name":"Анна Петрова"}"#;
const DOC_B: &str = r#"{"name":"Борис"}"#;

pub async fn inserted_documents_read_back_at_version_1(store: Arc<dyn ConfigStore>) {
    let t = fresh_tenant();
    store
        .insert(&t, ConfigKind::Employee, "e1", DOC_A)
        .await
        .expect("insert");
    let got = store
        .get(&t, ConfigKind::Employee, "e1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!((got.id.as_str(), got.doc.as_str(), got.version), ("e1", DOC_A, 1));
    assert!(
        store
            .get(&t, ConfigKind::Employee, "missing")
            .await
            .expect("get")
            .is_none()
    );
}

pub async fn inserting_an_existing_id_conflicts_and_keeps_the_original(store: Arc<dyn ConfigStore>) {
    let t = fresh_tenant();
    store.insert(&t, ConfigKind::Group, "g1", DOC_A).await.expect("insert");
    let again = store.insert(&t, ConfigKind::Group, "g1", DOC_B).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    let got = store
        .get(&t, ConfigKind::Group, "g1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!((got.doc.as_str(), got.version), (DOC_A, 1));
}

pub async fn replace_succeeds_only_at_the_expected_version(store: Arc<dyn ConfigStore>) {
    let t = fresh_tenant();
    store
        .insert(&t, ConfigKind::Chatbot, "b1", DOC_A)
        .await
        .expect("insert");
    assert_eq!(
        store
            .replace(&t, ConfigKind::Chatbot, "b1", DOC_B, 1)
            .await
            .expect("replace"),
        2
    );
    let stale = store.replace(&t, ConfigKind::Chatbot, "b1", DOC_A, 1).await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    let missing = store.replace(&t, ConfigKind::Chatbot, "nope", DOC_A, 1).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    let got = store
        .get(&t, ConfigKind::Chatbot, "b1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!((got.doc.as_str(), got.version), (DOC_B, 2));
}

pub async fn of_racing_replaces_at_one_version_exactly_one_wins(store: Arc<dyn ConfigStore>) {
    let t = fresh_tenant();
    store
        .insert(&t, ConfigKind::Channel, "c1", DOC_A)
        .await
        .expect("insert");
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (store, t) = (Arc::clone(&store), t.clone());
        racers.spawn(async move {
            store
                .replace(&t, ConfigKind::Channel, "c1", &format!(r#"{{"racer":{i}}}"#), 1)
                .await
        });
    }
    let (mut won, mut lost) = (Vec::new(), 0);
    while let Some(joined) = racers.join_next().await {
        match joined.expect("racer task ran") {
            Ok(v) => won.push(v),
            Err(StoreError::Conflict) => lost += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!((won, lost), (vec![2], 7));
    let got = store
        .get(&t, ConfigKind::Channel, "c1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got.version, 2);
}

pub async fn put_creates_then_overwrites_and_counts_versions(store: Arc<dyn ConfigStore>) {
    let t = fresh_tenant();
    let id = ConfigKind::SINGLETON_ID;
    assert_eq!(store.put(&t, ConfigKind::Schedule, id, DOC_A).await.expect("put"), 1);
    assert_eq!(store.put(&t, ConfigKind::Schedule, id, DOC_B).await.expect("put"), 2);
    let got = store
        .get(&t, ConfigKind::Schedule, id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!((got.doc.as_str(), got.version), (DOC_B, 2));
    // A conditional replace sees the version put left.
    assert_eq!(
        store
            .replace(&t, ConfigKind::Schedule, id, DOC_A, 2)
            .await
            .expect("replace"),
        3
    );
}

pub async fn delete_removes_once_and_frees_the_id(store: Arc<dyn ConfigStore>) {
    let t = fresh_tenant();
    store
        .insert(&t, ConfigKind::ChannelGroup, "cg", DOC_A)
        .await
        .expect("insert");
    assert!(store.delete(&t, ConfigKind::ChannelGroup, "cg").await.expect("delete"));
    assert!(
        !store
            .delete(&t, ConfigKind::ChannelGroup, "cg")
            .await
            .expect("delete again")
    );
    assert!(
        store
            .get(&t, ConfigKind::ChannelGroup, "cg")
            .await
            .expect("get")
            .is_none()
    );
    store
        .insert(&t, ConfigKind::ChannelGroup, "cg", DOC_B)
        .await
        .expect("insert after delete");
    let got = store
        .get(&t, ConfigKind::ChannelGroup, "cg")
        .await
        .expect("get")
        .expect("present");
    assert_eq!((got.doc.as_str(), got.version), (DOC_B, 1));
}

pub async fn listing_pages_in_id_order_within_one_kind(store: Arc<dyn ConfigStore>) {
    let t = fresh_tenant();
    for id in ["e5", "e1", "e7", "e3", "e2", "e6", "e4"] {
        store
            .insert(&t, ConfigKind::Employee, id, &format!(r#"{{"id":"{id}"}}"#))
            .await
            .expect("insert");
    }
    // Neighbouring kinds must not leak into the listing.
    store
        .insert(&t, ConfigKind::Group, "e0", DOC_A)
        .await
        .expect("insert group");
    store
        .insert(&t, ConfigKind::Chatbot, "e9", DOC_A)
        .await
        .expect("insert chatbot");

    let mut seen = Vec::new();
    let mut cursors = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list(&t, ConfigKind::Employee, after.as_deref(), 3)
            .await
            .expect("list");
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|d| d.id.clone()));
        cursors.push(page.next.clone());
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["e1", "e2", "e3", "e4", "e5", "e6", "e7"]);
    assert_eq!(cursors, [Some("e3".to_owned()), Some("e6".to_owned()), None]);

    // A listing that ends exactly on a page boundary says so: no empty extra page.
    let page = store.list(&t, ConfigKind::Employee, Some("e4"), 3).await.expect("list");
    assert_eq!((page.items.len(), page.next), (3, None));
    let empty = store
        .list(&t, ConfigKind::ChannelSettings, None, 3)
        .await
        .expect("list");
    assert_eq!((empty.items.len(), empty.next), (0, None));
}

/// What searching by the start of a word rests on: a listing may start after a key that is not
/// stored (the start of a term), in byte order, Cyrillic included.
pub async fn a_listing_starts_after_any_key_even_one_not_stored(store: Arc<dyn ConfigStore>) {
    let t = fresh_tenant();
    for id in [
        "петр#CARD#c1",
        "петров#CARD#c2",
        "пётр#CARD#c3",
        "павел#CARD#c4",
        "79001234567#CARD#c1",
    ] {
        store.put(&t, ConfigKind::SearchTerm, id, "{}").await.expect("put");
    }
    let page = store
        .list(&t, ConfigKind::SearchTerm, Some("пет"), 10)
        .await
        .expect("list");
    let ids: Vec<&str> = page.items.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["петр#CARD#c1", "петров#CARD#c2", "пётр#CARD#c3"]);
    let page = store
        .list(&t, ConfigKind::SearchTerm, Some("7900"), 10)
        .await
        .expect("list");
    assert_eq!(page.items.len(), 5, "digits sort before letters");
}

pub async fn tenants_never_see_each_others_documents(store: Arc<dyn ConfigStore>) {
    let (a, b) = (fresh_tenant(), fresh_tenant());
    store
        .insert(&a, ConfigKind::Channel, "same", DOC_A)
        .await
        .expect("insert a");
    store
        .insert(&b, ConfigKind::Channel, "same", DOC_B)
        .await
        .expect("insert b");
    store
        .insert(&a, ConfigKind::Channel, "only-a", DOC_A)
        .await
        .expect("insert a2");
    assert_eq!(
        store
            .get(&b, ConfigKind::Channel, "same")
            .await
            .expect("get")
            .map(|d| d.doc),
        Some(DOC_B.to_owned())
    );
    assert!(
        store
            .get(&b, ConfigKind::Channel, "only-a")
            .await
            .expect("get")
            .is_none()
    );
    let replaced = store.replace(&b, ConfigKind::Channel, "only-a", DOC_B, 1).await;
    assert!(matches!(replaced, Err(StoreError::NotFound)), "{replaced:?}");
    assert!(!store.delete(&b, ConfigKind::Channel, "only-a").await.expect("delete"));
    let listed: Vec<_> = store
        .list(&b, ConfigKind::Channel, None, 10)
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(listed, ["same"]);
    assert!(store.delete(&a, ConfigKind::Channel, "same").await.expect("delete"));
    assert!(store.get(&b, ConfigKind::Channel, "same").await.expect("get").is_some());
}

pub async fn kinds_with_the_same_id_are_separate_documents(store: Arc<dyn ConfigStore>) {
    let t = fresh_tenant();
    store
        .insert(&t, ConfigKind::Channel, "c1", DOC_A)
        .await
        .expect("insert channel");
    store
        .put(&t, ConfigKind::ChannelSettings, "c1", DOC_B)
        .await
        .expect("put settings");
    assert_eq!(
        store
            .get(&t, ConfigKind::Channel, "c1")
            .await
            .expect("get")
            .map(|d| d.doc),
        Some(DOC_A.to_owned())
    );
    assert!(
        store
            .delete(&t, ConfigKind::ChannelSettings, "c1")
            .await
            .expect("delete")
    );
    assert!(store.get(&t, ConfigKind::Channel, "c1").await.expect("get").is_some());
}

/// The operators' notification feed: a notification reported twice is kept once; the feed lists
/// the newest first and pages without gaps.
pub async fn notifications_are_kept_once_and_list_newest_first(store: Arc<dyn ConfigStore>) {
    use domain::notification::Notification;
    let config = crate::configuration::Configuration::new(store);
    let t = fresh_tenant();
    let at = |s: &str| -> chrono::DateTime<chrono::Utc> { s.parse().expect("instant") };
    let note = |id: &str, when: &str| Notification {
        id: id.into(),
        at: at(when),
        text: format!("Отклик на вакансию: {id}"),
        channel_id: domain::ids::ChannelId::parse("jobs").expect("id"),
        conversation_id: None,
        kind: domain::notification::NotificationKind::Response,
        employee_id: None,
    };
    for (id, when) in [
        ("response-a", "2026-11-25T10:00:00Z"),
        ("response-c", "2026-11-25T12:00:00Z"),
        ("response-b", "2026-11-25T11:00:00Z"),
        ("response-a", "2026-11-25T10:00:00Z"),
    ] {
        config.notify(&t, &note(id, when)).await.expect("notify");
    }
    let first = config.notifications(&t, None, 2).await.expect("first page");
    let second = config
        .notifications(&t, first.next.as_deref(), 2)
        .await
        .expect("second page");
    let ids: Vec<String> = first.items.iter().chain(&second.items).map(|n| n.id.clone()).collect();
    assert_eq!(ids, vec!["response-c", "response-b", "response-a"]);
    assert!(second.next.is_none());
    assert!(
        config
            .notifications(&fresh_tenant(), None, 10)
            .await
            .expect("other tenant")
            .items
            .is_empty()
    );
}

/// Generates the credential-vault checks for a store, as `#[tokio::test]`s.
#[macro_export]
macro_rules! credentials_contract {
    ($make:expr) => {
        $crate::config_store_contract!(@tests $make;
            racing_refreshers_keep_the_newest_refresh_token,
            credentials_are_sealed_at_rest_and_deleted_on_request,
        );
    };
}

mod vault_support {
    use crate::avito::{AvitoClient, RetryPolicy};
    use crate::credentials::{AppCredentials, ChannelCredentials, Grant, Vaults};
    use crate::ports::{ConfigStore, ManualClock};
    use crate::secrets::TokenCipher;
    use std::sync::Arc;

    pub const KEYS: &str = "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    /// A sandbox with the demo data, vaults on `store` with a clock set to now, and credentials of
    /// account 1001 obtained through the authorization-code flow.
    pub async fn connected(
        store: Arc<dyn ConfigStore>,
    ) -> (avito_sandbox::Sandbox, Vaults, Arc<ManualClock>, ChannelCredentials) {
        let (sb, base) = avito_sandbox::serve_on_loopback(avito_sandbox::SandboxConfig::default())
            .await
            .expect("sandbox starts");
        avito_sandbox::seed_demo(&sb, "http://127.0.0.1:1/callback");
        let avito = AvitoClient::new(&base, RetryPolicy::default()).expect("client");
        let code = avito_sandbox::api::new_code(
            &sb,
            1001,
            avito_sandbox::SANDBOX_CLIENT_ID,
            vec!["messenger:read".into(), "user:read".into()],
        );
        let token = avito
            .token_authorization_code(
                avito_sandbox::SANDBOX_CLIENT_ID,
                avito_sandbox::SANDBOX_CLIENT_SECRET,
                &code,
            )
            .await
            .expect("code exchanged");
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let creds = ChannelCredentials {
            grant: Grant::AuthorizationCode {
                refresh_token: token.refresh_token.expect("a refresh token"),
            },
            access_token: token.access_token,
            access_expires_at: clock_now(&clock) + 86_400,
        };
        let vaults = Vaults {
            store,
            cipher: Arc::new(TokenCipher::from_config(KEYS, "k1").expect("keys")),
            avito,
            app: AppCredentials {
                client_id: avito_sandbox::SANDBOX_CLIENT_ID.into(),
                client_secret: avito_sandbox::SANDBOX_CLIENT_SECRET.into(),
            },
            clock: clock.clone(),
        };
        (sb, vaults, clock, creds)
    }

    pub fn clock_now(clock: &ManualClock) -> i64 {
        use crate::ports::Clock;
        clock.now().timestamp()
    }
}

pub async fn racing_refreshers_keep_the_newest_refresh_token(store: Arc<dyn ConfigStore>) {
    use crate::avito::AccessTokenSource;
    let (sb, vaults, clock, creds) = vault_support::connected(Arc::clone(&store)).await;
    let (tenant, channel) = (fresh_tenant(), domain::ids::ChannelId::parse("ch-1").expect("valid id"));
    vaults.channel(&tenant, &channel).save(&creds).await.expect("saved");

    // A day later every instance finds the access token expired, at once.
    clock.advance(chrono::TimeDelta::hours(24));
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let vault = vaults.channel(&tenant, &channel);
        racers.spawn(async move { vault.access_token().await });
    }
    let mut tokens = Vec::new();
    while let Some(joined) = racers.join_next().await {
        tokens.push(joined.expect("racer ran").expect("every racer gets a token"));
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "all racers use the one new token");
    assert_ne!(tokens[0], creds.access_token);
    let refreshes = sb
        .data()
        .calls
        .iter()
        .filter(|c| c.grant_type.as_deref() == Some("refresh_token"))
        .count();
    assert_eq!(refreshes, 1, "exactly one refresh reached Avito");

    // The store holds the newest refresh token: the only one Avito still accepts.
    let live: Vec<String> = sb.data().refresh.keys().cloned().collect();
    assert_eq!(live.len(), 1);
    let vault = vaults.channel(&tenant, &channel);
    // Refusing the current token forces a refresh, which works only with the newest refresh token.
    let again = vault
        .refreshed_token(&tokens[0])
        .await
        .expect("refresh with the stored refresh token works");
    assert_ne!(again, tokens[0]);
}

pub async fn credentials_are_sealed_at_rest_and_deleted_on_request(store: Arc<dyn ConfigStore>) {
    use crate::avito::AccessTokenSource;
    let (_sb, vaults, _clock, creds) = vault_support::connected(Arc::clone(&store)).await;
    let (tenant, channel) = (fresh_tenant(), domain::ids::ChannelId::parse("ch-2").expect("valid id"));
    let vault = vaults.channel(&tenant, &channel);
    vault.save(&creds).await.expect("saved");
    let raw = store
        .get(&tenant, ConfigKind::Credentials, "ch-2")
        .await
        .expect("get")
        .expect("stored");
    let crate::credentials::Grant::AuthorizationCode { refresh_token } = &creds.grant else {
        panic!("authorization code grant")
    };
    assert!(
        !raw.doc.contains(&creds.access_token) && !raw.doc.contains(refresh_token.as_str()),
        "stored in clear: {}",
        raw.doc
    );
    assert_eq!(vault.access_token().await.expect("opens"), creds.access_token);
    // Another channel's record does not open with this channel's identity.
    let other = domain::ids::ChannelId::parse("ch-3").expect("valid id");
    store
        .put(&tenant, ConfigKind::Credentials, "ch-3", &raw.doc)
        .await
        .expect("copied");
    assert!(vaults.channel(&tenant, &other).access_token().await.is_err());
    assert!(vault.delete().await.expect("deleted"));
    assert!(vault.access_token().await.is_err());
}

/// Generates the queue checks for an implementation; `$make` gives a fresh, empty queue whose
/// messages become dead letters after 2 receives.
#[macro_export]
macro_rules! queue_contract {
    ($make:expr) => {
        $crate::queue_contract!(@tests $make;
            sent_messages_are_received_and_deleted,
            an_undeleted_message_comes_back_after_its_visibility_timeout,
            a_message_received_too_often_becomes_a_dead_letter_and_can_be_replayed,
        );
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let queue: ::std::sync::Arc<dyn $crate::ports::Queue> = $make.await;
                $crate::contract::$name(queue).await;
            }
        )*
    };
}

pub async fn sent_messages_are_received_and_deleted(queue: Arc<dyn crate::ports::Queue>) {
    use std::time::Duration;
    for body in ["один", "два", "три"] {
        queue.send(body).await.expect("send");
    }
    let mut got = Vec::new();
    for _ in 0..5 {
        got.extend(queue.receive(10, Duration::from_secs(30)).await.expect("receive"));
        if got.len() >= 3 {
            break;
        }
    }
    let mut bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    bodies.sort_unstable();
    assert_eq!(bodies, ["два", "один", "три"]);
    assert!(got.iter().all(|m| m.receive_count == 1));
    for m in &got {
        queue.delete(&m.receipt).await.expect("delete");
    }
    assert!(
        queue
            .receive(10, Duration::from_secs(30))
            .await
            .expect("receive")
            .is_empty()
    );
}

pub async fn an_undeleted_message_comes_back_after_its_visibility_timeout(queue: Arc<dyn crate::ports::Queue>) {
    use std::time::Duration;
    queue.send("повтор").await.expect("send");
    let first = queue.receive(10, Duration::from_secs(1)).await.expect("receive");
    assert_eq!(first.len(), 1);
    assert!(
        queue
            .receive(10, Duration::from_secs(1))
            .await
            .expect("receive")
            .is_empty(),
        "hidden while processed"
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let again = queue.receive(10, Duration::from_secs(30)).await.expect("receive");
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].id.as_str(), again[0].body.as_str(), again[0].receive_count),
        (first[0].id.as_str(), "повтор", 2)
    );
    queue.delete(&again[0].receipt).await.expect("delete");
}

/// Also: counting and replaying take only the dead letters a filter accepts (a tenant's), and
/// leave the others where they were.
pub async fn a_message_received_too_often_becomes_a_dead_letter_and_can_be_replayed(
    queue: Arc<dyn crate::ports::Queue>,
) {
    use std::time::Duration;
    queue.send("ядовитое").await.expect("send");
    for attempt in 1..=2 {
        let got = queue.receive(10, Duration::ZERO).await.expect("receive");
        assert_eq!(got.len(), 1, "attempt {attempt}");
    }
    assert!(
        queue.receive(10, Duration::ZERO).await.expect("receive").is_empty(),
        "moved to the dead letters"
    );
    // A second one, another tenant's, beside it.
    queue.send("чужое").await.expect("send");
    for _ in 1..=2 {
        assert_eq!(queue.receive(10, Duration::ZERO).await.expect("receive").len(), 1);
    }
    assert!(queue.receive(10, Duration::ZERO).await.expect("receive").is_empty());
    let ours = |body: &str| body == "ядовитое";
    let everything = |_: &str| true;
    assert_eq!(queue.dead_letter_count(&everything).await.expect("count"), 2);
    assert_eq!(
        queue.dead_letter_count(&ours).await.expect("count"),
        1,
        "only the accepted ones count"
    );
    // Counting left them all where they were.
    assert_eq!(queue.dead_letter_count(&everything).await.expect("count"), 2);
    assert_eq!(queue.replay_dead_letters(&ours, 10).await.expect("replay"), 1);
    assert_eq!(queue.dead_letter_count(&ours).await.expect("count"), 0);
    assert_eq!(
        queue.dead_letter_count(&everything).await.expect("count"),
        1,
        "the other one stays"
    );
    let back = queue.receive(10, Duration::from_secs(30)).await.expect("receive");
    assert_eq!(back.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["ядовитое"]);
    queue.delete(&back[0].receipt).await.expect("delete");
    assert_eq!(queue.replay_dead_letters(&everything, 10).await.expect("replay"), 1);
    let back = queue.receive(10, Duration::from_secs(30)).await.expect("receive");
    assert_eq!(back.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["чужое"]);
    queue.delete(&back[0].receipt).await.expect("delete");
}

/// Generates the conversation-store checks for an implementation.
#[macro_export]
macro_rules! conversation_store_contract {
    ($make:expr) => {
        $crate::conversation_store_contract!(@tests $make;
            a_chat_has_at_most_one_open_conversation,
            a_message_delivered_five_times_is_stored_once,
            a_stale_version_writes_nothing_and_a_retry_succeeds,
            messages_list_in_avitos_order_whatever_the_arrival_order,
            closing_frees_the_chat_for_a_new_conversation,
            concurrent_messages_to_one_conversation_all_land,
            a_sent_message_is_recognised_when_avito_echoes_it,
            of_two_claims_on_a_failed_message_one_wins,
            open_conversations_are_found_when_their_auto_close_time_comes,
            open_conversations_list_by_handler_most_recent_activity_first,
            a_client_cards_history_lists_its_conversations_newest_first,
            list_counts_follow_every_move_and_only_writes_that_happen,
            the_archive_lists_closed_conversations_most_recently_closed_first,
        );
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::ports::ConversationStore> = $make.await;
                $crate::contract::$name(store).await;
            }
        )*
    };
}

mod conversation_support {
    use chrono::{DateTime, TimeDelta, Utc};
    use domain::conversation::{Author, ClientRef, Content, Conversation, ConversationStatus, Handler, Message};
    use domain::ids::{ChannelId, ConversationId};

    pub fn t0() -> DateTime<Utc> {
        "2026-11-25T10:00:00Z".parse().expect("instant")
    }

    pub fn conversation(id: &str, chat: &str) -> Conversation {
        Conversation {
            id: ConversationId::parse(id).expect("id"),
            channel_id: ChannelId::parse("ch").expect("id"),
            chat_id: chat.into(),
            status: ConversationStatus::Open,
            handler: Handler::GeneralQueue,
            client: ClientRef {
                avito_user_id: Some(5001),
                name: Some("Иван".into()),
                card_id: None,
            },
            listing: None,
            created_at: t0(),
            last_activity_at: t0(),
            waiting_since: None,
            closed_at: None,
            auto_close_due_at: None,
            closing_reason: None,
            last_message: None,
            candidate: None,
            topic: None,
            deal_id: None,
            organization_id: None,
        }
    }

    /// `conversation` as a store would give it back at `version`.
    pub fn versioned(conversation: &Conversation, version: u64) -> crate::ports::Versioned<Conversation> {
        crate::ports::Versioned {
            value: conversation.clone(),
            version,
        }
    }

    pub fn message(conversation: &Conversation, id: &str, seconds: i64) -> Message {
        Message {
            id: id.into(),
            conversation_id: conversation.id.clone(),
            author: Author::Client,
            content: Content::Text {
                text: format!("сообщение {id}"),
            },
            created_at: t0() + TimeDelta::seconds(seconds),
            delivery: None,
        }
    }
}

pub async fn a_chat_has_at_most_one_open_conversation(store: Arc<dyn crate::ports::ConversationStore>) {
    use conversation_support::conversation;
    let (t, other) = (fresh_tenant(), fresh_tenant());
    let channel = domain::ids::ChannelId::parse("ch").expect("id");
    store.open(&t, &conversation("c1", "u2i-1")).await.expect("open");
    let second = store.open(&t, &conversation("c2", "u2i-1")).await;
    assert!(matches!(second, Err(StoreError::Conflict)), "{second:?}");
    store
        .open(&t, &conversation("c3", "u2i-2"))
        .await
        .expect("another chat");
    store
        .open(&other, &conversation("c1", "u2i-1"))
        .await
        .expect("another tenant");
    let found = store
        .open_for_chat(&t, &channel, "u2i-1")
        .await
        .expect("read")
        .expect("open conversation");
    assert_eq!((found.value.id.as_str(), found.version), ("c1", 1));
    assert!(
        store
            .open_for_chat(&t, &channel, "u2i-9")
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .get(&t, &domain::ids::ConversationId::parse("c2").expect("id"))
            .await
            .expect("read")
            .is_none()
    );
}

pub async fn a_message_delivered_five_times_is_stored_once(store: Arc<dyn crate::ports::ConversationStore>) {
    use conversation_support::{conversation, message};
    let t = fresh_tenant();
    let c = conversation("c1", "u2i-1");
    store.open(&t, &c).await.expect("open");
    let m = message(&c, "m1", 5);
    let mut added = Vec::new();
    for _ in 0..5 {
        let current = store.get(&t, &c.id).await.expect("read").expect("exists");
        let next = current.value.clone().with_message(&m);
        added.push(store.add_message(&t, &current, &next, &m).await.expect("add"));
    }
    assert_eq!(added, [true, false, false, false, false]);
    let page = store.messages(&t, &c.id, None, 10).await.expect("list");
    assert_eq!(page.items, vec![m.clone()]);
    let saved = store.get(&t, &c.id).await.expect("read").expect("exists");
    assert_eq!((saved.version, saved.value.waiting_since), (2, Some(m.created_at)));
}

pub async fn a_stale_version_writes_nothing_and_a_retry_succeeds(store: Arc<dyn crate::ports::ConversationStore>) {
    use conversation_support::{conversation, message};
    let t = fresh_tenant();
    let c = conversation("c1", "u2i-1");
    store.open(&t, &c).await.expect("open");
    let first = message(&c, "m1", 1);
    assert!(
        store
            .add_message(
                &t,
                &conversation_support::versioned(&c, 1),
                &c.clone().with_message(&first),
                &first
            )
            .await
            .expect("add")
    );
    let second = message(&c, "m2", 2);
    let stale = store
        .add_message(
            &t,
            &conversation_support::versioned(&c, 1),
            &c.clone().with_message(&second),
            &second,
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    assert_eq!(
        store.messages(&t, &c.id, None, 10).await.expect("list").items.len(),
        1,
        "nothing written"
    );
    let current = store.get(&t, &c.id).await.expect("read").expect("exists");
    assert!(
        store
            .add_message(&t, &current, &current.value.clone().with_message(&second), &second)
            .await
            .expect("retry")
    );
    assert_eq!(store.messages(&t, &c.id, None, 10).await.expect("list").items.len(), 2);
}

pub async fn messages_list_in_avitos_order_whatever_the_arrival_order(store: Arc<dyn crate::ports::ConversationStore>) {
    use conversation_support::{conversation, message};
    let t = fresh_tenant();
    let c = conversation("c1", "u2i-1");
    store.open(&t, &c).await.expect("open");
    // Within one second (Avito's times are in seconds) they keep the order they arrived in:
    // "zz" before "aa", pages of two cut between them.
    for (id, second) in [
        ("m3", 30),
        ("m1", 10),
        ("zz", 60),
        ("m5", 50),
        ("m2", 20),
        ("aa", 60),
        ("m4", 40),
    ] {
        let m = message(&c, id, second);
        let current = store.get(&t, &c.id).await.expect("read").expect("exists");
        assert!(
            store
                .add_message(&t, &current, &current.value.clone().with_message(&m), &m)
                .await
                .expect("add")
        );
    }
    let mut seen = Vec::new();
    let mut after: Option<crate::ports::TimeCursor> = None;
    loop {
        let page = store.messages(&t, &c.id, after.as_ref(), 2).await.expect("list");
        seen.extend(page.items.iter().map(|m| m.id.clone()));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, ["m1", "m2", "m3", "m4", "m5", "zz", "aa"]);
}

pub async fn closing_frees_the_chat_for_a_new_conversation(store: Arc<dyn crate::ports::ConversationStore>) {
    use conversation_support::{conversation, t0};
    use domain::conversation::ConversationStatus;
    let t = fresh_tenant();
    let channel = domain::ids::ChannelId::parse("ch").expect("id");
    let c = conversation("c1", "u2i-1");
    store.open(&t, &c).await.expect("open");
    let mut closed = c.clone();
    closed.status = ConversationStatus::Closed;
    closed.closed_at = Some(t0());
    assert!(
        matches!(
            store.close(&t, &conversation_support::versioned(&c, 7), &closed).await,
            Err(StoreError::Conflict)
        ),
        "stale version"
    );
    store
        .close(&t, &conversation_support::versioned(&c, 1), &closed)
        .await
        .expect("close");
    assert!(
        store
            .open_for_chat(&t, &channel, "u2i-1")
            .await
            .expect("read")
            .is_none()
    );
    store
        .open(&t, &conversation("c2", "u2i-1"))
        .await
        .expect("a new conversation in the same chat");
    assert_eq!(
        store
            .open_for_chat(&t, &channel, "u2i-1")
            .await
            .expect("read")
            .map(|c| c.value.id.to_string()),
        Some("c2".into())
    );
    let old = store.get(&t, &c.id).await.expect("read").expect("kept");
    assert_eq!(old.value.status, ConversationStatus::Closed);
}

pub async fn concurrent_messages_to_one_conversation_all_land(store: Arc<dyn crate::ports::ConversationStore>) {
    use conversation_support::{conversation, message};
    let t = fresh_tenant();
    let c = conversation("c1", "u2i-1");
    store.open(&t, &c).await.expect("open");
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..6 {
        let (store, t, c) = (Arc::clone(&store), t.clone(), c.clone());
        writers.spawn(async move {
            let m = message(&c, &format!("m{i}"), i);
            loop {
                let current = store.get(&t, &c.id).await.expect("read").expect("exists");
                match store
                    .add_message(&t, &current, &current.value.clone().with_message(&m), &m)
                    .await
                {
                    Ok(added) => return added,
                    Err(StoreError::Conflict) => continue,
                    Err(e) => panic!("{e}"),
                }
            }
        });
    }
    let mut added = 0;
    while let Some(r) = writers.join_next().await {
        added += usize::from(r.expect("writer ran"));
    }
    assert_eq!(added, 6);
    let saved = store.get(&t, &c.id).await.expect("read").expect("exists");
    assert_eq!(saved.version, 7);
    assert_eq!(store.messages(&t, &c.id, None, 100).await.expect("list").items.len(), 6);
}

/// Generates the scheduler checks for an implementation; `$make` gives a fresh scheduler.
#[macro_export]
macro_rules! scheduler_contract {
    ($make:expr) => {
        $crate::scheduler_contract!(@tests $make;
            a_scheduled_job_reads_back_with_its_time_and_payload,
            scheduling_the_same_name_twice_keeps_the_first,
            a_cancelled_job_is_gone_and_cancelling_again_is_harmless,
        );
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let scheduler: ::std::sync::Arc<dyn $crate::ports::Scheduler> = $make.await;
                $crate::contract::$name(scheduler).await;
            }
        )*
    };
}

fn job(name: &str, due: &str, payload: &str) -> crate::ports::ScheduledJob {
    crate::ports::ScheduledJob {
        name: name.into(),
        due_at: due.parse().expect("instant"),
        payload: payload.into(),
    }
}

fn unique(prefix: &str) -> String {
    let t = fresh_tenant();
    domain::auto_reply::schedule_name(&[prefix, t.as_str()])
}

pub async fn a_scheduled_job_reads_back_with_its_time_and_payload(scheduler: Arc<dyn crate::ports::Scheduler>) {
    let name = unique("ar");
    let j = job(&name, "2026-11-25T10:05:30Z", r#"{"conversation":"c1","index":0}"#);
    assert!(scheduler.schedule(&j).await.expect("schedule"));
    assert_eq!(scheduler.get(&name).await.expect("get"), Some(j));
    assert_eq!(scheduler.get(&unique("none")).await.expect("get"), None);
}

pub async fn scheduling_the_same_name_twice_keeps_the_first(scheduler: Arc<dyn crate::ports::Scheduler>) {
    let name = unique("ar");
    let first = job(&name, "2026-11-25T10:05:30Z", r#"{"n":1}"#);
    assert!(scheduler.schedule(&first).await.expect("schedule"));
    assert!(
        !scheduler
            .schedule(&job(&name, "2026-11-25T11:00:00Z", r#"{"n":2}"#))
            .await
            .expect("schedule again")
    );
    assert_eq!(scheduler.get(&name).await.expect("get"), Some(first));
}

pub async fn a_cancelled_job_is_gone_and_cancelling_again_is_harmless(scheduler: Arc<dyn crate::ports::Scheduler>) {
    let name = unique("ar");
    scheduler
        .schedule(&job(&name, "2026-11-25T10:05:30Z", "{}"))
        .await
        .expect("schedule");
    assert!(scheduler.cancel(&name).await.expect("cancel"));
    assert!(!scheduler.cancel(&name).await.expect("cancel again"));
    assert_eq!(scheduler.get(&name).await.expect("get"), None);
}

pub async fn a_sent_message_is_recognised_when_avito_echoes_it(store: Arc<dyn crate::ports::ConversationStore>) {
    use conversation_support::{conversation, message};
    use domain::conversation::{Author, Delivery};
    let t = fresh_tenant();
    let c = conversation("c1", "u2i-1");
    store.open(&t, &c).await.expect("open");
    let mut ours = message(&c, "ar-job-1", 60);
    ours.author = Author::AutoReply;
    ours.delivery = Some(Delivery::Pending);
    assert!(
        store
            .add_message(
                &t,
                &conversation_support::versioned(&c, 1),
                &c.clone().with_message(&ours),
                &ours
            )
            .await
            .expect("claimed")
    );
    ours.delivery = Some(Delivery::Sent {
        avito_message_id: "avito-77".into(),
    });
    store.record_delivery(&t, &c.channel_id, &ours).await.expect("recorded");
    let listed = store.messages(&t, &c.id, None, 10).await.expect("list").items;
    assert_eq!(listed, vec![ours.clone()]);
    // Avito's echo of it carries Avito's id: it is a duplicate, not a new message.
    let current = store.get(&t, &c.id).await.expect("read").expect("exists");
    let mut echo = message(&c, "avito-77", 61);
    echo.author = Author::Account;
    assert!(
        !store
            .add_message(&t, &current, &current.value.clone().with_message(&echo), &echo)
            .await
            .expect("add")
    );
    assert_eq!(store.messages(&t, &c.id, None, 10).await.expect("list").items.len(), 1);
}

/// Claiming a failed message to send it again is a compare-and-swap on the message: of two
/// racers one wins, and a message changed since it was read is not claimed.
pub async fn of_two_claims_on_a_failed_message_one_wins(store: Arc<dyn crate::ports::ConversationStore>) {
    use conversation_support::{conversation, message};
    use domain::conversation::{Delivery, Message};
    let t = fresh_tenant();
    let c = conversation("c1", "u2i-1");
    store.open(&t, &c).await.expect("open");
    let mut failed = message(&c, "op-r1", 60);
    failed.delivery = Some(Delivery::Failed {
        reason: "rate limit".into(),
        resendable: true,
        code: domain::conversation::SendFailure::RateLimited,
    });
    assert!(
        store
            .add_message(
                &t,
                &conversation_support::versioned(&c, 1),
                &c.clone().with_message(&failed),
                &failed
            )
            .await
            .expect("added")
    );
    let claimed = Message {
        delivery: Some(Delivery::Pending),
        ..failed.clone()
    };
    let (a, b) = tokio::join!(
        store.replace_message(&t, &failed, &claimed),
        store.replace_message(&t, &failed, &claimed)
    );
    let mut wins = [a.expect("claim"), b.expect("claim")];
    wins.sort();
    assert_eq!(wins, [false, true]);
    assert_eq!(
        store.messages(&t, &c.id, None, 10).await.expect("list").items,
        vec![claimed]
    );
    let unknown = message(&c, "op-missing", 61);
    assert!(
        !store
            .replace_message(&t, &unknown, &unknown)
            .await
            .expect("nothing to claim")
    );
}

pub async fn open_conversations_are_found_when_their_auto_close_time_comes(
    store: Arc<dyn crate::ports::ConversationStore>,
) {
    use chrono::TimeDelta;
    use conversation_support::{conversation, message, t0};
    use domain::conversation::ClosingReason;
    let (t, other) = (fresh_tenant(), fresh_tenant());
    let due = |secs: i64| Some(t0() + TimeDelta::seconds(secs));
    let with_due = |id: &str, chat: &str, secs: Option<i64>| {
        let mut c = conversation(id, chat);
        c.auto_close_due_at = secs.and_then(due);
        c
    };
    let (c1, c2, c3, c4) = (
        with_due("c1", "u2i-1", Some(10)),
        with_due("c2", "u2i-2", Some(20)),
        with_due("c3", "u2i-3", None),
        with_due("c4", "u2i-4", Some(5)),
    );
    for c in [&c1, &c2, &c3] {
        store.open(&t, c).await.expect("open");
    }
    store.open(&other, &c4).await.expect("open");
    // New activity moves c2's time on; c1 closes.
    let m = message(&c2, "m1", 30);
    let mut moved = c2.clone().with_message(&m);
    moved.auto_close_due_at = due(100);
    assert!(
        store
            .add_message(&t, &conversation_support::versioned(&c2, 1), &moved, &m)
            .await
            .expect("add")
    );
    store
        .close(
            &t,
            &conversation_support::versioned(&c1, 1),
            &c1.clone().closed(t0(), ClosingReason::Inactive),
        )
        .await
        .expect("close");

    let mine = |found: Vec<(domain::ids::TenantId, domain::ids::ConversationId)>| -> Vec<String> {
        found
            .into_iter()
            .filter(|(tenant, _)| *tenant == t || *tenant == other)
            .map(|(_, c)| c.to_string())
            .collect()
    };
    assert_eq!(
        mine(
            store
                .due_for_auto_close(t0() + TimeDelta::seconds(50), 1000)
                .await
                .expect("due")
        ),
        ["c4"]
    );
    assert_eq!(
        mine(
            store
                .due_for_auto_close(t0() + TimeDelta::seconds(200), 1000)
                .await
                .expect("due")
        ),
        ["c4", "c2"]
    );
    assert!(mine(store.due_for_auto_close(t0(), 1000).await.expect("due")).is_empty());

    // Saving a conversation with a later time moves it in the index; a stale save writes nothing.
    let mut later = c4.clone();
    later.auto_close_due_at = due(150);
    assert!(matches!(
        store
            .save(&other, &conversation_support::versioned(&c4, 7), &later)
            .await,
        Err(crate::ports::StoreError::Conflict)
    ));
    store
        .save(&other, &conversation_support::versioned(&c4, 1), &later)
        .await
        .expect("save");
    assert_eq!(
        mine(
            store
                .due_for_auto_close(t0() + TimeDelta::seconds(120), 1000)
                .await
                .expect("due")
        ),
        ["c2"]
    );
    let saved = store.get(&other, &c4.id).await.expect("read").expect("exists");
    assert_eq!((saved.version, saved.value.auto_close_due_at), (2, due(150)));
}

pub async fn open_conversations_list_by_handler_most_recent_activity_first(
    store: Arc<dyn crate::ports::ConversationStore>,
) {
    use chrono::TimeDelta;
    use conversation_support::{conversation, message, t0};
    use domain::conversation::{ClosingReason, Handler};
    let (t, other) = (fresh_tenant(), fresh_tenant());
    let sales = || Handler::GroupQueue {
        group_id: domain::ids::GroupId::parse("sales").expect("id"),
    };
    let anna = Handler::Operator {
        employee_id: domain::ids::EmployeeId::parse("anna").expect("id"),
    };
    let make = |id: &str, handler: Handler, secs: i64| {
        let mut c = conversation(id, &format!("u2i-{id}"));
        c.handler = handler;
        c.last_activity_at = t0() + TimeDelta::seconds(secs);
        c
    };
    for c in [
        make("c1", sales(), 10),
        make("c2", sales(), 30),
        make("c3", anna.clone(), 20),
        make("c4", Handler::GeneralQueue, 40),
    ] {
        store.open(&t, &c).await.expect("open");
    }
    store
        .open(&other, &make("c9", sales(), 50))
        .await
        .expect("another tenant");
    let keys = |hs: &[Handler]| hs.to_vec();
    let ids = |p: &crate::ports::Page<domain::conversation::Conversation, crate::ports::TimeCursor>| {
        p.items.iter().map(|c| c.id.to_string()).collect::<Vec<_>>()
    };

    let queue = keys(&[sales(), Handler::GeneralQueue]);
    let first = store.open_by_handler(&t, &queue, None, 2).await.expect("list");
    assert_eq!(ids(&first), ["c4", "c2"]);
    let second = store
        .open_by_handler(&t, &queue, first.next.as_ref(), 2)
        .await
        .expect("list");
    assert_eq!((ids(&second), second.next), (vec!["c1".to_owned()], None));
    assert_eq!(
        ids(&store.open_by_handler(&t, &keys(&[anna]), None, 10).await.expect("list")),
        ["c3"]
    );

    // New activity moves a conversation up; closing takes it off the lists.
    let current = store
        .get(&t, &domain::ids::ConversationId::parse("c1").expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let m = message(&current.value, "m1", 100);
    assert!(
        store
            .add_message(&t, &current, &current.value.clone().with_message(&m), &m)
            .await
            .expect("add")
    );
    assert_eq!(
        ids(&store.open_by_handler(&t, &queue, None, 10).await.expect("list")),
        ["c1", "c4", "c2"]
    );
    let c4 = store
        .get(&t, &domain::ids::ConversationId::parse("c4").expect("id"))
        .await
        .expect("read")
        .expect("exists");
    store
        .close(&t, &c4, &c4.value.clone().closed(t0(), ClosingReason::Inactive))
        .await
        .expect("close");
    assert_eq!(
        ids(&store.open_by_handler(&t, &queue, None, 10).await.expect("list")),
        ["c1", "c2"]
    );
    assert!(
        store
            .open_by_handler(&t, &[], None, 10)
            .await
            .expect("list")
            .items
            .is_empty()
    );
    // The badges count what the lists show.
    let count = |handlers: Vec<Handler>| {
        let (store, t) = (Arc::clone(&store), t.clone());
        async move { store.count_open_by_handler(&t, &handlers).await.expect("count") }
    };
    assert_eq!(count(queue.clone()).await, 2);
    let anna_again = Handler::Operator {
        employee_id: domain::ids::EmployeeId::parse("anna").expect("id"),
    };
    assert_eq!(count(keys(&[anna_again])).await, 1);
    assert_eq!(count(Vec::new()).await, 0);
    assert_eq!(
        store.count_open_by_handler(&other, &queue).await.expect("count"),
        1,
        "the other tenant's own"
    );
}

/// A client card's history (R-OP3): its conversations, open and closed, newest first, paged; a
/// conversation linked to another card moves to that card's history; tenants stay apart.
pub async fn a_client_cards_history_lists_its_conversations_newest_first(
    store: Arc<dyn crate::ports::ConversationStore>,
) {
    use chrono::TimeDelta;
    use conversation_support::{conversation, message, t0};
    use domain::conversation::ClosingReason;
    use domain::ids::ClientCardId;
    let (t, other) = (fresh_tenant(), fresh_tenant());
    let (guest, client) = (
        ClientCardId::parse("guest").expect("id"),
        ClientCardId::parse("client").expect("id"),
    );
    let with_card = |id: &str, chat: &str, card: &ClientCardId, minutes: i64| {
        let mut c = conversation(id, chat);
        c.client.card_id = Some(card.clone());
        c.created_at = t0() + TimeDelta::minutes(minutes);
        c
    };
    let c1 = with_card("c1", "chat-1", &guest, 0);
    let c2 = with_card("c2", "chat-2", &guest, 10);
    let c3 = with_card("c3", "chat-3", &client, 5);
    for c in [&c1, &c2, &c3] {
        store.open(&t, c).await.expect("open");
    }
    store
        .open(&other, &with_card("c9", "chat-9", &guest, 20))
        .await
        .expect("open");
    store
        .close(
            &t,
            &conversation_support::versioned(&c1, 1),
            &c1.clone().closed(t0(), ClosingReason::Inactive),
        )
        .await
        .expect("close");
    let history = |card: ClientCardId| {
        let (store, t) = (Arc::clone(&store), t.clone());
        async move {
            let mut ids = Vec::new();
            let mut after: Option<crate::ports::TimeCursor> = None;
            loop {
                let page = store
                    .by_client_card(&t, &card, after.as_ref(), 1)
                    .await
                    .expect("history");
                ids.extend(page.items.into_iter().map(|c| c.id.to_string()));
                match page.next {
                    Some(n) => after = Some(n),
                    None => return ids,
                }
            }
        }
    };
    assert_eq!(
        history(guest.clone()).await,
        ["c2", "c1"],
        "closed ones stay in the history"
    );
    assert_eq!(history(client.clone()).await, ["c3"]);

    // An operator links c2 to the client's card.
    let m = message(&c2, "m1", 30);
    let mut linked = c2.clone().with_message(&m);
    linked.client.card_id = Some(client.clone());
    assert!(
        store
            .add_message(&t, &conversation_support::versioned(&c2, 1), &linked, &m)
            .await
            .expect("add")
    );
    assert_eq!(history(guest).await, ["c1"]);
    assert_eq!(history(client).await, ["c2", "c3"]);
}

/// The badge counts (R-UI3) are kept with every write: opening, taking, handing over in a message,
/// closing; a duplicate message or a stale write moves nothing; the counts always equal what the
/// lists hold; tenants apart.
pub async fn list_counts_follow_every_move_and_only_writes_that_happen(
    store: Arc<dyn crate::ports::ConversationStore>,
) {
    use conversation_support::{conversation, message, t0, versioned};
    use domain::conversation::{ClosingReason, Handler};
    let (t, other) = (fresh_tenant(), fresh_tenant());
    let sales = Handler::GroupQueue {
        group_id: domain::ids::GroupId::parse("sales").expect("id"),
    };
    let anna = Handler::Operator {
        employee_id: domain::ids::EmployeeId::parse("anna").expect("id"),
    };
    let lists = [Handler::GeneralQueue, sales.clone(), anna.clone()];
    let counts = || {
        let (store, t) = (Arc::clone(&store), t.clone());
        let lists = lists.clone();
        async move {
            let mut counted = Vec::new();
            for list in &lists {
                let n = store
                    .count_open_by_handler(&t, std::slice::from_ref(list))
                    .await
                    .expect("count");
                let listed = store
                    .open_by_handler(&t, std::slice::from_ref(list), None, 1000)
                    .await
                    .expect("list")
                    .items
                    .len();
                assert_eq!(n, listed as u64, "the count of {list:?} is what its list holds");
                counted.push(n);
            }
            assert_eq!(
                store.count_open_by_handler(&t, &lists).await.expect("count"),
                counted.iter().sum::<u64>(),
                "several lists count together"
            );
            counted
        }
    };
    assert_eq!(counts().await, [0, 0, 0]);

    let c1 = conversation("c1", "u2i-1");
    let mut c2 = conversation("c2", "u2i-2");
    c2.handler = sales.clone();
    store.open(&t, &c1).await.expect("open");
    store.open(&t, &c2).await.expect("open");
    store.open(&other, &c1).await.expect("another tenant's");
    assert_eq!(counts().await, [1, 1, 0]);

    // Taken: from the general queue to Anna.
    let mut taken = c1.clone();
    taken.handler = anna.clone();
    store.save(&t, &versioned(&c1, 1), &taken).await.expect("take");
    assert_eq!(counts().await, [0, 1, 1]);
    // A stale write moves nothing.
    let mut back = c1.clone();
    back.handler = sales.clone();
    assert!(matches!(
        store.save(&t, &versioned(&c1, 1), &back).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(counts().await, [0, 1, 1]);

    // A message that also hands it over (a note with the assignment) moves it; delivered again,
    // it moves nothing more. A message that keeps the handler moves nothing.
    let m = message(&c2, "m1", 5);
    let mut handed = c2.clone().with_message(&m);
    handed.handler = anna.clone();
    for _ in 0..3 {
        let current = store.get(&t, &c2.id).await.expect("read").expect("exists");
        let next = if current.version == 1 {
            handed.clone()
        } else {
            current.value.clone()
        };
        store.add_message(&t, &current, &next, &m).await.expect("add");
    }
    assert_eq!(counts().await, [0, 0, 2]);
    let current = store.get(&t, &c2.id).await.expect("read").expect("exists");
    let m2 = message(&c2, "m2", 6);
    let next = current.value.clone().with_message(&m2);
    assert!(store.add_message(&t, &current, &next, &m2).await.expect("add"));
    assert_eq!(counts().await, [0, 0, 2]);

    // Closed: off the counts; the chat's next conversation counts again.
    let current = store.get(&t, &c1.id).await.expect("read").expect("exists");
    store
        .close(
            &t,
            &current,
            &current.value.clone().closed(t0(), ClosingReason::Inactive),
        )
        .await
        .expect("close");
    assert_eq!(counts().await, [0, 0, 1]);
    store.open(&t, &conversation("c3", "u2i-1")).await.expect("open again");
    assert_eq!(counts().await, [1, 0, 1]);
    assert_eq!(
        store
            .count_open_by_handler(&other, &[Handler::GeneralQueue])
            .await
            .expect("count"),
        1,
        "the other tenant's own"
    );
}

/// R-UI3 measured: a badge count and a list head read the same with `few` and with `many` open
/// conversations in the lists (the store's [`crate::ports::ReadMeter`] measures). Opens
/// `few + many` conversations, `at_once` at a time.
pub async fn counts_and_list_heads_cost_the_same_with_few_or_many_open<S>(
    store: Arc<S>,
    few: usize,
    many: usize,
    at_once: usize,
) where
    S: crate::ports::ConversationStore + crate::ports::ReadMeter + 'static,
{
    use conversation_support::conversation;
    use domain::conversation::Handler;
    let lists = [
        Handler::GeneralQueue,
        Handler::GroupQueue {
            group_id: domain::ids::GroupId::parse("sales").expect("id"),
        },
        Handler::Operator {
            employee_id: domain::ids::EmployeeId::parse("anna").expect("id"),
        },
    ];
    let cost = |tenant: TenantId, n: usize| {
        let store = Arc::clone(&store);
        let lists = lists.clone();
        async move {
            // Opened a few at a time, as conversations arrive; spread over the three lists, each
            // holding more than the head of two reads from it (`limit + 1`) even with `few`.
            let mut opened = 0;
            while opened < n {
                let mut batch = tokio::task::JoinSet::new();
                for i in opened..n.min(opened + at_once) {
                    let (store, tenant) = (Arc::clone(&store), tenant.clone());
                    let mut c = conversation(&format!("c{i}"), &format!("u2i-{i}"));
                    c.handler = lists[i % 3].clone();
                    c.last_activity_at += chrono::TimeDelta::seconds(i64::try_from(i).unwrap_or(0));
                    batch.spawn(async move { store.open(&tenant, &c).await });
                }
                for opening in batch.join_all().await {
                    opening.expect("open");
                }
                opened = n.min(opened + at_once);
            }
            let before = store.read_work();
            let counted = store.count_open_by_handler(&tenant, &lists).await.expect("count");
            let count_cost = store.read_work() - before;
            let before = store.read_work();
            let head = store.open_by_handler(&tenant, &lists, None, 2).await.expect("list");
            let head_cost = store.read_work() - before;
            assert_eq!(counted, n as u64);
            assert_eq!(head.items.len(), 2);
            (count_cost, head_cost)
        }
    };
    let (few_cost, many_cost) = (cost(fresh_tenant(), few).await, cost(fresh_tenant(), many).await);
    assert!(few_cost.0 > 0 && few_cost.1 > 0, "the meter measures: {few_cost:?}");
    assert_eq!(
        many_cost, few_cost,
        "(count, list head) read work with {many} open conversations as with {few}"
    );
}

/// Generates one `#[tokio::test]` per check of [`crate::ports::LiveConnections`]; `$make` is an
/// async expression giving an `Arc<dyn LiveConnections>`.
#[macro_export]
macro_rules! live_connections_contract {
    ($make:expr) => {
        $crate::live_connections_contract!(@tests $make;
            live_connections_list_per_tenant_until_removed_or_expired,
            a_live_ticket_opens_once_in_its_tenant_until_it_expires,
            of_two_takers_of_one_live_ticket_exactly_one_gets_it,
        );
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::ports::LiveConnections> = $make.await;
                $crate::contract::$name(store).await;
            }
        )*
    };
}

mod live_support {
    use crate::ports::{LiveConnection, LiveTicket};
    use chrono::{DateTime, TimeDelta, Utc};
    use domain::ids::EmployeeId;

    pub fn now() -> DateTime<Utc> {
        "2026-11-29T12:00:00Z".parse().expect("instant")
    }

    pub fn employee(id: &str) -> EmployeeId {
        EmployeeId::parse(id).expect("id")
    }

    pub fn connection(id: &str, who: &str, seconds: i64) -> LiveConnection {
        LiveConnection {
            id: id.to_owned(),
            employee: employee(who),
            expires_at: now() + TimeDelta::seconds(seconds),
        }
    }

    pub fn ticket(digest: &str, who: &str, seconds: i64) -> LiveTicket {
        LiveTicket {
            digest: digest.to_owned(),
            employee: employee(who),
            expires_at: now() + TimeDelta::seconds(seconds),
            session_ends_at: None,
        }
    }
}

/// A tenant's connections are listed with their ends, the ended ones too (the push closes them),
/// until removed.
pub async fn live_connections_list_per_tenant_until_removed_or_expired(store: Arc<dyn crate::ports::LiveConnections>) {
    use live_support::*;
    let (t, other) = (fresh_tenant(), fresh_tenant());
    // API Gateway's connection ids are base64-like: `=`, `+` and `/` are kept as they are.
    let ids = ["Ab+c/d=", "B1", "C2"];
    store.add(&t, &connection(ids[0], "anna", 7200)).await.expect("add");
    store.add(&t, &connection(ids[1], "boris", 7200)).await.expect("add");
    store.add(&t, &connection(ids[2], "anna", 1)).await.expect("add");
    store.add(&other, &connection("D3", "anna", 7200)).await.expect("add");
    let mut listed = store.of_tenant(&t).await.expect("list");
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    // The one that ends in a second is listed with its end, which the push reads.
    assert_eq!(
        listed,
        vec![
            connection(ids[0], "anna", 7200),
            connection(ids[1], "boris", 7200),
            connection(ids[2], "anna", 1)
        ]
    );
    store.remove(&t, ids[0]).await.expect("remove");
    store.remove(&t, "never-there").await.expect("removing nothing is fine");
    let left: Vec<String> = store
        .of_tenant(&t)
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(left.len(), 2);
    assert!(!left.contains(&ids[0].to_owned()));
    let others: Vec<String> = store
        .of_tenant(&other)
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(others, ["D3"]);
}

pub async fn a_live_ticket_opens_once_in_its_tenant_until_it_expires(store: Arc<dyn crate::ports::LiveConnections>) {
    use live_support::*;
    let (t, other) = (fresh_tenant(), fresh_tenant());
    store.keep_ticket(&t, &ticket("d1", "anna", 60)).await.expect("keep");
    let again = store.keep_ticket(&t, &ticket("d1", "boris", 60)).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    // Another tenant does not have it, and asking there does not use it up.
    assert_eq!(store.take_ticket(&other, "d1", now()).await.expect("take"), None);
    assert_eq!(
        store.take_ticket(&t, "d1", now()).await.expect("take"),
        Some(ticket("d1", "anna", 60))
    );
    // A ticket remembers when the session it was issued in ends.
    let mut bound = ticket("d3", "boris", 60);
    bound.session_ends_at = Some(now() + chrono::TimeDelta::seconds(900));
    store.keep_ticket(&t, &bound).await.expect("keep");
    assert_eq!(store.take_ticket(&t, "d3", now()).await.expect("take"), Some(bound));
    assert_eq!(
        store.take_ticket(&t, "d1", now()).await.expect("take"),
        None,
        "single use"
    );
    assert_eq!(store.take_ticket(&t, "never-issued", now()).await.expect("take"), None);
    store.keep_ticket(&t, &ticket("d2", "anna", 60)).await.expect("keep");
    let late = now() + chrono::TimeDelta::seconds(61);
    assert_eq!(store.take_ticket(&t, "d2", late).await.expect("take"), None, "expired");
    // Tickets are not connections.
    assert!(store.of_tenant(&t).await.expect("list").is_empty());
}

pub async fn of_two_takers_of_one_live_ticket_exactly_one_gets_it(store: Arc<dyn crate::ports::LiveConnections>) {
    use live_support::*;
    let t = fresh_tenant();
    store.keep_ticket(&t, &ticket("race", "anna", 60)).await.expect("keep");
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (store, t) = (Arc::clone(&store), t.clone());
        racers.spawn(async move { store.take_ticket(&t, "race", now()).await.expect("take") });
    }
    let mut winners = 0;
    while let Some(taken) = racers.join_next().await {
        if taken.expect("racer").is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

/// The archive (R-UI4): closed conversations of the tenant, the most recently closed first, paged;
/// open ones are not in it; tenants apart.
pub async fn the_archive_lists_closed_conversations_most_recently_closed_first(
    store: Arc<dyn crate::ports::ConversationStore>,
) {
    use chrono::TimeDelta;
    use conversation_support::{conversation, t0};
    use domain::conversation::ClosingReason;
    let (t, other) = (fresh_tenant(), fresh_tenant());
    for id in ["c1", "c2", "c3"] {
        store
            .open(&t, &conversation(id, &format!("u2i-{id}")))
            .await
            .expect("open");
    }
    store.open(&other, &conversation("c9", "u2i-9")).await.expect("open");
    for (tenant, id, secs) in [(&t, "c1", 10), (&t, "c3", 30), (&other, "c9", 40)] {
        let current = store
            .get(tenant, &domain::ids::ConversationId::parse(id).expect("id"))
            .await
            .expect("read")
            .expect("there");
        let closed = current
            .value
            .clone()
            .closed(t0() + TimeDelta::seconds(secs), ClosingReason::Inactive);
        store.close(tenant, &current, &closed).await.expect("close");
    }
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = store.closed(&t, after.as_ref(), 1).await.expect("archive");
        ids.extend(page.items.iter().map(|c| c.id.to_string()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(ids, ["c3", "c1"]);
    let theirs = store.closed(&other, None, 10).await.expect("archive");
    assert_eq!(
        theirs.items.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(),
        ["c9"]
    );
}
