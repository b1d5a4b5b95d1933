//! The local all-in-one server: every HTTP function's router on one port, on the embedded store
//! in a data directory. `make run` starts it; it is also how a small business can run the product
//! on one machine.

use adapters::configuration::Configuration;
use adapters::embedded::SqliteConfigStore;
use admin_api::AdminState;
use http_api::Authenticator;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The development tokens used when `LOCAL_API_TOKENS` is not set: tenant `demo`, an administrator
/// and an operator. For trying the product on one machine only.
pub const DEV_TOKENS: &str = "dev-admin-token:demo:admin:admin,dev-operator-token:demo:operator:operator";
pub const DEV_ADMIN_TOKEN: &str = "dev-admin-token";
pub const DEV_OPERATOR_TOKEN: &str = "dev-operator-token";

/// The local server's configuration, from the environment.
pub struct LocalConfig {
    /// `LOCAL_ADDR`, default `127.0.0.1:8080`; port 0 picks a free one.
    pub addr: SocketAddr,
    /// `LOCAL_DATA_DIR`, default `.local-data`: the embedded store's files.
    pub data_dir: PathBuf,
    /// From `LOCAL_API_TOKENS` (`TOKEN:TENANT:USER:ROLE,...`), or the development tokens.
    pub auth: Authenticator,
    /// Whether the development tokens are in use (then they are printed at start).
    pub dev_tokens: bool,
}

impl LocalConfig {
    /// Reads the configuration; the error names the variable at fault (never a token).
    pub fn from_env() -> Result<Self, String> {
        let addr = std::env::var("LOCAL_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
        let addr = addr
            .parse()
            .map_err(|_| format!("LOCAL_ADDR is not an address such as 127.0.0.1:8080: {addr}"))?;
        let data_dir = std::env::var_os("LOCAL_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| ".local-data".into());
        let (spec, dev_tokens) = match std::env::var("LOCAL_API_TOKENS") {
            Ok(spec) if !spec.trim().is_empty() => (spec, false),
            _ => (DEV_TOKENS.to_owned(), true),
        };
        let auth = Authenticator::from_token_list(&spec).map_err(|e| format!("LOCAL_API_TOKENS: {e}"))?;
        Ok(Self {
            addr,
            data_dir,
            auth,
            dev_tokens,
        })
    }
}

/// Opens the embedded store and builds the router of every HTTP function.
pub fn app(config: LocalConfig) -> Result<axum::Router, String> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", config.data_dir.display()))?;
    let store = SqliteConfigStore::open(&config.data_dir.join("config.sqlite3")).map_err(|e| e.to_string())?;
    let admin = AdminState::new(Configuration::new(Arc::new(store)), config.auth);
    Ok(admin_api::router(admin))
}

/// Binds, prints where it listens (and the development tokens when in use), and serves until
/// Ctrl-C or SIGTERM.
pub async fn serve(config: LocalConfig) -> Result<(), String> {
    let (requested, data_dir, dev_tokens) = (config.addr, config.data_dir.clone(), config.dev_tokens);
    let router = app(config)?;
    let listener = tokio::net::TcpListener::bind(requested)
        .await
        .map_err(|e| format!("cannot listen on {requested}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Avito contact center (local) listening on http://{addr}");
    println!("  data directory: {}", data_dir.display());
    println!("  API description: http://{addr}/openapi.json");
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
