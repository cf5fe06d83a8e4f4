//! The probe against Chromium's own recordings, and against files built to break each rule.

use std::collections::BTreeSet;

use super::*;
use crate::video_samples::{self as samples, Mp4Layout, Mp4Spec, WebmSpec};

fn progressive() -> Mp4Spec {
    Mp4Spec { layout: Mp4Layout::Progressive, ..Mp4Spec::default() }
}

#[test]
fn chromium_recordings_are_accepted() {
    let webm = probe(&samples::fixture("fake-camera.webm")).expect("the WebM recording");
    assert_eq!((webm.container, webm.width, webm.height), (Container::WebM, 320, 240));
    assert_eq!((webm.video_codec.as_str(), webm.audio_codec.as_deref()), ("vp8", Some("opus")));
    assert!((1000..=4000).contains(&webm.duration_ms), "{webm:?}");

    let mp4 = probe(&samples::fixture("fake-camera.mp4")).expect("the MP4 recording");
    assert_eq!((mp4.container, mp4.width, mp4.height), (Container::Mp4, 320, 240));
    assert_eq!((mp4.video_codec.as_str(), mp4.audio_codec.as_deref()), ("h264", Some("opus")));
    assert!((1000..=4000).contains(&mp4.duration_ms), "{mp4:?}");
}

#[test]
fn containers_are_told_by_their_bytes_alone() {
    assert_eq!(sniff(&samples::fixture("fake-camera.webm")), Some(Container::WebM));
    assert_eq!(sniff(&samples::fixture("fake-camera.mp4")), Some(Container::Mp4));
    assert_eq!(sniff(&samples::text_named_webm()), None);
    assert_eq!(sniff(b""), None);
    // Chromium writes DocType "matroska" for H.264, even when asked for video/webm.
    let matroska = samples::webm(&WebmSpec { doc_type: "matroska", ..WebmSpec::default() });
    assert_eq!(sniff(&matroska), Some(Container::WebM));
    let other = samples::webm(&WebmSpec { doc_type: "notwebm", ..WebmSpec::default() });
    assert_eq!(sniff(&other), None);
    // A HEIF photo starts with an ftyp box too.
    assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), None);

    assert_eq!((Container::WebM.content_type(), Container::WebM.extension()), ("video/webm", "webm"));
    assert_eq!((Container::Mp4.content_type(), Container::Mp4.extension()), ("video/mp4", "mp4"));
}

#[test]
fn built_files_last_what_their_frames_say() {
    for (name, bytes) in [
        ("webm", samples::valid_webm()),
        ("matroska", samples::webm(&WebmSpec { doc_type: "matroska", ..WebmSpec::default() })),
        ("fragmented mp4", samples::valid_mp4()),
        ("four fragments", samples::mp4(&Mp4Spec { layout: Mp4Layout::Fragmented(4), ..Mp4Spec::default() })),
        ("progressive mp4", samples::mp4(&progressive())),
    ] {
        let info = probe(&bytes).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!((info.duration_ms, info.width, info.height), (2000, 320, 240), "{name}");
    }
}

#[test]
fn every_accepted_codec_is_named() {
    let videos = [
        ("V_VP8", "vp8"),
        ("V_VP9", "vp9"),
        ("V_AV1", "av1"),
        ("V_MPEG4/ISO/AVC", "h264"),
        ("V_MPEGH/ISO/HEVC", "hevc"),
    ];
    for (id, name) in videos {
        let info = probe(&samples::webm(&WebmSpec { video: Some((id, 640, 480)), ..WebmSpec::default() }));
        assert_eq!(info.map(|info| info.video_codec), Ok(name.to_owned()));
    }
    let audios = [
        (Some("A_OPUS"), Some("opus")),
        (Some("A_VORBIS"), Some("vorbis")),
        (Some("A_AAC"), Some("aac")),
        (None, None),
    ];
    for (id, name) in audios {
        let info = probe(&samples::webm(&WebmSpec { audio: id, ..WebmSpec::default() }));
        assert_eq!(info.map(|info| info.audio_codec), Ok(name.map(str::to_owned)));
    }
    for layout in [Mp4Layout::Progressive, Mp4Layout::Fragmented(2)] {
        for (code, name) in [(Some(*b"mp4a"), Some("aac")), (Some(*b"Opus"), Some("opus")), (None, None)] {
            let info =
                probe(&samples::mp4(&Mp4Spec { audio: code, layout, ..Mp4Spec::default() })).expect("an MP4");
            assert_eq!((info.video_codec.as_str(), info.audio_codec.as_deref()), ("h264", name));
        }
    }
}

