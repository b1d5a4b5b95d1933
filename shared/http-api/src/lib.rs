//! The HTTP edge shared by the API functions (admin, operator): who is calling ([`auth`]), how
//! every error becomes a status code and a JSON reason ([`error`]), strict JSON bodies ([`json`])
//! and cursor paging ([`paging`]).

pub mod auth;
pub mod error;
pub mod json;
pub mod paging;

pub use auth::{Admin, Authenticator, Caller, Role};
pub use error::{ApiError, ErrorBody};
pub use json::JsonBody;
pub use paging::{PageQuery, PageView};
