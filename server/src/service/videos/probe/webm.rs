//! WebM, and Matroska as Chromium writes it for H.264. Chromium's MediaRecorder writes a live
//! stream: a Segment and Clusters of unknown size, no Duration, no Cues. So the tracks come
//! from the demuxer and the times from iterating every frame.

use std::io::Cursor;

use matroska_demuxer::{Frame, MatroskaFile, TrackType};

use super::{span_ms, Found, ProbeError, Timeline};

const EBML_HEADER: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const CLUSTER: u32 = 0x1F43_B675;

/// The EBML magic first, and a DocType of `webm` or `matroska`. A file cut inside its EBML
/// header, before the DocType, passes: it is then found unreadable, not "not a video".
pub(super) fn sniff(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&EBML_HEADER.to_be_bytes()) {
        return false;
    }
    let Some(header) = Header::at(bytes, 0) else {
        return true;
    };
    let end = header.size.map_or(bytes.len(), |size| header.data.saturating_add(size).min(bytes.len()));
    let body = bytes.get(header.data..end).unwrap_or_default();
    let mut at = 0;
    while let Some(child) = Header::at(body, at) {
        let end = child.size.map_or(usize::MAX, |size| child.data.saturating_add(size));
        if child.id == DOC_TYPE {
            let Some(doc_type) = body.get(child.data..end) else { return true };
            let doc_type = doc_type.strip_suffix(b"\0").unwrap_or(doc_type);
            return doc_type == b"webm" || doc_type == b"matroska";
        }
        at = end;
    }
    true
}

pub(super) fn read(bytes: &[u8]) -> Result<Found, ProbeError> {
    match clusters(bytes) {
        None => return Err(ProbeError::Unreadable),
        // Whole, but stopped before its first frame: the demuxer will not open it.
        Some(0) => return Err(ProbeError::Empty),
        Some(_) => {}
    }
    let mut file = MatroskaFile::open(Cursor::new(bytes)).map_err(|_| ProbeError::Unreadable)?;
    let scale = file.info().timestamp_scale().get(); // nanoseconds a tick
    let declared_ns = file.info().duration().map_or(0.0, |ticks| ticks * scale as f64);

    let mut found = Found::default();
    // Track number, whether it is the video track that counts, its usual frame duration.
    let mut tracks = Vec::new();
    for track in file.tracks() {
        let codec = codec_name(track.codec_id());
        match track.track_type() {
            TrackType::Video if found.video.is_none() => {
                let video = track.video().ok_or(ProbeError::Unreadable)?;
                let side = |pixels: u64| u32::try_from(pixels).unwrap_or(u32::MAX);
                found.video =
                    Some((codec, side(video.pixel_width().get()), side(video.pixel_height().get())));
                tracks.push((track.track_number().get(), true, track.default_duration()));
            }
            TrackType::Video => {
                found.other_video.push(codec);
                tracks.push((track.track_number().get(), false, track.default_duration()));
            }
            TrackType::Audio => {
                found.audio.push(codec);
                tracks.push((track.track_number().get(), false, track.default_duration()));
            }
            _ => {}
        }
    }

    let mut times = vec![FrameTimes::default(); tracks.len()];
    let mut frame = Frame::default();
    while file.next_frame(&mut frame).map_err(|_| ProbeError::Unreadable)? {
        if let Some(index) = tracks.iter().position(|&(number, ..)| number == frame.track) {
            times[index].add(frame.timestamp, frame.duration);
        }
    }

    let timelines: Vec<Timeline> = times
        .iter()
        .zip(&tracks)
        .map(|(times, (_, _, default_duration))| times.timeline(scale, default_duration.map(|ns| ns.get())))
        .collect();
    found.moving =
        tracks.iter().zip(&timelines).any(|((_, counts, _), timeline)| *counts && timeline.moving());
    // `as` saturates: a NaN or negative Duration counts as none, an absurd one as very long.
    found.duration_ms = span_ms(&timelines).max((declared_ns / 1e6) as u64);
    Ok(found)
}

/// One track's frames, in ticks of the segment's TimestampScale.
#[derive(Debug, Default, Clone, Copy)]
struct FrameTimes {
    frames: u64,
    first: u64,
    last: u64,
    /// The last frame's own duration (a BlockGroup's BlockDuration), if it has one.
    last_duration: Option<u64>,
}

