//! Which fields were refused and why, as the forms show them.

use fanfare_protocol::FieldErrors;

use crate::texts::Texts;

/// Field wire name → the sentence shown under it. A short list, not a map: a form has a
/// handful of fields, and every map type instantiated in the widget costs kilobytes of wasm.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refusals(Vec<(String, String)>);

impl Refusals {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(name, _)| name == field).map(|(_, message)| message.as_str())
    }

    pub fn contains(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records why `field` was refused, replacing an earlier reason.
    pub fn set(&mut self, field: &str, message: String) {
        match self.0.iter_mut().find(|(name, _)| name == field) {
            Some((_, slot)) => *slot = message,
            None => self.0.push((field.to_owned(), message)),
        }
    }

    pub fn remove(&mut self, field: &str) {
        self.0.retain(|(name, _)| name != field);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// What the shared rules refused before sending, as sentences in the widget's language.
    pub fn from_rules(errors: &FieldErrors, texts: &Texts) -> Self {
        errors
            .iter()
            .map(|(field, error)| (field.to_owned(), texts.refusal(field, &texts.field_error(error))))
            .collect()
    }

    /// What the server refused (its own messages), each with its field's name.
    pub fn from_server(fields: Vec<(String, String)>, texts: &Texts) -> Self {
        fields
            .into_iter()
            .map(|(field, message)| {
                let sentence = texts.refusal(&field, &message);
                (field, sentence)
            })
            .collect()
    }
}

impl FromIterator<(String, String)> for Refusals {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let mut refusals = Self::default();
        for (field, message) in pairs {
            refusals.set(&field, message);
        }
        refusals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_reason_per_field_the_latest_kept() {
        let mut refusals: Refusals =
            [("name".to_owned(), "Name is required".to_owned())].into_iter().collect();
        refusals.set("email", "Email is required".into());
        refusals.set("name", "Name must be at most 100 characters".into());
        assert_eq!(refusals.get("name"), Some("Name must be at most 100 characters"));
        refusals.remove("name");
        assert!(!refusals.contains("name") && refusals.contains("email"));
        refusals.clear();
        assert!(refusals.is_empty());
    }
}
