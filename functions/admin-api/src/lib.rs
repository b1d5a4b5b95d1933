//! The administrators' API (R-X2–R-X4): the tenant's directory (employees, groups, chatbots,
//! channel groups, channels), each channel's settings, the working schedule and the default
//! distribution settings, and the inbound messages that could not be processed (R-X1). An axum router: run by `lambda_http` on AWS and mounted by the local
//! server. The OpenAPI document is generated from the handlers themselves and served at
//! `/openapi.json`, so it cannot drift from the routes.

mod audit_log;
mod chatbot_token;
mod connection;
mod crud;
mod dead_letters;
mod directory;
mod invitation;
mod settings;
mod sign_in;
mod state;

pub use connection::api_error as connection_api_error;
pub use sign_in::{CognitoSignIn, SignInView};
pub use state::AdminState;

use axum::routing::get;
use axum::{Json, Router};
use http_api::openapi::SecuritySchemes;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Avito contact center: admin API",
        description = "Configuration of a contact center's Avito channels: directory, channel settings, \
                       working schedule and distribution. Every request needs a bearer token; operators \
                       may read, only administrators may change. Errors are JSON \
                       `{\"error\", \"message\", \"fields\"}` with 400 (unreadable request: a body that is \
                       not the documented document, a bad query parameter), 401, 403, 404 (unknown id in \
                       your tenant, in the path or, named in `fields`, in the body), 409 (conflicting \
                       state), 413 (body too large) or 422 (invalid values, every failing field named)."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(http_api::ErrorBody, domain::validation::FieldError)),
    tags(
        (name = "directory", description = "Employees, groups, chatbots, channel groups and channels"),
        (name = "connection", description = "Connecting channels to Avito accounts"),
        (name = "settings", description = "Channel settings, working schedule, distribution"),
        (name = "inbound", description = "Messages from Avito that could not be processed, and replaying them"),
        (name = "sign-in", description = "How the web interface signs people in")
    )
)]
struct ApiDoc;

fn api() -> (Router<AdminState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(directory::employees::list, directory::employees::create))
        .routes(routes!(
            directory::employees::get,
            directory::employees::replace,
            directory::employees::delete
        ))
        .routes(routes!(directory::groups::list, directory::groups::create))
        .routes(routes!(
            directory::groups::get,
            directory::groups::replace,
            directory::groups::delete
        ))
        .routes(routes!(directory::chatbots::list, directory::chatbots::create))
        .routes(routes!(
            directory::chatbots::get,
            directory::chatbots::replace,
            directory::chatbots::delete
        ))
        .routes(routes!(
            directory::channel_groups::list,
            directory::channel_groups::create
        ))
        .routes(routes!(
            directory::channel_groups::get,
            directory::channel_groups::replace,
            directory::channel_groups::delete
        ))
        .routes(routes!(directory::channels::list, directory::channels::create))
        .routes(routes!(
            directory::channels::get,
            directory::channels::replace,
            directory::channels::delete
        ))
        .routes(routes!(chatbot_token::issue))
        .routes(routes!(invitation::invite))
        .routes(routes!(audit_log::list))
        .routes(routes!(dead_letters::count))
        .routes(routes!(dead_letters::replay))
        .routes(routes!(connection::start_authorization))
        .routes(routes!(connection::connect))
        .routes(routes!(connection::disconnect))
        .routes(routes!(settings::get_channel_settings, settings::put_channel_settings))
        .routes(routes!(settings::get_schedule, settings::put_schedule))
        .routes(routes!(settings::get_distribution, settings::put_distribution))
        .routes(routes!(sign_in::sign_in))
        .split_for_parts()
}

/// The OpenAPI document of the admin API, with the operator and chatbot API merged in: one
/// document describes every route of the product (R-X4), each operation with the error responses
/// every operation of its shape answers ([`http_api::openapi::StandardResponses`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().1;
    doc.merge(operator_api::openapi());
    http_api::openapi::StandardResponses.modify(&mut doc);
    doc
}

/// The whole API: `/v1/...`, plus `GET /health`, `GET /openapi.json` and `GET /v1/sign-in` (no
/// token needed). The web interface is served beside it (the `web-interface` function on AWS,
/// the local server's own router locally).
pub fn router(state: AdminState) -> Router {
    let router = api().0;
    let doc = Json(openapi());
    let router = router
        .route("/openapi.json", get(move || std::future::ready(doc.clone())))
        .route(
            "/health",
            get(|| std::future::ready(Json(serde_json::json!({"status": "ok"})))),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    http_api::secured(router)
}
