//! A video's transcript timed as captions. People write it as one cue a line, `m:ss words`
//! (each cue lasts until the next one starts, the last until the video ends); browsers get it
//! as WebVTT.

use std::fmt::Write as _;

/// More cues than anyone times by hand for two minutes of video.
pub const MAX_CUES: usize = 300;
const MAX_CUE_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// Reads timed lines against the video's duration. Blank lines are skipped; the error names the
/// line (counted as an editor counts them) and what is wrong with it.
pub fn parse(lines: &str, duration_ms: u64) -> Result<Vec<Cue>, String> {
    let mut starts: Vec<(u64, String)> = Vec::new();
    for (index, line) in lines.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (time, text) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let start = parse_time(time).ok_or_else(|| {
            format!("line {number}: start each line with the time its words begin, like 0:05, then the words")
        })?;
        let text = text.trim();
        if text.is_empty() {
            return Err(format!("line {number}: {time} has no words after it"));
        }
        if text.chars().count() > MAX_CUE_CHARS {
            return Err(format!("line {number}: at most {MAX_CUE_CHARS} characters a line"));
        }
        if start >= duration_ms {
            return Err(format!(
                "line {number}: {time} is past the end of the video ({})",
                clock(duration_ms)
            ));
        }
        if let Some((previous, _)) = starts.last() {
            if start <= *previous {
                return Err(format!(
                    "line {number}: {time} must come after the line before ({})",
                    clock(*previous)
                ));
            }
        }
        starts.push((start, text.to_owned()));
    }
    if starts.is_empty() {
        return Err("no timed lines: write one line per caption, like 0:05 Hello".into());
    }
    if starts.len() > MAX_CUES {
        return Err(format!("at most {MAX_CUES} lines"));
    }
    let ends: Vec<u64> = starts.iter().skip(1).map(|(start, _)| *start).chain([duration_ms]).collect();
    Ok(starts
        .into_iter()
        .zip(ends)
        .map(|((start_ms, text), end_ms)| Cue { start_ms, end_ms, text })
        .collect())
}

/// `m:ss`, `m:ss.fff` or `h:mm:ss[.fff]`, in milliseconds.
fn parse_time(time: &str) -> Option<u64> {
    let (whole, fraction) = time.split_once('.').unwrap_or((time, ""));
    let parts: Vec<&str> = whole.split(':').collect();
    let number = |part: &str| {
        (!part.is_empty() && part.len() <= 3 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u64>().ok())
            .flatten()
    };
    let (hours, minutes, seconds) = match parts.as_slice() {
        [minutes, seconds] => (0, number(minutes)?, number(seconds)?),
        [hours, minutes, seconds] => (number(hours)?, number(minutes)?, number(seconds)?),
        _ => return None,
    };
    if seconds >= 60 || (parts.len() == 3 && minutes >= 60) {
        return None;
    }
    let millis = if fraction.is_empty() {
        0
    } else {
        if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        fraction.parse::<u64>().ok()? * 10u64.pow(3 - fraction.len() as u32)
    };
    Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
}

/// `0:05` for people.
fn clock(ms: u64) -> String {
    format!("{}:{:02}", ms / 60_000, ms / 1000 % 60)
}

/// WebVTT for a `<track>`: cue text is escaped, so nothing in it is markup.
pub fn webvtt(cues: &[Cue]) -> String {
    let mut vtt = String::from("WEBVTT\n");
    for cue in cues {
        let text = cue.text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let _ = write!(vtt, "\n{} --> {}\n{text}\n", vtt_time(cue.start_ms), vtt_time(cue.end_ms));
    }
    vtt
}

fn vtt_time(ms: u64) -> String {
    format!("{:02}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_lines_become_cues_that_last_until_the_next() {
        let cues =
            parse("0:00 I was sceptical.\n\n0:03.5 Then the beans arrived.\r\n1:02 Five stars.", 70_000)
                .unwrap();
        assert_eq!(
            cues,
            [
                Cue { start_ms: 0, end_ms: 3500, text: "I was sceptical.".into() },
                Cue { start_ms: 3500, end_ms: 62_000, text: "Then the beans arrived.".into() },
                Cue { start_ms: 62_000, end_ms: 70_000, text: "Five stars.".into() },
            ]
        );
        assert_eq!(parse("0:01:05 Later", 70_000).unwrap()[0].start_ms, 65_000);
    }

    #[test]
    fn each_bad_line_is_named() {
        let problems = [
            ("hello", "line 1: start each line"),
            ("0:00 a\n0:00 b", "line 2: 0:00 must come after"),
            ("0:00 a\n\n0:75 b", "line 3: start each line"),
            ("0:05", "line 1: 0:05 has no words"),
            ("2:00 late", "line 1: 2:00 is past the end of the video (1:10)"),
            ("", "no timed lines"),
        ];
        for (lines, expected) in problems {
            let error = parse(lines, 70_000).unwrap_err();
            assert!(error.starts_with(expected), "{lines:?}: {error}");
        }
    }

    #[test]
    fn webvtt_escapes_what_would_be_markup() {
        let cues = parse("0:00 <b>bold</b> & -->\n0:02 next", 4_250).unwrap();
        assert_eq!(
            webvtt(&cues),
            "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n&lt;b&gt;bold&lt;/b&gt; &amp; --&gt;\n\n\
             00:00:02.000 --> 00:00:04.250\nnext\n"
        );
    }
}
