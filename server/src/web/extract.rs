//! Request extractors whose rejections use our error shape.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::web::error::AppError;

/// Like `axum::Json`, but every way a body can be wrong becomes an [`AppError`] naming the
/// problem: 415 without a JSON content type, 413 over the body limit, 400 when it does not
/// parse, 422 naming the field for unknown fields and wrong types.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge
            } else {
                AppError::Malformed(rejection.body_text())
            }
        })?;
        decode(&bytes).map(AppJson)
    }
}

/// Decodes a JSON body into `T`, naming the offending field on failure.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // Syntax first, so "not JSON" (400) is told apart from "JSON of the wrong shape" (422).
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(error) if is_number_out_of_range(&error) => return Err(out_of_range_field(bytes)),
        Err(error) => return Err(AppError::Malformed(strip_position(&error.to_string()))),
    };
    if !value.is_object() {
        return Err(AppError::field("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let message = strip_position(&error.inner().to_string());
        if let Some(unknown) = message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next())
        {
            return AppError::field(unknown, "is not a known field");
        }
        let path = error.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        AppError::field(&field, format!("has the wrong type: {message}"))
    })
}

/// `1e309` is well-formed JSON that no number type holds; serde_json reports it as a syntax
/// error, but to the sender it is a value out of range in one field.
fn is_number_out_of_range(error: &serde_json::Error) -> bool {
    error.to_string().starts_with("number out of range")
}

/// Names the field holding the out-of-range number: reading the body as a stream stops at that
/// number with its path.
fn out_of_range_field(bytes: &[u8]) -> AppError {
    let mut stream = serde_json::Deserializer::from_slice(bytes);
    let field = match serde_path_to_error::deserialize::<_, serde_json::Value>(&mut stream) {
        Err(error) if error.path().to_string() != "." => error.path().to_string(),
        _ => "body".to_owned(),
    };
    AppError::field(&field, "is a number out of range")
}

/// serde_json appends "at line 1 column 42"; that means nothing to the person reading it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanfare_protocol::SubmitTestimonial;

    fn fields_of(error: AppError) -> Vec<(String, String)> {
        match error {
            AppError::Validation(fields) => fields.into_iter().collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn wrong_types_name_their_field() {
        let error = decode::<SubmitTestimonial>(br#"{"rating":"five"}"#).err().unwrap();
        let fields = fields_of(error);
        assert_eq!(fields[0].0, "rating");
        assert!(fields[0].1.starts_with("has the wrong type"), "{}", fields[0].1);
    }

    #[test]
    fn fractional_ratings_are_the_wrong_type() {
        let error = decode::<SubmitTestimonial>(br#"{"rating":4.5}"#).err().unwrap();
        assert_eq!(fields_of(error)[0].0, "rating");
    }

    #[test]
    fn numbers_no_type_can_hold_name_their_field() {
        let error = decode::<SubmitTestimonial>(br#"{"name":"x","rating":1e309}"#).err().unwrap();
        assert_eq!(fields_of(error), [("rating".to_owned(), "is a number out of range".to_owned())]);
        let error = decode::<SubmitTestimonial>(br#"{"name":{"first":-1e309}}"#).err().unwrap();
        assert_eq!(fields_of(error)[0].0, "name.first");
    }

    #[test]
    fn unknown_fields_are_named() {
        let error = decode::<SubmitTestimonial>(br#"{"name":"x","status":"approved"}"#).err().unwrap();
        assert_eq!(fields_of(error), [("status".to_owned(), "is not a known field".to_owned())]);
    }

    #[test]
    fn non_json_is_malformed_and_non_objects_are_refused() {
        assert!(matches!(decode::<SubmitTestimonial>(b"{\"name\":"), Err(AppError::Malformed(_))));
        assert_eq!(fields_of(decode::<SubmitTestimonial>(b"[1,2]").err().unwrap())[0].0, "body");
    }
}
