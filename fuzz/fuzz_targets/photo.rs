//! Any upload through the photo pipeline: refused or re-encoded, never a panic, never more
//! than the size it promises.
#![no_main]

use fanfare_server::service::photos::{process, STORED_MAX_SIDE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(photo) = process(bytes) {
        assert!(photo.width <= STORED_MAX_SIDE && photo.height <= STORED_MAX_SIDE);
        assert!(photo.jpeg.starts_with(&[0xFF, 0xD8]));
    }
});
