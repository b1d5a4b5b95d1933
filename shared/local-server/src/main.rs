//! `avito-cc-local`: the product on one machine. Configuration: see the README ("Local server").

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let result = match local_server::LocalConfig::from_env() {
        Ok(config) => local_server::serve(config).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("avito-cc-local: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
