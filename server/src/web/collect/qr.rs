//! A page's address as a QR code in SVG: one path of dark runs on a white square with the
//! four-module quiet zone scanners need. Medium error correction survives a smudged print.

use qrcodegen::{QrCode, QrCodeEcc};

/// Modules of white around the code.
const QUIET_ZONE: i32 = 4;

/// The SVG of `text`; `None` when it is too long for any QR code (thousands of characters).
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = code.size();
    let mut path = String::new();
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if !code.get_module(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < size && code.get_module(x, y) {
                x += 1;
            }
            let run = x - start;
            path.push_str(&format!("M{},{}h{run}v1h-{run}z", start + QUIET_ZONE, y + QUIET_ZONE));
        }
    }
    let side = size + 2 * QUIET_ZONE;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" width=\"{px}\" height=\"{px}\" \
         shape-rendering=\"crispEdges\"><title>{title}</title><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>\n",
        px = side * 8,
        title = maud::html! { (text) }.into_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_one_path_inside_a_quiet_zone() {
        let svg = svg("https://reviews.example/c/acme").unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("<title>https://reviews.example/c/acme</title>"));
        // Version 3 (29 modules) for an address this long, plus 4 modules each side.
        assert!(svg.contains("viewBox=\"0 0 37 37\""), "{svg}");
        // The top-left finder pattern starts at the quiet zone's corner, 7 modules wide.
        assert!(svg.contains("d=\"M4,4h7v1h-7z"), "{svg}");
    }

    #[test]
    fn text_in_the_title_is_escaped() {
        assert!(svg("a<b>&c").unwrap().contains("<title>a&lt;b&gt;&amp;c</title>"));
    }
}
