//! Any request body through the server's JSON decoding and the submission rules: errors are
//! fine, panics are not; whatever is accepted must satisfy the rules it passed.
#![no_main]

use fanfare_protocol::fields::grapheme_count;
use fanfare_protocol::SubmitTestimonial;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(submission) = fanfare_server::web::extract::decode::<SubmitTestimonial>(body) else { return };
    if let Ok(accepted) = submission.validate() {
        assert!((1..=5).contains(&accepted.rating.stars()));
        assert!(grapheme_count(accepted.name.as_str()) <= 80);
        assert!(!accepted.name.as_str().chars().any(char::is_control));
        assert!(accepted.email.as_str().len() <= 254 && !accepted.email.as_str().contains(['\r', '\n']));
    }
});
