//! What is known of the media store's objects, as the database records them (the bytes are in
//! the store, `storage::media`).

use super::media::keys;

/// What an object in the media store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// A re-encoded JPEG.
    Photo,
    /// WebM or MP4 as the visitor's browser recorded it, checked but never re-encoded.
    Video,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Video => "video",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "photo" => Some(Self::Photo),
            "video" => Some(Self::Video),
            _ => None,
        }
    }
}

/// What is known of an object in the media store (its bytes are in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    pub id: String,
    pub site_id: i64,
    pub kind: MediaKind,
    /// False while a video's parts are still arriving.
    pub ready: bool,
    pub content_type: String,
    /// For a video still arriving: the size it announced.
    pub byte_size: u64,
    pub width: u32,
    pub height: u32,
    pub duration_ms: Option<u64>,
    pub codecs: Option<String>,
    /// A poster frame is stored beside the video.
    pub poster: bool,
    pub created_at: i64,
}

impl MediaRecord {
    /// Its object's key in the media store.
    pub fn key(&self) -> String {
        let extension = match self.content_type.as_str() {
            "image/jpeg" => "jpg",
            "video/mp4" => "mp4",
            _ => "webm",
        };
        keys::object(self.site_id, &self.id, extension)
    }

    /// Every object this record may own (parts still arriving aside): the object, and for a
    /// video its poster, under either container's name (an upload in parts learns which it is
    /// only when it is put together).
    pub fn keys(&self) -> Vec<String> {
        match self.kind {
            MediaKind::Photo => vec![self.key()],
            MediaKind::Video => vec![
                keys::object(self.site_id, &self.id, "webm"),
                keys::object(self.site_id, &self.id, "mp4"),
                keys::poster(self.site_id, &self.id),
            ],
        }
    }
}

/// A medium the public may see, with what its testimonial says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedMedia {
    pub record: MediaRecord,
    /// The testimonial's timed transcript, for a video's captions.
    pub captions: Option<String>,
    /// The testimonial's language-neutral id, for logs.
    pub testimonial_id: String,
}

/// A photo as the first versions kept it, in the database; moved to the media store on start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub id: String,
    pub site_id: i64,
    /// JPEG bytes.
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub created_at: i64,
}
