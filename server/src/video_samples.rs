//! Video files for tests, built in code: a tiny EBML writer for WebM and a tiny box writer for
//! MP4, each making a container with chosen tracks (codec, pixel size) and frames at chosen
//! times. Frame payloads are filler bytes: nothing here decodes, and neither does the probe.
//! The recordings of a real browser are committed beside the tests and read by [`fixture`].

/// A WebM file to build: its tracks and when its frames are.
#[derive(Debug, Clone)]
pub struct WebmSpec {
    /// The EBML DocType: `webm`, or `matroska` as Chromium writes for H.264.
    pub doc_type: &'static str,
    /// Codec id (`V_VP8`, …) and pixel size of the video track, if any.
    pub video: Option<(&'static str, u32, u32)>,
    /// Codec id of the audio track (`A_OPUS`, …), if any.
    pub audio: Option<&'static str>,
    /// When each frame is, in milliseconds; each track has one frame at each time.
    pub frame_times_ms: Vec<u64>,
    /// The segment's Duration element in milliseconds; Chromium writes none.
    pub duration_ms: Option<f64>,
}

impl Default for WebmSpec {
    /// Two seconds of VP8 and Opus at 320×240, 10 frames a second, laid out as Chromium's
    /// MediaRecorder does (unknown-size Segment and Clusters, no Duration, no Cues).
    fn default() -> Self {
        Self {
            doc_type: "webm",
            video: Some(("V_VP8", 320, 240)),
            audio: Some("A_OPUS"),
            frame_times_ms: (0..20).map(|i| i * 100).collect(),
            duration_ms: None,
        }
    }
}

/// How an MP4 file keeps its sample times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mp4Layout {
    /// One `moov` with the sample tables (`stts`…), then the `mdat`: a phone's or Safari's file.
    Progressive,
    /// An empty `moov` with `mvex`, then this many `moof`/`mdat` pairs: Chromium's MediaRecorder.
    Fragmented(u32),
}

/// An MP4 file to build.
#[derive(Debug, Clone)]
pub struct Mp4Spec {
    /// The sample entry's four-character code (`avc1` gets an `avcC`) and the pixel size.
    pub video: Option<([u8; 4], u16, u16)>,
    /// The audio sample entry's code: `mp4a` (AAC, with an `esds`) or `Opus` (with a `dOps`).
    pub audio: Option<[u8; 4]>,
    /// How many frames each track has, and how long each lasts, in milliseconds.
    pub frames: u32,
    pub frame_ms: u32,
    pub layout: Mp4Layout,
}

impl Default for Mp4Spec {
    /// Two seconds of H.264 and AAC at 320×240, 10 frames a second, in one fragment.
    fn default() -> Self {
        Self {
            video: Some((*b"avc1", 320, 240)),
            audio: Some(*b"mp4a"),
            frames: 20,
            frame_ms: 100,
            layout: Mp4Layout::Fragmented(1),
        }
    }
}

pub fn valid_webm() -> Vec<u8> {
    webm(&WebmSpec::default())
}

/// A frame every ten minutes for three hours.
pub fn three_hours_webm() -> Vec<u8> {
    webm(&WebmSpec { frame_times_ms: (0..18).map(|i| i * 600_000).collect(), ..WebmSpec::default() })
}

/// Frames, but all at one time: a still picture, nothing plays.
pub fn zero_seconds_webm() -> Vec<u8> {
    webm(&WebmSpec { frame_times_ms: vec![0; 5], ..WebmSpec::default() })
}

pub fn eight_k_webm() -> Vec<u8> {
    webm(&WebmSpec { video: Some(("V_VP9", 7680, 4320)), ..WebmSpec::default() })
}

pub fn audio_only_webm() -> Vec<u8> {
    webm(&WebmSpec { video: None, ..WebmSpec::default() })
}

pub fn valid_mp4() -> Vec<u8> {
    mp4(&Mp4Spec::default())
}

pub fn three_hours_mp4() -> Vec<u8> {
    mp4(&Mp4Spec { frames: 3, frame_ms: 60 * 60 * 1000, ..Mp4Spec::default() })
}

