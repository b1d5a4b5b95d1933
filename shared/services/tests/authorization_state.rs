//! The authorization `state` is single-use and expires: checked with a clock the test moves.

use adapters::avito::{AvitoClient, RetryPolicy};
use adapters::configuration::Configuration;
use adapters::credentials::{AppCredentials, Vaults};
use adapters::embedded::SqliteConfigStore;
use adapters::ports::{ConfigStore, ManualClock};
use adapters::secrets::TokenCipher;
use domain::directory::{Channel, ChannelDraft, ChannelStatus};
use domain::ids::{ChannelId, TenantId};
use services::connection::{ConnectionError, ConnectionSettings, Connections, STATE_TTL_SECONDS};
use std::sync::Arc;

async fn setup() -> (
    Connections,
    Arc<ManualClock>,
    Configuration,
    TenantId,
    String,
    tempfile::TempDir,
    avito_sandbox::Sandbox,
) {
    let (sb, base) = avito_sandbox::serve_on_loopback(avito_sandbox::SandboxConfig {
        verify_subscriptions: false,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    avito_sandbox::seed_demo(&sb, "http://127.0.0.1:1/avito/oauth/callback");
    let dir = tempfile::tempdir().expect("temporary directory");
    let store: Arc<dyn ConfigStore> = Arc::new(SqliteConfigStore::open(&dir.path().join("c.sqlite3")).expect("store"));
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = AppCredentials {
        client_id: avito_sandbox::SANDBOX_CLIENT_ID.into(),
        client_secret: avito_sandbox::SANDBOX_CLIENT_SECRET.into(),
    };
    let vaults = Vaults {
        store: Arc::clone(&store),
        cipher: Arc::new(
            TokenCipher::from_config(
                "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "k1",
            )
            .expect("keys"),
        ),
        avito: AvitoClient::new(&base, RetryPolicy::default()).expect("client"),
        app: app.clone(),
        clock: clock.clone(),
    };
    let settings = ConnectionSettings {
        public_base_url: "http://127.0.0.1:1".into(),
        oauth_url: format!("{base}/oauth"),
        app,
    };
    let connections = Connections::new(Arc::clone(&store), vaults, settings);
    let config = Configuration::new(store);
    let tenant = TenantId::parse("acme").expect("tenant");
    let group = domain::directory::ChannelGroupDraft {
        name: "Москва".into()
    }
    .validate(domain::ids::ChannelGroupId::parse("cg").expect("id"))
    .expect("group");
    config.create(&tenant, &group).await.expect("group created");
    let channel = ChannelDraft {
        name: "Авито".into(),
        kind: "avito".into(),
        channel_group_id: "cg".into(),
    }
    .validate_new(ChannelId::parse("ch").expect("id"))
    .expect("channel");
    config.create(&tenant, &channel).await.expect("channel created");
    (connections, clock, config, tenant, "ch".into(), dir, sb)
}

fn state_of(url: &str) -> String {
    url.split("state=")
        .nth(1)
        .map(|s| s.replace("%2E", ".").replace("%2e", "."))
        .expect("a state")
}

#[tokio::test]
async fn an_expired_state_is_refused_and_the_channel_stays_unconnected() {
    let (connections, clock, config, tenant, ch, _dir, sb) = setup().await;
    let start = connections
        .start_authorization(&admin(&tenant), &ch)
        .await
        .expect("started");
    let code = avito_sandbox::api::new_code(
        &sb,
        1001,
        avito_sandbox::SANDBOX_CLIENT_ID,
        services::connection::AVITO_SCOPES
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    clock.advance(chrono::TimeDelta::seconds(STATE_TTL_SECONDS + 1));
    let result = connections
        .complete_authorization(&state_of(&start.authorize_url), &code)
        .await;
    assert!(matches!(result, Err(ConnectionError::InvalidState)), "{result:?}");
    let channel = config
        .get::<Channel>(&tenant, &ch)
        .await
        .expect("read")
        .expect("exists")
        .value;
    assert_eq!(channel.status, ChannelStatus::NotConnected);
    // The code was never spent: Avito saw no token request.
    assert!(sb.data().calls.iter().all(|c| c.operation != "getAccessToken"));
}

#[tokio::test]
async fn a_state_within_its_time_works_once() {
    let (connections, clock, _config, tenant, ch, _dir, sb) = setup().await;
    let start = connections
        .start_authorization(&admin(&tenant), &ch)
        .await
        .expect("started");
    clock.advance(chrono::TimeDelta::seconds(STATE_TTL_SECONDS - 5));
    let state = state_of(&start.authorize_url);
    let code = avito_sandbox::api::new_code(
        &sb,
        1001,
        avito_sandbox::SANDBOX_CLIENT_ID,
        services::connection::AVITO_SCOPES
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    let channel = connections
        .complete_authorization(&state, &code)
        .await
        .expect("connected");
    assert_eq!(channel.account.map(|a| a.id), Some(1001));
    let again = avito_sandbox::api::new_code(
        &sb,
        1001,
        avito_sandbox::SANDBOX_CLIENT_ID,
        services::connection::AVITO_SCOPES
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    assert!(matches!(
        connections.complete_authorization(&state, &again).await,
        Err(ConnectionError::InvalidState)
    ));
}

#[tokio::test]
async fn malformed_states_are_refused() {
    let (connections, _clock, _config, _tenant, _ch, _dir, _sb) = setup().await;
    for state in [
        "",
        "no-dot",
        "acme.",
        ".abc",
        "ac#me.abc",
        "acme.a/b",
        "acme.0123456789abcdef",
    ] {
        assert!(
            matches!(
                connections.complete_authorization(state, "code").await,
                Err(ConnectionError::InvalidState)
            ),
            "{state}"
        );
    }
}

fn admin(tenant: &TenantId) -> services::desk::Person {
    services::desk::Person {
        tenant: tenant.clone(),
        user: "admin".into(),
        role: domain::access::Role::Admin,
    }
}
