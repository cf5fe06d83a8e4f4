//! Parse-once newtypes for everything a visitor types.
//!
//! A value of one of these types has passed its rule; nothing downstream checks again.

use crate::errors::FieldError;

/// Length as a reader counts it: user-perceived characters (grapheme clusters), so an accent
/// typed as a combining mark, an emoji with a skin tone or a family joined by ZWJs, and a flag
/// each count once. A compact approximation of Unicode's rules (UAX #29), without the tables
/// that would not fit the widget's size budget: marks, joiners, variation selectors, emoji
/// modifiers and tags extend the character before them; regional indicators pair up.
pub fn grapheme_count(text: &str) -> usize {
    let mut count = 0;
    let mut joined = false;
    let mut open_flag = false;
    for c in text.chars() {
        let code = u32::from(c);
        let extends = matches!(code,
            0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
            | 0x0900..=0x0903 | 0x093A..=0x094F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C..=0x200D
            | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F
            | 0xE0100..=0xE01EF);
        let regional = (0x1F1E6..=0x1F1FF).contains(&code);
        if extends {
            joined = code == 0x200D;
            continue;
        }
        if joined {
            joined = false;
            continue;
        }
        if regional && open_flag {
            open_flag = false;
            continue;
        }
        open_flag = regional;
        count += 1;
    }
    count
}

/// Text as it may be shown: without the explicit bidirectional controls (embeddings,
/// overrides, isolates) that could make visitor text reorder what surrounds it.
pub fn without_bidi_controls(text: &str) -> String {
    text.chars().filter(|c| !matches!(u32::from(*c), 0x202A..=0x202E | 0x2066..=0x2069)).collect()
}

/// Trims `raw` and checks its length in characters and that it holds no control characters.
/// `multiline` allows line breaks and tabs, which a testimonial's body may contain.
fn clean_text(raw: &str, min: usize, max: usize, multiline: bool) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    let allowed = |c: char| multiline && (c == '\n' || c == '\t' || c == '\r');
    if trimmed.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(FieldError::ControlCharacters);
    }
    let length = grapheme_count(trimmed);
    if length == 0 && min > 0 {
        return Err(FieldError::Required);
    }
    if length < min {
        return Err(FieldError::TooShort { min });
    }
    if length > max {
        return Err(FieldError::TooLong { max });
    }
    // Normalise Windows line endings so stored text renders the same everywhere.
    Ok(trimmed.replace("\r\n", "\n"))
}

/// The name shown under a testimonial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX: usize = 80;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        clean_text(raw, 1, Self::MAX, false).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A role or company line: optional, so an empty input means "none".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortLine(String);

