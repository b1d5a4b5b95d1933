//! What the OpenAPI document says the same way for every operation, in one place: the security
//! schemes, and the error responses an operation gives because of its shape. A handler's own
//! `#[utoipa::path]` lists what is particular to it (403, 404, 409, 422, 502); [`StandardResponses`]
//! adds, to every operation that lacks them:
//! - 401 when it needs a token;
//! - 400 and 413 when it takes a JSON body ([`crate::JsonBody`]: missing, not JSON, not the
//!   documented document; larger than the route accepts);
//! - 400 when it takes query parameters ([`crate::Query`]);
//! - 500 and 503, which any operation may answer (a fault of ours; the store unavailable).
//!
//! Each with the [`ErrorBody`] schema.

use crate::error::ErrorBody;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, Response, ResponseBuilder};
use utoipa::{IntoParams, Modify, ToSchema};

/// The security scheme of administrators' and operators' bearer tokens.
pub const BEARER: &str = "bearer";
/// The security scheme of a chatbot's API token (`POST /v1/chatbots/{id}/api-token`).
pub const CHATBOT: &str = "chatbot";

/// The `{id}` path parameter of an operation on one thing: an id (1 to 64 of `[A-Za-z0-9_-]`);
/// any other is not found.
pub struct IdPath;

impl IntoParams for IdPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("id")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(domain::schema::id(false)))
                .build(),
        ]
    }
}

/// Adds the two bearer-token security schemes.
pub struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for name in [BEARER, CHATBOT] {
            components.add_security_scheme(name, SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        }
    }
}

/// Adds the error responses every operation answers alike (see the module's documentation) and
/// the [`ErrorBody`] schema they refer to.
pub struct StandardResponses;

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .build(),
        )
        .build()
        .into()
}

/// The standard responses `operation` gives, by its shape.
fn standard(operation: &Operation) -> Vec<(&'static str, &'static str)> {
    let mut statuses = Vec::new();
    let chatbot = SecurityRequirement::new(CHATBOT, Vec::<String>::new());
    let requirements = operation.security.iter().flatten();
    if requirements.clone().any(|r| *r == chatbot) {
        statuses.push(("401", "No valid chatbot token"));
    } else if requirements.count() > 0 {
        statuses.push(("401", "No valid bearer token"));
    }
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key("application/json"));
    if json_body {
        statuses.push((
            "400",
            "The body is missing, is not JSON, or is not the documented document (a wrong type, a missing or unknown field)",
        ));
        statuses.push(("413", "The body is larger than the API accepts"));
    }
    let query = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| p.parameter_in == ParameterIn::Query);
    if query {
        statuses.push(("400", "A query parameter is not as documented"));
    }
    statuses.push(("500", "A fault of ours; it is logged"));
    statuses.push(("503", "A dependency is unavailable; try again shortly"));
    statuses
}

impl Modify for StandardResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, description) in standard(operation) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_response(description));
                }
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut schemas = Vec::new();
        <ErrorBody as ToSchema>::schemas(&mut schemas);
        schemas.push((
            ErrorBody::name().into_owned(),
            <ErrorBody as utoipa::PartialSchema>::schema(),
        ));
        for (name, schema) in schemas {
            components.schemas.entry(name).or_insert(schema);
        }
    }
}
