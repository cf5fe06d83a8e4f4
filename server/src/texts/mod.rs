//! Every text the widget shows, in every language it speaks, English included: the widget
//! carries none, so languages cost the wasm nothing. `GET …/widget?lang=xx` sends the
//! language's texts with the site's own wording laid over them.

use std::collections::BTreeMap;

mod ar;
mod de;
mod en;
mod es;
mod formats;
mod fr;
mod it;
mod ja;
mod nl;
mod pt;

pub use self::formats::Formats;
use self::{ar::AR, de::DE, en::EN, es::ES, fr::FR, it::IT, ja::JA, nl::NL, pt::PT};
use fanfare_protocol::languages::primary_subtag;

/// Texts only the server shows (emails, the unsubscribe page, the collection page), by prefix:
/// the widget's configuration leaves them out.
pub const SERVER_ONLY: [&str; 5] = ["invite.", "unsubscribe.", "page.", "advocate.", "reward."];

/// The languages the widget speaks, by primary subtag.
pub const LANGUAGES: [&str; 9] = ["en", "de", "fr", "es", "pt", "it", "nl", "ja", "ar"];

/// Every widget text in `lang` (`de`, `pt-BR`, `ja-JP`…): its translation, English where a
/// language has none (unknown languages get English throughout).
pub fn for_language(lang: &str) -> BTreeMap<String, String> {
    EN.iter().chain(translation(lang)).map(|(key, text)| ((*key).to_owned(), (*text).to_owned())).collect()
}

/// The translation for `lang`, or none for English and unknown languages.
fn translation(lang: &str) -> &'static [(&'static str, &'static str)] {
    match primary_subtag(lang).as_str() {
        "de" => DE,
        "fr" => FR,
        "es" => ES,
        "pt" => PT,
        "it" => IT,
        "nl" => NL,
        "ja" => JA,
        "ar" => AR,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACEHOLDERS: [&str; 11] = [
        "{n}",
        "{total}",
        "{average}",
        "{count}",
        "{field}",
        "{message}",
        "{site}",
        "{name}",
        "{email}",
        "{date}",
        "{code}",
    ];

    #[test]
    fn every_language_translates_every_english_text_with_its_placeholders() {
        let mut english: Vec<&str> = EN.iter().map(|(key, _)| *key).collect();
        english.sort_unstable();
        english.dedup();
        assert_eq!(english.len(), EN.len(), "an English text id is listed twice");
        for lang in &LANGUAGES[1..] {
            let mut keys: Vec<&str> = translation(lang).iter().map(|(key, _)| *key).collect();
            keys.sort_unstable();
            assert_eq!(keys, english, "{lang}");
            for (key, text) in translation(lang) {
                assert!(!text.is_empty(), "{lang} {key}");
                let original = EN.iter().find(|(k, _)| k == key).map(|(_, t)| *t).unwrap_or_default();
                for placeholder in PLACEHOLDERS {
                    assert_eq!(
                        text.contains(placeholder),
                        original.contains(placeholder),
                        "{lang} {key} {placeholder}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_language_is_found_by_its_primary_subtag_and_english_fills_the_rest() {
        assert_eq!(for_language("pt-BR")["wall.title"], for_language("pt")["wall.title"]);
        assert_eq!(for_language("ja_JP")["wall.more"], "もっと見る");
        for unknown in ["en", "xx", ""] {
            assert_eq!(for_language(unknown)["wall.title"], "Selected testimonials");
            assert_eq!(for_language(unknown).len(), EN.len());
        }
    }
}
