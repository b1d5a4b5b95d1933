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
