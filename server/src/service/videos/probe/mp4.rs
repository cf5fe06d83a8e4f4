//! MP4: a phone's or Safari's file keeps its sample times in the `moov` (`stts`); Chromium's
//! MediaRecorder writes a fragmented file (an empty `moov` with `mvex`, a zero duration, then
//! `moof`/`mdat` pairs), whose times are in the fragments. Top-level boxes are walked by their
//! headers; `moov` and `moof` are decoded, `mdat` payloads are only stepped over.

use mp4_atom::{Atom, Codec, Decode, DecodeAtom, FourCC, Header, Moof, Moov, TrunSamples};

use super::{nanos, span_ms, Found, ProbeError, Timeline};

/// Brands of still images (HEIF, AVIF), which also start with an `ftyp` box.
const IMAGE_BRANDS: [&[u8; 4]; 6] = [b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1"];

/// An `ftyp` box first, and not a still image's.
pub(super) fn sniff(bytes: &[u8]) -> bool {
    bytes.get(4..8) == Some(b"ftyp")
        && bytes.get(8..12).is_none_or(|brand| !IMAGE_BRANDS.iter().any(|image| brand == image.as_slice()))
}

pub(super) fn read(bytes: &[u8]) -> Result<Found, ProbeError> {
    // The parser logs a warning for every box it does not know: an upload must not be able to
    // write a million lines to the server's log.
    tracing::dispatcher::with_default(&tracing::Dispatch::none(), || read_boxes(bytes))
        .ok_or(ProbeError::Unreadable)
}

fn read_boxes(bytes: &[u8]) -> Option<Found> {
    let mut moov = None;
    let mut fragments = Vec::new();
    // A fragment's samples are in the `mdat` after its `moof`: a file cut between the two, or
    // inside either, is damaged; one cut after a whole pair is a shorter recording.
    let mut awaiting_data = false;
    let mut rest = bytes;
    while !rest.is_empty() {
        let header = Header::decode(&mut rest).ok()?;
        let size = header.size.unwrap_or(rest.len());
        if size > rest.len() {
            return None;
        }
        let mut body = &rest[..size];
        if header.kind == Moov::KIND {
            if moov.is_some() {
                return None;
            }
            moov = Some(Moov::decode_atom(&header, &mut body).ok()?);
        } else if header.kind == Moof::KIND {
            fragments.push(Moof::decode_atom(&header, &mut body).ok()?);
            awaiting_data = true;
        } else if header.kind == FourCC::new(b"mdat") {
            awaiting_data = false;
        }
        rest = &rest[size..];
    }
    let moov = moov?;
    if awaiting_data {
        return None;
    }

    let mut found = Found::default();
    // Track id, timescale, whether it is the video that counts, and where its next fragment starts.
    let mut tracks = Vec::new();
    let mut timelines = Vec::new();
    let mut declared_ns = header_duration(moov.mvhd.duration, moov.mvhd.timescale);
    if let Some(mehd) = moov.mvex.as_ref().and_then(|mvex| mvex.mehd.as_ref()) {
        declared_ns = declared_ns.max(header_duration(mehd.fragment_duration, moov.mvhd.timescale));
    }
    for trak in &moov.trak {
        let media = &trak.mdia;
        let video = media.hdlr.handler == FourCC::new(b"vide");
        if !video && media.hdlr.handler != FourCC::new(b"soun") {
            continue; // a phone's metadata, subtitles
        }
        let codecs = &media.minf.stbl.stsd.codecs;
        let first = codecs.first()?;
        let names = codecs.iter().map(codec_name);
        let counts = video && found.video.is_none();
        if counts {
            let (width, height) = first.visual().map_or((0, 0), |visual| (visual.width, visual.height));
            let matrix = &trak.tkhd.matrix;
            let quarter_turn = matrix.a == 0 && matrix.d == 0 && matrix.b != 0 && matrix.c != 0;
            let (width, height) = if quarter_turn { (height, width) } else { (width, height) };
            found.video = Some((codec_name(first), width.into(), height.into()));
            found.other_video.extend(names.skip(1));
        } else if video {
            found.other_video.extend(names);
        } else {
            found.audio.extend(names);
        }

        let timescale = u64::from(media.mdhd.timescale);
        if timescale == 0 {
            return None;
        }
        declared_ns = declared_ns.max(header_duration(media.mdhd.duration, media.mdhd.timescale));
        let mut timeline = Timeline::default();
        let mut start = 0u64;
        for entry in &media.minf.stbl.stts.entries {
            let step = u64::from(entry.sample_delta);
            timeline.push_run(nanos(start, timescale), entry.sample_count.into(), nanos(step, timescale));
            start = start.saturating_add(step.saturating_mul(entry.sample_count.into()));
        }
        // Sample data beyond the end: a file cut after its `moov`.
        let stbl = &media.minf.stbl;
        let chunks = stbl.stco.iter().flat_map(|stco| stco.entries.iter().map(|&offset| u64::from(offset)));
        let chunks = chunks.chain(stbl.co64.iter().flat_map(|co64| co64.entries.iter().copied()));
        if timeline.frames > 0 && chunks.clone().any(|offset| offset >= bytes.len() as u64) {
            return None;
        }
        tracks.push((trak.tkhd.track_id, timescale, counts, start));
        timelines.push(timeline);
    }

    for traf in fragments.iter().flat_map(|moof| &moof.traf) {
        let Some(index) = tracks.iter().position(|&(id, ..)| id == traf.tfhd.track_id) else {
            continue;
        };
        let (track_id, timescale, _, next) = &mut tracks[index];
        let trex = moov.mvex.iter().flat_map(|mvex| &mvex.trex).find(|trex| trex.track_id == *track_id);
        let default =
            traf.tfhd.default_sample_duration.or(trex.map(|trex| trex.default_sample_duration)).unwrap_or(0);
        let mut start = traf.tfdt.as_ref().map_or(*next, |tfdt| tfdt.base_media_decode_time);
        for trun in &traf.trun {
            match &trun.samples {
                TrunSamples::Inherited { count, .. } => {
                    let count = u64::from(*count);
                    timelines[index].push_run(
                        nanos(start, *timescale),
                        count,
                        nanos(default.into(), *timescale),
                    );
                    start = start.saturating_add(count.saturating_mul(default.into()));
                }
                TrunSamples::Explicit(entries) => {
                    for entry in entries {
                        let step = u64::from(entry.duration.unwrap_or(default));
                        timelines[index].push_run(nanos(start, *timescale), 1, nanos(step, *timescale));
                        start = start.saturating_add(step);
                    }
                }
            }
        }
        *next = start;
    }

    found.moving =
        tracks.iter().zip(&timelines).any(|(&(_, _, counts, _), timeline)| counts && timeline.moving());
    found.duration_ms = span_ms(&timelines).max(declared_ns / 1_000_000);
    Some(found)
}

/// A duration from a header, in nanoseconds; all ones means unknown.
fn header_duration(duration: u64, timescale: u32) -> u64 {
    if timescale == 0 || duration == u64::from(u32::MAX) || duration == u64::MAX {
        return 0;
    }
    nanos(duration, timescale.into())
}

/// Our name for a sample entry; an unknown one keeps its four-character code.
fn codec_name(codec: &Codec) -> String {
    let name = match codec {
        Codec::Avc1(_) | Codec::Avc3(_) => "h264",
        Codec::Hev1(_) | Codec::Hvc1(_) => "hevc",
        Codec::Vp08(_) => "vp8",
        Codec::Vp09(_) => "vp9",
        Codec::Av01(_) => "av1",
        Codec::Opus(_) => "opus",
        Codec::Mp4a(mp4a) => match mp4a.esds.es_desc.dec_config.object_type_indication {
            0x40 | 0x66..=0x68 => "aac", // MPEG-4 audio, and MPEG-2 AAC's three profiles
            0x69 | 0x6B => "mp3",
            _ => "mp4a",
        },
        Codec::Mp3(_) => "mp3",
        Codec::Flac(_) => "flac",
        Codec::Ac3(_) => "ac-3",
        Codec::Eac3(_) => "e-ac-3",
        Codec::Jpeg(_) => "motion jpeg",
        Codec::Unknown(code, _) => return code.to_string(),
        _ => "another format",
    };
    name.to_owned()
}
