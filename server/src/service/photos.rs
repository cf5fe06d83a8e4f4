//! The photo pipeline: a visitor's upload is identified by its content (JPEG, PNG or WebP only),
//! its dimensions are checked before any pixel is decoded, then it is decoded within limits,
//! turned upright, scaled down and re-encoded as a fresh JPEG. Nothing of the original file
//! (EXIF, GPS, XMP, comments, trailing bytes) survives, only its pixels.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::limits::{self, client_key_of};
use super::{Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::secrets;
use crate::storage::{MediaKind, MediaRecord, Site};

/// Bigger uploads get 413 before the rest is read.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Larger sides or more pixels are refused before decoding: a small file can claim huge
/// dimensions and ask for gigabytes of memory.
pub const MAX_SIDE: u32 = 8000;
pub const MAX_PIXELS: u64 = 40_000_000;
/// What is kept: plenty for a testimonial's portrait.
pub const STORED_MAX_SIDE: u32 = 800;
const JPEG_QUALITY: u8 = 85;

impl Service {
    /// Admits an upload from this client before its body is read (the same write limits as a
    /// submission).
    pub fn admit_upload(&self, site: &Site, ip: Option<std::net::IpAddr>) -> ServiceResult<()> {
        let client = client_key_of(ip);
        self.admit(&[(limits::WRITES_PER_IP, &client), (limits::WRITES_PER_SITE, &site.slug)])
    }

    /// Decodes, checks and re-encodes an uploaded photo off the async runtime (two at a time),
    /// and keeps it in the media store for its testimonial (a day at most); returns its id.
    pub async fn upload_photo(&self, site: &Site, bytes: bytes::Bytes) -> ServiceResult<String> {
        let permit = self
            .photo_work
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ServiceError::internal("photo processing", "the photo work queue is closed"))?;
        let processed = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            process(&bytes)
        })
        .await
        .map_err(|error| ServiceError::internal("photo processing failed", error))?
        .map_err(|error| match error {
            PhotoError::UnsupportedType => ServiceError::UnsupportedMedia(error.to_string()),
            other => ServiceError::field("photo", other.to_string()),
        })?;
        let record = MediaRecord {
            id: secrets::testimonial_id(),
            site_id: site.id,
            kind: MediaKind::Photo,
            ready: true,
            content_type: "image/jpeg".into(),
            byte_size: processed.jpeg.len() as u64,
            width: processed.width,
            height: processed.height,
            duration_ms: None,
            codecs: None,
            poster: false,
            created_at: now_ms(),
        };
        self.keep_media(&record, processed.jpeg.into()).await?;
        Ok(record.id)
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("only JPEG, PNG and WebP images are accepted")]
    UnsupportedType,
    #[error("the image is {width}×{height}; at most {MAX_SIDE} pixels a side and {MAX_PIXELS} in all")]
    TooManyPixels { width: u32, height: u32 },
    #[error("the image could not be read: it is damaged or incomplete")]
    Unreadable,
}

/// A re-encoded photo.
#[derive(Debug)]
pub struct Processed {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

pub fn process(bytes: &[u8]) -> Result<Processed, PhotoError> {
    let format = image::guess_format(bytes).map_err(|_| PhotoError::UnsupportedType)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(PhotoError::UnsupportedType);
    }
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| PhotoError::Unreadable)?;
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    // The JPEG decoder fills what is missing of a cut file with grey instead of failing.
    if format == ImageFormat::Jpeg && !jpeg_reaches_its_end(bytes) {
        return Err(PhotoError::Unreadable);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| PhotoError::Unreadable)?;
    let orientation = decoder.orientation().map_err(|_| PhotoError::Unreadable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| PhotoError::Unreadable)?;
    image.apply_orientation(orientation);
    if image.width() > STORED_MAX_SIDE || image.height() > STORED_MAX_SIDE {
        image = image.resize(STORED_MAX_SIDE, STORED_MAX_SIDE, FilterType::CatmullRom);
    }
    let rgb = flatten_on_white(image);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|_| PhotoError::Unreadable)?;
    Ok(Processed { jpeg, width: rgb.width(), height: rgb.height() })
}

