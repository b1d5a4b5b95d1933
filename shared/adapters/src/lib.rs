//! The outside world behind ports. Each port is a trait in [`ports`]; each has an AWS
//! implementation (`aws`, features `aws-dynamodb`, `aws-sqs`, `aws-scheduler`, `aws-cognito`, or
//! `aws` for all) and an embedded one for the local server (`embedded`, feature `embedded`), and
//! both pass the same contract suite (`contract`, feature `contract`), so they cannot drift. No
//! side is on by default: a Lambda function links no SQLite, the local server no AWS SDK.
//!
//! The store design (one DynamoDB table, keys and access patterns) is written down in
//! `TABLE_DESIGN.md` beside this crate.

pub mod avito;
#[cfg(any(
    feature = "aws-dynamodb",
    feature = "aws-sqs",
    feature = "aws-scheduler",
    feature = "aws-cognito",
    feature = "aws-cognito-sdk"
))]
pub mod aws;
pub mod cached_config;
pub mod changes;
pub mod chatbot_http;
pub mod configuration;
pub mod credentials;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(feature = "lambda-logging")]
pub mod logging;
pub mod ports;
pub mod secrets;
pub mod sign_in_records;

#[cfg(feature = "contract")]
pub mod contract;
