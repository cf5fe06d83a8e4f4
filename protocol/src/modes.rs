//! What a host page may ask the widget for: the values of `data-fanfare`.
//!
//! The loader refuses any other value before downloading anything; the server renders the
//! read-only ones and the widget the others, and the server lists them; `cargo xtask build` fails when the loader's list drifts from
//! [`Mode::ALL`].

/// One embeddable mode of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Wall,
    Carousel,
    Badge,
    Collect,
    Refer,
}

impl Mode {
    /// Every mode, in the order they are listed to page authors.
    pub const ALL: [Mode; 5] = [Mode::Wall, Mode::Carousel, Mode::Badge, Mode::Collect, Mode::Refer];

    /// The modes that only show testimonials: the server renders them
    /// (`/embed/{site}/{mode}.html`) and the loader places that HTML, with no WebAssembly.
    pub const READ_ONLY: [Mode; 3] = [Mode::Wall, Mode::Carousel, Mode::Badge];

    /// Whether the server renders this mode (see [`Mode::READ_ONLY`]).
    pub fn is_read_only(self) -> bool {
        Self::READ_ONLY.contains(&self)
    }

    /// The mode's `data-fanfare` value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Wall => "wall",
            Mode::Carousel => "carousel",
            Mode::Badge => "badge",
            Mode::Collect => "collect",
            Mode::Refer => "refer",
        }
    }

    /// The mode a `data-fanfare` value names, exactly as written (no trimming or case folding,
    /// like the loader's own check).
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_reads_back_from_its_name_and_nothing_else_does() {
        let names: Vec<&str> = Mode::ALL.iter().map(|mode| mode.as_str()).collect();
        assert_eq!(names, ["wall", "carousel", "badge", "collect", "refer"]);
        for mode in Mode::ALL {
            assert_eq!(Mode::parse(mode.as_str()), Some(mode));
        }
        for other in ["", "floating", "Wall", " wall", "walls"] {
            assert_eq!(Mode::parse(other), None, "{other}");
        }
        let interactive: Vec<Mode> = Mode::ALL.into_iter().filter(|mode| !mode.is_read_only()).collect();
        assert_eq!(interactive, [Mode::Collect, Mode::Refer], "the forms need the widget");
    }
}
