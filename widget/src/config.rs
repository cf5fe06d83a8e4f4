use fanfare_protocol::modes;

/// What `embed.js` read from its script tag, plus where the API is (read by
/// [`crate::json`]; the loader sends `ref` for [`MountConfig::referral`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MountConfig {
    /// The origin `embed.js` was loaded from.
    pub api: String,
    pub site: String,
    pub lang: Option<String>,
    pub theme: Option<String>,
    pub limit: Option<u32>,
    pub tags: Option<String>,
    /// The host page's address, sent with a submission for the moderators' context.
    pub page_url: Option<String>,
    /// The referral code this browser arrived with (kept by `embed.js` for the site's window).
    pub referral: Option<String>,
    /// The loader's random first-party id for this browser, for referral fraud checks.
    pub device: Option<String>,
    /// Where a badge links to (the mount's `data-href`), usually the page with the wall.
    pub href: Option<String>,
}

impl MountConfig {
    pub fn site_url(&self, path: &str) -> String {
        [&self.api, "/api/v1/sites/", &self.site, path].concat()
    }
}

/// What a mount renders: one of the embeddable modes every side shares
/// ([`fanfare_protocol::modes::Mode`]), or the loader's own floating button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Collect,
    Wall,
    Carousel,
    Badge,
    Refer,
    /// The floating "Leave a testimonial" button and the dialog it opens.
    Floating,
}

/// The mode `embed.js` mounts for its floating button; not a `data-fanfare` value, so page
/// authors cannot ask for it.
const FLOATING: &str = "floating";

impl Mode {
    pub fn parse(raw: &str) -> Option<Self> {
        if raw == FLOATING {
            return Some(Mode::Floating);
        }
        modes::Mode::parse(raw).map(Mode::from)
    }
}

impl From<modes::Mode> for Mode {
    fn from(mode: modes::Mode) -> Self {
        match mode {
            modes::Mode::Collect => Mode::Collect,
            modes::Mode::Wall => Mode::Wall,
            modes::Mode::Carousel => Mode::Carousel,
            modes::Mode::Badge => Mode::Badge,
            modes::Mode::Refer => Mode::Refer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shared_mode_and_the_floating_button_can_be_mounted() {
        for shared in modes::Mode::ALL {
            assert_eq!(Mode::parse(shared.as_str()), Some(Mode::from(shared)));
        }
        assert_eq!(Mode::parse("floating"), Some(Mode::Floating));
        for unknown in ["", "Wall", "popup"] {
            assert_eq!(Mode::parse(unknown), None, "{unknown}");
        }
    }
}
