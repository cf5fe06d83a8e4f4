use std::fmt;

/// Why one field of a visitor's input was refused.
///
/// The code is stable and machine-readable (the widget translates it); the message is the
/// English text the API sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    Required,
    TooShort { min: usize },
    TooLong { max: usize },
    ControlCharacters,
    InvalidEmail,
    RatingOutOfRange,
    ConsentNotBoolean,
    InvalidReference,
}

impl FieldError {
    pub fn code(&self) -> &'static str {
        match self {
            FieldError::Required => "required",
            FieldError::TooShort { .. } => "too_short",
            FieldError::TooLong { .. } => "too_long",
            FieldError::ControlCharacters => "control_characters",
            FieldError::InvalidEmail => "invalid_email",
            FieldError::RatingOutOfRange => "rating_out_of_range",
            FieldError::ConsentNotBoolean => "consent_not_boolean",
            FieldError::InvalidReference => "invalid_reference",
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldError::Required => f.write_str("is required"),
            FieldError::TooShort { min } => write!(f, "must be at least {min} characters"),
            FieldError::TooLong { max } => write!(f, "must be at most {max} characters"),
            FieldError::ControlCharacters => f.write_str("must not contain control characters"),
            FieldError::InvalidEmail => f.write_str("must be an email address like name@example.com"),
            FieldError::RatingOutOfRange => f.write_str("must be a whole number from 1 to 5"),
            FieldError::ConsentNotBoolean => f.write_str("must be true or false"),
            FieldError::InvalidReference => f.write_str("is not a valid reference"),
        }
    }
}

/// Every refused field of one request, keyed by the field's wire name, in name order.
///
/// A sorted list rather than a map: it holds a handful of entries, and this crate is compiled
/// into the size-budgeted widget, where a `BTreeMap` instantiation costs kilobytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, FieldError)>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `error` for `field`; a field's first error is the one kept.
    pub fn add(&mut self, field: &'static str, error: FieldError) {
        let at = self.0.iter().position(|(existing, _)| *existing >= field).unwrap_or(self.0.len());
        if self.0.get(at).is_none_or(|(existing, _)| *existing != field) {
            self.0.insert(at, (field, error));
        }
    }

    /// Records the error of `result` under `field` and hands back its value, if any.
    pub fn take<T>(&mut self, field: &'static str, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error);
                None
            }
        }
    }

    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|(existing, _)| *existing == field).map(|(_, error)| error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &FieldError)> {
        self.0.iter().map(|(field, error)| (*field, error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_out_in_name_order_with_their_first_error() {
        let mut errors = FieldErrors::new();
        errors.add("text", FieldError::Required);
        errors.add("email", FieldError::InvalidEmail);
        errors.add("text", FieldError::TooLong { max: 5 });
        errors.add("name", FieldError::Required);
        let listed: Vec<_> = errors.iter().map(|(field, error)| (field, *error)).collect();
        assert_eq!(
            listed,
            [
                ("email", FieldError::InvalidEmail),
                ("name", FieldError::Required),
                ("text", FieldError::Required)
            ]
        );
        assert_eq!(errors.get("text"), Some(&FieldError::Required));
        assert_eq!(errors.get("role"), None);
    }
}