#[test]
fn each_bad_input_is_refused_for_its_reason() {
    let cases = [
        ("text", samples::text_named_webm(), ProbeError::NotAVideo),
        ("3 h webm", samples::three_hours_webm(), ProbeError::TooLong { duration_ms: 10_800_000 }),
        ("3 h mp4", samples::three_hours_mp4(), ProbeError::TooLong { duration_ms: 10_800_000 }),
        ("0 s webm", samples::zero_seconds_webm(), ProbeError::Empty),
        ("0 s mp4", samples::zero_seconds_mp4(), ProbeError::Empty),
        (
            "one frame webm",
            samples::webm(&WebmSpec { frame_times_ms: vec![0], ..WebmSpec::default() }),
            ProbeError::Empty,
        ),
        (
            "no frame webm",
            samples::webm(&WebmSpec { frame_times_ms: vec![], ..WebmSpec::default() }),
            ProbeError::Empty,
        ),
        ("one frame mp4", samples::mp4(&Mp4Spec { frames: 1, ..progressive() }), ProbeError::Empty),
        ("no frame mp4", samples::mp4(&Mp4Spec { frames: 0, ..Mp4Spec::default() }), ProbeError::Empty),
        ("8K webm", samples::eight_k_webm(), ProbeError::TooManyPixels { width: 7680, height: 4320 }),
        ("8K mp4", samples::eight_k_mp4(), ProbeError::TooManyPixels { width: 7680, height: 4320 }),
        ("sound only webm", samples::audio_only_webm(), ProbeError::NoVideoTrack),
        ("sound only mp4", samples::audio_only_mp4(), ProbeError::NoVideoTrack),
        (
            "Theora",
            samples::webm(&WebmSpec { video: Some(("V_THEORA", 320, 240)), ..WebmSpec::default() }),
            ProbeError::UnsupportedCodec { codec: "V_THEORA".into() },
        ),
        (
            "PCM in WebM",
            samples::webm(&WebmSpec { audio: Some("A_PCM/INT/LIT"), ..WebmSpec::default() }),
            ProbeError::UnsupportedCodec { codec: "A_PCM/INT/LIT".into() },
        ),
        (
            "MPEG-4 part 2",
            samples::mp4(&Mp4Spec { video: Some((*b"mp4v", 320, 240)), ..Mp4Spec::default() }),
            ProbeError::UnsupportedCodec { codec: "mp4v".into() },
        ),
        (
            "unprintable",
            samples::webm(&WebmSpec { video: Some(("V_\u{1b}[2J", 320, 240)), ..WebmSpec::default() }),
            ProbeError::UnsupportedCodec { codec: "an unknown format".into() },
        ),
        (
            "ALAC",
            samples::mp4(&Mp4Spec { audio: Some(*b"alac"), ..progressive() }),
            ProbeError::UnsupportedCodec { codec: "alac".into() },
        ),
    ];
    for (name, bytes, error) in cases {
        assert_eq!(error.is_unsupported_type(), error == ProbeError::NotAVideo, "{name}");
        assert_eq!(probe(&bytes), Err(error), "{name}");
    }
}

#[test]
fn size_is_checked_before_anything_is_read() {
    let mut bytes = samples::valid_webm();
    bytes.resize(MAX_VIDEO_BYTES + 1, 0);
    assert_eq!(probe(&bytes), Err(ProbeError::TooLarge { bytes: MAX_VIDEO_BYTES + 1 }));
    bytes.truncate(MAX_VIDEO_BYTES);
    assert_eq!(probe(&bytes), Err(ProbeError::Unreadable), "trailing zeros are no element");
    assert_eq!(
        probe(&vec![b'x'; MAX_VIDEO_BYTES + 1]),
        Err(ProbeError::TooLarge { bytes: MAX_VIDEO_BYTES + 1 })
    );
}

