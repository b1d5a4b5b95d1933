//! The configuration store contract on the embedded SQLite store, plus what only a file store
//! must show: the data survives a restart.

use adapters::embedded::SqliteConfigStore;
use adapters::ports::{ConfigKind, ConfigStore};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().expect("temporary directory"));

fn fresh_path() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    DIR.path()
        .join(format!("config-{}.sqlite3", N.fetch_add(1, Ordering::Relaxed)))
}

async fn sqlite_store() -> Arc<dyn ConfigStore> {
    Arc::new(SqliteConfigStore::open(&fresh_path()).expect("open store"))
}

adapters::config_store_contract!(sqlite_store());
adapters::credentials_contract!(sqlite_store());

mod conversations {
    use adapters::embedded::SqliteConversationStore;
    use adapters::ports::ConversationStore;
    use std::sync::Arc;

    async fn sqlite_conversations() -> Arc<dyn ConversationStore> {
        Arc::new(SqliteConversationStore::open(&super::fresh_path()).expect("open store"))
    }

    adapters::conversation_store_contract!(sqlite_conversations());

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn counts_and_list_heads_cost_the_same_with_10_or_10000_open() {
        let store = Arc::new(SqliteConversationStore::open(&super::fresh_path()).expect("open store"));
        adapters::contract::counts_and_list_heads_cost_the_same_with_few_or_many_open(store, 10, 10_000, 16).await;
    }
}

#[tokio::test]
async fn documents_survive_reopening_the_file() {
    let path = fresh_path();
    let tenant = adapters::contract::fresh_tenant();
    {
        let store = SqliteConfigStore::open(&path).expect("open store");
        store
            .insert(&tenant, ConfigKind::Employee, "e1", r#"{"name":"Анна"}"#)
            .await
            .expect("insert");
        store
            .put(&tenant, ConfigKind::Schedule, ConfigKind::SINGLETON_ID, "{}")
            .await
            .expect("put");
    }
    let reopened = SqliteConfigStore::open(&path).expect("reopen store");
    let got = reopened
        .get(&tenant, ConfigKind::Employee, "e1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got.doc, r#"{"name":"Анна"}"#);
    assert!(
        reopened
            .get(&tenant, ConfigKind::Schedule, ConfigKind::SINGLETON_ID)
            .await
            .expect("get")
            .is_some()
    );
}

/// The configuration cache in front of the store passes the same contract (every kind cached), so
/// a process reading through it sees what it wrote; a write by another process shows once the
/// cached copy is older than its time to live.
mod cached {
    use adapters::cached_config::CachedConfigStore;
    use adapters::embedded::SqliteConfigStore;
    use adapters::ports::{ConfigKind, ConfigStore};
    use std::sync::Arc;
    use std::time::Duration;

    const ALL_KINDS: [ConfigKind; 6] = [
        ConfigKind::Employee,
        ConfigKind::Schedule,
        ConfigKind::Notification,
        ConfigKind::Channel,
        ConfigKind::ChannelSettings,
        ConfigKind::Group,
    ];

    async fn cached_store() -> Arc<dyn ConfigStore> {
        let file = Arc::new(SqliteConfigStore::open(&super::fresh_path()).expect("open store"));
        Arc::new(CachedConfigStore::new(file, Duration::from_secs(60), &ALL_KINDS))
    }

    adapters::config_store_contract!(cached_store());

    #[tokio::test]
    async fn another_writer_shows_after_the_time_to_live_and_own_writes_at_once() {
        let file: Arc<dyn ConfigStore> = Arc::new(SqliteConfigStore::open(&super::fresh_path()).expect("open"));
        let ttl = Duration::from_millis(300);
        let cache = CachedConfigStore::new(Arc::clone(&file), ttl, &[ConfigKind::Channel]);
        let tenant = adapters::contract::fresh_tenant();
        let read = |c: &CachedConfigStore| {
            let (c, tenant) = (c.clone(), tenant.clone());
            async move {
                c.get(&tenant, ConfigKind::Channel, "ch1")
                    .await
                    .expect("get")
                    .map(|d| d.doc)
            }
        };
        assert_eq!(read(&cache).await, None, "nothing yet");
        file.insert(&tenant, ConfigKind::Channel, "ch1", r#"{"v":1}"#)
            .await
            .expect("insert elsewhere");
        assert_eq!(
            read(&cache).await,
            None,
            "another writer's document is not seen at once"
        );
        tokio::time::sleep(ttl + Duration::from_millis(50)).await;
        assert_eq!(
            read(&cache).await.as_deref(),
            Some(r#"{"v":1}"#),
            "seen after the time to live"
        );
        cache
            .put(&tenant, ConfigKind::Channel, "ch1", r#"{"v":2}"#)
            .await
            .expect("own write");
        assert_eq!(
            read(&cache).await.as_deref(),
            Some(r#"{"v":2}"#),
            "own write seen at once"
        );
        cache
            .delete(&tenant, ConfigKind::Channel, "ch1")
            .await
            .expect("own delete");
        assert_eq!(read(&cache).await, None, "own delete seen at once");
    }
}
