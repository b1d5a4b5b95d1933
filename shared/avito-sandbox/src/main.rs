//! `avito-sandbox`: the sandbox alone. `SANDBOX_ADDR` (default 127.0.0.1:8090), `SANDBOX_PUBLIC_BASE`
//! (default http://<addr>), `SANDBOX_REDIRECT_URI` (the demo app's redirect URI).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let addr = std::env::var("SANDBOX_ADDR").unwrap_or_else(|_| "127.0.0.1:8090".into());
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("avito-sandbox: cannot listen on {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let bound = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
    let public_base = std::env::var("SANDBOX_PUBLIC_BASE").unwrap_or_else(|_| format!("http://{bound}"));
    let sb = avito_sandbox::Sandbox::new(avito_sandbox::SandboxConfig {
        public_base: public_base.clone(),
        ..Default::default()
    });
    let redirect =
        std::env::var("SANDBOX_REDIRECT_URI").unwrap_or_else(|_| "http://127.0.0.1:8080/avito/oauth/callback".into());
    avito_sandbox::seed_demo(&sb, &redirect);
    println!("Avito sandbox listening on {public_base}");
    match axum::serve(listener, avito_sandbox::router(sb)).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("avito-sandbox: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
