//! Creates, on the AWS endpoint the environment names (moto locally), what `infra/template.yaml`
//! declares: the table, the inbound queue with its dead-letter queue, and the auto-reply schedule
//! group, read from the template; then prints the environment the Lambda functions read, as
//! `NAME=value` lines, for `cargo lambda watch --env-file`. Idempotent: what exists is kept.
//!
//! usage: avito-cc-aws-setup [name prefix] [template path]
//! (default: `avito-cc`, and the repository's `infra/template.yaml` as built in)

use aws_stack::StackTemplate;
use std::path::Path;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let prefix = args.next().unwrap_or_else(|| "avito-cc".to_owned());
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        eprintln!("avito-cc-aws-setup: set AWS_ENDPOINT_URL (the address of moto)");
        std::process::exit(2);
    };
    let template = match args.next() {
        Some(path) => StackTemplate::load(Path::new(&path)),
        None => StackTemplate::repository(),
    };
    let created = match template {
        Ok(template) => template.create(&prefix).await,
        Err(e) => Err(e),
    };
    match created {
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