/// Whether a JPEG's segments lead to its end-of-image marker. Walks the segments by their
/// lengths, so a complete thumbnail inside the EXIF segment does not count, and the scans by
/// their markers (a 0xFF inside scan data is always followed by 0x00 or a restart marker).
fn jpeg_reaches_its_end(bytes: &[u8]) -> bool {
    const END_OF_IMAGE: u8 = 0xD9;
    const START_OF_SCAN: u8 = 0xDA;
    let is_standalone = |marker: u8| matches!(marker, 0x01 | 0xD0..=0xD8);
    let mut at = 2; // past the start-of-image marker
    loop {
        // Decoders skip stray bytes between segments; so do we.
        while at < bytes.len() && bytes[at] != 0xFF {
            at += 1;
        }
        while at < bytes.len() && bytes[at] == 0xFF {
            at += 1;
        }
        let Some(&marker) = bytes.get(at) else { return false };
        at += 1;
        if marker == END_OF_IMAGE {
            return true;
        }
        if is_standalone(marker) {
            continue;
        }
        let Some(length) =
            bytes.get(at..at + 2).map(|pair| usize::from(u16::from_be_bytes([pair[0], pair[1]])))
        else {
            return false;
        };
        if length < 2 || at + length > bytes.len() {
            return false;
        }
        at += length;
        if marker == START_OF_SCAN {
            loop {
                match (bytes.get(at), bytes.get(at + 1)) {
                    (Some(0xFF), Some(&next)) if next != 0 && !(0xD0..=0xD7).contains(&next) => break,
                    (Some(_), Some(_)) => at += 1,
                    _ => return false,
                }
            }
        }
    }
}

/// JPEG has no transparency: transparent pixels become white, not black.
fn flatten_on_white(image: DynamicImage) -> image::RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |channel: u8| {
            let alpha = u16::from(a);
            u8::try_from((u16::from(channel) * alpha + 255 * (255 - alpha)) / 255).unwrap_or(255)
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbaImage::from_pixel(width, height, image::Rgba([10, 20, 30, 0]));
        let mut bytes = Vec::new();
        image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).unwrap();
        bytes
    }

    #[test]
    fn photos_come_out_as_small_clean_jpegs() {
        let processed = process(&png(1600, 900)).unwrap();
        assert_eq!((processed.width, processed.height), (800, 450));
        assert_eq!(image::guess_format(&processed.jpeg).unwrap(), ImageFormat::Jpeg);
        let decoded = image::load_from_memory(&processed.jpeg).unwrap().into_rgb8();
        assert!(decoded.get_pixel(0, 0).0.iter().all(|channel| *channel > 240), "transparent became white");
    }

    #[test]
    fn other_types_and_damage_are_refused() {
        assert_eq!(
            process(b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap_err(),
            PhotoError::UnsupportedType
        );
        assert_eq!(process(b"GIF89a....").unwrap_err(), PhotoError::UnsupportedType);
        assert_eq!(process(&png(8001, 1)).unwrap_err(), PhotoError::TooManyPixels { width: 8001, height: 1 });
        let mut truncated = png(64, 64);
        truncated.truncate(truncated.len() / 2);
        assert_eq!(process(&truncated).unwrap_err(), PhotoError::Unreadable);
    }

    #[test]
    fn a_jpeg_is_whole_only_when_its_segments_reach_the_end_marker() {
        let jpeg = process(&png(40, 30)).unwrap().jpeg;
        assert!(jpeg_reaches_its_end(&jpeg));
        let mut with_trailer = jpeg.clone();
        with_trailer.extend_from_slice(b"bytes some cameras append");
        assert!(jpeg_reaches_its_end(&with_trailer));
        for cut in [3, 20, jpeg.len() / 2, jpeg.len() - 2, jpeg.len() - 1] {
            assert!(!jpeg_reaches_its_end(&jpeg[..cut]), "cut at {cut} of {}", jpeg.len());
        }
        // A segment whose length runs past the end.
        assert!(!jpeg_reaches_its_end(&[0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00, 0xFF, 0xD9]));
    }
}
