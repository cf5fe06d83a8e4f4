//! Reads an uploaded video's container before anything is kept: what it is (WebM or MP4, from
//! its bytes alone, never from a name or a declared type), how long it lasts, its pixel size
//! and its codecs, then applies the limits. Nothing is decoded, executed or transcoded: the
//! containers are read with maintained parsers (`matroska-demuxer`, `mp4-atom`), frame and
//! sample payloads are skipped. Pure and panic-free on any input; the caller runs it off the
//! async runtime, like the photo pipeline.
//!
//! What counts, in both containers:
//! - the duration is the span from the earliest frame to the end of the last (its own
//!   duration, else the track's average frame interval), or the duration the file declares if
//!   that is longer: a file cannot hide its length by declaring less;
//! - a video with fewer than two distinct frame times is empty: a single picture, or frames
//!   all at one timestamp, plays for 0 seconds;
//! - a file cut short is refused as unreadable, except when cut exactly between two frames
//!   (WebM) or after a complete fragment (MP4): that is the same as a shorter recording, and is
//!   read as one.

mod mp4;
mod webm;

#[cfg(test)]
mod tests;

/// Bigger uploads are refused before they are read.
pub const MAX_VIDEO_BYTES: usize = 50 * 1024 * 1024;
/// Two minutes. A recorder should stop a little before: the last frame's own duration counts.
pub const MAX_DURATION_MS: u64 = 120_000;
/// Either side, in pixels: 4K from a phone is fine either way up, 8K (7680×4320) is refused.
pub const MAX_SIDE: u32 = 3840;

/// The accepted video codecs, as [`VideoInfo::video_codec`] names them.
const VIDEO_CODECS: [&str; 5] = ["vp8", "vp9", "av1", "h264", "hevc"];
/// The accepted audio codecs; a video may also have no sound.
const AUDIO_CODECS: [&str; 3] = ["opus", "vorbis", "aac"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    WebM,
    Mp4,
}

impl Container {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::WebM => "video/webm",
            Self::Mp4 => "video/mp4",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::WebM => "webm",
            Self::Mp4 => "mp4",
        }
    }
}

/// What an accepted video is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoInfo {
    pub container: Container,
    pub duration_ms: u64,
    /// As displayed: an MP4 track turned a quarter (a phone held upright) has its sides swapped.
    pub width: u32,
    pub height: u32,
    /// `vp8`, `vp9`, `av1`, `h264` or `hevc`.
    pub video_codec: String,
    /// `opus`, `vorbis` or `aac`; `None` for a silent video.
    pub audio_codec: Option<String>,
}

/// Why a video is refused, in words for the person who sent it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("only WebM and MP4 videos are accepted")]
    NotAVideo,
    #[error("the video is {} MB; at most {} MB are accepted", megabytes(.bytes), MAX_VIDEO_BYTES / MEGABYTE)]
    TooLarge { bytes: usize },
    #[error("the video could not be read: it is damaged or incomplete")]
    Unreadable,
    #[error("the file has no picture, only sound; please send a video")]
    NoVideoTrack,
    #[error("the video lasts {} seconds; at most {} seconds are accepted", seconds(.duration_ms), MAX_DURATION_MS / 1000)]
    TooLong { duration_ms: u64 },
    #[error("the video is empty: it has no moving picture")]
    Empty,
    #[error("the video is {width}×{height} pixels; at most {MAX_SIDE} pixels a side (4K) are accepted")]
    TooManyPixels { width: u32, height: u32 },
    #[error(
        "the video is encoded as {codec}, which is not accepted: VP8, VP9, AV1, H.264 or HEVC \
         pictures, with Opus, Vorbis or AAC sound"
    )]
    UnsupportedCodec { codec: String },
}

impl ProbeError {
    /// Not a video at all (answered 415), as opposed to a video that breaks a rule (422).
    pub fn is_unsupported_type(&self) -> bool {
        matches!(self, Self::NotAVideo)
    }
}

const MEGABYTE: usize = 1024 * 1024;

fn megabytes(bytes: &usize) -> usize {
    bytes.div_ceil(MEGABYTE)
}

fn seconds(duration_ms: &u64) -> u64 {
    duration_ms.div_ceil(1000)
}

/// Which container these bytes are, by their first bytes alone: an EBML header with the DocType
/// `webm`, or `matroska` (Chromium's MediaRecorder writes it for H.264, even when asked for
/// `video/webm`); or an MP4 `ftyp` box first, unless its brand is a still image's (HEIF, AVIF).
pub fn sniff(bytes: &[u8]) -> Option<Container> {
    if webm::sniff(bytes) {
        Some(Container::WebM)
    } else if mp4::sniff(bytes) {
        Some(Container::Mp4)
    } else {
        None
    }
}

