//! The local all-in-one server: every HTTP function's router on one port, on the embedded store
//! in a data directory. `make run` starts it; it is also how a small business can run the product
//! on one machine.
//!
//! With no Avito app configured (`AVITO_CLIENT_ID` unset) the Avito sandbox is mounted under
//! `/sandbox` and the client points at it, so the whole flow (connect a channel in the browser,
//! clients writing, webhooks) runs on this machine.

use adapters::avito::{AVITO_API_BASE_URL, AVITO_OAUTH_URL, AvitoClient, RetryPolicy};
use adapters::cached_config::CachedConfigStore;
use adapters::configuration::Configuration;
use adapters::credentials::{AppCredentials, Vaults};
use adapters::embedded::{SqliteConfigStore, SqliteConversationStore, SqliteQueue, SqliteScheduler};
use adapters::ports::{ConfigKind, ConfigStore, SystemClock};
use adapters::secrets::TokenCipher;
use admin_api::AdminState;
use http_api::Authenticator;
use services::connection::{ConnectionSettings, Connections};
use services::identity::Identity;
use services::inbound::InboundProcessor;
use services::ports::Ports;
use services::timed::TimedJob;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub mod events;
pub mod sign_in;

/// The development tokens used when `LOCAL_API_TOKENS` is not set: tenant `demo`, an administrator
/// and an operator. For trying the product on one machine only.
pub const DEV_TOKENS: &str = "dev-admin-token:demo:admin:admin,dev-operator-token:demo:operator:operator";
pub const DEV_ADMIN_TOKEN: &str = "dev-admin-token";
pub const DEV_OPERATOR_TOKEN: &str = "dev-operator-token";
/// The tenant of the local server's people (the development tokens' tenant too).
pub const LOCAL_TENANT: &str = "demo";
/// The configuration the webhook and the router read on every message, kept in memory.
const CACHED_CONFIGURATION: [ConfigKind; 6] = [
    ConfigKind::Channel,
    ConfigKind::ChannelSettings,
    ConfigKind::Schedule,
    ConfigKind::Distribution,
    ConfigKind::Employee,
    ConfigKind::Group,
];
const CONFIG_CACHE_TTL: Duration = Duration::from_secs(60);
/// An inbound event received this many times without being processed becomes a dead letter.
pub const INBOUND_MAX_RECEIVES: u32 = 5;
/// How long an inbound event that failed waits before it is received again, unless
/// `LOCAL_INBOUND_RETRY_SECONDS` says otherwise (the SQS queue's visibility timeout on AWS).
pub const INBOUND_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Which Avito the server talks to.
#[derive(Clone)]
pub enum AvitoTarget {
    /// The sandbox, mounted under `/sandbox` of this server.
    Sandbox,
    /// A real Avito app.
    Real {
        app: AppCredentials,
        api_base: String,
        oauth_url: String,
    },
}

