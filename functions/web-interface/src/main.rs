//! The web interface on AWS Lambda behind API Gateway (no authorizer: the pages sign in against
//! the API themselves).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    adapters::logging::init_lambda_logging();
    let connect_to = web_interface::connect_to_from_vars(&|name| std::env::var(name).ok());
    lambda_http::run(web_interface::router(&connect_to)).await
}
