//! The wording of a collection page in its language, with the site's own wording laid over it:
//! the same texts the widget shows, and the same way of putting a refusal into a sentence.

use std::collections::BTreeMap;

use fanfare_protocol::FieldError;

use crate::texts::Formats;

pub struct PageTexts {
    texts: BTreeMap<String, String>,
    formats: Formats,
    /// The page's language (one of [`crate::texts::LANGUAGES`]).
    pub lang: &'static str,
}

impl PageTexts {
    pub fn new(texts: BTreeMap<String, String>, lang: &'static str) -> Self {
        Self { texts, formats: Formats::of(lang), lang }
    }

    /// The wording of `id`; every language has every id (English fills the gaps), so an unknown
    /// id is a misspelling, caught by the tests that render every page.
    pub fn get(&self, id: &str) -> &str {
        debug_assert!(self.texts.contains_key(id), "no text {id:?}");
        self.texts.get(id).map_or("", String::as_str)
    }

    /// Every text whose id starts with `prefix`, as a JSON object (id → wording): for the video
    /// recorder, which the page's script loads and hands them to.
    pub fn json_with_prefix(&self, prefix: &str) -> String {
        let texts: BTreeMap<&str, &str> = self
            .texts
            .iter()
            .filter(|(id, _)| id.starts_with(prefix))
            .map(|(id, text)| (id.as_str(), text.as_str()))
            .collect();
        serde_json::to_string(&texts).unwrap_or_else(|_| "{}".to_owned())
    }

    /// `id` with its `{placeholder}`s filled in.
    pub fn fill(&self, id: &str, values: &[(&str, &str)]) -> String {
        values
            .iter()
            .fold(self.get(id).to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    }

    /// A number with `fraction_digits` decimals as the language writes it (an amount).
    pub fn number(&self, value: f64, fraction_digits: usize) -> String {
        self.formats.number(value, fraction_digits)
    }

    /// The day of an RFC 3339 time in the language's long form.
    pub fn date(&self, rfc3339: &str) -> String {
        self.formats.date(rfc3339)
    }

    /// A count as the language writes it.
    pub fn count(&self, value: u64) -> String {
        self.formats.count(value)
    }

    /// "Name is required": the refusal with its field's name, so that it reads on its own in
    /// the error summary as well as under the field.
    pub fn refusal(&self, field: &str, message: &str) -> String {
        let label = self.texts.get(&format!("field.{field}")).map_or(self.get("field.other"), String::as_str);
        self.fill("error.sentence", &[("field", label), ("message", message)])
    }

    /// Why the shared rules refused a field, in the page's language.
    pub fn field_error(&self, error: &FieldError) -> String {
        let id = format!("error.{}", error.code());
        match error {
            FieldError::TooShort { min: limit } | FieldError::TooLong { max: limit } => {
                self.fill(&id, &[("n", &self.count(u64::try_from(*limit).unwrap_or(u64::MAX)))])
            }
            _ => self.get(&id).to_owned(),
        }
    }

    /// "4 out of 5 stars".
    pub fn stars(&self, stars: u8) -> String {
        self.fill("stars", &[("n", &self.count(stars.into()))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::for_language;

    #[test]
    fn refusals_read_as_sentences_in_the_pages_language() {
        let english = PageTexts::new(for_language("en"), "en");
        assert_eq!(english.refusal("name", &english.field_error(&FieldError::Required)), "Name is required");
        assert_eq!(english.refusal("pow", "is missing"), "This field is missing");
        let german = PageTexts::new(for_language("de"), "de");
        let too_long = german.field_error(&FieldError::TooLong { max: 2000 });
        assert_eq!(too_long, "darf höchstens 2.000 Zeichen lang sein");
        assert_eq!(german.stars(4), "4 von 5 Sternen");
    }

    #[test]
    fn the_recorder_gets_its_texts_as_json() {
        let german = PageTexts::new(for_language("de"), "de");
        let texts: BTreeMap<String, String> =
            serde_json::from_str(&german.json_with_prefix("collect.video_")).unwrap();
        assert_eq!(texts["collect.video_record"], "Aufnehmen");
        assert!(texts.keys().all(|id| id.starts_with("collect.video_")), "{texts:?}");
    }
}
