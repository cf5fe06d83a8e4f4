//! The one error type of the service layer: what went wrong in product terms. `web/` maps it to
//! HTTP, `cli/` to a message; neither has to guess what a storage error meant.

use std::collections::BTreeMap;

use fanfare_protocol::FieldErrors;

use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The credentials sent are not valid for this.
    #[error("not authorized")]
    Unauthorized,
    /// Unknown, or not the caller's to know about (another site's item).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Named fields were refused, each with a sentence saying why.
    #[error("invalid: {}", .0.iter().map(|(field, message)| format!("{field} {message}")).collect::<Vec<_>>().join("; "))]
    Invalid(BTreeMap<String, String>),
    /// The request contradicts the item's state (no consent, withdrawn, last owner, …).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Too many attempts; allowed again after this many seconds.
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// An upload of a kind we do not take, with the sentence that says which we do.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// A signed request (a Stripe event) whose signature does not hold, with why.
    #[error("{0}")]
    BadSignature(String),
    /// Anything that is our fault: logged with its cause, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    pub fn internal(context: &'static str, error: impl std::fmt::Display) -> Self {
        ServiceError::Internal(anyhow::anyhow!("{context}: {error}"))
    }
}

impl From<FieldErrors> for ServiceError {
    fn from(errors: FieldErrors) -> Self {
        ServiceError::Invalid(
            errors.iter().map(|(field, error)| (field.to_owned(), error.to_string())).collect(),
        )
    }
}

impl From<StorageError> for ServiceError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Conflict { field } => ServiceError::field(field, "is already taken"),
            StorageError::LastOwner => ServiceError::Conflict {
                code: "last_owner",
                message: "A site needs at least one owner.".into(),
            },
            other => ServiceError::Internal(anyhow::Error::new(other)),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
