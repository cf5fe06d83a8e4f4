//! The compression the widget's files are served with, at the settings the budgets are measured
//! at. Also compiled into the bench (`tests/src/bin/bench/`), so both measure brotli alike.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

/// The best gzip compression, as served to browsers without brotli.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// The best brotli compression, as served to browsers that accept it.
pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    let mut input = bytes;
    match brotli::BrotliCompress(&mut input, &mut out, &params) {
        Ok(_) => out,
        Err(_) => Vec::new(),
    }
}
