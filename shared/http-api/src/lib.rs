//! The HTTP edge shared by the API functions (admin, operator): who is calling ([`auth`]), how
//! every error becomes a status code and a JSON reason ([`error`]), strict JSON bodies ([`json`]),
//! cursor paging ([`paging`]) and the security headers of every response ([`security`]).

pub mod auth;
pub mod error;
pub mod json;
pub mod paging;
pub mod security;

pub use auth::{Admin, Authenticator, Caller, Role};
pub use error::{ApiError, ErrorBody};
pub use json::JsonBody;
pub use paging::{PageQuery, PageView};
pub use security::{secured, secured_connecting_to};
