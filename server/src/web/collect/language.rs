//! Which of our languages a collection page speaks: the one asked for in the address, else the
//! invitation's, else the browser's first that we speak, else English.

use fanfare_protocol::languages::primary_subtag;

use crate::texts::LANGUAGES;

/// Our language for a tag (`pt-BR` → `pt`); `None` for one we do not speak.
pub fn supported(tag: &str) -> Option<&'static str> {
    let primary = primary_subtag(tag.trim());
    LANGUAGES.iter().copied().find(|lang| *lang == primary)
}

/// The first language of an `Accept-Language` header that we speak, by the browser's order of
/// preference (`q`); languages refused with `q=0` never count.
pub fn accepted(header: &str) -> Option<&'static str> {
    let mut ranked: Vec<(u16, &'static str)> = header
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let lang = supported(parts.next()?)?;
            let quality = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            // Thousandths, as the header writes them, so the ranking needs no float ordering.
            let quality = (quality.clamp(0.0, 1.0) * 1000.0).round() as u16;
            (quality > 0).then_some((quality, lang))
        })
        .collect();
    // Stable: among equals, the header's own order decides.
    ranked.sort_by_key(|(quality, _)| std::cmp::Reverse(*quality));
    ranked.first().map(|(_, lang)| *lang)
}

/// The page's language: `?lang=`, then the invitation's, then `Accept-Language`, then English.
pub fn choose(asked: Option<&str>, invitation: Option<&str>, accept_language: Option<&str>) -> &'static str {
    asked
        .and_then(supported)
        .or_else(|| invitation.and_then(supported))
        .or_else(|| accept_language.and_then(accepted))
        .unwrap_or("en")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_wins_then_the_invitation_then_the_browser() {
        assert_eq!(choose(Some("ar"), Some("de"), Some("fr")), "ar");
        assert_eq!(choose(Some("tlh"), Some("de-AT"), Some("fr")), "de");
        assert_eq!(choose(None, None, Some("fr-CH, fr;q=0.9, en;q=0.8")), "fr");
        assert_eq!(choose(Some(""), None, None), "en");
    }

    #[test]
    fn the_browsers_preferences_are_read_by_quality() {
        assert_eq!(accepted("da, en-GB;q=0.8, de;q=0.9"), Some("de"));
        assert_eq!(accepted("ja_JP"), Some("ja"));
        assert_eq!(accepted("de;q=0, it;q=0.1"), Some("it"));
        assert_eq!(accepted("pt-BR;q=0.5, nl;q=0.5"), Some("pt"), "equals keep the header's order");
        assert_eq!(accepted("*, xx;q=junk"), None);
        assert_eq!(accepted(""), None);
    }
}