/// Reads the container and applies every limit; see the module's documentation for what counts.
pub fn probe(bytes: &[u8]) -> Result<VideoInfo, ProbeError> {
    if bytes.len() > MAX_VIDEO_BYTES {
        return Err(ProbeError::TooLarge { bytes: bytes.len() });
    }
    let container = sniff(bytes).ok_or(ProbeError::NotAVideo)?;
    let found = match container {
        Container::WebM => webm::read(bytes),
        Container::Mp4 => mp4::read(bytes),
    }?;
    found.judge(container)
}

/// What a container reader found, before the limits are applied.
#[derive(Debug, Default)]
struct Found {
    /// The first video track: its codec (our name, or the container's for an unknown one),
    /// width and height as displayed.
    video: Option<(String, u32, u32)>,
    /// Every other audio and video track's codec; other tracks (subtitles, a phone's
    /// metadata) are ignored.
    audio: Vec<String>,
    other_video: Vec<String>,
    /// The video track's frames are at two or more distinct times.
    moving: bool,
    duration_ms: u64,
}

impl Found {
    fn judge(self, container: Container) -> Result<VideoInfo, ProbeError> {
        let (video_codec, width, height) = self.video.ok_or(ProbeError::NoVideoTrack)?;
        let unsupported = std::iter::once(&video_codec)
            .chain(&self.other_video)
            .find(|codec| !VIDEO_CODECS.contains(&codec.as_str()))
            .or_else(|| self.audio.iter().find(|codec| !AUDIO_CODECS.contains(&codec.as_str())));
        if let Some(codec) = unsupported {
            return Err(ProbeError::UnsupportedCodec { codec: shown(codec) });
        }
        if width == 0 || height == 0 {
            return Err(ProbeError::Unreadable);
        }
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(ProbeError::TooManyPixels { width, height });
        }
        if !self.moving {
            return Err(ProbeError::Empty);
        }
        if self.duration_ms > MAX_DURATION_MS {
            return Err(ProbeError::TooLong { duration_ms: self.duration_ms });
        }
        Ok(VideoInfo {
            container,
            duration_ms: self.duration_ms,
            width,
            height,
            video_codec,
            audio_codec: self.audio.into_iter().next(),
        })
    }
}

/// A codec's name fit to show: an unknown one is named by the file, in any bytes.
fn shown(codec: &str) -> String {
    let printable = codec.bytes().all(|byte| byte.is_ascii_graphic() || byte == b' ');
    if printable && (1..=32).contains(&codec.len()) {
        codec.to_owned()
    } else {
        "an unknown format".to_owned()
    }
}

/// One track's frame times, in nanoseconds, to find the span and whether anything moves.
#[derive(Debug, Default, Clone, Copy)]
struct Timeline {
    frames: u64,
    first: u64,
    /// When the last frame starts, and when it ends.
    last: u64,
    end: u64,
}

impl Timeline {
    /// Adds `count` frames starting at `start`, `step` apart, each lasting `step`.
    fn push_run(&mut self, start: u64, count: u64, step: u64) {
        if count == 0 {
            return;
        }
        let last = start.saturating_add((count - 1).saturating_mul(step));
        self.push(start, last, last.saturating_add(step), count);
    }

    fn push(&mut self, start: u64, last: u64, end: u64, count: u64) {
        if self.frames == 0 {
            (self.first, self.last, self.end) = (start, last, end);
        } else {
            self.first = self.first.min(start);
            self.last = self.last.max(last);
            self.end = self.end.max(end);
        }
        self.frames = self.frames.saturating_add(count);
    }

    fn moving(&self) -> bool {
        self.frames >= 2 && self.last > self.first
    }
}

/// The span of all these tracks together, in milliseconds.
fn span_ms(timelines: &[Timeline]) -> u64 {
    let used = timelines.iter().filter(|timeline| timeline.frames > 0);
    let first = used.clone().map(|timeline| timeline.first).min().unwrap_or(0);
    let end = used.map(|timeline| timeline.end).max().unwrap_or(0);
    end.saturating_sub(first) / 1_000_000
}

/// `ticks` of `1 / per_second` seconds, in nanoseconds, saturating.
fn nanos(ticks: u64, per_second: u64) -> u64 {
    let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(per_second.max(1));
    u64::try_from(nanos).unwrap_or(u64::MAX)
}
