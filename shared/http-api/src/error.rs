//! One error type for the API edge, mapped to a status code and a JSON body
//! `{"error": code, "message": reason, "fields": [...]}`. Internal details are logged, never
//! returned.

use adapters::ports::StoreError;
use axum::Json;
use axum::response::{IntoResponse, Response};
use domain::validation::{Conflict, FieldError, Rejection, ValidationErrors};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

/// What every error response carries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `payload_too_large`, `validation_failed`, `avito_error`, `unavailable`, `internal`,
    /// `csrf_failed`, `too_many_attempts`; a 409 names what conflicts: `conversation_closed`,
    /// `already_taken`, `with_chatbot`, `not_with_operator`, `not_with_this_chatbot`,
    /// `idempotency_key_reused`, `responded_by_phone`, `no_avito_chat`,
    /// `may_have_been_delivered`, `message_being_sent`, `message_already_sent`,
    /// `not_our_message`, `delete_window_passed`, `channel_not_connected`, `channel_connected`,
    /// `changed_meanwhile`, `still_in_use`, `last_administrator`, `email_taken`,
    /// `too_many_api_tokens`, `employee_disabled`, `stays_client`, `kind_never_changes`,
    /// `jobs_only`.
    #[schema(example = "validation_failed")]
    pub error: &'static str,
    /// A sentence for people.
    pub message: String,
    /// The failing fields: for `validation_failed` every invalid value, for `not_found` the
    /// fields of the body that name something your tenant does not have.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// Every way an API request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be read (malformed JSON, a body of the wrong shape, a bad query).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no credentials, or credentials we do not accept.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated, but the role may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: no such thing in the caller's tenant.
    #[error("{0}")]
    NotFound(String),
    /// 404: every value of the body is valid, but the fields named here refer to ids the
    /// caller's tenant does not have.
    #[error("unknown ids")]
    UnknownReferences(ValidationErrors),
    /// 409: the request conflicts with the current state (its code names what).
    #[error("{0}")]
    Conflict(Conflict),
    /// 403: a request made with a session cookie that changes something lacks the CSRF proof.
    #[error("the request lacks the X-CSRF-Token of the session")]
    CsrfRejected,
    /// 429: too many failed attempts; refused until `retry_after_seconds` have passed.
    #[error("too many failed attempts")]
    TooManyAttempts { retry_after_seconds: u64 },
    /// 413: the body is larger than the route accepts.
    #[error("the request body is too large")]
    TooLarge,
    /// 422: the document is readable but its values are not valid.
    #[error("validation failed")]
    Validation(ValidationErrors),
    /// 502: Avito answered with an error; the reason is Avito's.
    #[error("{0}")]
    BadGateway(String),
    /// 503: a dependency is unavailable; retrying later may work.
    #[error("service unavailable")]
    Unavailable(String),
    /// 500: a fault of ours.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::UnknownReferences(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::CsrfRejected => StatusCode::FORBIDDEN,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(self) -> ErrorBody {
        let (error, message, fields) = match self {
            ApiError::BadRequest(m) => ("bad_request", m, Vec::new()),
            ApiError::Unauthorized(m) => ("unauthorized", m.to_owned(), Vec::new()),
            ApiError::Forbidden(m) => ("forbidden", m.to_owned(), Vec::new()),
            ApiError::NotFound(m) => ("not_found", m, Vec::new()),
            ApiError::Conflict(c) => (c.code.as_str(), c.message.into_owned(), Vec::new()),
            ApiError::TooLarge => (
                "payload_too_large",
                "the request body is too large".to_owned(),
                Vec::new(),
            ),
            ApiError::CsrfRejected => (
                "csrf_failed",
                "the request lacks the X-CSRF-Token of the session; reload the page".to_owned(),
                Vec::new(),
            ),
            ApiError::TooManyAttempts { retry_after_seconds } => (
                "too_many_attempts",
                format!("too many failed attempts; try again in {retry_after_seconds} seconds"),
                Vec::new(),
            ),
            ApiError::UnknownReferences(errors) => ("not_found", fields_message(&errors), errors.0),
            ApiError::Validation(errors) => ("validation_failed", fields_message(&errors), errors.0),
            ApiError::BadGateway(m) => ("avito_error", m, Vec::new()),
            ApiError::Unavailable(detail) => {
                tracing::warn!(%detail, "dependency unavailable");
                (
                    "unavailable",
                    "a dependency is unavailable; try again shortly".to_owned(),
                    Vec::new(),
                )
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ("internal", "an internal error occurred".to_owned(), Vec::new())
            }
        };
        ErrorBody { error, message, fields }
    }
}

/// `field: reason; field: reason`.
fn fields_message(errors: &ValidationErrors) -> String {
    errors
        .0
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let unauthorized = matches!(self, ApiError::Unauthorized(_));
        let retry_after = match &self {
            ApiError::TooManyAttempts { retry_after_seconds } => Some(*retry_after_seconds),
            _ => None,
        };
        let mut response = (status, Json(self.body())).into_response();
        if unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Invalid(errors) => ApiError::Validation(errors),
            Rejection::Conflict(conflict) => ApiError::Conflict(conflict),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => ApiError::Conflict(Conflict::changed_meanwhile()),
            StoreError::NotFound => ApiError::NotFound("not found".into()),
            StoreError::Unavailable(detail) => ApiError::Unavailable(detail),
            StoreError::Corrupt(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<services::ServiceError> for ApiError {
    fn from(e: services::ServiceError) -> Self {
        use services::ServiceError as S;
        match e {
            S::NotFound(what) => ApiError::not_found(what),
            S::UnknownReferences(fields) => ApiError::UnknownReferences(fields),
            S::Forbidden(reason) => ApiError::Forbidden(reason),
            S::Conflict(conflict) => ApiError::Conflict(conflict),
            S::Invalid(errors) => ApiError::Validation(errors),
            S::Unauthorized(reason) => ApiError::Unauthorized(reason),
            S::TooManyAttempts { retry_after_seconds } => ApiError::TooManyAttempts { retry_after_seconds },
            S::Avito(reason) => ApiError::BadGateway(reason),
            S::Transient(detail) => ApiError::Unavailable(detail),
            S::Permanent(detail) => ApiError::Internal(detail),
        }
    }
}

/// The result type of API handlers.
pub type ApiResult<T> = Result<T, ApiError>;
