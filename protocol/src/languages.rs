//! Language tags as pages write them (`de`, `pt-BR`, `en_US`, `de-x`): the widget and the
//! server read them the same way.

/// The tag's language, lower-cased: `pt` for `pt-BR`, `en` for `en_US`.
pub fn primary_subtag(tag: &str) -> String {
    tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase()
}

/// Whether the language is written right to left (Arabic, Hebrew, Persian, Urdu).
pub fn is_right_to_left(tag: &str) -> bool {
    ["ar", "he", "fa", "ur"].contains(&primary_subtag(tag).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_is_the_first_part_whatever_the_separator_or_case() {
        assert_eq!(primary_subtag("pt-BR"), "pt");
        assert_eq!(primary_subtag("en_US"), "en");
        assert_eq!(primary_subtag("DE"), "de");
        assert_eq!(primary_subtag(""), "");
        assert!(is_right_to_left("ar") && is_right_to_left("he-IL") && is_right_to_left("FA_ir"));
        assert!(!is_right_to_left("en") && !is_right_to_left("arn"));
    }
}
