//! Extractors whose refusals are the API's own errors (a JSON [`crate::ErrorBody`], as documented)
//! rather than axum's plain-text ones: query parameters ([`Query`]) and a body taken as it is
//! ([`RawBody`]).

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use http::request::Parts;
use serde::de::DeserializeOwned;

/// The query parameters, parsed; 400 naming the reason when they do not read as `T`.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(q)| Query(q))
            .map_err(|e| ApiError::BadRequest(format!("invalid query parameters: {}", e.body_text())))
    }
}

/// The request body as it is (an image); 413 over the route's limit.
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e| {
                if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge
                } else {
                    ApiError::BadRequest(format!("cannot read the request body: {e}"))
                }
            })
    }
}
