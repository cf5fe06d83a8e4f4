//! Every text rule on arbitrary strings: no panics, and what passes keeps its promises.
#![no_main]

use fanfare_protocol::fields::{self, Email, PersonName, ShortLine, TestimonialText};
use fanfare_protocol::referrals::normalise_code;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(name) = PersonName::parse(text) {
        assert_eq!(name.as_str(), name.as_str().trim());
    }
    let _ = ShortLine::parse_optional(Some(text));
    let _ = TestimonialText::parse(text);
    if let Ok(email) = Email::parse(text) {
        assert!(email.as_str().contains('@'));
    }
    let shown = fields::without_bidi_controls(text);
    assert!(!shown.contains('\u{202E}'));
    assert!(fields::grapheme_count(text) <= text.chars().count());
    if let Some(code) = normalise_code(text) {
        assert_eq!(code.len(), 8);
    }
    if let Some(url) = fields::page_url(Some(text)) {
        assert!(url.starts_with("http://") || url.starts_with("https://"));
    }
    let _ = fanfare_server::domain::parse_tags(text);
    let _ = fanfare_server::domain::IpCidr::parse(text);
});
