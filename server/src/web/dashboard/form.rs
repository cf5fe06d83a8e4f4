//! What a refused form says about each field: the message right under the field, and the
//! field marked invalid and described by that message.

use std::collections::BTreeMap;

use maud::{html, Markup};

/// No field refused.
static NONE: BTreeMap<String, String> = BTreeMap::new();

/// A form's refused fields (field name → why), for the markup that goes with each field.
/// The message's id is `{prefix}{field}{suffix}-error`, the field element's id followed by
/// `-error`: a prefix or suffix keeps the forms of one page apart.
#[derive(Clone, Copy)]
pub struct FieldErrors<'a> {
    errors: &'a BTreeMap<String, String>,
    prefix: &'a str,
    suffix: &'a str,
}

impl Default for FieldErrors<'_> {
    fn default() -> Self {
        FieldErrors::new(&NONE)
    }
}

impl<'a> FieldErrors<'a> {
    pub fn new(errors: &'a BTreeMap<String, String>) -> Self {
        FieldErrors { errors, prefix: "", suffix: "" }
    }

    /// `errors`, or none when the form was not refused.
    pub fn of(errors: Option<&'a BTreeMap<String, String>>) -> Self {
        errors.map(Self::new).unwrap_or_default()
    }

    /// The same errors with ids starting `prefix` (as the fields' own ids do).
    pub fn prefixed(self, prefix: &'a str) -> Self {
        FieldErrors { prefix, ..self }
    }

    /// The same errors with ids ending `{suffix}-error` (the fields' own ids ending `suffix`).
    pub fn suffixed(self, suffix: &'a str) -> Self {
        FieldErrors { suffix, ..self }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The refused fields' names, as a list for a sentence: `email, name`.
    pub fn names(&self) -> String {
        self.errors.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
    }

    /// The message about `field`, to place right after the field; nothing when it was accepted.
    pub fn error(&self, field: &str) -> Markup {
        html! { @if let Some(message) = self.errors.get(field) { p.error id=(self.id(field)) { (message) } } }
    }

    /// `aria-describedby` of a refused field: its message's id.
    pub fn described(&self, field: &str) -> Option<String> {
        self.errors.contains_key(field).then(|| self.id(field))
    }

    /// `aria-describedby` of a field with a hint of its own (`hint`, an id): the hint, and the
    /// message after it when the field was refused.
    pub fn described_with(&self, field: &str, hint: &str) -> String {
        self.described(field).map_or_else(|| hint.to_owned(), |error| format!("{hint} {error}"))
    }

    /// `aria-invalid` of a field: `true` when it was refused.
    pub fn invalid(&self, field: &str) -> Option<&'static str> {
        self.errors.contains_key(field).then_some("true")
    }

    fn id(&self, field: &str) -> String {
        format!("{}{field}{}-error", self.prefix, self.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_field_is_marked_described_and_told_why() {
        let errors = BTreeMap::from([("email".to_owned(), "is not an <address>".to_owned())]);
        let form = FieldErrors::new(&errors).prefixed("member-");
        assert_eq!(form.invalid("email"), Some("true"));
        assert_eq!(form.described("email").as_deref(), Some("member-email-error"));
        assert_eq!(form.described_with("email", "email-help"), "email-help member-email-error");
        assert_eq!(
            form.error("email").into_string(),
            r#"<p class="error" id="member-email-error">is not an &lt;address&gt;</p>"#
        );
        assert_eq!((form.invalid("role"), form.described("role")), (None, None));
        assert_eq!(form.described_with("role", "role-help"), "role-help");
        assert_eq!(form.error("role").into_string(), "");
        assert_eq!(form.names(), "email");
        assert_eq!(
            FieldErrors::new(&errors).prefixed("edit-").suffixed("-7").described("email").as_deref(),
            Some("edit-email-7-error")
        );
        assert!(
            FieldErrors::default().is_empty()
                && FieldErrors::of(None).error("email").into_string().is_empty()
        );
    }
}