impl ShortLine {
    pub const MAX: usize = 80;

    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, FieldError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => clean_text(text, 1, Self::MAX, false).map(|line| Some(Self(line))),
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An email address, kept private. The domain is lower-cased; the local part is kept as typed
/// because some mail systems treat it case-sensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// RFC 5321's limit on a forward path.
    pub const MAX: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::Required);
        }
        if trimmed.chars().count() > Self::MAX {
            return Err(FieldError::TooLong { max: Self::MAX });
        }
        // Characters that could break out of a mail header or a CSV cell are never part of an
        // address a visitor would type.
        let forbidden = |c: char| c.is_control() || c.is_whitespace() || "<>,;:\"()[]\\".contains(c);
        if trimmed.chars().any(forbidden) {
            return Err(FieldError::InvalidEmail);
        }
        let Some((local, domain)) = trimmed.rsplit_once('@') else {
            return Err(FieldError::InvalidEmail);
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-'));
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(FieldError::InvalidEmail);
        }
        Ok(Self([local, "@", &domain.to_lowercase()].concat()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A star rating: a whole number of stars from 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(u8);

impl Rating {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    pub fn parse(raw: i64) -> Result<Self, FieldError> {
        match u8::try_from(raw) {
            Ok(stars) if (Self::MIN..=Self::MAX).contains(&stars) => Ok(Self(stars)),
            _ => Err(FieldError::RatingOutOfRange),
        }
    }

    pub fn stars(self) -> u8 {
        self.0
    }
}

/// The testimonial itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestimonialText(String);

impl TestimonialText {
    pub const MIN: usize = 3;
    pub const MAX: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        clean_text(raw, Self::MIN, Self::MAX, true).map(Self)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An opaque reference to something the server issued (an upload id, a referral code).
/// Only the character set is checked here; whether it exists is the server's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference(String);

impl Reference {
    pub const MAX: usize = 64;

    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, FieldError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(text)
                if text.len() <= Self::MAX
                    && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                Ok(Some(Self(text.to_owned())))
            }
            Some(_) => Err(FieldError::InvalidReference),
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The address of the page a testimonial was left on, for moderators' context.
/// Only absolute http(s) addresses are kept; anything else is dropped rather than refused,
/// because the visitor cannot fix it.
pub fn page_url(raw: Option<&str>) -> Option<String> {
    let url = raw?.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let clean = !url.chars().any(|c| c.is_control() || c.is_whitespace());
    (scheme_ok && clean && url.len() <= 2048).then(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_what_a_reader_sees() {
        assert_eq!(grapheme_count("cafe\u{301}"), 4, "e + combining accent is one");
        assert_eq!(grapheme_count("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"), 1, "a ZWJ family is one");
        assert_eq!(grapheme_count("\u{1F44D}\u{1F3FD}"), 1, "a skin tone belongs to its emoji");
        assert_eq!(grapheme_count("\u{1F1E9}\u{1F1EA}\u{1F1EB}\u{1F1F7}"), 2, "two flags");
        assert_eq!(grapheme_count("日本語"), 3);
        let accents = "e\u{301}".repeat(80);
        assert!(PersonName::parse(&accents).is_ok(), "80 accented letters fit an 80-character name");
    }

    #[test]
    fn bidi_controls_are_removed_for_display() {
        assert_eq!(without_bidi_controls("abc\u{202E}fdp.exe"), "abcfdp.exe");
        assert_eq!(without_bidi_controls("שלום \u{2067}x\u{2069}"), "שלום x");
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Ada Lovelace ").unwrap().as_str(), "Ada Lovelace");
        assert_eq!(PersonName::parse("   "), Err(FieldError::Required));
        assert_eq!(PersonName::parse(&"x".repeat(81)), Err(FieldError::TooLong { max: 80 }));
        assert!(PersonName::parse(&"é".repeat(80)).is_ok(), "length counts characters, not bytes");
    }

    #[test]
    fn names_refuse_control_characters_and_line_breaks() {
        assert_eq!(PersonName::parse("Ada\u{0}"), Err(FieldError::ControlCharacters));
        assert_eq!(PersonName::parse("Ada\nBcc: x"), Err(FieldError::ControlCharacters));
    }

    #[test]
    fn markup_in_a_name_is_kept_verbatim_to_be_rendered_as_text() {
        let name = "<img src=x onerror=alert(1)>";
        assert_eq!(PersonName::parse(name).unwrap().as_str(), name);
    }

    #[test]
    fn short_lines_are_optional() {
        assert_eq!(ShortLine::parse_optional(None), Ok(None));
        assert_eq!(ShortLine::parse_optional(Some("  ")), Ok(None));
        assert_eq!(ShortLine::parse_optional(Some(" CTO ")).unwrap().unwrap().into_inner(), "CTO");
        assert_eq!(ShortLine::parse_optional(Some(&"y".repeat(81))), Err(FieldError::TooLong { max: 80 }));
    }

    #[test]
    fn valid_emails_are_accepted_with_a_lowercase_domain() {
        assert_eq!(Email::parse(" Ada+news@Example.COM ").unwrap().as_str(), "Ada+news@example.com");
        assert!(Email::parse("a@b.co").is_ok());
    }

    #[test]
    fn invalid_emails_are_refused() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@.com",
            "a@b..com",
            "a b@c.com",
            "a@b.com\r\nBcc: x@y.com",
            "<a@b.com>",
            "a@b@c.com",
            "a@-b.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Email::parse(""), Err(FieldError::Required));
        let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert_eq!(Email::parse(&long), Err(FieldError::TooLong { max: 254 }));
    }

    #[test]
    fn ratings_are_whole_stars_from_one_to_five() {
        assert_eq!(Rating::parse(1).unwrap().stars(), 1);
        assert_eq!(Rating::parse(5).unwrap().stars(), 5);
        for bad in [0, 6, -1, 256, i64::MAX] {
            assert_eq!(Rating::parse(bad), Err(FieldError::RatingOutOfRange));
        }
    }

    #[test]
    fn testimonial_text_keeps_line_breaks_and_has_bounds() {
        let text = TestimonialText::parse("Great beans.\r\nWill buy again.").unwrap();
        assert_eq!(text.into_inner(), "Great beans.\nWill buy again.");
        assert_eq!(TestimonialText::parse(""), Err(FieldError::Required));
        assert_eq!(TestimonialText::parse("ok"), Err(FieldError::TooShort { min: 3 }));
        assert_eq!(TestimonialText::parse(&"z".repeat(2001)), Err(FieldError::TooLong { max: 2000 }));
        assert_eq!(TestimonialText::parse("bell\u{7}"), Err(FieldError::ControlCharacters));
    }

    #[test]
    fn references_are_short_and_plain() {
        assert_eq!(Reference::parse_optional(Some("AB-12_x")).unwrap().unwrap().into_inner(), "AB-12_x");
        assert_eq!(Reference::parse_optional(Some("../etc")), Err(FieldError::InvalidReference));
        assert_eq!(Reference::parse_optional(Some(&"a".repeat(65))), Err(FieldError::InvalidReference));
    }

    #[test]
    fn page_urls_must_be_http() {
        assert_eq!(page_url(Some("https://acme.test/p?q=1")).as_deref(), Some("https://acme.test/p?q=1"));
        assert_eq!(page_url(Some("javascript:alert(1)")), None);
        assert_eq!(page_url(None), None);
    }
}