/// The local server's configuration, from the environment.
pub struct LocalConfig {
    /// `LOCAL_ADDR`, default `127.0.0.1:8080`; port 0 picks a free one.
    pub addr: SocketAddr,
    /// `LOCAL_DATA_DIR`, default `.local-data`: the embedded store's files and the token key.
    pub data_dir: PathBuf,
    /// From `LOCAL_API_TOKENS` (`TOKEN:TENANT:USER:ROLE,...`), or the development tokens.
    pub auth: Authenticator,
    /// Whether the development tokens are in use (then they are printed at start).
    pub dev_tokens: bool,
    /// `PUBLIC_BASE_URL`: where Avito reaches this server (webhooks, OAuth callback); default the
    /// listening address.
    pub public_base_url: Option<String>,
    /// `AVITO_CLIENT_ID` and `AVITO_CLIENT_SECRET` (with `AVITO_API_BASE_URL`, `AVITO_OAUTH_URL`),
    /// or the sandbox when they are unset.
    pub avito: AvitoTarget,
    /// `TOKEN_ENCRYPTION_KEYS` and `TOKEN_ENCRYPTION_KEY_ID`, or a key generated in the data directory.
    pub token_keys: Option<(String, String)>,
    /// `CHATBOT_ALLOW_LOOPBACK=1`: chatbots on this machine may be registered and called (for
    /// developing a bot locally); unset, only public addresses are.
    pub chatbots_on_loopback: bool,
    /// `LOCAL_INBOUND_RETRY_SECONDS` (0 to 3600), default [`INBOUND_RETRY_AFTER`]: how long an
    /// inbound event that failed waits before the next attempt; after [`INBOUND_MAX_RECEIVES`]
    /// attempts it is a dead letter.
    pub inbound_retry_after: Duration,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl LocalConfig {
    /// Reads the configuration; the error names the variable at fault (never a token).
    pub fn from_env() -> Result<Self, String> {
        let addr = env("LOCAL_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let addr = addr
            .parse()
            .map_err(|_| format!("LOCAL_ADDR is not an address such as 127.0.0.1:8080: {addr}"))?;
        let data_dir = std::env::var_os("LOCAL_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| ".local-data".into());
        let (spec, dev_tokens) = match env("LOCAL_API_TOKENS") {
            Some(spec) => (spec, false),
            None => (DEV_TOKENS.to_owned(), true),
        };
        let auth = Authenticator::from_token_list(&spec).map_err(|e| format!("LOCAL_API_TOKENS: {e}"))?;
        let avito = match (env("AVITO_CLIENT_ID"), env("AVITO_CLIENT_SECRET")) {
            (None, None) => AvitoTarget::Sandbox,
            (Some(client_id), Some(client_secret)) => AvitoTarget::Real {
                app: AppCredentials {
                    client_id,
                    client_secret,
                },
                api_base: env("AVITO_API_BASE_URL").unwrap_or_else(|| AVITO_API_BASE_URL.into()),
                oauth_url: env("AVITO_OAUTH_URL").unwrap_or_else(|| AVITO_OAUTH_URL.into()),
            },
            _ => return Err("set both AVITO_CLIENT_ID and AVITO_CLIENT_SECRET, or neither (the sandbox)".into()),
        };
        let token_keys = match (env("TOKEN_ENCRYPTION_KEYS"), env("TOKEN_ENCRYPTION_KEY_ID")) {
            (Some(keys), Some(id)) => Some((keys, id)),
            (None, None) => None,
            _ => return Err("set both TOKEN_ENCRYPTION_KEYS and TOKEN_ENCRYPTION_KEY_ID, or neither".into()),
        };
        let inbound_retry_after = match env("LOCAL_INBOUND_RETRY_SECONDS") {
            None => INBOUND_RETRY_AFTER,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(secs) if secs <= 3600 => Duration::from_secs(secs),
                _ => {
                    return Err(format!(
                        "LOCAL_INBOUND_RETRY_SECONDS is not a number of seconds from 0 to 3600: {v}"
                    ));
                }
            },
        };
        Ok(Self {
            inbound_retry_after,
            addr,
            data_dir,
            auth,
            dev_tokens,
            public_base_url: env("PUBLIC_BASE_URL"),
            chatbots_on_loopback: adapters::chatbot_http::chatbots_on_loopback(&env),
            avito,
            token_keys,
        })
    }
}

/// The local stand-ins for the router's SQS event source and for EventBridge Scheduler: drains the
/// embedded queue and fires the due local timers.
pub struct InboundWorker {
    processor: InboundProcessor,
    queue: Arc<SqliteQueue>,
    timers: Arc<SqliteScheduler>,
    retry_after: Duration,
}

impl InboundWorker {
    /// Works until the process ends: at once while there is work or when a webhook is accepted,
    /// else every 200 ms; the
    /// auto-close sweep runs every 5 seconds.
    pub async fn run(self) {
        let closing = services::closing::Closing {
            ports: self.processor.ports.clone(),
        };
        let mut last_sweep = std::time::Instant::now();
        loop {
            if last_sweep.elapsed() >= Duration::from_secs(5) {
                last_sweep = std::time::Instant::now();
                // A sweep shares the worker with the inbound queue: a second at most, the next
                // one goes on from there.
                let started = std::time::Instant::now();
                match closing
                    .sweep(chrono::Utc::now(), || started.elapsed() < Duration::from_secs(1))
                    .await
                {
                    Ok(swept) if swept.closed > 0 => tracing::info!(closed = swept.closed, "auto-close sweep"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "auto-close sweep failed"),
                }
            }
            let routed = match router::drain(&self.processor, self.queue.as_ref(), self.retry_after).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "the inbound queue is unavailable");
                    0
                }
            };
            let fired = match self.timers.take_due(chrono::Utc::now(), 10).await {
                Ok(jobs) => {
                    for job in &jobs {
                        match serde_json::from_str::<TimedJob>(&job.payload) {
                            Ok(j) => match j.fire(&self.processor.ports).await {
                                Ok(outcome) => tracing::info!(%outcome, "scheduled job fired"),
                                Err(e) => tracing::warn!(error = %e, "scheduled job failed"),
                            },
                            Err(e) => tracing::warn!(error = %e, "a local timer holds no known job"),
                        }
                    }
                    jobs.len()
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the local timers are unavailable");
                    0
                }
            };
            if routed + fired == 0 {
                // A webhook accepted meanwhile wakes the worker at once.
                self.queue.arrival(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Opens the embedded stores and builds the router of every HTTP function, for a server reachable
/// at `base` (e.g. `http://127.0.0.1:8080`), and the worker that routes what the webhooks accept.
pub fn app(config: LocalConfig, base: &str) -> Result<(axum::Router, InboundWorker, Identity), String> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", config.data_dir.display()))?;
    let file: Arc<dyn ConfigStore> =
        Arc::new(SqliteConfigStore::open(&config.data_dir.join("config.sqlite3")).map_err(|e| e.to_string())?);
    // Every write to the file goes through this one cache, so it never serves a stale document.
    let store: Arc<dyn ConfigStore> = Arc::new(CachedConfigStore::new(file, CONFIG_CACHE_TTL, &CACHED_CONFIGURATION));
    let cipher = match &config.token_keys {
        Some((keys, id)) => TokenCipher::from_config(keys, id),
        None => TokenCipher::load_or_create_local(&config.data_dir.join("token-encryption.key")),
    }
    .map_err(|e| e.to_string())?;
    let public_base = config.public_base_url.clone().unwrap_or_else(|| base.to_owned());
    let (app_credentials, api_base, oauth_url, sandbox) = match config.avito {
        AvitoTarget::Sandbox => {
            let sb = avito_sandbox::Sandbox::new(avito_sandbox::SandboxConfig {
                public_base: format!("{base}/sandbox"),
                state_file: Some(config.data_dir.join("avito-sandbox.json")),
                ..Default::default()
            });
            avito_sandbox::seed_demo(&sb, &format!("{public_base}{}", oauth_callback::CALLBACK_PATH));
            sb.save();
            sb.keep_saving();
            let app = AppCredentials {
                client_id: avito_sandbox::SANDBOX_CLIENT_ID.into(),
                client_secret: avito_sandbox::SANDBOX_CLIENT_SECRET.into(),
            };
            (
                app,
                format!("{base}/sandbox"),
                format!("{base}/sandbox/oauth"),
                Some(sb),
            )
        }
        AvitoTarget::Real {
            app,
            api_base,
            oauth_url,
        } => (app, api_base, oauth_url, None),
    };
    let avito = AvitoClient::new(api_base, RetryPolicy::default()).map_err(|e| e.to_string())?;
    let vaults = Vaults {
        store: Arc::clone(&store),
        cipher: Arc::new(cipher),
        avito,
        app: app_credentials.clone(),
        clock: Arc::new(SystemClock),
    };
    let settings = ConnectionSettings {
        public_base_url: public_base.clone(),
        oauth_url,
        app: app_credentials,
    };
    let vaults_for_router = vaults.clone();
    let connections = Connections::new(Arc::clone(&store), vaults, settings);
    let config_access = Configuration::new(Arc::clone(&store));
    let identity = Identity {
        config: config_access.clone(),
        clock: Arc::new(SystemClock),
    };
    // People reach the server over HTTPS: the session cookie is `Secure`.
    let secure_cookie = public_base.starts_with("https://");
    let queue = Arc::new(
        SqliteQueue::open(&config.data_dir.join("inbound-queue.sqlite3"), INBOUND_MAX_RECEIVES)
            .map_err(|e| e.to_string())?,
    );
    // Administrators count and replay the embedded queue's dead letters (`/v1/dead-letters`).
    let admin = AdminState::new(
        config_access.clone(),
        connections.clone(),
        config.auth.with_accounts(identity.clone()),
        Arc::new(identity.clone()),
    )
    .with_chatbots_on_loopback(config.chatbots_on_loopback)
    .with_inbound_queue(queue.clone());
    // Every conversation write is told to the workspaces listening (`/v1/events`).
    let changes = adapters::changes::ChangeFeed::new();
    let conversations = Arc::new(adapters::changes::ObservedConversations {
        inner: Arc::new(
            SqliteConversationStore::open(&config.data_dir.join("conversations.sqlite3")).map_err(|e| e.to_string())?,
        ),
        feed: changes.clone(),
    });
    let timers = Arc::new(SqliteScheduler::open(&config.data_dir.join("timers.sqlite3")).map_err(|e| e.to_string())?);
    let worker = InboundWorker {
        retry_after: config.inbound_retry_after,
        timers: Arc::clone(&timers),
        processor: InboundProcessor {
            ports: Ports {
                config: config_access.clone(),
                conversations,
                scheduler: timers,
                chatbots: Arc::new(adapters::chatbot_http::HttpChatbotGateway::new(
                    adapters::chatbot_http::CHATBOT_TIMEOUT,
                    config.chatbots_on_loopback,
                    Arc::clone(&vaults_for_router.cipher),
                )?),
                avito: vaults_for_router.avito.clone(),
                vaults: vaults_for_router,
                clock: Arc::new(SystemClock),
            },
        },
        queue: Arc::clone(&queue),
    };
    let webhooks = avito_webhook::WebhookState {
        config: config_access,
        queue,
        clock: Arc::new(SystemClock),
    };
    let operator = operator_api::OperatorState {
        desk: services::desk::Desk {
            ports: worker.processor.ports.clone(),
        },
        auth: Arc::clone(&admin.auth),
    };
    let sign_in = sign_in::SignInState {
        identity: identity.clone(),
        auth: Arc::clone(&admin.auth),
        secure_cookie,
    };
    let callers = Arc::clone(&admin.auth);
    let mut router = admin_api::router(admin)
        .merge(sign_in::router(sign_in))
        .merge(events::router(events::EventsState {
            feed: changes,
            auth: Arc::clone(&callers),
        }))
        .merge(oauth_callback::router(connections))
        .merge(avito_webhook::router(webhooks))
        .merge(operator_api::router(operator))
        // The web interface (static, no authentication: it signs in against the API itself).
        .merge(web_ui::router());
    if let Some(sb) = sandbox {
        router = router.nest("/sandbox", avito_sandbox::router(sb));
    }
    // Every page and answer of the one server carries the security headers (the sandbox's too).
    Ok((http_api::secured(router), worker, identity))
}

/// Binds, prints where it listens (and the development tokens when in use), and serves until
/// Ctrl-C or SIGTERM.
pub async fn serve(config: LocalConfig) -> Result<(), String> {
    let requested = config.addr;
    let listener = tokio::net::TcpListener::bind(requested)
        .await
        .map_err(|e| format!("cannot listen on {requested}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let base = format!("http://{addr}");
    let (data_dir, dev_tokens) = (config.data_dir.clone(), config.dev_tokens);
    let sandbox = matches!(config.avito, AvitoTarget::Sandbox);
    let (router, worker, identity) = app(config, &base)?;
    let first_administrator = match domain::ids::TenantId::parse(LOCAL_TENANT) {
        Ok(tenant) => identity
            .first_administrator_link(&tenant)
            .await
            .map_err(|e| format!("cannot prepare the first administrator's link: {e}"))?,
        Err(e) => return Err(format!("the local tenant: {e}")),
    };
    tokio::spawn(worker.run());
    println!("Avito contact center (local) listening on {base}");
    println!("  data directory: {}", data_dir.display());
    println!("  web interface: {base}/");
    println!("  API description: {base}/openapi.json");
    if sandbox {
        println!(
            "  Avito: the sandbox at {base}/sandbox (set AVITO_CLIENT_ID and AVITO_CLIENT_SECRET for the real one)"
        );
    } else {
        println!("  Avito: the configured app");
    }
    match &first_administrator {
        Some(link) => println!(
            "  first administrator: open {} (once, within 72 hours) to choose your name, e-mail and password",
            sign_in::invitation_url(&base, link)
        ),
        None => println!("  sign in at {base}/ with your e-mail and password"),
    }
    if dev_tokens {
        println!("  development admin token: {DEV_ADMIN_TOKEN} (operator: {DEV_OPERATOR_TOKEN}), tenant \"demo\"");
    } else {
        println!("  tokens: from LOCAL_API_TOKENS");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
