//! Content encodings: which one a request accepts, and compressing a body once for it (the
//! widget files come precompressed by `cargo xtask build`; the embed fragments are compressed
//! when they are rendered, and cached so).

use std::io::Write;

use axum::http::{header, HeaderMap, HeaderValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The smallest encoding the request's `Accept-Encoding` names (browsers send brotli over
    /// https only), of those the response has (`available`).
    pub fn preferred(request: &HeaderMap, available: &[Encoding]) -> Encoding {
        let accepted =
            request.get(header::ACCEPT_ENCODING).and_then(|value| value.to_str().ok()).unwrap_or_default();
        let accepts = |name: &str| {
            accepted.split(',').any(|item| {
                let mut parts = item.split(';');
                let named = parts.next().is_some_and(|coding| coding.trim() == name);
                // `gzip;q=0` means "not gzip".
                let refused = parts
                    .any(|parameter| parameter.trim().trim_start_matches("q=").parse::<f32>() == Ok(0.0));
                named && !refused
            })
        };
        [(Encoding::Brotli, "br"), (Encoding::Gzip, "gzip")]
            .into_iter()
            .find(|(encoding, name)| available.contains(encoding) && accepts(name))
            .map_or(Encoding::Identity, |(encoding, _)| encoding)
    }

    /// The `Content-Encoding` value; none for the body as it is.
    pub fn header(self) -> Option<HeaderValue> {
        match self {
            Encoding::Brotli => Some(HeaderValue::from_static("br")),
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
            Encoding::Identity => None,
        }
    }

    /// A short name, for cache keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
            Encoding::Identity => "identity",
        }
    }

    /// `body` in this encoding. Quality is moderate: the result is cached, but a miss is paid
    /// by a visitor's request.
    pub fn compress(self, body: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Encoding::Brotli => {
                let mut out = Vec::new();
                let params = brotli::enc::BrotliEncoderParams { quality: 9, lgwin: 20, ..Default::default() };
                brotli::BrotliCompress(&mut &body[..], &mut out, &params)?;
                Ok(out)
            }
            Encoding::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
                encoder.write_all(body)?;
                encoder.finish()
            }
            Encoding::Identity => Ok(body.to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_smallest_accepted_and_available_encoding_is_chosen() {
        let all = [Encoding::Brotli, Encoding::Gzip, Encoding::Identity];
        assert_eq!(Encoding::preferred(&accepting("gzip, deflate, br, zstd"), &all), Encoding::Brotli);
        assert_eq!(Encoding::preferred(&accepting("gzip, deflate"), &all), Encoding::Gzip);
        assert_eq!(Encoding::preferred(&accepting("br;q=0, gzip;q=0.5"), &all), Encoding::Gzip);
        assert_eq!(Encoding::preferred(&accepting("br"), &[Encoding::Gzip]), Encoding::Identity);
        assert_eq!(Encoding::preferred(&HeaderMap::new(), &all), Encoding::Identity);
    }

    #[test]
    fn compressed_bodies_come_back_whole() {
        use std::io::Read;
        let body = "<li>Lovely beans</li>".repeat(50);
        let brotli = Encoding::Brotli.compress(body.as_bytes()).unwrap();
        let mut unpacked = Vec::new();
        brotli::BrotliDecompress(&mut &brotli[..], &mut unpacked).unwrap();
        assert_eq!(unpacked, body.as_bytes());
        let gzip = Encoding::Gzip.compress(body.as_bytes()).unwrap();
        let mut unpacked = String::new();
        flate2::read::GzDecoder::new(&gzip[..]).read_to_string(&mut unpacked).unwrap();
        assert_eq!(unpacked, body);
        assert!(brotli.len() < body.len() / 10 && gzip.len() < body.len() / 5);
    }
}
