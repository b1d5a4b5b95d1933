//! Creates, on the AWS endpoint the environment names (moto locally), what the SAM template would:
//! the table, the inbound queue with its dead-letter queue, and the auto-reply schedule group; then
//! prints the environment the Lambda functions read, as `NAME=value` lines, for
//! `cargo lambda watch --env-file`. Idempotent: what exists is kept.
//!
//! usage: avito-cc-aws-setup <name prefix>

#[tokio::main]
async fn main() {
    let prefix = std::env::args().nth(1).unwrap_or_else(|| "avito-cc".to_owned());
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        eprintln!("avito-cc-aws-setup: set AWS_ENDPOINT_URL (the address of moto)");
        std::process::exit(2);
    };
    match adapters::aws::create_stack_resources(&prefix).await {
        Ok(vars) => {
            println!("AWS_ENDPOINT_URL={endpoint}");
            for (name, value) in vars {
                println!("{name}={value}");
            }
        }
        Err(e) => {
            eprintln!("avito-cc-aws-setup: {e}");
            std::process::exit(1);
        }
    }
}