#[test]
fn the_limits_themselves_are_accepted() {
    // A frame every 100 ms, the last lasting as long as the others.
    let frames = |count: u64| {
        samples::webm(&WebmSpec {
            frame_times_ms: (0..count).map(|i| i * 100).collect(),
            ..WebmSpec::default()
        })
    };
    assert_eq!(probe(&frames(1200)).map(|info| info.duration_ms), Ok(MAX_DURATION_MS));
    assert_eq!(probe(&frames(1201)), Err(ProbeError::TooLong { duration_ms: MAX_DURATION_MS + 100 }));

    for (width, height) in [(3840, 2160), (2160, 3840)] {
        let webm = samples::webm(&WebmSpec { video: Some(("V_VP9", width, height)), ..WebmSpec::default() });
        assert_eq!(probe(&webm).map(|info| (info.width, info.height)), Ok((width, height)));
        let mp4 = samples::mp4(&Mp4Spec {
            video: Some((*b"avc1", width as u16, height as u16)),
            ..Mp4Spec::default()
        });
        assert_eq!(probe(&mp4).map(|info| (info.width, info.height)), Ok((width, height)));
    }
    let webm = samples::webm(&WebmSpec { video: Some(("V_VP9", 3841, 2160)), ..WebmSpec::default() });
    assert_eq!(probe(&webm), Err(ProbeError::TooManyPixels { width: 3841, height: 2160 }));
}

#[test]
fn a_declared_duration_counts_when_it_is_the_longer() {
    let declared =
        |duration_ms: f64| samples::webm(&WebmSpec { duration_ms: Some(duration_ms), ..WebmSpec::default() });
    assert_eq!(probe(&declared(10_800_000.0)), Err(ProbeError::TooLong { duration_ms: 10_800_000 }));
    assert_eq!(probe(&declared(500.0)).map(|info| info.duration_ms), Ok(2000));
    assert_eq!(probe(&declared(f64::NAN)).map(|info| info.duration_ms), Ok(2000));
}

#[test]
fn messages_say_what_is_wrong_and_the_limit() {
    let large = ProbeError::TooLarge { bytes: 60 * 1024 * 1024 }.to_string();
    assert!(large.contains("60 MB") && large.contains("50 MB"), "{large}");
    let long = ProbeError::TooLong { duration_ms: 10_800_100 }.to_string();
    assert!(long.contains("10801 seconds") && long.contains("120 seconds"), "{long}");
    let pixels = ProbeError::TooManyPixels { width: 7680, height: 4320 }.to_string();
    assert!(pixels.contains("7680×4320") && pixels.contains("3840"), "{pixels}");
    let codec = ProbeError::UnsupportedCodec { codec: "V_THEORA".into() }.to_string();
    assert!(codec.contains("V_THEORA") && codec.contains("VP8"), "{codec}");
}

/// Cuts `whole` at every point and sorts the outcomes. Every cut is refused as unreadable,
/// except a cut exactly where a shorter recording would end, which is read as one (the bytes
/// are the same); before a second frame, such a recording is empty. `NotAVideo` only for a
/// cut too short to hold the container's magic.
fn accepted_cuts(whole: &[u8], cuts: impl Iterator<Item = usize>) -> BTreeSet<usize> {
    let full = probe(whole).expect("the whole file").duration_ms;
    let mut accepted = BTreeSet::new();
    for cut in cuts {
        match probe(&whole[..cut]) {
            Ok(info) => {
                assert!(info.duration_ms <= full, "cut at {cut}: {info:?}");
                accepted.insert(cut);
            }
            Err(ProbeError::Unreadable | ProbeError::Empty) => {}
            Err(ProbeError::NotAVideo) => assert!(cut < 8, "cut at {cut}: not a video"),
            Err(other) => panic!("cut at {cut}: {other:?}"),
        }
    }
    accepted
}