impl FrameTimes {
    fn add(&mut self, timestamp: u64, duration: Option<u64>) {
        if self.frames == 0 {
            (self.first, self.last, self.last_duration) = (timestamp, timestamp, duration);
        } else if timestamp > self.last {
            (self.last, self.last_duration) = (timestamp, duration);
        } else {
            self.first = self.first.min(timestamp);
        }
        self.frames += 1;
    }

    /// The last frame lasts its own duration, else the track's default duration, else the
    /// track's average frame interval.
    fn timeline(&self, scale: u64, default_duration_ns: Option<u64>) -> Timeline {
        let ns = |ticks: u64| ticks.saturating_mul(scale);
        let interval = (self.last - self.first) / self.frames.saturating_sub(1).max(1);
        let last_lasts = self.last_duration.map(ns).or(default_duration_ns).unwrap_or(ns(interval));
        let mut timeline = Timeline::default();
        if self.frames > 0 {
            timeline.push(
                ns(self.first),
                ns(self.last),
                ns(self.last).saturating_add(last_lasts),
                self.frames,
            );
        }
        timeline
    }
}

/// Our name for a Matroska codec id; an unknown one keeps its own.
fn codec_name(codec_id: &str) -> String {
    let name = match codec_id {
        "V_VP8" => "vp8",
        "V_VP9" => "vp9",
        "V_AV1" => "av1",
        "V_MPEG4/ISO/AVC" => "h264",
        "V_MPEGH/ISO/HEVC" => "hevc",
        "A_OPUS" => "opus",
        "A_VORBIS" => "vorbis",
        id if id == "A_AAC" || id.starts_with("A_AAC/") => "aac",
        other => other,
    };
    name.to_owned()
}

/// How many Clusters the file has, if it ends where an element ends, every element header is
/// whole and every element of known size lies inside the file; `None` if it was cut. The
/// demuxer takes a read past the end for the end of the stream, so it cannot tell a file cut
/// inside an element header, or inside an element it skips, from one that ends there (a cut
/// inside a frame it does notice). Segments and Clusters are entered, as their children are
/// what a cut would break; any other element is stepped over whole.
fn clusters(bytes: &[u8]) -> Option<usize> {
    let mut clusters = 0;
    let mut at = 0;
    while at < bytes.len() {
        let header = Header::at(bytes, at)?;
        let end = header.size.map(|size| header.data.checked_add(size).filter(|&end| end <= bytes.len()));
        at = match (header.id, end) {
            (_, Some(None)) => return None,
            (SEGMENT, _) => header.data,
            (CLUSTER, _) => {
                clusters += 1;
                header.data
            }
            (_, Some(Some(end))) => end,
            (_, None) => return None, // only Segments and Clusters may have an unknown size
        };
    }
    Some(clusters)
}

/// An element's header: its id (length marker kept, as ids are written), where its data
/// starts, and its size (`None`: unknown, running to the end of its parent).
struct Header {
    id: u32,
    data: usize,
    size: Option<usize>,
}

impl Header {
    fn at(bytes: &[u8], at: usize) -> Option<Self> {
        let (id, id_len) = vint(bytes, at, 4)?;
        let (size, size_len) = vint(bytes, at + id_len, 8)?;
        let unknown = size == (1 << (7 * size_len)) - 1;
        Some(Self {
            id: u32::try_from(id).ok()?,
            data: at + id_len + size_len,
            size: if unknown { None } else { Some(usize::try_from(size).ok()?) },
        })
    }
}

/// An EBML variable-length integer at `at`: for ids (`max_len` 4) as written, for sizes (8)
/// without its length marker; and its length in bytes.
fn vint(bytes: &[u8], at: usize, max_len: usize) -> Option<(u64, usize)> {
    let len = bytes.get(at)?.leading_zeros() as usize + 1;
    if len > max_len {
        return None;
    }
    let raw = bytes.get(at..at + len)?.iter().fold(0u64, |value, &byte| value << 8 | u64::from(byte));
    Some(if max_len == 4 { (raw, len) } else { (raw & ((1 << (7 * len)) - 1), len) })
}
