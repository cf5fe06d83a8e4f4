//! Whether an accent colour can be read on the widget's grounds: WCAG 2.2's contrast ratio.

/// The widget's own grounds (`widget/style/widget.css`, `--_bg` of each theme), and the
/// accent its dark theme uses unless the page sets `--fanfare-accent`.
pub const LIGHT_BACKGROUND: &str = "#ffffff";
pub const DARK_BACKGROUND: &str = "#1c1917";
pub const DARK_THEME_ACCENT: &str = "#f59e0b";
/// WCAG AA for text of normal size (the accent colours links, stars and button labels' ground).
pub const AA_TEXT: f64 = 4.5;

/// The contrast ratio of two `#rrggbb` colours, 1 to 21; `None` when either is not one.
pub fn contrast_ratio(a: &str, b: &str) -> Option<f64> {
    let (first, second) = (luminance(a)?, luminance(b)?);
    let (light, dark) = if first > second { (first, second) } else { (second, first) };
    Some((light + 0.05) / (dark + 0.05))
}

/// Relative luminance of an sRGB colour.
fn luminance(hex: &str) -> Option<f64> {
    let hex = hex.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let channel = |at: usize| -> Option<f64> {
        let value = f64::from(u8::from_str_radix(hex.get(at..at + 2)?, 16).ok()?) / 255.0;
        Some(if value <= 0.040_45 { value / 12.92 } else { ((value + 0.055) / 1.055).powf(2.4) })
    };
    Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_match_wcag() {
        let ratio = |a, b| contrast_ratio(a, b).map(|r| (r * 100.0).round() / 100.0);
        assert_eq!(ratio("#000000", "#ffffff"), Some(21.0));
        assert_eq!(ratio("#ffffff", "#ffffff"), Some(1.0));
        // The default accent passes on white; a pale yellow does not.
        assert!(contrast_ratio("#7a3e12", LIGHT_BACKGROUND).is_some_and(|r| r >= AA_TEXT));
        assert!(contrast_ratio("#ffd84d", LIGHT_BACKGROUND).is_some_and(|r| r < AA_TEXT));
        assert_eq!(ratio("#777777", "#ffffff"), Some(4.48));
        assert_eq!(contrast_ratio("red", "#ffffff"), None);
        assert_eq!(contrast_ratio("#ééé", "#ffffff"), None);
    }

    #[test]
    fn the_grounds_are_the_widgets_own() {
        let css = include_str!("../../../widget/style/widget.css");
        assert!(css.contains(&format!("--_bg: var(--fanfare-bg, {LIGHT_BACKGROUND})")));
        assert!(css.contains(&format!("--_bg: var(--fanfare-bg, {DARK_BACKGROUND})")));
        assert!(css.contains(&format!("--_accent: var(--fanfare-accent, {DARK_THEME_ACCENT})")));
    }
}