#[test]
fn a_cut_webm_is_unreadable_unless_cut_between_frames() {
    let spec = WebmSpec::default();
    let whole = samples::webm(&spec);
    // Like Chromium's, these files declare no size or duration up front, so the file of the
    // first k frame times is the start of the whole; cut after a time's video block, it has
    // one audio block fewer (30 bytes).
    let mut shorter = BTreeSet::new();
    for k in 2..=spec.frame_times_ms.len() {
        let prefix =
            samples::webm(&WebmSpec { frame_times_ms: spec.frame_times_ms[..k].to_vec(), ..spec.clone() });
        assert!(whole.starts_with(&prefix));
        shorter.extend([prefix.len() - 30, prefix.len()]);
    }
    assert_eq!(accepted_cuts(&whole, 0..=whole.len()), shorter);
}

#[test]
fn a_cut_mp4_is_unreadable_unless_cut_after_a_whole_fragment() {
    let spec = Mp4Spec { frames: 20, layout: Mp4Layout::Fragmented(4), ..Mp4Spec::default() };
    let whole = samples::mp4(&spec);
    let shorter: BTreeSet<usize> = (1..=4)
        .map(|k| samples::mp4(&Mp4Spec { frames: 5 * k, layout: Mp4Layout::Fragmented(k), ..spec.clone() }))
        .inspect(|prefix| assert!(whole.starts_with(prefix)))
        .map(|prefix| prefix.len())
        .collect();
    assert_eq!(accepted_cuts(&whole, 0..=whole.len()), shorter);

    // A progressive file's sample tables describe every sample: any cut loses some.
    let whole = samples::mp4(&progressive());
    assert_eq!(accepted_cuts(&whole, 0..=whole.len()), BTreeSet::from([whole.len()]));
}

#[test]
fn a_cut_recording_is_unreadable_or_shorter() {
    // Chromium's WebM has a boundary between every two blocks: some of these cuts land on one.
    let webm = samples::fixture("fake-camera.webm");
    let accepted = accepted_cuts(&webm, (0..webm.len()).step_by(7).chain([webm.len()]));
    assert!(accepted.len() < webm.len() / 7 / 10, "{} of {} cuts accepted", accepted.len(), webm.len() / 7);

    // Its MP4 is one fragment, then an index (`mfra`): a cut is only harmless before the index.
    let mp4 = samples::fixture("fake-camera.mp4");
    let index = mp4.windows(4).rposition(|kind| kind == b"mfra").expect("an mfra box") - 4;
    let accepted = accepted_cuts(&mp4, (0..mp4.len()).step_by(3).chain([index, mp4.len()]));
    assert_eq!(accepted, BTreeSet::from([index, mp4.len()]));
}

/// A deterministic xorshift generator: the same "random" inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn no_input_makes_it_panic() {
    let mut rng = Rng(0x5EED_F00D_CAFE_BEEF);
    let prefixes: [&[u8]; 3] = [b"", &[0x1A, 0x45, 0xDF, 0xA3], b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2"];
    for len in [0, 1, 3, 4, 7, 8, 12, 16, 40, 300, 4000] {
        for prefix in prefixes {
            for _ in 0..20 {
                let mut bytes = prefix.to_vec();
                bytes.extend((0..len).map(|_| rng.next() as u8));
                let _ = probe(&bytes);
            }
        }
    }

    // A few thousand mutations of Chromium's recordings, and some of the built files.
    let bases = [
        (samples::fixture("fake-camera.webm"), 1500),
        (samples::fixture("fake-camera.mp4"), 1500),
        (samples::valid_webm(), 500),
        (samples::valid_mp4(), 500),
        (samples::mp4(&progressive()), 500),
    ];
    for (base, mutations) in &bases {
        for _ in 0..*mutations {
            let mut bytes = base.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                match rng.below(5) {
                    0 => bytes[at] = rng.next() as u8,
                    1 => bytes[at] ^= 1 << rng.below(8),
                    2 => bytes[at..].iter_mut().take(4).for_each(|byte| *byte = 0xFF),
                    3 => bytes[at..].iter_mut().take(8).for_each(|byte| *byte = 0),
                    _ => {
                        let end = (at + rng.below(64)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                }
            }
            let _ = probe(&bytes);
        }
    }
}
