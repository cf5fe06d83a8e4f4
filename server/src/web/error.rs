//! The one error type of the HTTP layer, and how a service error becomes a response. The client
//! gets a stable code and a plain sentence; the cause of anything internal goes to the log only.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fanfare_protocol::api::ApiError;
use fanfare_protocol::FieldErrors;

use crate::service::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the body is not JSON at all.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// 400: a signed request whose signature does not hold (a Stripe event), with why.
    #[error("invalid signature: {0}")]
    BadSignature(String),
    /// 401: no or invalid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// 403: the request's origin is not one the site allows.
    #[error("origin not allowed")]
    OriginNotAllowed,
    /// 403: a dashboard form sent from another site, or without its CSRF token.
    #[error("cross-site request refused")]
    CrossSite,
    /// 403: valid credentials that do not allow this (a moderator where an owner is needed).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// 429: too many attempts; try again after this many seconds.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// 404: unknown site, or something the caller may not know exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 408: the request took longer than the server allows.
    #[error("request timed out")]
    Timeout,
    /// 409: the request contradicts the item's state.
    #[error("conflict: {message}")]
    Conflict { code: &'static str, message: String },
    /// 413.
    #[error("request body too large")]
    TooLarge,
    /// 415.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 415 with its own explanation (an upload of the wrong kind).
    #[error("unsupported media type: {0}")]
    UnsupportedMediaTypeNamed(String),
    /// 422: named fields were refused.
    #[error("validation failed")]
    Validation(BTreeMap<String, String>),
    /// 500: logged with its cause, shown as a generic sentence.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_request"),
            AppError::BadSignature(_) => (StatusCode::BAD_REQUEST, "invalid_signature"),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::OriginNotAllowed => (StatusCode::FORBIDDEN, "origin_not_allowed"),
            AppError::CrossSite => (StatusCode::FORBIDDEN, "cross_site_request"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::Timeout => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            AppError::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::UnsupportedMediaType | AppError::UnsupportedMediaTypeNamed(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    pub fn public_message(&self) -> String {
        match self {
            AppError::Malformed(detail) => format!("The request body is not valid JSON: {detail}."),
            AppError::BadSignature(why) => format!("The signature was refused: {why}. Nothing was changed."),
            AppError::Unauthenticated => "Sign in or send a valid API token.".into(),
            AppError::OriginNotAllowed => "This website is not allowed to send to this site.".into(),
            AppError::CrossSite => {
                "This form was sent from another page or has expired. Reload the page and try again.".into()
            }
            AppError::Forbidden(message) => (*message).to_owned(),
            AppError::RateLimited { retry_after_secs } => {
                format!("Too many attempts. Try again in {} minutes.", retry_after_secs.div_ceil(60).max(1))
            }
            AppError::NotFound(what) => format!("No such {what}."),
            AppError::MethodNotAllowed => "This method is not allowed here.".into(),
            AppError::Timeout => {
                "The request took too long; nothing was changed by it. Please try again.".into()
            }
            AppError::Conflict { message, .. } => message.clone(),
            AppError::TooLarge => "The request body is too large.".into(),
            AppError::UnsupportedMediaType => "Send JSON with Content-Type: application/json.".into(),
            AppError::UnsupportedMediaTypeNamed(message) => format!("{message}."),
            AppError::Validation(fields) => {
                let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                format!("Please check: {}.", names.join(", "))
            }
            AppError::Internal(_) => {
                "Something went wrong on our side; nothing was changed. Please try again.".into()
            }
        }
    }
}

impl AppError {
    /// The `Retry-After` value of a 429.
    pub fn retry_after(&self) -> Option<HeaderValue> {
        match self {
            AppError::RateLimited { retry_after_secs } => Some(HeaderValue::from(*retry_after_secs)),
            _ => None,
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Validation(
            errors.iter().map(|(field, error)| (field.to_owned(), error.to_string())).collect(),
        )
    }
}

impl From<ServiceError> for AppError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound(what) => AppError::NotFound(what),
            ServiceError::Unauthorized => AppError::Unauthenticated,
            ServiceError::Invalid(fields) => AppError::Validation(fields),
            ServiceError::Conflict { code, message } => AppError::Conflict { code, message },
            ServiceError::RateLimited { retry_after_secs } => AppError::RateLimited { retry_after_secs },
            ServiceError::UnsupportedMedia(message) => AppError::UnsupportedMediaTypeNamed(message),
            ServiceError::BadSignature(message) => AppError::BadSignature(message),
            ServiceError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        let fields = match &self {
            AppError::Validation(fields) => fields.clone(),
            _ => BTreeMap::new(),
        };
        let body = ApiError { error: code.to_owned(), message: self.public_message(), fields };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response
    }
}
