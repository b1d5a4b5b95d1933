//! The HTTP edge shared by the API functions (admin, operator): who is calling ([`auth`]), how
//! every error becomes a status code and a JSON reason ([`error`]), strict JSON bodies ([`json`]),
//! query parameters and raw bodies refused with the API's errors ([`extract`]), cursor paging
//! ([`paging`]), what the OpenAPI document says alike for every operation ([`openapi`]) and the
//! security headers of every response ([`security`]).

pub mod auth;
pub mod error;
pub mod extract;
pub mod json;
pub mod openapi;
pub mod paging;
pub mod security;

pub use auth::{Admin, Authenticator, Caller, Role, SessionEnds};
pub use error::{ApiError, ErrorBody};
pub use extract::{Query, RawBody};
pub use json::JsonBody;
pub use paging::{PageQuery, PageView, TimePageQuery};
pub use security::{secured, secured_connecting_to};
