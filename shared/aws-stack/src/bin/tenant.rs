//! Creates a tenant and its first administrator on AWS: the employee record (an administrator
//! with the e-mail) in the table `TABLE_NAME`, and their account in the Cognito user pool
//! `COGNITO_USER_POOL_ID`, which e-mails them a temporary password. Prints what it did, never a
//! password (it never sees one). Running it again keeps what exists and invites again.
//!
//! usage: avito-cc-tenant TENANT EMAIL NAME
//! environment: TABLE_NAME, COGNITO_USER_POOL_ID, AWS_REGION, AWS credentials
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), optionally
//! `PUBLIC_BASE_URL` (printed as where to sign in). `make tenant` sets them from the stack.

use adapters::aws::{CognitoApi, CognitoIdentityProvider, DynamoConfigStore, dynamodb_client_from_env};
use adapters::configuration::Configuration;
use adapters::ports::InvitationSent;
use std::sync::Arc;

fn fail(message: &str) -> ! {
    eprintln!("avito-cc-tenant: {message}");
    std::process::exit(1)
}

fn var(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| fail(&format!("{name} is not set")))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [tenant, email, name] = args.as_slice() else {
        eprintln!("usage: avito-cc-tenant TENANT EMAIL NAME");
        std::process::exit(2);
    };
    if let Err(e) = aws_stack::tenant::tenant_id(tenant) {
        fail(&e);
    }
    let (table, pool) = (var("TABLE_NAME"), var("COGNITO_USER_POOL_ID"));
    var("AWS_REGION");
    let config = Configuration::new(Arc::new(DynamoConfigStore::new(
        dynamodb_client_from_env().await,
        table,
    )));
    let provider = Arc::new(CognitoIdentityProvider::new(
        CognitoApi::from_env().unwrap_or_else(|e| fail(&e)),
        pool,
    ));
    let done = aws_stack::tenant::create_first_administrator(&config, provider, tenant, email, name)
        .await
        .unwrap_or_else(|e| fail(&e));
    let what = match (done.created, done.promoted) {
        (true, _) => "created",
        (false, true) => "existed; made an enabled administrator",
        (false, false) => "existed already",
    };
    println!(
        "tenant {}: administrator {} <{}> {what} (employee {}).",
        done.tenant, name, done.email, done.employee
    );
    match done.invitation {
        InvitationSent::Emailed { subject } => {
            println!(
                "Cognito e-mailed {} an invitation with a temporary password (valid 7 days); their account's subject is {subject}.",
                done.email
            );
        }
        InvitationSent::Link { .. } => println!("The identity provider made an invitation link."),
    }
    match std::env::var("PUBLIC_BASE_URL") {
        Ok(url) if !url.trim().is_empty() => println!(
            "Next: they open {}/ , sign in on the hosted page with the e-mail and the temporary password, and choose their own password.",
            url.trim_end_matches('/')
        ),
        _ => println!(
            "Next: they open the product's URL, sign in on the hosted page with the e-mail and the temporary password, and choose their own password."
        ),
    }
}
