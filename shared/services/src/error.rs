//! The one error type of the use cases. The HTTP edge maps it to a status (`http_api`), the queue
//! consumers to a retry: [`ServiceError::Transient`] may pass and is retried, the rest will not.

use adapters::ports::StoreError;
use domain::access::Refusal;
use domain::validation::{Conflict, Rejection, ValidationErrors};

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No such thing in the tenant (the name of what was looked for).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Every value asked for is valid, but these fields name ids the tenant does not have.
    #[error("unknown ids")]
    UnknownReferences(ValidationErrors),
    /// The person or bot may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The current state does not allow it (closed, taken, already used, changed meanwhile).
    #[error("{0}")]
    Conflict(Conflict),
    /// Not signed in, or the credentials are not accepted.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Too many failed attempts: refused for this many seconds more, whatever is presented.
    #[error("too many failed attempts; try again in {retry_after_seconds} s")]
    TooManyAttempts { retry_after_seconds: u64 },
    /// The values asked for are not valid, each field named.
    #[error("validation failed")]
    Invalid(ValidationErrors),
    /// Avito refused what was asked of it (its reason).
    #[error("Avito refused: {0}")]
    Avito(String),
    /// May pass: a dependency is unavailable, or a write kept losing races. Try again.
    #[error("try again: {0}")]
    Transient(String),
    /// Will not pass by retrying: a fault of ours or data we cannot read.
    #[error("cannot process: {0}")]
    Permanent(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt(m) => ServiceError::Permanent(m),
            other => ServiceError::Transient(other.to_string()),
        }
    }
}

impl From<Refusal> for ServiceError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Forbidden(m) => ServiceError::Forbidden(m),
            Refusal::Conflict(m) => ServiceError::Conflict(m),
        }
    }
}

impl From<Rejection> for ServiceError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Invalid(errors) => ServiceError::Invalid(errors),
            Rejection::Conflict(conflict) => ServiceError::Conflict(conflict),
        }
    }
}

impl From<ValidationErrors> for ServiceError {
    fn from(e: ValidationErrors) -> Self {
        ServiceError::Invalid(e)
    }
}

/// The result type of the use cases.
pub type ServiceResult<T> = Result<T, ServiceError>;
