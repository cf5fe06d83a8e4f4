//! The site's accent colour on its collection page, kept readable: a site may pick a pale
//! yellow, and white text on it (or it on a white page) would fail WCAG's contrast. The colour
//! the page uses for text, buttons, stars and focus rings is the accent darkened just enough
//! for 4.5:1 against the page; the accent itself only colours the top band.

/// The page's background: the accent must read on it (and so on the white cards too).
const PAGE: [u8; 3] = [0xf7, 0xf5, 0xf2];

/// WCAG AA for normal text.
const READABLE: f64 = 4.5;

/// `/c/{site}/theme.css`: the site's colours as the custom properties `collect.css` reads.
pub fn stylesheet(accent: &str) -> String {
    let brand = parse_hex(accent).unwrap_or([0x7a, 0x3e, 0x12]);
    let ink = readable_on(brand, PAGE);
    format!(":root{{--brand:{};--accent:{}}}\n", hex(brand), hex(ink))
}

/// `#rrggbb` (as settings store it) or `#rgb`.
fn parse_hex(raw: &str) -> Option<[u8; 3]> {
    let digits = raw.strip_prefix('#')?;
    let channel = |at: usize, width: usize| {
        let part = digits.get(at..at + width)?;
        let value = u8::from_str_radix(part, 16).ok()?;
        Some(if width == 1 { value * 17 } else { value })
    };
    match digits.len() {
        6 => Some([channel(0, 2)?, channel(2, 2)?, channel(4, 2)?]),
        3 => Some([channel(0, 1)?, channel(1, 1)?, channel(2, 1)?]),
        _ => None,
    }
}

fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// WCAG's relative luminance.
fn luminance(colour: [u8; 3]) -> f64 {
    let linear = |channel: u8| {
        let c = f64::from(channel) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(colour[0]) + 0.7152 * linear(colour[1]) + 0.0722 * linear(colour[2])
}

pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// `colour`, darkened in small steps (keeping its hue) until it reads on `background`.
fn readable_on(colour: [u8; 3], background: [u8; 3]) -> [u8; 3] {
    (0..=100)
        .map(|step| {
            let keep = 1.0 - f64::from(step) / 100.0;
            colour.map(|channel| (f64::from(channel) * keep).round() as u8)
        })
        .find(|candidate| contrast(*candidate, background) >= READABLE)
        .unwrap_or([0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dark_accent_is_kept_as_it_is() {
        assert_eq!(stylesheet("#7a3e12"), ":root{--brand:#7a3e12;--accent:#7a3e12}\n");
    }

    #[test]
    fn a_pale_accent_is_darkened_until_it_reads_on_the_page_and_white_reads_on_it() {
        for pale in ["#ffdd00", "#ffffff", "#7fffd4", "#abc"] {
            let ink = readable_on(parse_hex(pale).unwrap(), PAGE);
            assert!(contrast(ink, PAGE) >= READABLE, "{pale}");
            assert!(contrast(ink, [255, 255, 255]) >= READABLE, "white button text on {pale}");
        }
        let yellow = readable_on([0xff, 0xdd, 0x00], PAGE);
        assert!(yellow[0] > yellow[2], "still a yellow-brown, not grey: {yellow:?}");
    }

    #[test]
    fn a_broken_accent_falls_back_to_the_default() {
        assert_eq!(stylesheet("red"), ":root{--brand:#7a3e12;--accent:#7a3e12}\n");
    }
}