pub fn zero_seconds_mp4() -> Vec<u8> {
    mp4(&Mp4Spec { frames: 5, frame_ms: 0, ..Mp4Spec::default() })
}

pub fn eight_k_mp4() -> Vec<u8> {
    mp4(&Mp4Spec { video: Some((*b"avc1", 7680, 4320)), ..Mp4Spec::default() })
}

pub fn audio_only_mp4() -> Vec<u8> {
    mp4(&Mp4Spec { video: None, ..Mp4Spec::default() })
}

/// A text file, whatever it is named.
pub fn text_named_webm() -> Vec<u8> {
    b"This is not a video, whatever its name says.\n".to_vec()
}

/// A recording committed under `tests/fixtures/video/` (see the README there).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/video").join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

// ---- WebM --------------------------------------------------------------------------------

const UNKNOWN_SIZE: [u8; 8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
/// Frames are grouped in clusters; a block's time is a signed 16-bit offset from its cluster's.
const CLUSTER_SPAN_MS: u64 = 30_000;

/// Builds the WebM file `spec` describes.
pub fn webm(spec: &WebmSpec) -> Vec<u8> {
    let mut header = Vec::new();
    header.extend(ebml_uint(0x4286, 1)); // EBMLVersion
    header.extend(ebml_uint(0x42F7, 1)); // EBMLReadVersion
    header.extend(ebml_uint(0x42F2, 4)); // EBMLMaxIDLength
    header.extend(ebml_uint(0x42F3, 8)); // EBMLMaxSizeLength
    header.extend(ebml_element(0x4282, spec.doc_type.as_bytes())); // DocType
    header.extend(ebml_uint(0x4287, 4)); // DocTypeVersion
    header.extend(ebml_uint(0x4285, 2)); // DocTypeReadVersion
    let mut out = ebml_element(0x1A45_DFA3, &header);

    let mut info = ebml_uint(0x2A_D7B1, 1_000_000); // TimestampScale: milliseconds
    if let Some(duration) = spec.duration_ms {
        info.extend(ebml_element(0x4489, &duration.to_be_bytes())); // Duration
    }
    info.extend(ebml_element(0x4D80, b"fanfare-samples")); // MuxingApp
    info.extend(ebml_element(0x5741, b"fanfare-samples")); // WritingApp
    let mut segment = ebml_element(0x1549_A966, &info);

    let mut tracks = Vec::new();
    let mut numbers = Vec::new();
    if let Some((codec, width, height)) = spec.video {
        let mut video = ebml_uint(0xB0, width.into()); // PixelWidth
        video.extend(ebml_uint(0xBA, height.into())); // PixelHeight
        tracks.extend(webm_track(1, 1, codec, &ebml_element(0xE0, &video)));
        numbers.push(1);
    }
    if let Some(codec) = spec.audio {
        let mut audio = ebml_element(0xB5, &48_000f64.to_be_bytes()); // SamplingFrequency
        audio.extend(ebml_uint(0x9F, 1)); // Channels
        tracks.extend(webm_track(2, 2, codec, &ebml_element(0xE1, &audio)));
        numbers.push(2);
    }
    segment.extend(ebml_element(0x1654_AE6B, &tracks));

    let mut cluster: Option<(u64, Vec<u8>)> = None;
    for &time in &spec.frame_times_ms {
        if let Some((base, body)) =
            cluster.take_if(|(base, _)| time < *base || time - *base > CLUSTER_SPAN_MS)
        {
            segment.extend(unknown_size_cluster(base, &body));
        }
        let (base, body) = cluster.get_or_insert_with(|| (time, Vec::new()));
        let offset = i16::try_from(time - *base).unwrap_or(i16::MAX);
        for &track in &numbers {
            let mut block = vec![0x80 | track, 0, 0, 0x80]; // track, time offset, keyframe
            block[1..3].copy_from_slice(&offset.to_be_bytes());
            block.extend([0x5A; 24]);
            body.extend(ebml_element(0xA3, &block)); // SimpleBlock
        }
    }
    if let Some((base, body)) = cluster {
        segment.extend(unknown_size_cluster(base, &body));
    }

    out.extend(0x1853_8067u32.to_be_bytes()); // Segment, of unknown size as a live recorder writes
    out.extend(UNKNOWN_SIZE);
    out.extend(segment);
    out
}

fn webm_track(number: u8, kind: u64, codec: &str, settings: &[u8]) -> Vec<u8> {
    let mut entry = ebml_uint(0xD7, number.into()); // TrackNumber
    entry.extend(ebml_uint(0x73C5, 1000 + u64::from(number))); // TrackUID
    entry.extend(ebml_uint(0x83, kind)); // TrackType: 1 video, 2 audio
    entry.extend(ebml_element(0x86, codec.as_bytes())); // CodecID
    entry.extend_from_slice(settings);
    ebml_element(0xAE, &entry) // TrackEntry
}

fn unknown_size_cluster(base: u64, blocks: &[u8]) -> Vec<u8> {
    let mut out = 0x1F43_B675u32.to_be_bytes().to_vec();
    out.extend(UNKNOWN_SIZE);
    out.extend(ebml_uint(0xE7, base)); // Timestamp
    out.extend_from_slice(blocks);
    out
}

/// An element: its id as written (marker bits included), its size, its body.
fn ebml_element(id: u32, body: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = id.to_be_bytes().into_iter().skip_while(|&byte| byte == 0).collect();
    let size = body.len() as u64;
    let length = (1..=8u32).find(|&n| size < (1 << (7 * n)) - 1).unwrap_or(8);
    let marked = size | (1 << (7 * length));
    out.extend(&marked.to_be_bytes()[(8 - length as usize)..]);
    out.extend_from_slice(body);
    out
}

fn ebml_uint(id: u32, value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let first = bytes.iter().position(|&byte| byte != 0).unwrap_or(7);
    ebml_element(id, &bytes[first..])
}

// ---- MP4 ---------------------------------------------------------------------------------

const TIMESCALE: u32 = 1000;
const SAMPLE_BYTES: u32 = 16;
const VIDEO_TRACK: u32 = 1;
const AUDIO_TRACK: u32 = 2;

/// Builds the MP4 file `spec` describes.
pub fn mp4(spec: &Mp4Spec) -> Vec<u8> {
    let mut out = mp4_box(b"ftyp", &[b"isom".as_slice(), &[0, 0, 2, 0], b"isomiso2avc1mp41"].concat());
    let tracks: Vec<u32> =
        [spec.video.map(|_| VIDEO_TRACK), spec.audio.map(|_| AUDIO_TRACK)].into_iter().flatten().collect();
    match spec.layout {
        Mp4Layout::Progressive => {
            // The chunk offsets depend on the size of the moov before them, which does not
            // depend on their values: build it once to measure, then again for real.
            let measured = moov(spec, &tracks, 0).len();
            let data_start = out.len() + measured + 8;
            out.extend(moov(spec, &tracks, data_start as u32));
            out.extend(mp4_box(b"mdat", &sample_data(spec.frames * tracks.len() as u32)));
        }
        Mp4Layout::Fragmented(count) => {
            out.extend(moov(spec, &tracks, 0));
            let per_fragment = spec.frames.div_ceil(count.max(1));
            let mut first = 0;
            let mut sequence = 1;
            while first < spec.frames {
                let frames = per_fragment.min(spec.frames - first);
                let start = u64::from(first) * u64::from(spec.frame_ms);
                let moof_len = moof(spec, &tracks, sequence, start, frames, 0).len() as u32;
                out.extend(moof(spec, &tracks, sequence, start, frames, moof_len + 8));
                out.extend(mp4_box(b"mdat", &sample_data(frames * tracks.len() as u32)));
                first += frames;
                sequence += 1;
            }
        }
    }
    out
}

fn moov(spec: &Mp4Spec, tracks: &[u32], data_start: u32) -> Vec<u8> {
    let progressive = spec.layout == Mp4Layout::Progressive;
    let duration = if progressive { spec.frames.saturating_mul(spec.frame_ms) } else { 0 };
    let mut mvhd = [0u32, 0, TIMESCALE, duration, 0x0001_0000].map(u32::to_be_bytes).concat();
    mvhd.extend([1, 0]); // volume
    mvhd.extend([0; 10]);
    mvhd.extend(MATRIX);
    mvhd.extend([0; 24]);
    mvhd.extend(3u32.to_be_bytes()); // next track id
    let mut body = full_box(b"mvhd", 0, &mvhd);
    let chunk_bytes = spec.frames * SAMPLE_BYTES;
    for (index, &track) in tracks.iter().enumerate() {
        let offset = data_start + index as u32 * chunk_bytes;
        body.extend(trak(spec, track, duration, progressive.then_some(offset)));
    }
    if !progressive {
        let trex = |track: u32| {
            full_box(b"trex", 0, &[track, 1, spec.frame_ms, SAMPLE_BYTES, 0].map(u32::to_be_bytes).concat())
        };
        body.extend(mp4_box(b"mvex", &tracks.iter().flat_map(|&track| trex(track)).collect::<Vec<_>>()));
    }
    mp4_box(b"moov", &body)
}

fn trak(spec: &Mp4Spec, track: u32, duration: u32, chunk_offset: Option<u32>) -> Vec<u8> {
    let video = track == VIDEO_TRACK;
    let (width, height) =
        spec.video.filter(|_| video).map_or((0, 0), |(_, w, h)| (u32::from(w), u32::from(h)));
    let mut tkhd = [0u32, 0, track, 0, duration, 0, 0, 0].map(u32::to_be_bytes).concat();
    tkhd.extend(if video { [0, 0] } else { [1, 0] }); // volume, after layer and group (in the zeros)
    tkhd.extend([0, 0]);
    tkhd.extend(MATRIX);
    tkhd.extend([width << 16, height << 16].map(u32::to_be_bytes).concat());
    let tkhd = full_box(b"tkhd", 3, &tkhd);

    let mut mdhd = [0u32, 0, TIMESCALE, duration].map(u32::to_be_bytes).concat();
    mdhd.extend([0x55, 0xC4, 0, 0]); // language "und"
    let handler = if video { b"vide" } else { b"soun" };
    let hdlr = full_box(b"hdlr", 0, &[&[0; 4], handler.as_slice(), &[0; 12], b"fanfare\0"].concat());
    let media_header = if video { full_box(b"vmhd", 1, &[0; 8]) } else { full_box(b"smhd", 0, &[0; 4]) };
    let dref = full_box(b"dref", 0, &[&1u32.to_be_bytes(), full_box(b"url ", 1, &[]).as_slice()].concat());

    let entry = if video { video_entry(spec) } else { audio_entry(spec) };
    let mut stbl = full_box(b"stsd", 0, &[&1u32.to_be_bytes(), entry.as_slice()].concat());
    let frames = if chunk_offset.is_some() { spec.frames } else { 0 };
    let stts: &[u32] = if frames > 0 { &[1, frames, spec.frame_ms] } else { &[0] };
    stbl.extend(full_box(b"stts", 0, &stts.iter().flat_map(|n| n.to_be_bytes()).collect::<Vec<_>>()));
    let stsc: &[u32] = if frames > 0 { &[1, 1, frames, 1] } else { &[0] };
    stbl.extend(full_box(b"stsc", 0, &stsc.iter().flat_map(|n| n.to_be_bytes()).collect::<Vec<_>>()));
    stbl.extend(full_box(b"stsz", 0, &[SAMPLE_BYTES, frames].map(u32::to_be_bytes).concat()));
    let stco: Vec<u32> = chunk_offset.filter(|_| frames > 0).map_or(vec![0], |offset| vec![1, offset]);
    stbl.extend(full_box(b"stco", 0, &stco.iter().flat_map(|n| n.to_be_bytes()).collect::<Vec<_>>()));

    let minf = [media_header, mp4_box(b"dinf", &dref), mp4_box(b"stbl", &stbl)].concat();
    let mdia = [full_box(b"mdhd", 0, &mdhd), hdlr, mp4_box(b"minf", &minf)].concat();
    mp4_box(b"trak", &[tkhd, mp4_box(b"mdia", &mdia)].concat())
}

fn video_entry(spec: &Mp4Spec) -> Vec<u8> {
    let (code, width, height) = spec.video.unwrap_or((*b"avc1", 0, 0));
    let mut body = vec![0; 6];
    body.extend(1u16.to_be_bytes()); // data reference index
    body.extend([0; 16]);
    body.extend([width, height].map(u16::to_be_bytes).concat());
    body.extend([0x0048_0000u32, 0x0048_0000, 0].map(u32::to_be_bytes).concat()); // 72 dpi
    body.extend(1u16.to_be_bytes()); // frame count
    body.extend([0; 32]); // compressor name
    body.extend([0x00, 0x18, 0xFF, 0xFF]); // depth, pre-defined -1
    if &code == b"avc1" {
        // One sequence and one picture parameter set: bytes of the right shape, never decoded.
        let sps = [0x67, 0x42, 0xC0, 0x1E, 0xDA, 0x02, 0x80, 0xBF, 0xE5];
        let pps = [0x68, 0xCE, 0x3C, 0x80];
        let mut avcc = vec![1, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0, sps.len() as u8];
        avcc.extend(sps);
        avcc.extend([1, 0, pps.len() as u8]);
        avcc.extend(pps);
        body.extend(mp4_box(b"avcC", &avcc));
    }
    mp4_box(&code, &body)
}

fn audio_entry(spec: &Mp4Spec) -> Vec<u8> {
    let code = spec.audio.unwrap_or(*b"mp4a");
    let mut body = vec![0; 6];
    body.extend(1u16.to_be_bytes()); // data reference index
    body.extend([0; 8]);
    body.extend([0, 2, 0, 16, 0, 0, 0, 0]); // 2 channels of 16 bits
    body.extend((48_000u32 << 16).to_be_bytes());
    match &code {
        b"mp4a" => {
            // ES descriptor (3) holding a decoder configuration (4, AAC: object type 0x40)
            // with its AAC-LC settings (5), and the sync layer descriptor (6).
            let specific = [5, 2, 0x11, 0x90];
            let mut config = vec![4, 13 + specific.len() as u8, 0x40, 0x15, 0, 0, 0];
            config.extend([0u32, 0].map(u32::to_be_bytes).concat());
            config.extend(specific);
            let mut es = vec![3, 3 + config.len() as u8 + 3, 0, 1, 0];
            es.extend(config);
            es.extend([6, 1, 2]);
            body.extend(full_box(b"esds", 0, &es));
        }
        b"Opus" => {
            let mut dops = vec![0, 2, 0x01, 0x38];
            dops.extend(48_000u32.to_be_bytes());
            dops.extend([0, 0, 0]); // output gain, mapping family 0
            body.extend(mp4_box(b"dOps", &dops));
        }
        _ => {}
    }
    mp4_box(&code, &body)
}

fn moof(spec: &Mp4Spec, tracks: &[u32], sequence: u32, start: u64, frames: u32, data_offset: u32) -> Vec<u8> {
    let mut body = full_box(b"mfhd", 0, &sequence.to_be_bytes());
    for (index, &track) in tracks.iter().enumerate() {
        let mut traf = full_box(b"tfhd", 0x02_0000, &track.to_be_bytes()); // base is the moof
        traf.extend(full_box(b"tfdt", 1 << 24, &start.to_be_bytes()));
        let offset = data_offset + index as u32 * frames * SAMPLE_BYTES;
        let mut trun = [frames, offset].map(u32::to_be_bytes).concat();
        for _ in 0..frames {
            trun.extend([spec.frame_ms, SAMPLE_BYTES].map(u32::to_be_bytes).concat());
        }
        traf.extend(full_box(b"trun", 0x0301, &trun)); // data offset, durations, sizes
        body.extend(mp4_box(b"traf", &traf));
    }
    mp4_box(b"moof", &body)
}

const MATRIX: [u8; 36] = [
    0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0,
    0, 0,
];

fn sample_data(samples: u32) -> Vec<u8> {
    vec![0xA5; (samples * SAMPLE_BYTES) as usize]
}

fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32 + 8).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// A box with a version (the top byte of `version_flags`) and 24 bits of flags.
fn full_box(kind: &[u8; 4], version_flags: u32, body: &[u8]) -> Vec<u8> {
    mp4_box(kind, &[&version_flags.to_be_bytes(), body].concat())
}
